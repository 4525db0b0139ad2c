"""The tenant's findings, worked out on a thread while the inventory streams in.

The UI thread hands each inventory piece to a ``FindingsFeed`` as it arrives; a thread worker
(``AcrFenceApp.work_out_findings``) feeds them to a ``services.analysis.incremental``
accumulator, works through what they changed in small steps, and posts the findings so far
at most every ``POST_INTERVAL``, then once more when the read has ended and every finding is
up to date. Analysis is pure Python, so the thread shares the GIL with the UI loop: each step
is kept to a few milliseconds and the thread yields between steps, so the loop never waits
long for its turn (benchmarks/dashboard.py --fleet measures the longest stall).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from queue import Empty, SimpleQueue

from acrfence.services.analysis.incremental import FindingsAccumulator
from acrfence.services.inventory import InventoryEvent, feed_findings
from acrfence.services.loop_first import UI_LOOP
from acrfence.services.models import Inventory
from acrfence.tui.messages import FindingsWorkedOut

__all__ = ["FindingsFeed", "work_out_findings"]

# How often the findings so far are posted while the tenant streams in: each post costs a
# pass over every finding (here) and a redraw of the panes (on the UI loop).
POST_INTERVAL = 0.5
_END = object()


class FindingsFeed:
    """What the UI thread hands the findings thread: inventory pieces, then the end."""

    def __init__(self) -> None:
        self._queue: SimpleQueue[object] = SimpleQueue()

    def put(self, event: InventoryEvent) -> None:
        self._queue.put(event)

    def end(self) -> None:
        self._queue.put(_END)

    def take(self, timeout: float | None) -> list[object]:
        """Everything waiting (at least one item, waiting up to ``timeout`` seconds for it;
        none when ``timeout`` is 0 or passes)."""
        items: list[object] = []
        try:
            items.append(self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait())
            while True:
                items.append(self._queue.get_nowait())
        except Empty:
            pass
        return items


def work_out_findings(
    feed: FindingsFeed,
    start: Inventory | None,
    generation: int,
    post: Callable[[FindingsWorkedOut], object],
    cancelled: Callable[[], bool],
) -> None:
    """Run on a thread: findings for ``start`` plus what the feed brings, posted as they
    come; returns once the feed has ended and the last findings are posted."""
    accumulator = FindingsAccumulator(start=start)
    ended = False
    unposted = start is not None
    # A re-read starts from the earlier read, whose findings stay on screen meanwhile: none
    # are posted until the earlier read's are all worked out again, or the count would
    # restart from zero and climb while the panes still show every registry.
    caught_up = start is None
    posted_at = float("-inf")  # the first findings (and rows waiting for them) go at once
    interval = POST_INTERVAL
    while not cancelled():
        # Nothing to work on: wait for the next piece (or until the next post is due).
        if accumulator.pending or ended:
            wait = 0.0
        elif unposted:
            wait = max(0.01, posted_at + interval - time.monotonic())
        else:
            wait = 0.5  # and look at `cancelled` again
        for item in feed.take(timeout=wait):
            if item is _END:
                ended = True
            else:
                UI_LOOP.defer()  # a burst of pieces is worked through with the loop first
                feed_findings(accumulator, item)  # type: ignore[arg-type]
            unposted = True
        if accumulator.pending:
            UI_LOOP.defer()  # a step brings 100 registries up to date: a few milliseconds
            accumulator.step()
            unposted = True
        now = time.monotonic()
        done = ended and not accumulator.pending
        caught_up = caught_up or not accumulator.pending
        if unposted and caught_up and (done or now - posted_at >= interval):
            findings = accumulator.findings(pause=UI_LOOP.defer)
            by_registry = accumulator.findings_by_registry()
            changed = accumulator.take_changed()
            post(FindingsWorkedOut(generation, findings, by_registry, changed, pending=not done))
            # A big tenant's pass over every finding is not free: post less often then.
            interval = max(POST_INTERVAL, 10 * (time.monotonic() - now))
            posted_at = now  # the next at least `interval` later
            unposted = False
        if done and not unposted:
            return
        time.sleep(0)  # hand the GIL to the UI loop between steps
        UI_LOOP.defer()  # and wait while it is in a long turn (services.loop_first)
