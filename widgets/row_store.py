"""The rows behind a KeyedTable: compact tuples by key, kept in order, filtered, sorted.

No Textual here: the widget draws only the lines on screen from this store, so a table of
100,000 subnets costs what its rows cost, not a Rich object per cell (benchmarks/table_choice.py).

A row is a key and a tuple of cells; a cell is a ``str`` or a ``(text, style name)`` pair, the
pairs interned so the few distinct styled words ("■ Deny", "✓ enabled") exist once, however many
rows show them. The order is kept sorted by a rank (the table's natural order, or a column then
the natural order as a tie-break); a descending sort reads the same list backwards. New rows are
merged in with a binary search each, so appending a batch costs O(batch · log rows) rank
computations plus one list copy in C, never a re-sort of what is already there.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

from rich.cells import cell_len
from rich.text import Text

__all__ = [
    "Cell",
    "Rank",
    "Row",
    "RowStore",
    "cell_text",
    "compact",
    "number_or_text",
    "styled",
    "text_width",
]

Styled = tuple[str, str]  # (text, style name)
Cell = str | Styled
Row = tuple[str, tuple[Cell, ...]]  # (row key, cells)
Rank = Any  # a tuple the rows sort by; comparable with the other ranks of the same table

_INTERNED: dict[Styled, Styled] = {}


def styled(text: str, style: str) -> Cell:
    """A styled cell, shared with every other cell of the same text and style."""
    if not style:
        return text
    pair = (text, style)
    return _INTERNED.setdefault(pair, pair)


def compact(cell: str | Text | Styled) -> Cell:
    """A cell as the store keeps it; a Rich ``Text`` keeps its text and its base style."""
    if isinstance(cell, Text):
        return styled(cell.plain, str(cell.style) if cell.style else "")
    if isinstance(cell, tuple):
        return styled(*cell)
    return cell


def cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


def text_width(text: str) -> int:
    """Cells on screen; most table text is ASCII, where that is its length."""
    return len(text) if text.isascii() else cell_len(text)


def number_or_text(_column: int, text: str) -> tuple[int, float, str]:
    """Counts sort as numbers, the rest as case-free text."""
    stripped = text.strip()
    if stripped.isdigit():
        return (0, int(stripped), "")
    return (1, 0, stripped.casefold())


class RowStore:
    """Rows by key, in display order; ``natural_rank`` gives the order when no column is
    sorted (None: the order rows were given in)."""

    def __init__(
        self,
        columns: int,
        natural_rank: Callable[[str, tuple[Cell, ...]], Rank] | None = None,
        sort_value: Callable[[int, str], Any] = number_or_text,
    ) -> None:
        self.columns = columns
        self.cells: dict[str, tuple[Cell, ...]] = {}
        self._natural = natural_rank
        self._sort_value = sort_value
        self._given: dict[str, int] = {}  # key -> arrival number, for the given order only
        self._arrivals = 0
        self._order: list[str] = []  # every key, ascending by rank
        self._view: list[str] | None = None  # the keys matching the filter; None: no filter
        self._needle = ""
        self._extra: dict[str, str] = {}  # text the filter matches beyond the cells
        self._search: dict[str, str] | None = None  # built on the first filter, then kept
        self.sort_column: int | None = None
        self.descending = False
        # Width of every cell per column, counted, so the widest is known after any change.
        self._widths: list[Counter[int]] = [Counter() for _ in range(columns)]

    # ---- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def _keys(self) -> list[str]:
        return self._order if self._view is None else self._view

    @property
    def total(self) -> int:
        return len(self._order)

    @property
    def needle(self) -> str:
        return self._needle

    def key_at(self, index: int) -> str:
        keys = self._keys
        return keys[-1 - index] if self.descending else keys[index]

    def keys(self) -> list[str]:
        """Keys in display order."""
        keys = self._keys
        return keys[::-1] if self.descending else list(keys)

    def position(self, key: str) -> int | None:
        """Where ``key`` is shown; None when it isn't (unknown, or filtered out)."""
        if key not in self.cells:
            return None
        keys = self._keys
        index = bisect_left(keys, self._rank(key), key=self._rank)
        if index >= len(keys) or keys[index] != key:
            return None
        return len(keys) - 1 - index if self.descending else index

    def widths(self) -> list[int]:
        return [max(counts) if counts else 0 for counts in self._widths]

    # ---- ranks ---------------------------------------------------------------------------

    def _natural_rank(self, key: str) -> Rank:
        if self._natural is None:
            return (self._given[key],)
        return self._natural(key, self.cells[key])

    def _rank(self, key: str) -> Rank:
        column = self.sort_column
        if column is None:
            return self._natural_rank(key)
        text = cell_text(self.cells[key][column])
        return (self._sort_value(column, text), self._natural_rank(key))

    # ---- changing ------------------------------------------------------------------------

    def replace(self, rows: Iterable[Row], also_search: Mapping[str, str] | None = None) -> None:
        """Hold exactly ``rows``: stale keys go, changed rows change, new ones come in.

        In the given order (no ``natural_rank``), the rows' order is the order given here.
        """
        rows = list(rows)
        wanted = {key for key, _ in rows}
        stale = [key for key in self.cells if key not in wanted]
        if self._natural is None:
            # The given order is the order: number the rows again and rebuild.
            self.clear()
        elif stale:
            self.remove(stale)
        self.upsert(rows, also_search)

    def clear(self) -> None:
        self.cells.clear()
        self._given.clear()
        self._order = []
        self._view = None if not self._needle else []
        self._extra.clear()
        if self._search is not None:
            self._search = {}
        self._widths = [Counter() for _ in range(self.columns)]

    def upsert(self, rows: Iterable[Row], also_search: Mapping[str, str] | None = None) -> bool:
        """Add new rows and change existing ones by key; True when anything changed."""
        extra = also_search or {}
        new: list[str] = []
        moved: list[str] = []
        changed = False
        for key, given in rows:
            old = self.cells.get(key)
            new_extra = key in extra and extra[key] != self._extra.get(key, "")
            if old is not None and old is given and not new_extra:
                continue  # the very same cells: nothing to do (a refresh of unchanged data)
            cells = (
                given
                if type(given) is tuple and all(type(c) is not Text for c in given)
                else tuple(map(compact, given))
            )
            if old is not None and old == cells and not new_extra:
                # The same content: keep the caller's tuple, so its next refresh is one `is`.
                self.cells[key] = cells
                continue
            changed = True
            if old is None:
                self.cells[key] = cells
                if self._natural is None:
                    self._given[key] = self._arrivals
                    self._arrivals += 1
                new.append(key)
            else:
                before = self._rank(key)
                self._count_widths(old, -1)
                self.cells[key] = cells
                if self._rank(key) != before:
                    self.cells[key] = old
                    self._drop_sorted([key])
                    self.cells[key] = cells
                    moved.append(key)
            self._count_widths(cells, +1)
            if key in extra:
                self._extra[key] = extra[key]
            if self._search is not None:
                self._search[key] = self._search_text(key)
        if new or moved:
            self._merge_in(list(dict.fromkeys(new + moved)))
        return changed

    def remove(self, keys: Iterable[str]) -> None:
        gone = [key for key in keys if key in self.cells]
        if not gone:
            return
        self._drop_sorted(gone)
        for key in gone:
            self._count_widths(self.cells.pop(key), -1)
            self._given.pop(key, None)
            self._extra.pop(key, None)
            if self._search is not None:
                self._search.pop(key, None)

    def set_filter(self, needle: str) -> None:
        needle = needle.casefold()
        if needle == self._needle:
            return
        narrower = bool(self._needle) and self._needle in needle
        source = self._keys if narrower else self._order
        self._needle = needle
        if not needle:
            self._view = None
            return
        search = self._search_index()
        self._view = [key for key in source if needle in search[key]]

    def sort(self, column: int | None, descending: bool = False) -> None:
        """Order by ``column`` (None: the natural order), ascending or descending."""
        same_ranks = column == self.sort_column
        self.sort_column = column
        self.descending = descending and column is not None
        if same_ranks:
            return  # only the reading direction changed
        self._order.sort(key=self._rank)
        if self._view is not None:
            matching = set(self._view)
            self._view = [key for key in self._order if key in matching]

    # ---- inside --------------------------------------------------------------------------

    def _count_widths(self, cells: Sequence[Cell], step: int) -> None:
        for counts, cell in zip(self._widths, cells, strict=False):
            width = text_width(cell_text(cell))
            counts[width] += step
            if counts[width] <= 0:
                del counts[width]

    def _search_text(self, key: str) -> str:
        texts = [cell_text(cell) for cell in self.cells[key]]
        texts.append(self._extra.get(key, ""))
        return " ".join(texts).casefold()

    def _search_index(self) -> dict[str, str]:
        if self._search is None:
            self._search = {key: self._search_text(key) for key in self.cells}
        return self._search

    def _matches(self, key: str) -> bool:
        return not self._needle or self._needle in self._search_index()[key]

    def _drop_sorted(self, keys: list[str]) -> None:
        """Take ``keys`` (ranked by their current cells) out of the order and the view."""
        lists = [self._order] if self._view is None else [self._order, self._view]
        for keys_list in lists:
            if len(keys) > 64:
                gone = set(keys)
                keys_list[:] = [key for key in keys_list if key not in gone]
                continue
            for key in keys:
                index = bisect_left(keys_list, self._rank(key), key=self._rank)
                if index < len(keys_list) and keys_list[index] == key:
                    del keys_list[index]

    def _merge_in(self, keys: list[str]) -> None:
        """Put ``keys`` (not in the order yet) where their ranks say."""
        ranked = sorted(keys, key=self._rank)
        self._order = self._merged(self._order, ranked)
        if self._view is not None:
            self._view = self._merged(self._view, [k for k in ranked if self._matches(k)])

    def _merged(self, keys_list: list[str], ranked: list[str]) -> list[str]:
        if not ranked:
            return keys_list
        if not keys_list:
            return ranked
        if len(ranked) <= 8:
            for key in ranked:
                index = bisect_left(keys_list, self._rank(key), key=self._rank)
                keys_list.insert(index, key)
            return keys_list
        # One binary search per new key, each starting where the last one landed, then one
        # copy of the list: O(batch · log rows) ranks, O(rows) in C.
        parts: list[list[str]] = []
        start = 0
        rank = self._rank
        for key in ranked:
            index = bisect_left(keys_list, rank(key), lo=start, key=rank)
            parts.append(keys_list[start:index])
            parts.append([key])
            start = index
        parts.append(keys_list[start:])
        return list(chain.from_iterable(parts))
