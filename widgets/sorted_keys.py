"""Keys kept sorted by a rank, in blocks, so inserting one costs a block's shift, not the list's.

One flat list of 50,000 keys costs a copy of the whole list to merge a batch into (measured on
the 2-core development machine: 32 ms to merge 1,000 keys into 50,000, 3.5 ms even for 10);
blocks of about ``LOAD`` keys make an insert or a removal a binary search over the blocks'
last ranks plus a shift inside one block, and positions come from a running count of block
sizes, rebuilt (one pass over the blocks, not the keys) after a change. The idea is
sortedcontainers' SortedList, cut down to what a table needs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate, chain
from typing import Any

__all__ = ["SortedKeys"]

LOAD = 1000  # keys per block; a block splits in two past twice this


class SortedKeys:
    """Distinct keys ascending by ``rank(key)``; ``rank`` must not change while a key is in."""

    def __init__(self, rank: Callable[[str], Any], keys: Iterable[str] = ()) -> None:
        self._rank = rank
        self._blocks: list[list[str]] = []
        self._maxes: list[Any] = []  # rank of each block's last key
        self._starts: list[int] | None = [0]  # position of each block's first key; None: stale
        self._length = 0
        self.reset(keys)

    def reset(self, ranked: Iterable[str]) -> None:
        """Hold exactly ``ranked`` (already in rank order)."""
        keys = list(ranked)
        self._blocks = [keys[i : i + LOAD] for i in range(0, len(keys), LOAD)]
        self._maxes = [self._rank(block[-1]) for block in self._blocks]
        self._length = len(keys)
        self._starts = None

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self._blocks)

    def __reversed__(self) -> Iterator[str]:
        return chain.from_iterable(reversed(block) for block in reversed(self._blocks))

    def __getitem__(self, index: int) -> str:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        starts = self._block_starts()
        block = bisect_right(starts, index) - 1
        return self._blocks[block][index - starts[block]]

    def index(self, key: str) -> int | None:
        """The position of ``key``; None when it isn't held."""
        rank = self._rank(key)
        block = bisect_left(self._maxes, rank)
        if block == len(self._blocks):
            return None
        keys = self._blocks[block]
        at = bisect_left(keys, rank, key=self._rank)
        if at == len(keys) or keys[at] != key:
            return None
        return self._block_starts()[block] + at

    def add(self, key: str) -> None:
        rank = self._rank(key)
        if not self._blocks:
            self._blocks, self._maxes = [[key]], [rank]
        else:
            block = min(bisect_left(self._maxes, rank), len(self._blocks) - 1)
            keys = self._blocks[block]
            keys.insert(bisect_left(keys, rank, key=self._rank), key)
            self._maxes[block] = self._rank(keys[-1])
            if len(keys) > 2 * LOAD:
                self._blocks[block : block + 1] = [keys[:LOAD], keys[LOAD:]]
                self._maxes[block : block + 1] = [self._rank(keys[LOAD - 1]), self._maxes[block]]
        self._length += 1
        self._starts = None

    def discard(self, key: str) -> None:
        rank = self._rank(key)
        block = bisect_left(self._maxes, rank)
        if block == len(self._blocks):
            return
        keys = self._blocks[block]
        at = bisect_left(keys, rank, key=self._rank)
        if at == len(keys) or keys[at] != key:
            return
        del keys[at]
        if keys:
            self._maxes[block] = self._rank(keys[-1])
        else:
            del self._blocks[block], self._maxes[block]
        self._length -= 1
        self._starts = None

    def _block_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0, *accumulate(len(block) for block in self._blocks)]
        return self._starts
