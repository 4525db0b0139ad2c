"""The incremental findings (services.analysis.incremental) equal the one-shot ones.

The tenants are read through the real services from the emulator over HTTPS; the events are
fed to the accumulator in the order they streamed in, in the reverse order (a subscription's
networks before the registries whose rules name them), with only part of the work done
between pieces, and on top of an earlier read (a refresh).
"""

from __future__ import annotations

import pytest

from acrfence.services.analysis import find_findings
from acrfence.services.analysis.incremental import FindingsAccumulator
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import (
    InventoryService,
    SubscriptionsLoaded,
    build_inventory,
    feed_findings,
)
from acrfence.services.models import Finding


async def _events(handle) -> list:
    async with AzureClients(Target.from_env(handle.env)) as clients:
        return [event async for event in InventoryService(clients).stream()]


def _by_registry(findings: tuple[Finding, ...]) -> dict[str, tuple[Finding, ...]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.registry_id:
            grouped.setdefault(finding.registry_id.casefold(), []).append(finding)
    return {key: tuple(value) for key, value in grouped.items()}


def _accumulate(events, accumulator: FindingsAccumulator | None = None) -> FindingsAccumulator:
    accumulator = accumulator or FindingsAccumulator()
    for event in events:
        feed_findings(accumulator, event)
        accumulator.step(registries=2)  # part of the work only, as the worker does
    accumulator.run()
    return accumulator


def _assert_same(accumulator: FindingsAccumulator, events) -> None:
    assert not accumulator.pending
    expected = find_findings(build_inventory(events))
    assert expected  # the tenants below all have findings to get right
    assert accumulator.findings() == expected
    assert accumulator.findings_by_registry() == _by_registry(expected)


@pytest.mark.parametrize("seed", ["demo", "generate:6x5x2x4"])
async def test_incremental_findings_equal_the_one_shot(make_emulator, seed):
    events = await _events(make_emulator(seed=seed))
    assert isinstance(events[0], SubscriptionsLoaded)
    _assert_same(_accumulate(events), events)
    # Networks before the registries that name their subnets, and the other way round.
    reordered = [events[0], *reversed(events[1:])]
    _assert_same(_accumulate(reordered), reordered)


async def test_findings_while_streaming_are_those_of_the_pieces_so_far(make_emulator):
    events = await _events(make_emulator(seed="demo"))
    accumulator = FindingsAccumulator()
    for count, event in enumerate(events, start=1):
        feed_findings(accumulator, event)
        accumulator.run()
        assert accumulator.findings() == find_findings(build_inventory(events[:count]))


async def test_a_refresh_starts_from_the_earlier_read(make_emulator):
    handle = make_emulator(seed="demo")
    first = await _events(handle)
    earlier = build_inventory(first)
    accumulator = FindingsAccumulator(start=earlier)
    accumulator.run()
    assert accumulator.findings() == find_findings(earlier)
    # The second read arrives piece by piece on top of the first.
    again = await _events(handle)
    _accumulate(again, accumulator)
    assert accumulator.findings() == find_findings(build_inventory([*first, *again]))
