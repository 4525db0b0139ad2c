"""Findings for the whole tenant are worked out off the UI thread, as the inventory arrives.

The emulator throttles one subscription's network listing with a long Retry-After (ARM's 429):
the read can't finish while the app waits that out, yet the findings of everything already
read are on screen. Once everything is read, the findings are exactly the one-shot analysis's.
"""

from __future__ import annotations

import gc
import sys

import pytest

from acrfence.services.analysis import find_findings
from acrfence.services.loop_first import UI_LOOP
from acrfence.widgets.findings_table import FindingsTable
from helpers import demo_app, inventory_loaded, until

GENERATED = "generate:6x5x2x4"  # 6 subscriptions of 5 registries, 2 vnets of 4 subnets
LAST_SUBSCRIPTION = f"{5:08x}-0000-4000-8000-{5:012x}"  # how emulator.seeds names the sixth
HELD_S = 600  # Retry-After, longer than any wait below: the read is still under way meanwhile


async def test_findings_show_while_the_inventory_still_streams_in(make_emulator):
    handle = make_emulator(seed=GENERATED)
    held = f"GET /subscriptions/{LAST_SUBSCRIPTION}/providers/Microsoft.Network/virtualNetworks"
    handle.faults.throttle(count=1, retry_after=HELD_S, match=held)
    app = demo_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.data.inventory.registries) == 30, "every registry")
        await until(pilot, lambda: app.data.findings, "the first findings")
        assert app.data.loading, "the held listing should keep the read going"
        assert app.data.findings_pending
        # While it streams in, the app collects the young garbage itself (tui/app_streaming)
        # and beats the heartbeat its threads defer to (services/loop_first).
        assert not gc.isenabled() and UI_LOOP.in_effect
        registries_with_findings = {f.registry_id for f in app.data.findings if f.registry_id}
        assert len(registries_with_findings) > 1
        await pilot.press("f")
        table = app.screen.query_one(FindingsTable)
        await until(pilot, lambda: table.row_count > 0, "the findings view's rows")
        assert "still reading the inventory" in str(table.border_title)


@pytest.mark.parametrize("seed", ["demo", GENERATED])
async def test_findings_on_screen_equal_the_one_shot_analysis(make_emulator, seed):
    app = demo_app(make_emulator(seed=seed))
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        data = app.data
        expected = find_findings(data.inventory)
        assert expected and data.findings == expected
        by_registry: dict[str, list] = {}
        for finding in expected:
            if finding.registry_id:
                by_registry.setdefault(finding.registry_id.casefold(), []).append(finding)
        assert data.findings_by_registry == {k: tuple(v) for k, v in by_registry.items()}


async def test_the_app_leaves_the_interpreter_as_it_found_it(emulator):
    """The switch interval, the collector and the heartbeat the parsing and findings threads
    defer to are the app's while it runs, and as they were once it stops (the headless
    commands and the rest of this process never see them)."""
    interval = sys.getswitchinterval()
    assert gc.isenabled() and not UI_LOOP.in_effect
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        assert sys.getswitchinterval() <= 0.001
    assert sys.getswitchinterval() == interval
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert not UI_LOOP.in_effect
