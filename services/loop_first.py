"""Worker threads give an event loop that lags the interpreter first.

The dashboard parses listing pages and works out findings on threads while its event loop
draws (services.inventory, tui/findings_worker.py). Python runs one thread at a time: with
both threads busy, the loop got a third of the interpreter, and a 15 ms redraw took 45 ms
or more on the clock (more again on a loaded machine, where a thread holding the
interpreter may wait for a core). The loop beats a ``LoopHeartbeat`` every few
milliseconds while it is free; a worker calls ``defer()`` between units of work (a page, a
step of findings) and, while the loop hasn't beaten for ``LAG``, sleeps (releasing the
interpreter) until it does, or ``LONGEST`` at most, so the loop finishes its turn alone.
Nothing waits while no loop beats (the headless commands).
"""

from __future__ import annotations

import time

__all__ = ["LAG", "LONGEST", "LoopHeartbeat", "UI_LOOP"]

LAG = 0.01  # s without a beat: the loop is in a long turn
LONGEST = 0.05  # s a worker waits at most for it, per unit of work
_NAP = 0.001


class LoopHeartbeat:
    def __init__(self) -> None:
        self._last = 0.0
        self._beating = 0  # loops beating now (an app started inside another, in tests)

    def start(self) -> None:
        self._beating += 1
        self.beat()

    def stop(self) -> None:
        self._beating = max(0, self._beating - 1)

    @property
    def beating(self) -> bool:
        return bool(self._beating)

    def beat(self) -> None:
        self._last = time.monotonic()

    def defer(self) -> None:
        """Called by a worker thread between units of work: wait while the loop lags."""
        if not self._beating:
            return
        now = time.monotonic()
        deadline = now + LONGEST
        while self._beating and now - self._last > LAG and now < deadline:
            time.sleep(_NAP)
            now = time.monotonic()


# The dashboard's UI loop; the parsing and findings threads defer to it.
UI_LOOP = LoopHeartbeat()
