"""The dashboard on the fleet pass (--via resource-graph) and the status line while reads are
paced: subscriptions read out of the total, and a word when ARM's throttling holds reads."""

from __future__ import annotations

import gc
import logging
import subprocess
import sys

import pytest
from textual.app import App, ComposeResult
from textual.worker import WorkerState

from acrfence.services.read_pacing import PacingStatus
from acrfence.tui.app import AcrFenceApp
from acrfence.tui.launch import build_services
from acrfence.tui.screens import dashboard
from acrfence.widgets.load_status import LoadStatus
from acrfence.widgets.palette import install_palette
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.row_store import cell_text
from helpers import ROOT, inventory_loaded, open_registry, rule_under_default_allow, until


async def test_the_dashboard_reads_the_fleet_through_resource_graph(emulator) -> None:
    arm_app = AcrFenceApp(build_services(emulator.env, "demo"))
    graph_app = AcrFenceApp(build_services(emulator.env, "demo", via="resource-graph"))
    async with arm_app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        by_arm = {(r.name, r.rules.default_action) for r in arm_app.data.inventory.registries}
    async with graph_app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        by_graph = {(r.name, r.rules.default_action) for r in graph_app.data.inventory.registries}
        assert "Resource Graph" in graph_app.sub_title and "lag" in graph_app.sub_title
    assert by_graph == by_arm
    assert {f.code for f in graph_app.data.findings} == {f.code for f in arm_app.data.findings}


async def test_the_dashboard_says_whose_virtual_network_rules_the_fleet_pass_did_not_read(
    emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted a registry per turn of the loop, so the slices add up to the count.
    monkeypatch.setattr(dashboard, "COUNTED_PER_TURN", 1)
    await rule_under_default_allow(emulator)
    app = AcrFenceApp(build_services(emulator.env, "demo", via="resource-graph"))
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await until(pilot, lambda: "not read" in _failures(app))
        assert "VNet rules not read for 1 Premium registry" in _failures(app)
        # The registries table shows "?" in its VNet column for that registry, not a count
        # of rules it didn't read; a registry read again through ARM shows its count.
        table = app.screen.query_one(RegistryTable)
        vnet = [name for name, _ in RegistryTable.COLUMNS].index("vnet_rules")
        by_name = {
            cell_text(cells[0]): cell_text(cells[vnet])
            for cells in (table.row_cells(r.key) for r in app.data.inventory.registries)
            if cells is not None
        }
        assert by_name["mycontainerregistry"] == "?"
        assert by_name["contosofleet"] == "93"
        detail = await open_registry(pilot, "mycontainerregistry")
    # Its detail claims no rules it didn't read: it says they weren't.
    assert "Virtual network rules (not read)" in detail
    assert "no virtual network rules" in detail and "Virtual network rules (0)" not in detail


def _failures(app: App[None]) -> str:
    return str(app.screen.query_one(LoadStatus).query_one("#failures").render())


class _StatusHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        install_palette(self.console, colour=True)  # as the app does: states by name

    def compose(self) -> ComposeResult:
        yield LoadStatus()


def _line(app: App[None]) -> str:
    return str(app.query_one("#load-line").render())


async def test_status_line_counts_subscriptions_and_says_when_reads_wait() -> None:
    app = _StatusHost()
    async with app.run_test() as pilot:
        status = app.query_one(LoadStatus)
        common = {"done": 7, "total": 20, "counts": "5 registries", "failures": (), "names": {}}
        status.show(loading=True, subscriptions=(3, 10), **common)
        await pilot.pause()
        assert "3/10 subscriptions" in _line(app)
        assert "throttling" not in _line(app)
        waiting = PacingStatus(waiting_scopes=2, throttled=0, waited_s=1.5).describe()
        status.show(loading=True, subscriptions=(3, 10), waiting=waiting, **common)
        await pilot.pause()
        assert "pacing reads to ARM's throttling (2 subscriptions)" in _line(app)
        quota = PacingStatus(0, 0, 0.0, quota_wait=True).describe()
        status.show(loading=True, subscriptions=(4, 10), waiting=quota, **common)
        await pilot.pause()
        assert "Resource Graph's query quota" in _line(app)
    assert PacingStatus(0, 3, 2.0).describe() is None


def test_via_belongs_to_the_dashboard_alone(emulator) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", "--via", "resource-graph", "journal"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "--via is for the dashboard" in run.stderr


@pytest.mark.parametrize("via", [None, "resource-graph"])
async def test_a_refresh_during_a_slow_read_loads_on_until_its_own_read_ends(
    make_emulator, caplog: pytest.LogCaptureFixture, via: str | None
) -> None:
    # 300 ms a request: the read the refresh replaces is cancelled while the new one reads.
    handle = make_emulator(seed="generate:20x10x1x1", latency_ms=300)
    app = AcrFenceApp(build_services(handle.env, "slow", via))
    async with app.run_test(size=(120, 40)) as pilot:
        first = next(w for w in app.workers if w.group == "inventory")
        await until(pilot, lambda: app.data.inventory.subscriptions, "the first event")
        assert first.state == WorkerState.RUNNING
        await pilot.press("r")
        await until(pilot, lambda: first.state == WorkerState.CANCELLED, "the first read's end")
        second = next(w for w in app.workers if w.group == "inventory" and w is not first)
        assert second.state in (WorkerState.PENDING, WorkerState.RUNNING)
        # The replaced read ending didn't end this one's loading, nor its findings.
        assert app.data.loading
        await inventory_loaded(pilot)
        assert second.state == WorkerState.SUCCESS
        assert len(app.data.inventory.registries) == 200
        assert len(app.data.inventory.virtual_networks) == 20
    # The cancelled read's requests were wound down before its session closed: nothing was
    # left to log an error on the user's terminal (when its tasks are freed).
    gc.collect()
    assert not [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]
