"""Worker threads give an event loop that is working the interpreter first.

The dashboard parses listing pages and works out findings on threads while its event loop
draws (services.inventory, tui/findings_worker.py). Python runs one thread at a time: with
both threads busy, the loop got a third of the interpreter, and a 15 ms redraw took 45 ms
or more on the clock (more again on a loaded machine, where a thread holding the
interpreter may wait for a core). Each time the loop let go of the interpreter for a socket
call, a thread took it and the loop waited a switch interval (1 ms) to have it back: a step
of 0.4 ms of CPU took 2-6 ms, and turns of 10 ms of work took 30-40 ms (per-turn accounting
of benchmarks/dashboard.py --fleet).

``LoopHeartbeat.watch(loop)`` marks the loop *waiting* while it sits in its selector with
nothing ready to run, and *working* from the moment the selector returns until it waits
again. A worker calls ``defer()`` between units of work (a row, a page, a step of findings)
and, while the loop works, blocks (releasing the interpreter) until it waits again, or
``LONGEST`` at most, so the loop runs its turns alone and a worker still gets a unit in
between a loop that never rests. A loop that can't be watched (not a selector loop) beats
instead, every few milliseconds while free (``beat()``), and a worker waits while the loop
hasn't beaten for ``LAG``. Nothing waits while no loop is watched or beats (the headless
commands).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

__all__ = ["LAG", "LONGEST", "LoopHeartbeat", "UI_LOOP"]

LAG = 0.01  # s without a beat: the loop is in a long turn
# s a worker waits at most per unit of work: a loop's turns seldom take longer alone, and a
# loop busy turn after turn (a burst of answers) still leaves a unit to the worker this often.
LONGEST = 0.02
_NAP = 0.001


class LoopHeartbeat:
    def __init__(self, longest: float = LONGEST) -> None:
        self._longest = longest
        self.waits = 0  # times a worker waited for the watched loop (counted, for tests)
        self.gave_up = 0  # ...and went on after ``longest`` with the loop still working
        self._last = 0.0
        self._beating = 0  # loops beating now (an app started inside another, in tests)
        # Set while the watched loop waits for I/O with nothing to run.
        self._waiting = threading.Event()
        self._working_since = 0.0
        self._watched: Any = None  # the selector whose select() is wrapped
        self._loop_thread = 0  # the watched loop's: it never waits for itself

    def start(self) -> None:
        self._beating += 1
        self.beat()

    def stop(self) -> None:
        self._beating = max(0, self._beating - 1)

    @property
    def beating(self) -> bool:
        return bool(self._beating)

    @property
    def watching(self) -> bool:
        return self._watched is not None

    @property
    def in_effect(self) -> bool:
        """Workers defer to a loop now (watched, or beating)."""
        return self.watching or self.beating

    def beat(self) -> None:
        self._last = time.monotonic()

    def watch(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Wrap the running selector loop's ``select`` to mark it waiting or working; False
        (nothing changed) for a loop without one (uvloop), which then beats."""
        selector = getattr(loop, "_selector", None)  # asyncio's selector loops since 3.4
        if self._watched is not None or selector is None or not hasattr(selector, "select"):
            return False
        select = selector.select
        waiting, monotonic = self._waiting, time.monotonic

        def marked_select(timeout: float | None = None) -> Any:
            # A zero timeout is a loop with more to run: still working, nobody woken.
            idle = timeout is None or timeout > 0
            if idle:
                waiting.set()
            try:
                return select(timeout)
            finally:
                if idle:
                    waiting.clear()
                    self._working_since = monotonic()

        selector.select = marked_select  # an instance attribute: `del` puts the method back
        self._watched = selector
        self._loop_thread = threading.get_ident()
        self._working_since = monotonic()
        return True

    def unwatch(self) -> None:
        if self._watched is not None:
            del self._watched.select
            self._watched = None
        self._waiting.set()  # no worker stays blocked on a loop that is no longer watched
        self._waiting.clear()

    def lagging(self) -> bool:
        """The loop has worked for ``LAG`` without waiting (or, unwatched, without a beat):
        it is in a long turn. A coroutine on that loop working through a queue yields
        (``asyncio.sleep(0)``) when this says so."""
        if self._watched is not None:
            working = not self._waiting.is_set()
            return working and time.monotonic() - self._working_since > LAG
        return bool(self._beating) and time.monotonic() - self._last > LAG

    def defer(self) -> None:
        """Called by a worker thread between units of work: wait while the loop works."""
        if self._watched is not None:
            if not self._waiting.is_set() and threading.get_ident() != self._loop_thread:
                self.waits += 1
                if not self._waiting.wait(self._longest):
                    self.gave_up += 1
            return
        if not self._beating:
            return
        now = time.monotonic()
        deadline = now + self._longest
        while self._beating and now - self._last > LAG and now < deadline:
            time.sleep(_NAP)
            now = time.monotonic()


# The dashboard's UI loop; the parsing and findings threads defer to it.
UI_LOOP = LoopHeartbeat()
