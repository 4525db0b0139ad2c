"""Worker threads defer to the event loop while it works (services.loop_first).

Counted, not timed: how many times a thread waited, whether it gave up, and where the loop
was meanwhile.
"""

from __future__ import annotations

import asyncio
import threading

from acrfence.services.loop_first import LoopHeartbeat


def _defer_on_a_thread(heartbeat: LoopHeartbeat) -> None:
    """From a loop callback: a worker defers while this callback (the loop) works."""
    thread = threading.Thread(target=heartbeat.defer)
    thread.start()
    thread.join()


async def test_a_thread_waits_while_the_loop_works_and_goes_on_once_it_waits() -> None:
    heartbeat = LoopHeartbeat(longest=30)  # never given up on here
    loop = asyncio.get_running_loop()
    assert heartbeat.watch(loop) and heartbeat.in_effect
    went_on = threading.Event()
    went_on_while_working: list[bool] = []

    def worker() -> None:
        heartbeat.defer()
        went_on.set()

    def working() -> None:
        threading.Thread(target=worker).start()
        # Still in this callback: the worker must not go on (it would within microseconds).
        went_on_while_working.append(went_on.wait(0.05))

    try:
        loop.call_soon(working)
        await asyncio.sleep(0)
        assert went_on_while_working == [False]
        # The loop now waits in its selector (for the thread below): the worker goes on.
        assert await asyncio.to_thread(went_on.wait, 5)
        assert (heartbeat.waits, heartbeat.gave_up) == (1, 0)
    finally:
        heartbeat.unwatch()


async def test_a_loop_that_never_waits_still_leaves_the_worker_a_unit() -> None:
    heartbeat = LoopHeartbeat(longest=0.001)
    loop = asyncio.get_running_loop()
    heartbeat.watch(loop)
    try:
        loop.call_soon(_defer_on_a_thread, heartbeat)
        await asyncio.sleep(0)
        assert (heartbeat.waits, heartbeat.gave_up) == (1, 1)
    finally:
        heartbeat.unwatch()


async def test_the_loops_own_thread_never_waits_for_itself() -> None:
    heartbeat = LoopHeartbeat(longest=30)
    heartbeat.watch(asyncio.get_running_loop())
    try:
        heartbeat.defer()  # in a step of this task: the loop works
        assert heartbeat.waits == 0
    finally:
        heartbeat.unwatch()


async def test_unwatch_puts_the_selector_back_and_nothing_waits_after() -> None:
    heartbeat = LoopHeartbeat(longest=30)
    loop = asyncio.get_running_loop()
    selector = loop._selector  # type: ignore[attr-defined]
    assert heartbeat.watch(loop)
    assert "select" in vars(selector)
    assert not heartbeat.watch(loop)  # one loop at a time
    heartbeat.unwatch()
    assert "select" not in vars(selector) and not heartbeat.in_effect
    loop.call_soon(_defer_on_a_thread, heartbeat)
    await asyncio.sleep(0)
    assert heartbeat.waits == 0


async def test_lagging_means_the_loop_has_worked_a_while_without_waiting() -> None:
    heartbeat = LoopHeartbeat()
    heartbeat.watch(asyncio.get_running_loop())
    try:
        await asyncio.sleep(0.001)  # back from the selector just now
        assert not heartbeat.lagging()
        heartbeat._working_since -= 1.0  # as if this turn had begun a second ago
        assert heartbeat.lagging()
    finally:
        heartbeat.unwatch()
    assert not heartbeat.lagging()  # unwatched and not beating: nothing lags
