"""Tables hold every row: 50,000 registries and 100,000 subnets scroll to the end, sort by the
chosen column both ways, filter, and take streamed batches with the cursor kept on its row."""

from __future__ import annotations

from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_table import SubnetTable
from helpers import (
    TablesApp,
    demo_app,
    inventory_loaded,
    make_inventory,
    make_registry,
    make_subnet,
    registry_names,
    until,
)

REGISTRIES = 50_000
SUBNETS = 100_000


def _registries(count: int = REGISTRIES):
    # Names out of the order they are made in, and IP rule counts that repeat, so a sort by
    # the IP column has ties that the name must break.
    return [
        make_registry(
            f"reg{(i * 7919) % count:05d}", ips=tuple(f"10.0.{n}.1" for n in range(i % 7))
        )
        for i in range(count)
    ]


def _screen_text(table) -> str:
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_end_reaches_the_last_of_50000_registries_and_100000_subnets() -> None:
    registries = _registries()
    subnets = [make_subnet(f"vnet{i // 10:05d}", f"snet{i % 10}") for i in range(SUBNETS)]
    app = TablesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.show(registries, {})
        table.focus()
        await pilot.press("end")
        assert table.row_count == REGISTRIES and table.cursor_row == REGISTRIES - 1
        assert table.selected_key == max(registries, key=lambda r: r.name).key
        assert f"reg{REGISTRIES - 1:05d}" in _screen_text(table)
        await pilot.press("home", "pagedown", "pagedown")
        assert table.cursor_row > 2 * (table.size.height - 3)  # a page is the lines on screen

        networks = app.query_one(SubnetTable)
        networks.show(make_inventory(subnets=subnets).virtual_networks)
        networks.focus()
        await pilot.press("G")
        assert networks.row_count == SUBNETS and networks.cursor_row == SUBNETS - 1
        last = subnets[-1]
        assert networks.selected_key == last.key
        assert f"vnet{(SUBNETS - 1) // 10:05d}" in _screen_text(networks)


async def test_s_sorts_every_row_by_the_chosen_column_both_ways() -> None:
    registries = _registries()
    app = TablesApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.show(registries, {})
        table.focus()
        by_key = {r.key: r for r in registries}
        # The cursor's row stays under the cursor through the sorts.
        await pilot.press("j", "j")
        chosen = table.selected_key
        await pilot.press(*["right"] * 6, "s")  # the IP column
        assert table.sort_column == "ip_rules" and not table.sort_descending
        ascending = [(len(by_key[k].rules.ip_rules), by_key[k].name) for k in table.row_keys]
        assert len(ascending) == REGISTRIES and ascending == sorted(ascending)
        assert "IP ▲" in table.render_line(0).text
        assert table.selected_key == chosen
        await pilot.press("s")  # again: reversed
        assert table.sort_descending
        descending = [(len(by_key[k].rules.ip_rules), by_key[k].name) for k in table.row_keys]
        assert descending == sorted(ascending, reverse=True)
        assert "IP ▼" in table.render_line(0).text
        assert table.selected_key == chosen
        # Another column sorts ascending first; the arrow moves to it.
        await pilot.press("left", "left", "left", "left", "left", "left", "s")
        assert table.sort_column == "name" and not table.sort_descending
        assert [by_key[k].name for k in table.row_keys] == sorted(r.name for r in registries)
        assert "Registry ▲" in table.render_line(0).text and "IP ▲" not in table.render_line(0).text


async def test_batches_stream_in_where_they_belong_and_the_cursor_keeps_its_row() -> None:
    registries = _registries()
    app = TablesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.focus()
        table.add_registries(registries[:1000], {})
        await pilot.press("j", "j", "j")
        chosen = table.selected_key
        for start in range(1000, REGISTRIES, 1000):
            table.add_registries(registries[start : start + 1000], {})
        assert table.selected_key == chosen
        assert table.row_keys == [r.key for r in sorted(registries, key=lambda r: r.name)]
        # A registry read again with other rules changes its row in place.
        again = make_registry(registries[5].name, ips=("10.9.9.9",) * 3)
        table.add_registries([again], {})
        assert table.row_count == REGISTRIES
        assert table.get_cell(again.key, "ip_rules").plain == "3"


async def test_every_row_of_a_big_tenant_is_reachable_and_the_filter_finds_past_1000(
    make_emulator,
) -> None:
    handle = make_emulator(seed="generate:1x1200x1x2")
    app = demo_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        table = app.screen.query_one(RegistryTable)
        assert len(app.data.inventory.registries) == 1200
        await pilot.press("2", "end")
        assert table.row_count == 1200 and table.cursor_row == 1199
        assert not table.border_subtitle  # no "first 1,000 shown" any more
        last = max(app.data.inventory.registries, key=lambda r: r.name)
        assert table.selected_key == last.key
        # Narrowing finds a registry past the old cap of 1,000 rows.
        await pilot.press("home", "slash", *last.name, "enter")
        await until(pilot, lambda: table.row_keys == [last.key], "the filter")
        assert table.border_subtitle == f"filter: {last.name}"
        await pilot.press("escape")
        assert len(registry_names(app)) == 1200


async def test_sorting_by_findings_or_severity_puts_errors_first() -> None:
    markers = ["✓ ok", "▲ 1 warn", "✖ 1 err", "● 1 info", "✖ 2 err"]
    app = TablesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(RegistryTable)
        table.add_rows(
            (f"k{i}", (f"reg{i}", marker, "Premium", "□ Allow", "on", "0", "0", "rg"))
            for i, marker in enumerate(markers)
        )
        table.focus()
        await pilot.press("right", "s")
        shown = [table.get_cell(key, "findings").plain for key in table.row_keys]
        assert shown == ["✖ 2 err", "✖ 1 err", "▲ 1 warn", "● 1 info", "✓ ok"]
