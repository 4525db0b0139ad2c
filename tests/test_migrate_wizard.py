"""The migration wizard (key m) on h12plan's plan API: choices prefilled (the networks that
pull), the plan with its az commands before anything runs, the typed name, apply with
progress, journaled and verified; refused in read-only mode. Pilot against the emulator."""

from __future__ import annotations

from textual.widgets import Button, Input, SelectionList

from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.migrate_wizard import MigrateWizardScreen
from helpers import (
    DOCKER_VNET,
    MYREGISTRY,
    PE_SUBNET,
    assert_migrated,
    journal_runs,
    lock_down,
    notes,
    registry_view,
    static_text,
    until,
    wizard_app,
)


async def test_the_wizard_migrates_after_the_tutorials_lockdown(emulator, tmp_path, monkeypatch):
    await lock_down(emulator)
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        inventory = app.data.inventory
        screen = MigrateWizardScreen(
            WizardContext(app, inventory, inventory.registry(MYREGISTRY), None, False)
        )
        app.push_screen(screen)
        await pilot.pause()
        # The network that pulls through the rule is ticked already.
        links = screen.query_one("#link-vnets", SelectionList)
        assert [v.lower() for v in links.selected] == [DOCKER_VNET.lower()]
        # No endpoint subnet yet: the plan says so in one line, nothing read or written.
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: "choose the subnet" in static_text(screen, "#choose-error"))
        # Filter down to the endpoint subnet, pick it with space.
        screen.query_one("#subnet-filter", Input).focus()
        await pilot.press(*"private-endpoints")
        subnets = screen.query_one("#pe-subnets", SelectionList)
        await until(pilot, lambda: subnets.option_count >= 1)
        subnets.focus()
        target = next(
            i
            for i in range(subnets.option_count)
            if str(subnets.get_option_at_index(i).value).lower() == PE_SUBNET.lower()
        )
        subnets.highlighted = target
        await pilot.press("space")
        assert [s.lower() for s in subnets.selected] == [PE_SUBNET.lower()]

        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        plan_text = static_text(screen, "#plan-text")
        assert "az network private-dns zone create" in plan_text
        assert "az network private-endpoint create" in plan_text
        assert "az acr network-rule remove" in plan_text
        assert registry_view(emulator, MYREGISTRY)["vnet_rules"]  # nothing changed yet

        apply = screen.query_one("#apply", Button)
        screen.query_one("#confirm", Input).value = "mycontainerregistry"
        await pilot.pause()
        assert not apply.disabled
        apply.press()
        await until(
            pilot, lambda: "Applied" in static_text(screen, "#outcome"), "the run", timeout=60
        )
        assert "failed" not in static_text(screen, "#outcome").lower()
        # The dashboard follows Azure at once: the new endpoint, its records, no rules.
        await until(
            pilot,
            lambda: app.data.inventory.private_endpoints_of(
                app.data.inventory.registry(MYREGISTRY)
            ),
            "the private link read again",
        )
        registry = app.data.inventory.registry(MYREGISTRY)
        assert not registry.rules.virtual_network_rules
        codes = {f.code for f in app.data.findings_by_registry.get(registry.key, ())}
        assert not codes & {"private-dns-record-missing", "private-endpoint-no-zone-group"}
        assert "service-endpoint-rules-with-private-endpoint" not in codes, codes
        # Left: the endpoint's own network unlinked (info: only if hosts there pull).
        not_linked = [
            f for f in app.data.findings_by_registry.get(registry.key, ())
            if f.code == "private-dns-zone-not-linked"
        ]  # fmt: skip
        assert all(f.severity == "info" for f in not_linked), not_linked
    assert_migrated(emulator)
    [run] = [r for r in journal_runs(tmp_path) if r["kind"] == "migrate"]
    assert run["state"] == "done"
    # Verified from the network that pulls, through the app's vantages (as the demo has them).
    verify = next(s for s in run["steps"] if s["kind"] == "verify-private-link")
    assert "resolved and probed from myDockerVMVNET" in verify["note"], verify


async def test_the_wizard_is_refused_in_read_only(emulator, tmp_path, monkeypatch):
    messages: list[object] = []
    app = wizard_app(emulator, tmp_path, monkeypatch, read_only=True)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        await pilot.press("2")
        await pilot.press("m")
        await until(pilot, lambda: any("Read-only mode" in n for n in notes(messages)))
        assert not isinstance(app.screen, MigrateWizardScreen)
    assert any("Migrate" in n for n in notes(messages) if "Read-only mode" in n)
