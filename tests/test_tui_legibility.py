"""Pilot tests of what makes the dashboard legible and quick to drive (issue 8): the filter
line, the table keys (Home/End, j/k/g/G), the `:` jump, the help text, copying a resource's ID
and its raw JSON. On the emulator's demo tenant, read through the real services."""

from __future__ import annotations

import json

from textual.widgets import Input

from acrfence.services.raw_json import HIDDEN, raw_json_text, without_secrets
from acrfence.tui.screens.dashboard import DashboardScreen
from acrfence.tui.screens.findings import FindingsScreen
from acrfence.tui.screens.help import HelpScreen
from acrfence.tui.screens.raw_json import RawJsonScreen
from acrfence.widgets.filter_input import FilterInput
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_table import SubnetTable
from acrfence.widgets.subscription_table import SubscriptionTable
from helpers import (
    demo_app,
    inventory_loaded,
    keys_at_once,
    notes,
    open_registry,
    registry_names,
    until,
)


async def test_the_filter_line_shows_what_is_typed(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2", "slash", *"myc")
        line = app.screen.query_one(FilterInput)
        assert app.focused is line and line.value == "myc"
        # The text has a line to be drawn on (a focused Input's border used to take it).
        assert line.content_region.height >= 1
        assert "myc" in "".join(segment.text for segment in line.render_line(0))
        # ...and nothing is drawn over it.
        for other in (*app.screen.query("Footer"), app.screen.query_one("#load-status")):
            assert not line.region.overlaps(other.region), other


async def test_escape_on_the_dashboard_clears_a_kept_filter(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        everything = len(registry_names(app))
        await pilot.press("2", "slash", *"locked", "enter")
        table = app.screen.query_one(RegistryTable)
        assert app.focused is table and registry_names(app) == ["contosolocked"]
        await pilot.press("escape")
        assert table.filter_text == "" and len(registry_names(app)) == everything
        assert not table.border_subtitle
        # Escape with no filter does nothing (the dashboard stays).
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_home_end_and_vi_keys_move_the_cursor(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        table = app.screen.query_one(RegistryTable)
        last = len(table.row_keys) - 1
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == last
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == last
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_colon_jumps_between_views(emulator):
    app = demo_app(emulator)
    messages: list[object] = []
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("colon")
        assert isinstance(app.focused, Input)
        await pilot.press(*"find", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)
        # From the findings straight to the subnets (an alias of the networks pane).
        await pilot.press("colon", *"subnets", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert isinstance(app.focused, SubnetTable)
        await pilot.press("colon", *"subs", "enter")
        await pilot.pause()
        assert isinstance(app.focused, SubscriptionTable)
        await pilot.press("colon", *"help", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "colon", *"nosuchview", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert any("No view named 'nosuchview'" in note for note in notes(messages))


async def test_the_help_is_for_users(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = " ".join(" ".join(row) for row in help_screen.rows())
        title = str(help_screen.query_one("#help-title").render())
        assert "set_keymap" not in title and "binding id" not in title
        for key in ("Home End g G", "j k", ":", "c", "y"):
            assert key in text


async def test_c_copies_the_full_id_and_says_it(emulator):
    app = demo_app(emulator)
    messages: list[object] = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        registry = next(r for r in app.data.inventory.registries if r.name == "mycontainerregistry")
        app.screen.query_one(RegistryTable).select_key(registry.key)
        await pilot.press("c")
        assert app.clipboard == registry.id
        assert any(registry.id in note for note in notes(messages))
        # A subnet: its full ID, though the pane shows vnet and subnet names.
        await pilot.press("3")
        subnets = app.screen.query_one(SubnetTable)
        subnet = app.data.inventory.subnet(subnets.selected_key)
        await pilot.press("c")
        assert app.clipboard == subnet.id


async def test_y_shows_the_json_as_last_read(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        await open_registry(pilot, "mycontainerregistry")
        registry = app.screen.selection()[0]
        await pilot.press("y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RawJsonScreen)
        shown = json.loads(screen.text)
        assert shown["id"] == registry.id and shown["name"] == "mycontainerregistry"
        with emulator.state.lock:
            stored = next(
                r for r in emulator.state.registries.values() if r["name"] == "mycontainerregistry"
            )
            default_action = stored["properties"]["networkRuleSet"]["defaultAction"]
        assert shown["properties"]["networkRuleSet"]["defaultAction"] == default_action
        await pilot.press("G", "g", "escape")
        assert not isinstance(app.screen, RawJsonScreen)


def test_the_raw_json_never_shows_secrets():
    raw = {
        "name": "r",
        "properties": {"adminUserEnabled": True, "passwords": [{"value": "s3cret"}]},
        "identity": {"clientSecret": "x", "tokenHint": "t"},
        "list": [{"connectionString": "AccountKey=abc"}],
    }
    clean = without_secrets(raw)
    assert clean["properties"]["passwords"] == HIDDEN
    assert clean["identity"] == {"clientSecret": HIDDEN, "tokenHint": HIDDEN}
    assert clean["list"][0]["connectionString"] == HIDDEN
    assert clean["properties"]["adminUserEnabled"] is True
    text = raw_json_text(raw)
    assert "s3cret" not in text and "abc" not in text


async def test_without_colour_states_are_told_by_style(emulator, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # Textual reads it when the app is made
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        table = app.screen.query_one(RegistryTable)
        names = registry_names(app)

        def segments(name: str):
            y = names.index(name) + 1 - table.scroll_offset.y  # + the header row
            return [s for s in table.render_line(y) if s.text.strip()]

        # An error stands out (it was a grey one step off the background: 237 on 235).
        error = next(s for s in segments("contosodark") if "err" in s.text)
        assert error.style.reverse and error.style.bold
        # The cursor row is reversed; other rows are not.
        assert table.cursor_row == 0
        assert all(s.style.reverse for s in segments(names[0]))
        assert not any(s.style.reverse for s in segments(names[1]))
        # The focused pane has a double border; the others a single one.
        await pilot.press("1")
        assert app.screen.query_one("#subscriptions").styles.border_top[0] == "double"
        assert table.styles.border_top[0] == "round"


async def test_the_welcome_covers_nothing_at_80x24(emulator):
    from textual.widgets import Button

    from acrfence.tui.launch import DEMO_WELCOME

    app = demo_app(emulator)
    app.services.welcome = DEMO_WELCOME
    messages: list[object] = []
    async with app.run_test(
        size=(80, 24), message_hook=messages.append, notifications=True
    ) as pilot:
        await inventory_loaded(pilot)
        welcome = app.screen.query_one("#welcome")
        assert welcome.display and "mycontainerregistry" in str(welcome.render())
        # In the layout under the panes: the registries pane is above it, not under it.
        assert not welcome.region.overlaps(app.screen.query_one(RegistryTable).region)
        assert not any("mycontainerregistry" in note for note in notes(messages))  # no toast
        await pilot.press("2", "l")
        await pilot.pause()
        # The wizard's buttons are not under anything: no toast is up.
        assert app.screen.query(Button)
        assert not app.screen.query("Toast")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query_one("#welcome").display  # gone once another view opened


def test_a_terminal_without_colours_counts_as_no_color():
    from rich.console import Console

    from acrfence.widgets.palette import colourless

    assert colourless(False, Console(color_system=None, force_terminal=True))
    assert not colourless(False, Console(color_system="truecolor", force_terminal=True))
    assert colourless(True, Console(color_system="truecolor", force_terminal=True))


async def test_a_view_name_typed_at_once_after_colon_reaches_the_prompt(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        keys_at_once(app, ":findings\r")
        await until(pilot, lambda: isinstance(app.screen, FindingsScreen), "the findings view")
        # In the filter, `:` is a character, not the prompt.
        keys_at_once(app, "/a:b")
        line = app.screen.query_one(FilterInput)
        await until(pilot, lambda: line.value == "a:b", "a:b in the filter")
        assert isinstance(app.screen, FindingsScreen)
