"""Pilot tests of the dashboard on the emulator's demo tenant, read over HTTPS by the real
services (the app is given services pointed at a fresh emulator per test; no stand-ins).

Notifications are checked through Textual's public ``Notify`` message, collected with the
``message_hook`` of ``run_test``.
"""

from __future__ import annotations

import socket

from demo_tenant import DEMO_REGISTRIES_WITH_FINDINGS
from textual import events
from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION, SUB_RESTRICTED
from acrfence.services.models import Finding
from acrfence.tui.actions import ACTIONS
from acrfence.tui.app import AcrFenceApp
from acrfence.tui.launch import build_services
from acrfence.tui.screens.dashboard import DashboardScreen
from acrfence.tui.screens.findings import FindingsScreen
from acrfence.tui.screens.help import HelpScreen
from acrfence.tui.screens.registry_detail import RegistryDetailScreen
from acrfence.tui.screens.subnet_detail import SubnetDetailScreen
from acrfence.tui.wizards import WIZARDS
from acrfence.widgets.filter_input import FilterInput
from acrfence.widgets.findings_table import FindingsTable
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_table import SubnetTable
from acrfence.widgets.subscription_table import ALL_SUBSCRIPTIONS, SubscriptionTable
from helpers import (
    demo_app,
    detail_text,
    inventory_loaded,
    keys_at_once,
    notes,
    open_registry,
    registry_names,
    until,
)

# Beside the registries (tests/demo_tenant.py): a subnet with the endpoint that no rule names.
DEMO_SUBNET_FINDINGS = {"app-vnet/batch-jobs": {"subnet-endpoint-unused"}}


async def test_panes_fill_with_the_demo_tenant(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        with emulator.state.lock:
            names = sorted(r["name"] for r in emulator.state.registries.values())
            subnets = len(emulator.state.subnets)
            restricted = {
                key
                for key, subnet in emulator.state.subnets.items()
                if SUB_RESTRICTED in key and subnet
            }
        # The restricted subscription is not listed: its subnet is not in the panes.
        assert sorted(registry_names(app)) == names
        assert len(app.screen.query_one(SubnetTable).row_keys) == subnets - len(restricted)
        subscriptions = app.screen.query_one(SubscriptionTable)
        assert subscriptions.row_keys[0] == ALL_SUBSCRIPTIONS
        assert sorted(subscriptions.row_keys[1:]) == sorted(
            (SUB_PLATFORM, SUB_PRODUCTION, SUB_NETWORKING)
        )
        status = str(app.screen.query_one("#load-line").render())
        assert "✓ Read just now" in status and f"{len(names)} registries" in status
        assert not app.data.inventory.failures


async def test_first_paint_comes_before_the_inventory_is_done(emulator):
    # The network listings take seconds, far longer than the registries take even on a busy
    # machine (1.5 s lost that race under load); the emulator's stop waits them out.
    emulator.faults.set_latency(5000, match="/providers/Microsoft.Network/virtualNetworks")
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        # (A registry's row comes with its findings, worked out on their own thread.)
        await until(pilot, lambda: registry_names(app), "the registries on screen")
        # Registries are on screen while the networks are still on their way.
        assert app.data.loading and registry_names(app)
        assert not app.screen.query_one(SubnetTable).row_keys
        assert "Reading the inventory" in str(app.screen.query_one("#load-line").render())
        assert app.screen.query_one("#load-progress").display
        await inventory_loaded(pilot)
        assert app.screen.query_one(SubnetTable).row_keys
        assert "✓ Read" in str(app.screen.query_one("#load-line").render())


async def test_choosing_a_subscription_filters_registries_and_networks(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        everything = len(registry_names(app))
        await pilot.press("1")
        subscriptions = app.screen.query_one(SubscriptionTable)
        subscriptions.select_key(SUB_PLATFORM)
        await pilot.pause()
        assert "platformacr" in registry_names(app)
        assert all(
            app.data.inventory.registry(k).subscription_id == SUB_PLATFORM
            for k in app.screen.query_one(RegistryTable).row_keys
        )
        subnet_rows = app.screen.query_one(SubnetTable).row_keys
        with emulator.state.lock:
            platform_subnets = [k for k in emulator.state.subnets if SUB_PLATFORM in k]
        assert len(subnet_rows) == len(platform_subnets)
        assert {app.data.inventory.subnet(k).subscription_id for k in subnet_rows} == {SUB_PLATFORM}
        assert "in Contoso Platform" in str(app.screen.query_one("#load-line").render())
        await pilot.press("enter")  # Enter on a subscription moves on to its registries
        assert app.focused is app.screen.query_one(RegistryTable)
        subscriptions.select_key(ALL_SUBSCRIPTIONS)
        await pilot.pause()
        assert len(registry_names(app)) == everything


async def test_slash_filters_the_focused_table_and_escape_clears_it(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        everything = len(registry_names(app))
        await pilot.press("2", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"locked")
        table = app.screen.query_one(RegistryTable)
        assert registry_names(app) == ["contosolocked"]
        await pilot.press("enter")
        assert app.focused is table and table.filter_text == "locked"
        assert table.border_subtitle == "filter: locked"
        # The networks pane has its own filter.
        await pilot.press("3", "slash", *"hub-", "enter")
        subnet_rows = app.screen.query_one(SubnetTable).row_keys
        labels = {app.data.inventory.subnet(k).label for k in subnet_rows}
        assert labels == {"hub-vnet/hub-agents", "hub-vnet/hub-spare", "hub-vnet/private-endpoints"}
        await pilot.press("2", "slash", "escape")
        assert len(registry_names(app)) == everything and table.filter_text == ""


async def test_the_networks_filter_finds_a_subnet_as_vnet_slash_subnet_or_by_its_id(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        table = app.screen.query_one(SubnetTable)
        inventory = app.data.inventory

        def labels() -> set[str]:
            return {inventory.subnet(k).label for k in table.row_keys}

        # The form the app names subnets in everywhere else (wizards, details, findings).
        await pilot.press("3", "slash")
        app.post_message(events.Paste("app-vnet/batch-jobs"))
        await until(pilot, lambda: table.filter_text == "app-vnet/batch-jobs", "the filter")
        assert labels() == {"app-vnet/batch-jobs"}
        # Its resource ID, pasted as Azure spells it (any case), finds the row too.
        subnet = next(s for s in inventory.subnets if s.label == "app-vnet/batch-jobs")
        await pilot.press("escape", "escape", "slash")
        app.post_message(events.Paste(subnet.id.upper()))
        await until(pilot, lambda: table.filter_text == subnet.id.upper(), "the pasted ID")
        assert labels() == {"app-vnet/batch-jobs"}
        # A registry's ID finds it in the registries pane.
        registries = app.screen.query_one(RegistryTable)
        registry = next(r for r in inventory.registries if r.name == "contosolocked")
        await pilot.press("escape", "escape", "2", "slash")
        app.post_message(events.Paste(registry.id))
        await until(pilot, lambda: registries.filter_text == registry.id, "the registry ID")
        assert registry_names(app) == ["contosolocked"]


async def test_keys_typed_at_once_after_slash_all_reach_the_filter(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        table = app.screen.query_one(RegistryTable)
        # "contoso" holds c (copy), o (open wizard) and s (sort): none may reach the table.
        keys_at_once(app, "/contoso")
        await until(pilot, lambda: table.filter_text == "contoso", "the filter to hold contoso")
        assert isinstance(app.screen, DashboardScreen)
        assert app.focused is app.screen.query_one(FilterInput)
        assert app.focused.value == "contoso"
        names = registry_names(app)
        assert names and all("contoso" in name for name in names)
        # A paste (bracketed) right after the slash lands in the filter too.
        await pilot.press("escape", "escape")
        keys_at_once(app, "/")
        app.post_message(events.Paste("locked"))
        await until(pilot, lambda: table.filter_text == "locked", "the pasted filter")
        assert registry_names(app) == ["contosolocked"]
        # On the findings view as well.
        await pilot.press("escape", "escape", "f")
        findings = app.screen.query_one(FindingsTable)
        keys_at_once(app, "/not-found")
        await until(pilot, lambda: findings.filter_text == "not-found", "the findings filter")
        assert len(findings.row_keys) == 1
        # In the filter, `/` is a character: a subnet is typed as vnet/subnet.
        await pilot.press("escape")
        keys_at_once(app, "/app-vnet/batch-jobs")
        await until(pilot, lambda: findings.filter_text == "app-vnet/batch-jobs", "vnet/subnet")
        assert len(findings.row_keys) == 1


async def test_refresh_reads_azure_again_and_keeps_the_cursor(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        table = app.screen.query_one(RegistryTable)
        target = next(r for r in app.data.inventory.registries if r.name == "mycontainerregistry")
        table.select_key(target.key)
        assert "Allow" in table.get_cell(target.key, "default").plain

        # Someone locks the registry down in Azure (no rules: locked out).
        def deny(registry: dict) -> None:
            registry["properties"]["networkRuleSet"]["defaultAction"] = "Deny"

        emulator.state.update_registry(target.id, deny)
        await pilot.press("r")
        await until(pilot, lambda: "Deny" in table.get_cell(target.key, "default").plain)
        await inventory_loaded(pilot)
        assert "err" in table.get_cell(target.key, "findings").plain
        assert table.selected_key == target.key


async def test_an_unreadable_subscription_is_reported_and_the_rest_loads(emulator):
    # Asked for by ID, the restricted subscription answers AuthorizationFailed (Azure's own
    # answer, from the emulator) while the others load as usual.
    wanted = ",".join((SUB_PRODUCTION, SUB_RESTRICTED))
    messages: list[object] = []
    app = demo_app(emulator, ACRFENCE_SUBSCRIPTIONS=wanted)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        assert "mycontainerregistry" in registry_names(app)
        assert {r.subscription_id for r in app.data.inventory.registries} == {SUB_PRODUCTION}
        failures = str(app.screen.query_one("#failures").render())
        assert SUB_RESTRICTED in failures and "AuthorizationFailed" in failures
        subscriptions = app.screen.query_one(SubscriptionTable)
        assert subscriptions.get_cell(SUB_RESTRICTED, "state").plain == "✗ AuthorizationFailed"
        assert subscriptions.get_cell(SUB_PRODUCTION, "state").plain == "✓ read"
        assert subscriptions.get_cell(ALL_SUBSCRIPTIONS, "state").plain == "✗ some failed"
        assert any(
            "Subscription skipped" in n and "AuthorizationFailed" in n for n in notes(messages)
        )


async def test_a_failing_listing_in_one_subscription_keeps_the_others(emulator):
    # The networking subscription's network listing keeps answering 500: retries run out.
    emulator.faults.server_error(
        count=20, match=f"GET /subscriptions/{SUB_NETWORKING}/providers/Microsoft.Network"
    )
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        [failure] = app.data.inventory.failures
        assert failure.subscription_id == SUB_NETWORKING and failure.what == "virtual networks"
        assert "InternalServerError" in str(app.screen.query_one("#failures").render())
        assert app.screen.query_one(SubnetTable).row_keys  # the other subscriptions' subnets
        assert "platformacr" in registry_names(app)


async def test_a_dead_endpoint_is_one_line_not_a_traceback():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now: every request is refused.
    services = build_services(
        {"ACRFENCE_ARM_ENDPOINT": f"https://127.0.0.1:{port}", "ACRFENCE_TOKEN": "t"}, "dead"
    )
    messages: list[object] = []
    app = AcrFenceApp(services)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        assert app.is_running and isinstance(app.screen, DashboardScreen)
        [note] = [n for n in notes(messages) if n.startswith("Inventory failed")]
        assert "Traceback" not in note and "\n" not in note.split(": ", 1)[1]
        status = str(app.screen.query_one("#load-line").render())
        assert status.startswith("✗ Inventory not read")


async def test_registry_detail_puts_each_rule_beside_its_endpoint_status(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        text = await open_registry(pilot, "contosonoendpoint")
        assert "app-vnet/aks-nodes" in text and "✗ missing" in text
        assert "preview" in text and "Deny by default" in text
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        text = await open_registry(pilot, "contosodangling")
        assert "subnet not found" in text
        await pilot.press("escape")
        text = await open_registry(pilot, "contososecretrule")
        assert "unreadable subscription" in text
        await pilot.press("escape")
        text = await open_registry(pilot, "contosocrosssub")
        assert "hub-vnet/hub-agents" in text and "✓ enabled" in text
        await pilot.press("escape")
        text = await open_registry(pilot, "platformacr")
        assert "Private endpoints (1)" in text and "Approved" in text
        assert "Dedicated data endpoints: ✓ on" in text
        await pilot.press("escape")
        text = await open_registry(pilot, "contosoiprules")
        assert "10.20.0.0/16" in text
        await pilot.press("escape")
        # The Tasks bypass matters only behind a firewall: an open registry refuses no task.
        text = await open_registry(pilot, "mycontainerregistry")
        assert "ACR Tasks bypass: ✗ off (no effect while the registry is open)" in text
        assert "tasks get 403" not in text
        await pilot.press("escape")
        text = await open_registry(pilot, "contosoiprules")  # Deny, Tasks bypass off
        assert "ACR Tasks bypass: ✗ off (tasks get 403)" in text


async def test_subnet_detail_says_which_registries_it_reaches(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("3")
        hub = next(s for s in app.data.inventory.subnets if s.label == "hub-vnet/hub-agents")
        app.screen.query_one(SubnetTable).select_key(hub.key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SubnetDetailScreen)
        text = detail_text(app)
        reaches = text.split("✓ reaches  ")
        assert any(part.startswith("contosocrosssub") for part in reaches[1:])
        assert "✗ blocked  contosolocked" in text


async def test_every_demo_finding_is_in_the_findings_view_and_its_detail(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        findings: tuple[Finding, ...] = app.data.findings
        names = {r.key: r.name for r in app.data.inventory.registries}
        labels = {s.key: s.label for s in app.data.inventory.subnets}
        found: dict[str, set[str]] = {}
        for finding in findings:
            subject = (
                names[finding.registry_id.casefold()]
                if finding.registry_id
                else labels[finding.subnet_id.casefold()]
            )
            found.setdefault(subject, set()).add(finding.code)
        for subject, codes in {**DEMO_REGISTRIES_WITH_FINDINGS, **DEMO_SUBNET_FINDINGS}.items():
            assert codes <= found.get(subject, set()), subject
        assert not found.get("contosocrosssub")  # the healthy one stays quiet

        await pilot.press("f")
        assert isinstance(app.screen, FindingsScreen)
        table = app.screen.query_one(FindingsTable)
        assert len(table.row_keys) == len(findings)
        detail = app.screen.query_one("#finding-detail")
        shown_codes = set()
        for key in table.row_keys:
            # Each row's detail names its code (the table has no room for a code column).
            table.select_key(key)
            await pilot.pause()
            text = str(detail.render())
            shown_codes |= {f.code for f in findings if f"[{f.code}]" in text}
        assert shown_codes == {f.code for f in findings}
        # The filter matches codes too.
        await pilot.press("slash", *"bypass-off", "enter")
        assert len(table.row_keys) == sum(f.code == "bypass-off" for f in findings)
        assert "[bypass-off]" in str(detail.render())
        await pilot.press("slash", "escape")
        await pilot.press("escape")

        for name in DEMO_REGISTRIES_WITH_FINDINGS:
            text = await open_registry(pilot, name)
            registry_findings = [f for f in findings if names.get(
                (f.registry_id or "").casefold()) == name]  # fmt: skip
            assert f"Findings ({len(registry_findings)})" in text
            for finding in registry_findings:
                assert finding.title in text.replace("\n", " ") or finding.title in text
            await pilot.press("escape")


async def test_findings_filter_and_enter_opens_the_registry(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("f")
        table = app.screen.query_one(FindingsTable)
        await pilot.press("slash", *"not-found", "enter")
        assert len(table.row_keys) == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RegistryDetailScreen)
        assert app.screen.registry_id.endswith("contosodangling")


async def palette_jump(pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*query)

    # The palette searches in a worker; wait for the first hit to be the one we typed.
    def first_hit() -> str:
        for hits in pilot.app.screen.query("CommandList").results(OptionList):
            if hits.option_count:
                return str(hits.get_option_at_index(0).prompt)
        return ""

    await until(pilot, lambda: query.casefold() in first_hit().casefold(), f"a hit for {query}")
    await pilot.press("enter")
    await pilot.pause()


async def test_palette_jumps_to_a_registry_subnet_or_subscription_by_name(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await palette_jump(pilot, "contosoipr")
        assert isinstance(app.screen, RegistryDetailScreen)
        assert app.screen.registry_id.endswith("/contosoiprules")
        await palette_jump(pilot, "hub-agents")
        assert isinstance(app.screen, SubnetDetailScreen)
        assert app.screen.subnet_id.endswith("/hub-agents")
        # A subscription: back to the dashboard, narrowed to it.
        await palette_jump(pilot, "Contoso Platf")
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.subscription_id == SUB_PLATFORM
        assert "platformacr" in registry_names(app)


async def test_read_only_hides_and_refuses_change_actions(emulator, monkeypatch):
    opened: list[object] = []
    # setitem puts the real lockdown wizard back afterwards.
    monkeypatch.setitem(WIZARDS, "lockdown", lambda context: opened.append(context))
    messages: list[object] = []
    app = demo_app(emulator, read_only=True)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        assert "read-only" in app.sub_title
        # What the footer draws: check_action already left the change actions out (their keys
        # stay bound only to the hidden refusal that says why).
        shown = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
        assert "l" not in shown and "u" not in shown and "o" not in shown
        assert "p" in shown and "r" in shown
        await pilot.press("l")
        app.action_wizard("lockdown")  # the palette or a script can't get round it either
        await pilot.pause()
        assert opened == []
        assert any("Read-only mode" in n for n in notes(messages))
        await pilot.press("question_mark")
        assert any("(off: read-only mode)" in row[2] for row in app.screen.rows())


async def test_a_registered_wizard_opens_with_the_selected_registry(emulator, monkeypatch):
    contexts: list[object] = []

    def factory(context):
        contexts.append(context)
        return HelpScreen()

    monkeypatch.setitem(WIZARDS, "lockdown", factory)  # the real wizard comes back afterwards
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        table = app.screen.query_one(RegistryTable)
        basic = next(r for r in app.data.inventory.registries if r.name == "contosobasic")
        table.select_key(basic.key)
        await pilot.press("l")
        await pilot.pause()
        assert contexts and contexts[0].registry.name == "contosobasic"
        assert contexts[0].inventory is app.data.inventory


async def test_quick_probe_shows_the_verdict_from_this_machine(emulator):
    messages: list[object] = []
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        table = app.screen.query_one(RegistryTable)
        for name, verdict in (("contosolocked", "denied"), ("mycontainerregistry", "reachable")):
            registry = next(r for r in app.data.inventory.registries if r.name == name)
            table.select_key(registry.key)
            await pilot.press("P")
            await until(
                pilot,
                lambda name=name: any(n.startswith(f"Probe of {name}") for n in notes(messages)),
                f"the probe of {name}",
            )
            [note] = [n for n in notes(messages) if n.startswith(f"Probe of {name}")]
            assert note.startswith(f"Probe of {name}: {verdict}")
        locked = next(n for n in notes(messages) if n.startswith("Probe of contosolocked"))
        assert "403 DENIED" in locked and emulator.info["public_ip"] in locked


async def test_help_lists_every_binding_from_the_action_list(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows()
        for action in ACTIONS:
            assert any(row[2] == action.help for row in rows), action.name
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_bindings_carry_ids_so_keys_can_be_remapped(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        app.set_keymap({"acrfence.show_findings": "F"})
        await pilot.press("f")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("F")
        assert isinstance(app.screen, FindingsScreen)


async def test_narrow_terminal_shows_one_pane_at_a_time(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        assert screen.query_one("#pane-tabs").display
        await pilot.press("3")
        assert screen.query_one(SubnetTable).display
        assert not screen.query_one(RegistryTable).display
        assert app.focused is screen.query_one(SubnetTable)
        await pilot.press("1")
        assert screen.query_one(SubscriptionTable).display
        assert not screen.query_one(SubnetTable).display


async def test_q_quits(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_at_100_columns_every_registry_column_but_the_group_is_visible(emulator):
    app = demo_app(emulator)
    async with app.run_test(size=(100, 30)) as pilot:
        await inventory_loaded(pilot)
        table = app.screen.query_one(RegistryTable)
        visible = table.scrollable_content_region.width
        used = 0
        for key, width in table.column_render_widths():
            used += width
            if key == "group":
                break  # the resource group is last and may run past the edge
            assert used <= visible, f"column {key.value} is cut at 100 columns"


async def test_the_demo_greets_a_new_user_with_where_to_start(emulator) -> None:
    from acrfence.tui.launch import DEMO_WELCOME

    app = demo_app(emulator)
    app.services.welcome = DEMO_WELCOME
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        welcome = app.screen.query_one("#welcome")
        assert welcome.display and "mycontainerregistry" in str(welcome.render())
