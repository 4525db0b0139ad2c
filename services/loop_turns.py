"""A few coroutines per turn of the event loop: bursts of reads spread over several turns.

A bulk read keeps N requests in flight behind a semaphore. With one latency for all of them
they start together, so they also come back together: N responses land in one turn of the
loop, each releases the semaphore, and the N waiters it wakes all build and send their
request in the next turn. Each step costs the SDK pipeline a millisecond or more, so a wave
of 50 froze the dashboard for 100-250 ms at a time (per-turn accounting of the fleet pass
over Resource Graph: the longest turns were read tasks resuming from the semaphore). Waves
don't fade by themselves: they restart every round trip.

``LoopTurns.wait()`` lets at most ``per_turn`` callers on in one turn; the rest resume in the
turns after, a few at a time, in the order they came. Whatever else is ready (a redraw, a
key) runs in between. Idle turns are cheap, so a headless inventory loses nothing by it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

__all__ = ["DEFAULT_PER_TURN", "LoopTurns"]

# A few pipeline steps of ~1-2 ms each: well under a frame, and throughput stays that of
# the round trips (one turn admits these while the others are on the wire).
DEFAULT_PER_TURN = 4


class LoopTurns:
    """Admits at most ``per_turn`` callers of ``wait()`` per turn of the running loop."""

    def __init__(self, per_turn: int = DEFAULT_PER_TURN) -> None:
        self._per_turn = max(1, per_turn)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._admitted = 0  # callers let on in the current turn
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._turn_scheduled = False

    async def wait(self) -> None:
        """Return now if this turn has room (and nobody waits before us); else a later turn."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (each test, each asyncio.run) starts afresh
            self._loop, self._admitted, self._waiters = loop, 0, deque()
            self._turn_scheduled = False
        if not self._waiters and self._admitted < self._per_turn:
            self._admitted += 1
            self._next_turn_soon(loop)
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        self._next_turn_soon(loop)
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.done() or waiter.cancelled():
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _next_turn_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._turn_scheduled:
            self._turn_scheduled = True
            loop.call_soon(self._turn)

    def _turn(self) -> None:
        """Runs once per turn while anyone was admitted or waits: the next few go on."""
        self._turn_scheduled = False
        self._admitted = 0
        while self._waiters and self._admitted < self._per_turn:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._admitted += 1
        if self._waiters or self._admitted:
            assert self._loop is not None
            self._next_turn_soon(self._loop)
