"""What a table draws keeps up with what changed: the lines it caches (by row content, and the
styles of each look of row) are drawn again after a cursor move, a page down and back, a focus
change, a theme change and a row changed by a streamed batch. Read as the screen gets them:
through ``render_lines``, past Textual's own cache of the widget's lines."""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

from acrfence.services.models.findings import Finding, Severity
from acrfence.widgets.keyed_table import LINES_KEPT
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_table import SubnetTable
from helpers import TablesApp, make_registry

REGISTRIES = [make_registry(f"reg{i:03d}") for i in range(300)]


def _lines(table: RegistryTable) -> list[Strip]:
    """The table's lines as the screen gets them now (its lines marked for redrawing are
    drawn again, the rest come from Textual's cache)."""
    width, height = table.outer_size
    return table.render_lines(Region(0, 0, width, height))


def _name_style(strip: Strip) -> Style:
    """The style of the line's first segment with words in it (the registry's name)."""
    return next(s.style for s in strip if s.text.strip() and s.style is not None)


def _cursor_lines(table: RegistryTable) -> list[str]:
    """The names on the lines drawn in the cursor's look."""
    cursor = table.get_component_rich_style("datatable--cursor").bgcolor
    return [
        strip.text.split()[0]
        for strip in _lines(table)[1:]
        if strip.text.strip() and _name_style(strip).bgcolor == cursor
    ]


def _selected_name(table: RegistryTable) -> str:
    key = table.selected_key
    return next(r.name for r in REGISTRIES if r.key == key)


async def test_only_the_cursors_row_is_drawn_as_the_cursor_after_moves_and_pages() -> None:
    app = TablesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.show(REGISTRIES, {})
        table.focus()
        await pilot.pause()
        assert _cursor_lines(table) == ["reg000"]
        await pilot.press("down", "down")
        assert _cursor_lines(table) == ["reg002"]
        # The cursor's old row goes off screen, then comes back without the cursor's look.
        await pilot.press("pagedown", "pagedown")
        assert _cursor_lines(table) == [_selected_name(table)] and table.cursor_row > 2
        await pilot.press("pageup", "pageup", "home")
        assert _cursor_lines(table) == ["reg000"]
        await pilot.press("end", "up")
        assert _cursor_lines(table) == [REGISTRIES[-2].name]


async def test_rows_are_drawn_right_after_more_lines_than_the_table_keeps() -> None:
    many = [make_registry(f"reg{i:05d}") for i in range(3 * LINES_KEPT)]
    app = TablesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.show(many, {})
        table.focus()
        await pilot.pause()
        first = [strip.text for strip in _lines(table)]
        # Every row drawn once, top to bottom: the oldest lines kept give way to the newest.
        for top in range(0, len(many), table.size.height):
            table.scroll_to(y=top, animate=False, immediate=True)
            assert _lines(table)[1].text.split()[0] == many[top].name
        await pilot.press("home")
        assert [strip.text for strip in _lines(table)] == first
        await pilot.press("end")
        assert _lines(table)[-1].text.split()[0] == many[-1].name
        assert _cursor_lines(table) == [many[-1].name]


async def test_the_cursor_row_changes_look_with_focus_and_with_the_theme() -> None:
    app = TablesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.show(REGISTRIES, {})
        table.focus()
        await pilot.press("down")
        focused = _name_style(_lines(table)[2]).bgcolor
        assert _cursor_lines(table) == ["reg001"]

        app.query_one(SubnetTable).focus()
        await pilot.pause()
        blurred = _name_style(_lines(table)[2]).bgcolor
        assert blurred != focused and _cursor_lines(table) == ["reg001"]

        table.focus()
        await pilot.pause()
        assert _name_style(_lines(table)[2]).bgcolor == focused

        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert _name_style(_lines(table)[2]).bgcolor not in (focused, None)
        assert _cursor_lines(table) == ["reg001"]


async def test_a_row_changed_by_a_streamed_batch_is_drawn_again() -> None:
    app = TablesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.show(REGISTRIES, {})
        table.focus()
        await pilot.press("down")
        before = [strip.text for strip in _lines(table)]
        assert "■ Deny" in before[3] and "✓ ok" in before[3]

        # reg002 read again (its default now Allow), with a finding worked out for it; and a
        # row that comes in above the view's last line moves the ones below it down.
        again = make_registry("reg002", default_action="Allow")
        finding = Finding("c", Severity.ERROR, "t", "d", registry_id=again.id)
        newcomer = make_registry("reg002a")
        table.add_registries([again, newcomer], {again.key: (finding,)})
        await pilot.pause()
        after = [strip.text for strip in _lines(table)]
        assert "□ Allow" in after[3] and "✖ 1 err" in after[3]
        assert after[4].split()[0] == "reg002a" and after[5] == before[4]
        assert after[1] == before[1] and _cursor_lines(table) == ["reg001"]
