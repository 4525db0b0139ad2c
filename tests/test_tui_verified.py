"""The lockdown wizard says "verified" only once the data plane agrees (issue 8)."""

from __future__ import annotations

from textual.widgets import Button, Input

from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from helpers import DOCKER_SUBNET, MYREGISTRY, inventory_loaded, static_text, until, wizard_app


async def test_wizard_says_not_yet_effective_when_the_data_plane_disagrees(
    emulator, tmp_path, monkeypatch
):
    emulator.faults.set_propagation_delay(3600)  # the rules never arrive during the test
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        await inventory_loaded(pilot)
        inventory = app.data.inventory
        registry, subnet = inventory.registry(MYREGISTRY), inventory.subnet(DOCKER_SUBNET)
        screen = LockdownWizardScreen(WizardContext(app, inventory, registry, subnet, False))
        screen.probe_wait_seconds = 0  # probe once: nothing will change
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        screen.query_one("#confirm", Input).value = "mycontainerregistry"
        await pilot.pause()
        screen.query_one("#apply", Button).press()
        await until(
            pilot, lambda: "not yet effective" in static_text(screen, "#outcome"), timeout=30
        )
        assert "verified" not in static_text(screen, "#outcome")
        assert "✗ from this machine: still reachable (login required)" in static_text(
            screen, "#probe"
        )
