"""Issue 8, state and control in the TUI (Pilot, the demo tenant over HTTPS, the real SDK):
the screen shows Azure's state after our own change without a key press, says how old the data
is and can re-read it on a timer, read-only mode says why a change key does nothing, quitting
during a change asks first and leaves the run resumable, and the journal is a view from which a
run is resumed or rolled back through a plan confirmed by typing the registry's name."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

import pytest
from textual.widgets import Button, Input

from acrfence.services.analysis import find_findings
from acrfence.services.inventory import InventoryService
from acrfence.tui.actions import ACTIONS
from acrfence.tui.app import AcrFenceApp
from acrfence.tui.launch import build_services, demo_welcome
from acrfence.tui.quit_guard import QuitWhileApplyingScreen
from acrfence.tui.screens.findings import FindingsScreen
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from acrfence.tui.screens.registry_detail import RegistryDetailScreen
from acrfence.tui.screens.resume_prompt import ResumePromptScreen
from acrfence.tui.screens.run_wizard import RunPlanScreen
from acrfence.tui.screens.runs import RunsScreen
from acrfence.widgets.findings_table import FindingsTable
from acrfence.widgets.registry_detail import RegistryDetail
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_table import SubnetTable
from helpers import (
    ACR,
    DOCKER_SUBNET,
    MYREGISTRY,
    ROOT,
    cli_env,
    inventory_loaded,
    journal_runs,
    notes,
    registry_view,
    static_text,
    subnet_view,
    until,
    wizard_app,
)


class HandClock:
    """A clock the test moves by hand, so "how old is the data" needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _status(app: AcrFenceApp) -> str:
    return str(app.screen_stack[1].query_one("#load-line").render())


async def _interrupted_lockdown(emulator, tmp_path) -> str:
    """A lockdown of mycontainerregistry killed after its second step (rules written, Deny),
    as a dropped SSH session leaves it; returns the run's ID."""
    env = {**os.environ, **cli_env(emulator, tmp_path), "ACRFENCE_TEST_CRASH_AT": "after-step:2"}
    lock = ["lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"]
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "acrfence.tui.cli", *lock, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await asyncio.wait_for(child.wait(), 60) == -signal.SIGKILL
    [run] = journal_runs(tmp_path)
    assert run["state"] == "applying"
    return run["id"]


async def _lock_down_by_keys(app, pilot) -> LockdownWizardScreen:
    """From a screen whose selection is mycontainerregistry: l, choose the VM subnet, plan,
    type the name, apply; returns the wizard once the run is applied and verified."""
    await pilot.press("l")
    await until(pilot, lambda: isinstance(app.screen, LockdownWizardScreen))
    wizard = app.screen
    await pilot.press(*"myDockerVM", "tab", "space", "ctrl+s")
    await until(pilot, lambda: wizard.plan is not None)
    await pilot.press(*"mycontainerregistry", "enter")
    await until(pilot, lambda: "Applied and verified" in static_text(wizard, "#outcome"))
    return wizard


def _finding_keys(findings) -> set[tuple]:
    return {(f.code, f.registry_id, f.subnet_id) for f in findings}


# ---- 1. after our own change, every view shows Azure's new state without `r` ----------------


async def test_after_a_lockdown_detail_rows_and_findings_show_deny_without_r(
    emulator, tmp_path, monkeypatch
):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        dashboard = app.screen
        registries = dashboard.query_one(RegistryTable)
        registries.select_key(MYREGISTRY.casefold())
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RegistryDetailScreen))
        detail = app.screen
        assert "Open to the internet" in detail.query_one(RegistryDetail).plain

        wizard = await _lock_down_by_keys(app, pilot)
        # The re-read lands while the wizard still shows its result; nobody pressed r.
        await until(
            pilot,
            lambda: app.data.inventory.registry(MYREGISTRY).rules.default_action == "Deny",
        )
        await pilot.press("escape")  # close the wizard: back on the registry's detail
        await until(pilot, lambda: app.screen is detail)
        shown = detail.query_one(RegistryDetail).plain
        assert "Default action: ■ Deny" in shown and "Open to the internet" not in shown
        assert "myDockerVMVNET/myDockerVMSubnet  ✓ enabled" in shown
        await pilot.press("escape")
        assert "Deny" in registries.get_cell(MYREGISTRY.casefold(), "default").plain
        # The status line: the tenant's age, and the registry the change read again since.
        assert re.search(r"Read .* \(mycontainerregistry (just now|\d+ s ago)\)", _status(app))
        subnets = dashboard.query_one(SubnetTable)
        assert "enabled" in str(subnets.get_row(DOCKER_SUBNET.casefold())).casefold()
        # The findings are those of a fresh read of the tenant, not of the one before.
        fresh = await InventoryService(app.services.clients).load()
        assert _finding_keys(app.data.findings) == _finding_keys(find_findings(fresh))
        assert wizard.run is not None and wizard.run.plan.registry_id == MYREGISTRY


async def test_after_a_lockdown_the_open_findings_view_drops_what_it_fixed(
    emulator, tmp_path, monkeypatch
):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FindingsScreen))
        findings = app.screen

        def codes_of(name: str) -> set[str]:
            registry = next(r for r in app.data.inventory.registries if r.name == name)
            listed = findings._by_key.values()
            return {
                f.code for f in listed if f.registry_id and f.registry_id.casefold() == registry.key
            }

        assert "rule-subnet-missing-endpoint" in codes_of("contosonoendpoint")
        [key] = [k for k, f in findings._by_key.items()
                 if f.code == "rule-subnet-missing-endpoint"]  # fmt: skip
        findings.query_one(FindingsTable).select_key(key)
        # Lock contosonoendpoint down to the subnet its rule names: the endpoint gets added.
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LockdownWizardScreen))
        wizard = app.screen
        if not wizard.chosen:
            await pilot.press(*"aks-nodes", "tab", "space")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: wizard.plan is not None)
        await pilot.press(*"contosonoendpoint", "enter")
        await until(pilot, lambda: "Applied and verified" in static_text(wizard, "#outcome"))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is findings)
        await until(
            pilot, lambda: "rule-subnet-missing-endpoint" not in codes_of("contosonoendpoint")
        )


# ---- 2. how old the data is, and reading it again on a timer ---------------------------------


async def test_status_line_says_how_old_the_data_is_and_keeps_it_true(emulator, tmp_path):
    clock = HandClock()
    app = AcrFenceApp(build_services(emulator.env, "emulator"), clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await until(pilot, lambda: "Read just now" in _status(app))
        clock.now += 40
        await until(pilot, lambda: "Read 40 s ago" in _status(app))  # no key pressed
        clock.now += 150
        await until(pilot, lambda: "Read 3 min ago" in _status(app))


async def test_watch_reads_the_inventory_again_on_its_own(emulator):
    app = AcrFenceApp(build_services(emulator.env, "emulator"), watch_seconds=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        assert "again every 0.3 s" in _status(app)

        def deny(registry: dict) -> None:
            registry["properties"]["networkRuleSet"]["defaultAction"] = "Deny"

        emulator.state.update_registry(MYREGISTRY, deny)  # someone else, in Azure
        await until(
            pilot,
            lambda: app.data.inventory.registry(MYREGISTRY).rules.default_action == "Deny",
        )


async def test_w_toggles_watching_and_the_status_line_says_so(emulator):
    app = AcrFenceApp(build_services(emulator.env, "emulator"))
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        assert not app.watching and "again every" not in _status(app)
        await pilot.press("w")
        await until(pilot, lambda: "again every 30 s" in _status(app))
        assert app.watching
        await pilot.press("w")
        await until(pilot, lambda: "again every" not in _status(app))
        assert not app.watching


@pytest.mark.parametrize("value", ["abc", "1", "0", "-5", "nan", "inf"])
def test_watch_refuses_a_bad_number_of_seconds(value, capsys):
    from acrfence.tui.cli import build_parser

    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--watch", value])
    assert exit_info.value.code == 2
    assert "--watch" in capsys.readouterr().err


def test_watch_with_a_subcommand_is_one_line_and_exit_2(capsys):
    from acrfence.tui.cli import main

    assert main(["--watch", "10", "journal"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--watch is for the dashboard" in err


# ---- 3. read-only mode ------------------------------------------------------------------------


async def test_a_change_key_in_read_only_says_why_it_does_nothing(emulator, tmp_path, monkeypatch):
    messages: list[object] = []
    app = wizard_app(emulator, tmp_path, monkeypatch, read_only=True)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        for key in ("l", "u", "o"):
            await pilot.press(key)
            await pilot.pause()
            assert len(app.screen_stack) == 2  # nothing opened
        refusals = [n for n in notes(messages) if n.startswith("Read-only mode")]
        assert len(refusals) == 3 and "--read-only" in refusals[0]
        # And the footer still doesn't offer them.
        footer = {k for k, b in app.screen.active_bindings.items() if b.binding.show and b.enabled}
        assert not {"l", "u", "o"} & footer


def test_the_read_only_demo_welcome_advertises_no_switched_off_key():
    changes = {a.key for a in ACTIONS if a.changes_azure}
    for read_only in (False, True):
        text = demo_welcome(read_only)
        offered = {k for k in changes if re.search(rf"(^|[\s,;:.]){k} ", text)}
        assert bool(offered) is not read_only, (read_only, offered)


async def test_an_interrupted_run_at_start_is_mentioned_not_offered_in_read_only(
    emulator, tmp_path, monkeypatch
):
    run_id = await _interrupted_lockdown(emulator, tmp_path)
    messages: list[object] = []
    app = wizard_app(emulator, tmp_path, monkeypatch, read_only=True)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        await pilot.pause()
        assert not isinstance(app.screen, ResumePromptScreen)
        assert any(run_id in note and "read-only" in note.casefold() for note in notes(messages))
        await pilot.press("R")  # the runs view shows it, and refuses to change it
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        assert app.screen.runs[0].id == run_id
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert any(n.startswith("Read-only mode: Resume") for n in notes(messages))


# ---- 4. quitting during a change --------------------------------------------------------------


async def test_quitting_during_an_apply_asks_then_leaves_the_run_interrupted(
    emulator, tmp_path, monkeypatch
):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        app.screen.query_one(RegistryTable).select_key(MYREGISTRY.casefold())
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LockdownWizardScreen))
        wizard = app.screen
        await pilot.press(*"myDockerVM", "tab", "space", "ctrl+s")
        await until(pilot, lambda: wizard.plan is not None)
        emulator.faults.set_latency(700)  # every call is slow: the apply takes seconds
        await pilot.press(*"mycontainerregistry", "enter")
        await until(pilot, lambda: wizard.applying and wizard.applying_run_id is not None)

        for key in ("q", "ctrl+q", "ctrl+c"):
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, QuitWhileApplyingScreen))
            await pilot.press("escape")  # keep applying
            await until(pilot, lambda: app.screen is wizard)
            assert app.return_code is None and wizard.applying

        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitWhileApplyingScreen))
        app.screen.query_one("#quit", Button).press()
        await until(pilot, lambda: app.return_code is not None)
        run_id = wizard.applying_run_id
        assert app.return_code == 1
        assert f"acrfence resume {run_id}" in app.exit_line
    emulator.faults.set_latency(0)
    [run] = [r for r in journal_runs(tmp_path) if r["id"] == run_id]
    assert run["state"] == "failed" and run["error"].startswith("interrupted")


# ---- 5. the runs view; resume and rollback as plans ---------------------------------------------


async def test_startup_roll_back_goes_through_the_plan_and_the_name(
    emulator, tmp_path, monkeypatch
):
    original = registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)
    run_id = await _interrupted_lockdown(emulator, tmp_path)
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ResumePromptScreen))
        app.screen.query_one("#rollback", Button).press()
        await until(pilot, lambda: isinstance(app.screen, RunPlanScreen))
        plan_screen = app.screen
        await until(pilot, lambda: plan_screen.plan is not None)
        assert plan_screen.plan.source_run_id == run_id
        assert "Rolling back run" in static_text(plan_screen, "#plan-text")
        # Nothing ran yet: the registry is as the killed run left it, Apply waits for the name.
        assert registry_view(emulator, MYREGISTRY)["default_action"] == "Deny"
        assert plan_screen.query_one("#apply", Button).disabled
        await pilot.press(*"mycontainerregistry", "enter")
        await until(pilot, lambda: "Applied and verified" in static_text(plan_screen, "#outcome"))
        await until(
            pilot,
            lambda: app.data.inventory.registry(MYREGISTRY).rules.default_action == "Allow",
        )
    assert (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)) == original
    states = {r["id"]: r["state"] for r in journal_runs(tmp_path)}
    assert states[run_id] == "rolled-back"


async def test_a_run_made_against_another_endpoint_is_neither_offered_nor_listed(
    emulator, tmp_path, monkeypatch
):
    run_id = await _interrupted_lockdown(emulator, tmp_path)
    # As if made against Azure itself and this dashboard were the emulator's (or the
    # other way round, which matters more: the emulator may serve a snapshot's real IDs).
    [path] = (tmp_path / "acrfence").glob("*.json")
    record = json.loads(path.read_text())
    record["arm_endpoint"] = "https://management.azure.com"
    path.write_text(json.dumps(record))
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.pause()
        assert not isinstance(app.screen, ResumePromptScreen)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        assert [r.id for r in app.screen.runs] == []
        title = str(app.screen.query_one("#runs").border_title)
        assert title == "Journal: 0 runs · 1 made elsewhere not shown"
    assert [r["id"] for r in journal_runs(tmp_path)] == [run_id]


async def test_after_later_the_runs_view_leads_back_and_resumes_through_a_plan(
    emulator, tmp_path, monkeypatch
):
    run_id = await _interrupted_lockdown(emulator, tmp_path)
    messages: list[object] = []
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ResumePromptScreen))
        await pilot.press("escape")  # Later
        await inventory_loaded(pilot)
        assert any("R opens the runs view" in n for n in notes(messages))
        await until(
            pilot, lambda: "1 interrupted run" in str(app.screen.query_one("#failures").render())
        )

        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        runs = app.screen
        assert runs.runs[0].id == run_id
        assert runs.query_one("#runs").get_row(run_id)[1] == "interrupted"
        assert "2. done" in str(runs.query_one("#run-detail").render())
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, RunPlanScreen))
        plan_screen = app.screen
        await until(pilot, lambda: plan_screen.plan is not None)
        # Only what is left: the verification step (steps 1 and 2 were done before the kill).
        assert [s.index for s in plan_screen.plan.steps] == [3]
        confirm = plan_screen.query_one("#confirm", Input)
        assert confirm.display
        await pilot.press(*"mycontainerregistry", "enter")
        await until(pilot, lambda: "Applied and verified" in static_text(plan_screen, "#outcome"))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is runs)
        await until(pilot, lambda: runs.query_one("#runs").get_row(run_id)[1] == "done")
    assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]


async def test_the_runs_view_is_in_the_command_palette(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await inventory_loaded(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Runs" in titles
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        assert "No run in the journal yet" in str(app.screen.query_one("#run-detail").render())


async def test_a_new_lockdown_on_a_registry_with_an_unfinished_run_says_so(
    emulator, tmp_path, monkeypatch
):
    run_id = await _interrupted_lockdown(emulator, tmp_path)
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ResumePromptScreen))
        await pilot.press("escape")
        await inventory_loaded(pilot)
        await pilot.press("2")
        app.screen.query_one(RegistryTable).select_key(MYREGISTRY.casefold())
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LockdownWizardScreen))
        notice = app.screen.query_one("#unfinished")
        assert notice.display and run_id in str(notice.render())
        assert app.screen.plan is None  # said before any planning
