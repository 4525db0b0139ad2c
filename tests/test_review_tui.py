"""Defects found by driving the dashboard as an operator: text the user typed (or Azure sent)
shown back in a widget or a toast is shown as typed, never read as Textual markup (a ``[/b]``
in an IP range crashed the lockdown wizard with a MarkupError)."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, Select

from acrfence.services.models import Inventory, Subscription
from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.probe_wizard import CONNECT_TO
from acrfence.tui.wizards import find_wizard
from acrfence.widgets.subscription_table import SubscriptionTable
from helpers import (
    MYREGISTRY,
    inventory_loaded,
    open_lockdown_of_myregistry,
    static_text,
    until,
    wizard_app,
)


async def test_lockdown_bad_ip_range_with_brackets_is_one_line_not_a_crash(
    emulator, tmp_path, monkeypatch
):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        screen = await open_lockdown_of_myregistry(app, pilot)
        screen.query_one("#ips", Input).value = "[/b], [red]x"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "malformed" in static_text(screen, "#choose-error"))
        await pilot.pause()
        assert app.screen is screen  # still running, on the form
        assert "'[/b]'" in static_text(screen, "#choose-error")  # shown as typed


async def test_probe_bad_address_with_brackets_is_a_toast_not_a_crash(
    emulator, tmp_path, monkeypatch
):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await inventory_loaded(pilot)
        inventory = app.data.inventory
        registry = inventory.registry(MYREGISTRY)
        screen = find_wizard("probe")(WizardContext(app, inventory, registry, None, False))
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#probe-from", Select).value = CONNECT_TO
        screen.query_one("#probe-address", Input).value = "[/b]"
        await pilot.press("ctrl+r")

        def toasts() -> list[str]:  # as drawn (Toast is no public class: found by its name)
            return [str(toast.render()) for toast in app.screen.query("Toast")]

        await until(pilot, lambda: any("'[/b]' is not an address" in t for t in toasts()))
        assert app.screen is screen  # shown as typed, and the wizard is still there


async def test_subscription_names_with_brackets_show_as_named():
    class Pane(App[None]):
        def compose(self):
            yield SubscriptionTable(id="subs")

    names = ("Contoso [Prod]", "Lab [/old]")
    inventory = Inventory(
        subscriptions=tuple(
            Subscription(f"00000000-0000-0000-0000-00000000000{i}", name)
            for i, name in enumerate(names)
        )
    )
    app = Pane()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(SubscriptionTable)
        table.show(inventory, loading=False)
        await pilot.pause()
        shown = [table.render_line(y).text for y in range(table.size.height)]
        for name in names:
            assert any(name in line for line in shown), shown
