"""The guided flows driven by keys at 80x24, as an operator over SSH would: the lockdown form
(filter, space, ctrl+s), states readable without colour, the probe's countdown through the
propagation delay, and the probe wizard's offers opening the lockdown wizard."""

from __future__ import annotations

from textual.widgets import Input, Select

from acrfence.services.models import CheckLevel
from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from acrfence.tui.screens.probe_wizard import ProbeWizardScreen
from acrfence.tui.screens.wizard_widgets import MarkedSelectionList
from acrfence.tui.wizards import find_wizard
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_table import SubnetTable
from helpers import (
    ACR,
    DOCKER_SUBNET,
    MYREGISTRY,
    inventory_loaded,
    notes,
    open_lockdown_of_myregistry,
    registry_view,
    static_text,
    subnet_view,
    until,
    wizard_app,
)


def _lines(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_lockdown_by_keys_at_80x24_reads_without_colour(emulator, tmp_path, monkeypatch):
    emulator.faults.set_propagation_delay(4)  # the probe at the end has to wait it out
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        inventory = app.data.inventory
        screen = LockdownWizardScreen(
            WizardContext(app, inventory, inventory.registry(MYREGISTRY), None, False)
        )
        screen.probe_wait_seconds = 30
        app.push_screen(screen)
        await pilot.pause()
        listing = screen.query_one("#subnets", MarkedSelectionList)
        assert listing.option_count == len(inventory.subnets)  # 100+ subnets, all listed
        assert app.focused is screen.query_one("#subnet-filter", Input)
        assert "Filter" in static_text(screen, "#keys")  # focus named in words

        await pilot.press(*"myDockerVM", "tab")
        assert app.focused is listing and listing.option_count == 1
        assert _lines(listing)[0].startswith("› [ ] myDockerVMVNET/myDockerVMSubnet")
        assert "10.0.0.0/24" in _lines(listing)[0] and "endpoint off" in _lines(listing)[0]
        await pilot.press("space")
        assert _lines(listing)[0].startswith("› [x] myDockerVMVNET/myDockerVMSubnet")
        assert "Chosen (1): myDockerVMVNET/myDockerVMSubnet" in static_text(screen, "#chosen")
        # Filtering again keeps the choice, and shows it as chosen.
        await pilot.press("shift+tab", *["backspace"] * 10)
        assert listing.option_count == len(inventory.subnets)
        assert listing.selected == [DOCKER_SUBNET]
        assert "[x] myDockerVMVNET" in _lines(listing)[0]  # chosen ones sort first

        await pilot.press("ctrl+s")  # from any field of the form
        await until(pilot, lambda: screen.plan is not None)
        confirm = screen.query_one("#confirm", Input)
        assert app.focused is confirm and confirm.region.bottom <= 24  # visible below the plan
        await pilot.press(*"mycontainerregistry", "enter")
        await until(pilot, lambda: "Applied (run" in static_text(screen, "#outcome"))
        assert "checking the data plane" in static_text(screen, "#outcome")  # not "verified" yet
        assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]
        # The countdown shows while the rule propagates, then every vantage agrees.
        await until(pilot, lambda: "left)" in static_text(screen, "#probe"), timeout=15)
        await until(pilot, lambda: static_text(screen, "#probe").count("as expected") == 2, 30)
        await until(pilot, lambda: "Applied and verified" in static_text(screen, "#outcome"))
        assert "the data plane agrees" in static_text(screen, "#outcome")
        probe = static_text(screen, "#probe")
        assert "✓ from this machine: denied" in probe
        assert "✓ from myDockerVMVNET/myDockerVMSubnet" in probe


async def test_escape_on_the_plan_goes_back_to_the_choices(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        screen = await open_lockdown_of_myregistry(app, pilot)
        await pilot.press("ctrl+s")  # nothing chosen: one line, no plan
        await until(
            pilot, lambda: "choose at least one subnet" in static_text(screen, "#choose-error")
        )
        assert screen.plan is None
        await pilot.press("o")  # a dashboard key typed into the filter opens nothing
        assert app.screen is screen
        await pilot.press("tab", "space", "ctrl+s")
        await until(pilot, lambda: screen.plan is not None)
        await pilot.press("escape")
        assert screen.query_one("#stages").current == "choose"
        assert app.screen is screen


async def _probe_from_app(app, pilot, name: str, read_only: bool = False) -> ProbeWizardScreen:
    inventory = app.data.inventory
    registry = next(r for r in inventory.registries if r.name == name)
    screen = find_wizard("probe")(WizardContext(app, inventory, registry, None, read_only))
    app.push_screen(screen)
    await pilot.pause()
    await pilot.press("ctrl+r")
    await until(pilot, lambda: name in screen.results and not screen.workers)
    return screen


async def test_ip_rule_offer_opens_an_ip_only_lockdown(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        probe = await _probe_from_app(app, pilot, "contosolocked")
        client_ip = probe.results["contosolocked"].client_ip
        assert client_ip and str(probe.results["contosolocked"].verdict) == "denied"
        await pilot.press("i")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, LockdownWizardScreen)
        assert wizard.query_one("#ips", Input).value == f"{client_ip}/32"
        assert wizard.query_one("#registry", Select).value.endswith("/contosolocked")
        assert wizard.query_one("#subnets", MarkedSelectionList).selected == []

        await pilot.press("ctrl+s")
        await until(pilot, lambda: wizard.plan is not None)
        assert not wizard.plan.blocked
        assert all(c.code != "preview" for c in wizard.plan.checks)  # no endpoint involved
        assert not [c for c in wizard.plan.checks if c.level is CheckLevel.BLOCK]
        await pilot.press(*"contosolocked", "enter")
        await until(pilot, lambda: "Applied and verified" in static_text(wizard, "#outcome"))
        locked = next(r for r in app.data.inventory.registries if r.name == "contosolocked")
        view = registry_view(emulator, locked.id)
        assert client_ip in view["ip_rules"] and view["default_action"] == "Deny"
        # This machine was the one refused: now it gets in.
        await until(pilot, lambda: "as expected" in static_text(wizard, "#probe"), timeout=30)
        assert "✓ from this machine: reachable (login required)" in static_text(wizard, "#probe")


async def test_lockdown_offer_opens_the_wizard_and_read_only_refuses(
    emulator, tmp_path, monkeypatch
):
    app = wizard_app(emulator, tmp_path, monkeypatch, read_only=True)
    messages: list[object] = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        probe = await _probe_from_app(app, pilot, "contosolocked", read_only=True)
        assert "add an IP rule" not in static_text(probe, "#probe-explain")  # nothing offered
        await pilot.press("i")
        await pilot.pause()
        assert app.screen is probe
        assert any("Read-only" in note for note in notes(messages))
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Allow"

    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        probe = await _probe_from_app(app, pilot, "mycontainerregistry")
        probe.post_message(ProbeWizardScreen.LockdownRequested(MYREGISTRY))
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, LockdownWizardScreen)
        assert wizard.registry is not None and wizard.registry.name == "mycontainerregistry"


async def _pane_with_rows(pilot, key: str, table_type) -> None:
    """Press a pane's key and wait until that pane has focus and rows (slow machines lag)."""
    await pilot.press(key)
    app = pilot.app
    await until(pilot, lambda: isinstance(app.focused, table_type) and app.focused.row_count)


async def test_wizards_from_the_dashboard_preselect_only_a_subnet_the_user_points_at(
    emulator, tmp_path, monkeypatch
):
    from acrfence.tui.screens.migrate_wizard import MigrateWizardScreen

    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        await _pane_with_rows(pilot, "2", RegistryTable)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LockdownWizardScreen))
        # The networks pane's cursor sits on its first row by default: nobody chose it.
        assert app.screen.query_one("#subnets", MarkedSelectionList).selected == []
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, LockdownWizardScreen))

        # A visit to the networks pane (cursor moved) and back to the registries: the cursor
        # left behind there is not a choice, for either wizard; the plan waits for one.
        await _pane_with_rows(pilot, "3", SubnetTable)
        await pilot.press("down")
        await _pane_with_rows(pilot, "2", RegistryTable)
        premium = app.data.inventory.registry(MYREGISTRY)
        assert app.screen.query_one(RegistryTable).select_key(premium.key)
        for key, wizard_type in (("l", LockdownWizardScreen), ("m", MigrateWizardScreen)):
            await pilot.press(key)
            await until(pilot, lambda t=wizard_type: isinstance(app.screen, t))
            wizard = app.screen
            if wizard_type is LockdownWizardScreen:
                assert wizard.query_one("#subnets", MarkedSelectionList).selected == []
                refusal = "choose at least one subnet"
            else:
                assert wizard.pe_subnet is None
                assert wizard.query_one("#pe-subnets", MarkedSelectionList).selected == []
                refusal = "choose the subnet the private endpoint goes in"
            await pilot.press("ctrl+s")  # no plan without a subnet
            await until(pilot, lambda w=wizard, r=refusal: r in static_text(w, "#choose-error"))
            await pilot.press("escape")
            await until(pilot, lambda t=wizard_type: not isinstance(app.screen, t))

        # Opened from the networks pane, the subnet under its cursor is the one meant.
        await _pane_with_rows(pilot, "3", SubnetTable)
        pointed = app.screen.query_one(SubnetTable).selected_key
        assert app.data.inventory.subnet(pointed) is not None
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LockdownWizardScreen))
        assert list(app.screen.chosen) == [pointed]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, LockdownWizardScreen))
        await until(pilot, lambda: isinstance(app.focused, SubnetTable))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MigrateWizardScreen))
        assert app.screen.pe_subnet is not None and app.screen.pe_subnet.key == pointed


async def test_restore_wizard_opens_on_a_registry_with_no_journaled_lockdown(
    emulator, tmp_path, monkeypatch
):
    from acrfence.tui.screens.restore_wizard import RestoreWizardScreen

    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        await _pane_with_rows(pilot, "2", RegistryTable)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, RestoreWizardScreen))
        assert app.screen.query_one(Select).value is Select.NULL


async def test_a_subnet_filter_matching_nothing_says_so(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        screen = await open_lockdown_of_myregistry(app, pilot)
        await pilot.press(*"nosuchsubnet")
        assert screen.query_one("#subnets", MarkedSelectionList).option_count == 0
        assert "No subnet matches 'nosuchsubnet'" in static_text(screen, "#chosen")


async def test_down_from_the_subnet_filter_goes_into_the_list(emulator, tmp_path, monkeypatch):
    # As in a picker: type to narrow, down into the list, space picks. Down did nothing in the
    # filter, and the space then typed into it.
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        screen = await open_lockdown_of_myregistry(app, pilot)
        listing = screen.query_one("#subnets", MarkedSelectionList)
        await pilot.press(*"batch", "down")
        await until(pilot, lambda: app.focused is listing)
        await pilot.press("space")
        assert [str(v).rsplit("/", 1)[-1] for v in listing.selected] == ["batch-jobs"]
        assert screen.query_one("#subnet-filter", Input).value == "batch"


def test_every_wizard_action_has_its_wizard_and_wizards_swallow_the_app_keys() -> None:
    from acrfence.tui.actions import ACTIONS, wizard_shadowed_keys
    from acrfence.tui.wizards import WIZARDS

    named = {a.name.split("'")[1] for a in ACTIONS if a.name.startswith("wizard(")}
    assert named == set(WIZARDS)
    # Every app key but quit and help is swallowed by a wizard, so it can't fire under one.
    app_keys = {a.key for a in ACTIONS if a.scope == "app"} - {"q", "question_mark"}
    assert app_keys <= set(wizard_shadowed_keys())


async def test_the_key_hint_line_reads_whole_at_80_columns(emulator, tmp_path, monkeypatch):
    """Every field's hint, with the stage's keys, fits the 80-column line (it was cut to
    "esc c…" on most fields)."""
    from acrfence.tui.screens.migrate_wizard import MigrateWizardScreen

    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        inventory = app.data.inventory

        def hint_line(screen) -> str:
            keys = screen.query_one("#keys")
            return keys.render_line(0).text.rstrip()

        for wizard_type in (LockdownWizardScreen, MigrateWizardScreen):
            context = WizardContext(app, inventory, inventory.registry(MYREGISTRY), None, False)
            screen = wizard_type(context)
            app.push_screen(screen)
            await until(pilot, lambda s=screen: app.screen is s and app.focused is not None)
            seen: set[str] = set()
            while (app.focused.id or "") not in seen:
                seen.add(app.focused.id or "")
                await until(
                    pilot, lambda s=screen: hint_line(s).endswith("· ^s plan"), app.focused.id
                )
                assert "…" not in hint_line(screen), hint_line(screen)
                await pilot.press("tab")
            assert {"registry", "make-plan", "cancel"} <= seen  # went all the way round
            await pilot.press("escape")
            await until(pilot, lambda s=screen: app.screen is not s)

        # The review stage: the name to type and the plan's scroll keys, then esc.
        screen = await open_lockdown_of_myregistry(app, pilot, DOCKER_SUBNET)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.plan is not None, "the plan")
        await until(pilot, lambda: app.focused is screen.query_one("#confirm", Input))
        await until(pilot, lambda: hint_line(screen).endswith("· esc back"), hint_line(screen))
        assert hint_line(screen).startswith("» Confirm: type the name")
