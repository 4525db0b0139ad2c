"""The dashboard's inventory read on a loop of its own (services.reading_loop), against the
emulator: the same events as read on the app's loop, tokens asked on the app's loop, errors
raised as they were, an early close stops the thread and leaves no read running; and that
loop gives way to a working UI loop before each of its turns (services.loop_first)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from acrfence.services.azure import AzureClients, StaticTokenCredential
from acrfence.services.config import Target
from acrfence.services.errors import AcrfenceError
from acrfence.services.inventory import (
    InventoryBuilder,
    InventoryService,
    RegistriesLoaded,
    SubscriptionsLoaded,
)
from acrfence.services.loop_first import UI_LOOP
from acrfence.services.reading_loop import GivingWayLoop, ReadOnALoopOfItsOwn
from acrfence.services.resource_graph import ResourceGraphInventory


class _CountedCredential(StaticTokenCredential):
    """Notes the thread of each token asked for."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.asked_on: list[int] = []

    async def get_token(self, *scopes: str, **kwargs: object):
        self.asked_on.append(threading.get_ident())
        return await super().get_token(*scopes, **kwargs)


def _reading_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "acrfence-reading"]


async def _folded(stream) -> tuple:
    builder = InventoryBuilder()
    threads_while_reading: set[int] = set()
    async for event in stream:
        threads_while_reading |= {t.ident for t in _reading_threads()}
        builder.add(event)
    return builder.build(), threads_while_reading


@pytest.mark.parametrize("via", ["arm", "resource-graph"])
async def test_the_events_are_those_read_on_the_apps_loop(make_emulator, via: str) -> None:
    handle = make_emulator(seed="generate:3x20x2x2")
    credential = _CountedCredential(handle.token)
    target = Target.from_env(handle.env)
    async with AzureClients(target, credential) as clients:
        inventory = InventoryService(clients)
        if via == "resource-graph":
            inventory = ResourceGraphInventory(inventory)
        here = await inventory.load()
        asked_here = len(credential.asked_on)
        elsewhere, readers = await _folded(ReadOnALoopOfItsOwn(inventory).stream())
    assert len(here.registries) == 60
    assert elsewhere == here
    # Read on a thread of its own, which is gone once the stream has ended...
    assert len(readers) == 1 and threading.get_ident() not in readers
    assert _reading_threads() == []
    # ...with tokens asked of the app's credential, on the app's thread.
    assert len(credential.asked_on) > asked_here
    assert set(credential.asked_on) == {threading.get_ident()}


async def test_only_the_subscriptions_asked_for_are_read(make_emulator) -> None:
    handle = make_emulator(seed="generate:3x5x1x1")
    async with AzureClients(Target.from_env(handle.env)) as clients:
        everything = await InventoryService(clients).load()
        first = everything.subscriptions[0].subscription_id
        inventory, _ = await _folded(ReadOnALoopOfItsOwn(InventoryService(clients)).stream([first]))
    assert [s.subscription_id for s in inventory.subscriptions] == [first]
    assert {r.subscription_id for r in inventory.registries} == {first}


async def test_an_error_is_raised_as_the_inventory_raised_it(emulator) -> None:
    target = Target.from_env({**emulator.env, "ACRFENCE_TOKEN": "wrong"})
    async with AzureClients(target) as clients:
        with pytest.raises(AcrfenceError) as caught:
            await _folded(ReadOnALoopOfItsOwn(InventoryService(clients)).stream())
    assert "InvalidAuthenticationToken" in str(caught.value) and "wrong" not in str(caught.value)
    assert _reading_threads() == []


async def test_closing_the_stream_early_stops_the_reads_and_the_thread(make_emulator) -> None:
    handle = make_emulator(seed="generate:20x10x1x1", latency_ms=20)
    async with AzureClients(Target.from_env(handle.env)) as clients:
        stream = ReadOnALoopOfItsOwn(InventoryService(clients)).stream()
        first = await anext(stream)
        assert isinstance(first, SubscriptionsLoaded) and len(first.subscriptions) == 20
        assert len(_reading_threads()) == 1
        await stream.aclose()
    assert _reading_threads() == []


async def test_pacing_is_the_reading_loops_while_it_reads(emulator) -> None:
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        reading = ReadOnALoopOfItsOwn(InventoryService(clients))
        statuses = []
        async for _ in reading.stream():
            statuses.append(reading.pacing())
        assert reading.pacing() == clients.pacer.status()
    # The demo tenant is read well within its budget: nothing was held back, nothing refused.
    assert statuses and {replace(s, waited_s=0.0) for s in statuses} == {
        replace(clients.pacer.status(), waited_s=0.0)
    }


@contextlib.asynccontextmanager
async def _running_beside_this_loop(reading: GivingWayLoop) -> AsyncIterator[None]:
    """`reading` run on a thread of its own while UI_LOOP watches this loop; then stopped."""
    thread = threading.Thread(target=reading.run_forever)
    assert UI_LOOP.watch(asyncio.get_running_loop())
    thread.start()
    try:
        yield
    finally:
        UI_LOOP.unwatch()
        reading.call_soon_threadsafe(reading.stop)
        await asyncio.to_thread(thread.join)
        reading.close()


async def test_a_reading_loop_gives_way_to_a_working_loop_before_each_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(UI_LOOP, "_longest", 30)  # never given up on here
    here = asyncio.get_running_loop()
    reading = GivingWayLoop()
    ran = threading.Event()
    ran_while_working: list[bool] = []

    def working() -> None:
        # Not through call_soon: only the wait before the turn holds it back.
        reading.call_soon_threadsafe(ran.set)
        # Still in this callback: the reading loop must not run its turn (it would within
        # microseconds of being woken).
        ran_while_working.append(ran.wait(0.05))

    waits_before, gave_up_before = UI_LOOP.waits, UI_LOOP.gave_up
    async with _running_beside_this_loop(reading):
        here.call_soon(working)
        await asyncio.sleep(0)
        assert ran_while_working == [False]
        assert await asyncio.to_thread(ran.wait, 5)  # this loop waits now: the turn runs
        assert UI_LOOP.waits - waits_before >= 1 and UI_LOOP.gave_up == gave_up_before


async def test_each_callback_of_a_giving_way_loop_waits_while_the_ui_loop_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(UI_LOOP, "_longest", 30)  # never given up on here
    here = asyncio.get_running_loop()
    reading = GivingWayLoop()
    ui_working = threading.Event()
    ran = threading.Event()
    ran_while_working: list[bool] = []

    def working() -> None:
        ui_working.set()
        ran_while_working.append(ran.wait(0.05))

    def first() -> None:
        # The turn has begun (its wait is behind it): the UI loop starts working now, and
        # the next callback of this same turn must wait for it.
        here.call_soon_threadsafe(working)
        ui_working.wait(5)

    reading.call_soon(first)  # both ready in the reading loop's first turn
    reading.call_soon(ran.set)
    waits_before = UI_LOOP.waits
    async with _running_beside_this_loop(reading):
        assert await asyncio.to_thread(ui_working.wait, 5)
        assert ran_while_working == [False]
        assert await asyncio.to_thread(ran.wait, 5)
        assert UI_LOOP.waits > waits_before


@pytest.mark.parametrize("via", ["arm", "resource-graph"])
async def test_a_stream_closed_mid_read_winds_down_without_errors(
    make_emulator, caplog: pytest.LogCaptureFixture, via: str
) -> None:
    # Over Resource Graph: five pages of registries, every page with some Premium ones to
    # read again through ARM's preview API; the latency keeps those re-reads in flight (and
    # the pages queued ahead full) when the first registries arrive. The stream is closed
    # then, as a refresh or a quit mid-load closes it.
    handle = make_emulator(seed="generate:5x1000x1x1", latency_ms=300)
    async with AzureClients(Target.from_env(handle.env)) as clients:
        inventory = InventoryService(clients)
        if via == "resource-graph":
            inventory = ResourceGraphInventory(inventory)
        stream = ReadOnALoopOfItsOwn(inventory).stream()
        async for event in stream:
            if isinstance(event, RegistriesLoaded):
                break
        await stream.aclose()
    gc.collect()  # a task left behind with an exception says so when it is collected
    assert _reading_threads() == []
    # A read left to run on into its closed session logged "Task exception was never
    # retrieved ... Session is closed" on the user's terminal when quitting mid-load.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
