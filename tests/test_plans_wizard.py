"""Pilot walk-through of the lockdown wizard against the emulator (real services, real SDK)."""

from __future__ import annotations

import asyncio

from textual.widgets import Button, Input, SelectionList

from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from helpers import (
    ACR,
    DOCKER_SUBNET,
    MYREGISTRY,
    open_lockdown_of_myregistry,
    registry_view,
    static_text,
    subnet_view,
    until,
    wizard_app,
)


async def test_lockdown_wizard_walkthrough(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        inventory = app.data.inventory
        registry = inventory.registry(MYREGISTRY)
        subnet = inventory.subnet(DOCKER_SUBNET)
        screen = LockdownWizardScreen(WizardContext(app, inventory, registry, subnet, False))
        app.push_screen(screen)
        await pilot.pause()
        assert screen.query_one("#subnets", SelectionList).selected == [subnet.id]

        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        plan_text = static_text(screen, "#plan-text")
        assert "+ Deny" in plan_text and "az acr network-rule add" in plan_text
        assert registry_view(emulator, MYREGISTRY)["default_action"] == "Allow"

        apply = screen.query_one("#apply", Button)
        screen.query_one("#confirm", Input).value = "mycontainerregist"
        await pilot.pause()
        assert apply.disabled  # a near miss does not unlock Apply
        screen.query_one("#confirm", Input).value = "mycontainerregistry"
        await pilot.pause()
        assert not apply.disabled
        apply.press()
        await until(pilot, lambda: "Applied and verified" in static_text(screen, "#outcome"))
        assert registry_view(emulator, MYREGISTRY)["default_action"] == "Deny"
        assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]
        # The probe from the subnet's vantage keeps trying, with a countdown, until it gets in.
        await until(pilot, lambda: "as expected" in static_text(screen, "#probe"), timeout=30)
        assert "auth-required" in static_text(screen, "#probe") or "reachable" in static_text(
            screen, "#probe"
        )


async def test_a_failed_demo_run_says_where_to_finish_it(emulator, tmp_path, monkeypatch):
    from fault_api import post_fault

    app = wizard_app(emulator, tmp_path, monkeypatch)
    app.services.journal_directory = tmp_path / "demo" / "journal"  # as --demo has it
    # Azure refuses the rule set write every time: the run fails at step 2.
    post_fault(emulator, {"fault": "server_error", "count": 50, "match": "PATCH /registries/"})
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        screen = await open_lockdown_of_myregistry(app, pilot, DOCKER_SUBNET)
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        screen.query_one("#confirm", Input).value = "mycontainerregistry"
        await pilot.pause()
        screen.query_one("#apply", Button).press()
        await until(pilot, lambda: "failed" in static_text(screen, "#outcome"), timeout=60)
        outcome = static_text(screen, "#outcome")
        # `acrfence resume RUN` would look in the real journal and say "no run".
        assert "from the runs view (R)." in outcome and "acrfence resume" not in outcome


async def test_lockdown_wizard_refused_in_read_only(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch, read_only=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: not app.data.loading)
        inventory = app.data.inventory
        screen = LockdownWizardScreen(
            WizardContext(app, inventory, inventory.registry(MYREGISTRY), None, True)
        )
        app.push_screen(screen)
        await pilot.pause()
        assert app.screen is not screen


async def test_restore_wizard_undoes_a_journaled_lockdown(emulator, tmp_path, monkeypatch):
    from acrfence.tui.screens.restore_wizard import RestoreWizardScreen
    from helpers import cli_env, journal_runs, run_cli

    original = registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)
    env = cli_env(emulator, tmp_path)
    lock = ["lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"]
    # The command line runs its own event loop: give it a thread of its own.
    assert await asyncio.to_thread(run_cli, monkeypatch, env, *lock) == 0
    run_id = journal_runs(tmp_path)[0]["id"]
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        inventory = app.data.inventory
        context = WizardContext(app, inventory, inventory.registry(MYREGISTRY), None, False)
        screen = RestoreWizardScreen(context)
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        assert screen.plan.source_run_id == run_id
        assert "subnet rules:" in static_text(screen, "#plan-text")
        screen.query_one("#confirm", Input).value = "mycontainerregistry"
        await pilot.pause()
        screen.query_one("#apply", Button).press()
        await until(pilot, lambda: "Applied and verified" in static_text(screen, "#outcome"))
    assert (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)) == original
    states = {r["id"]: r["state"] for r in journal_runs(tmp_path)}
    assert states[run_id] == "rolled-back"


# The start-up prompt's resume / roll back: tests/test_tui_state_control.py (through a plan).


async def test_lockdown_wizard_blocked_plan_at_80x24(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        inventory = app.data.inventory
        platform = next(r for r in inventory.registries if r.name == "platformacr")
        ci = next(s for s in inventory.subnets if s.name == "ci")
        screen = LockdownWizardScreen(WizardContext(app, inventory, platform, ci, False))
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        assert screen.plan.blocked
        assert "BLOCKED" in static_text(screen, "#plan-text")
        assert not screen.query_one("#confirm", Input).display
        assert screen.query_one("#apply", Button).disabled


async def test_lockdown_wizard_rejects_a_malformed_ip_range_in_one_line(
    emulator, tmp_path, monkeypatch
):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        screen = await open_lockdown_of_myregistry(app, pilot, DOCKER_SUBNET)
        screen.query_one("#ips", Input).value = "203.0.113.0/33"
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: "malformed IP range" in static_text(screen, "#choose-error"))
        assert screen.plan is None
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Allow"
