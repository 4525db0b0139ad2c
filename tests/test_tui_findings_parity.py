"""The dashboard speaks the auditors' language: Pilot tests on a JSON-seeded tenant (and the
demo) read by the real services from the emulator. The findings view shows each finding's peer
check IDs and verdicts, its filter matches them, and an open registry is a warning."""

from __future__ import annotations

import pytest
from parity_tenant import write_parity_seed

from acrfence.tui.screens.findings import FindingsScreen
from acrfence.widgets.findings_table import FindingsTable
from acrfence.widgets.registry_table import RegistryTable
from helpers import demo_app, inventory_loaded


@pytest.fixture
def parity(make_emulator, tmp_path):
    return make_emulator(seed=str(write_parity_seed(tmp_path)))


def registry_key(app, name: str) -> str:
    return next(r.key for r in app.data.inventory.registries if r.name == name)


def findings_cell(app, name: str) -> str:
    return app.screen.query_one(RegistryTable).get_cell(registry_key(app, name), "findings").plain


async def test_open_registries_are_warnings_not_ok(parity) -> None:
    app = demo_app(parity)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        assert findings_cell(app, "parityopen") == "▲ 1 warn"
        # Declared open with the acrfence-open tag: information, still not "ok".
        assert findings_cell(app, "paritypublic") == "● 1 info"
        assert findings_cell(app, "parityprivate") == "✓ ok"


async def test_findings_view_shows_and_filters_peer_ids(parity) -> None:
    app = demo_app(parity)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("f")
        assert isinstance(app.screen, FindingsScreen)
        table = app.screen.query_one(FindingsTable)
        detail = app.screen.query_one("#finding-detail")
        findings = app.data.findings
        # Each row's detail names the peer checks its finding maps to, with their verdicts.
        for key in table.row_keys:
            table.select_key(key)
            await pilot.pause()
            text = str(detail.render())
            finding = next(f for f in findings if f"[{f.code}]" in text and f.title in text)
            for peer in finding.peers:
                assert peer.check_id in text, (finding.code, peer.check_id)
        # The lock-out: Prowler passes it, acrfence says nothing can pull.
        await pilot.press("slash", *"network_access_restricted", "enter")
        codes = {app.screen.finding(k).code for k in table.row_keys}
        assert codes == {"registry-locked-out", "registry-open"}
        locked = next(
            k for k in table.row_keys if app.screen.finding(k).code == "registry-locked-out"
        )
        table.select_key(locked)
        await pilot.pause()
        text = str(detail.render())
        assert "Prowler containerregistry_network_access_restricted" in text
        assert "✓ pass (acrfence: passes, yet no rule lets anyone in: nothing can pull)" in text
        # An Azure Policy ID finds the findings that carry it, and only those.
        await pilot.press("slash", *["backspace"] * 40, *"c4857be7", "enter")
        shown = [app.screen.finding(k) for k in table.row_keys]
        assert shown and all(any(p.check_id.startswith("c4857be7") for p in f.peers) for f in shown)
        assert {f.code for f in shown} >= {"rule-subnet-missing-endpoint", "registry-open"}


async def test_demo_dashboard_warns_about_the_open_tutorial_registry(emulator) -> None:
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        assert findings_cell(app, "mycontainerregistry") == "▲ 1 warn"
        assert findings_cell(app, "contosocrosssub") == "✓ ok"
