"""Pilot tests of the dashboard against a hand-built tenant streamed through the app's
inventory source (constructor injection: the app is given its source; no SDK is involved).

The tenant has two readable subscriptions and one that fails, so the per-subscription error
path is exercised alongside navigation, filtering, the palette, help and read-only mode.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from services.models import (
    IpRule,
    NetworkRuleSet,
    Registry,
    ServiceEndpoint,
    Subnet,
    Subscription,
    SubscriptionFailure,
    VirtualNetwork,
    VirtualNetworkRule,
    registry_id,
    subnet_id,
)
from tui.actions import ACTIONS, WIZARDS, register_wizard
from tui.app import AcrFenceApp, AppServices
from tui.screens.dashboard import DashboardScreen
from tui.screens.findings import FindingsScreen
from tui.screens.help import HelpScreen
from tui.screens.registry_detail import RegistryDetailScreen
from tui.screens.subnet_detail import SubnetDetailScreen
from widgets.findings_table import FindingsTable
from widgets.registry_detail import RegistryDetail
from widgets.registry_table import RegistryTable
from widgets.subnet_detail import SubnetDetail
from widgets.subnet_table import SubnetTable
from widgets.subscription_table import ALL_SUBSCRIPTIONS, SubscriptionTable

PROD = "11111111-1111-1111-1111-111111111111"
DEV = "22222222-2222-2222-2222-222222222222"
DENIED = "33333333-3333-3333-3333-333333333333"
GROUP = "myResourceGroup"


@dataclass(frozen=True)
class SubscriptionsLoaded:
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True)
class RegistriesLoaded:
    subscription_id: str
    registries: tuple[Registry, ...]


@dataclass(frozen=True)
class VirtualNetworksLoaded:
    subscription_id: str
    virtual_networks: tuple[VirtualNetwork, ...]


@dataclass(frozen=True)
class LoadFailed:
    failure: SubscriptionFailure


def _subnet(subscription: str, vnet: str, name: str, prefix: str, *services: str) -> Subnet:
    return Subnet(
        subnet_id(subscription, GROUP, vnet, name),
        name,
        vnet,
        GROUP,
        subscription,
        (prefix,),
        tuple(ServiceEndpoint(service) for service in services),
    )


def _vnet(subscription: str, name: str, *subnets: Subnet) -> VirtualNetwork:
    vnet_id = subnet_id(subscription, GROUP, name, "x").rsplit("/subnets/", 1)[0]
    return VirtualNetwork(vnet_id, name, GROUP, subscription, "eastus", ("10.0.0.0/8",), subnets)


def _registry(subscription: str, name: str, sku: str = "Premium", **kwargs) -> Registry:
    return Registry(
        registry_id(subscription, GROUP, name),
        name,
        GROUP,
        subscription,
        "eastus",
        sku,
        f"{name}.azurecr.io",
        **kwargs,
    )


DOCKER_SUBNET = _subnet(
    PROD, "myDockerVMVNET", "myDockerVMSubnet", "10.0.0.0/24", "Microsoft.Storage"
)
AKS_SUBNET = _subnet(PROD, "aksVNET", "nodes", "10.1.0.0/24", "Microsoft.ContainerRegistry")
DEV_SUBNET = _subnet(DEV, "devVNET", "build", "10.2.0.0/24")


def tenant_events() -> list[object]:
    gone = subnet_id(PROD, GROUP, "oldVNET", "gone")
    return [
        SubscriptionsLoaded(
            (
                Subscription(PROD, "Contoso Prod"),
                Subscription(DEV, "Contoso Dev"),
                Subscription(DENIED, "Contoso Secret"),
            )
        ),
        RegistriesLoaded(
            PROD,
            (
                _registry(PROD, "mycontainerregistry"),
                _registry(
                    PROD,
                    "lockedregistry",
                    network_rule_set=NetworkRuleSet(
                        "Deny",
                        (IpRule("203.0.113.0/24"),),
                        (
                            VirtualNetworkRule(AKS_SUBNET.id),
                            VirtualNetworkRule(DOCKER_SUBNET.id),
                            VirtualNetworkRule(gone),
                        ),
                    ),
                ),
            ),
        ),
        VirtualNetworksLoaded(
            PROD, (_vnet(PROD, "myDockerVMVNET", DOCKER_SUBNET), _vnet(PROD, "aksVNET", AKS_SUBNET))
        ),
        RegistriesLoaded(DEV, (_registry(DEV, "devbasic", "Basic"),)),
        VirtualNetworksLoaded(DEV, (_vnet(DEV, "devVNET", DEV_SUBNET),)),
        LoadFailed(
            SubscriptionFailure(DENIED, "subscription", "AuthorizationFailed", "No access.")
        ),
    ]


class HandBuiltTenant:
    """An inventory source that streams a fixed tenant, optionally pausing after the first event."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate
        self.reads = 0

    async def stream(self):
        self.reads += 1
        events = tenant_events()
        yield events[0]
        if self.gate is not None:
            await self.gate.wait()
        for event in events[1:]:
            yield event


def make_app(read_only: bool = False, source: HandBuiltTenant | None = None) -> AcrFenceApp:
    services = AppServices(inventory=source or HandBuiltTenant(), description="hand-built tenant")
    return AcrFenceApp(services, read_only=read_only)


async def loaded(pilot) -> None:
    for _ in range(100):
        if not pilot.app.data.loading and pilot.app.data.inventory.registries:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def test_panes_fill_and_a_failed_subscription_is_reported_without_losing_the_rest():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        registries = app.screen.query_one(RegistryTable)
        assert sorted(registries.row_keys) == sorted(r.key for r in app.data.inventory.registries)
        assert len(registries.row_keys) == 3
        subscriptions = app.screen.query_one(SubscriptionTable)
        assert subscriptions.row_keys[0] == ALL_SUBSCRIPTIONS
        failures = str(app.screen.query_one("#failures").render())
        assert "Contoso Secret" in failures and "AuthorizationFailed" in failures
        state = subscriptions.get_cell(DENIED, "state")
        assert "AuthorizationFailed" in state.plain


async def test_first_paint_comes_before_the_inventory_is_done():
    gate = asyncio.Event()
    app = make_app(source=HandBuiltTenant(gate))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert app.data.loading
        subscriptions = app.screen.query_one(SubscriptionTable)
        assert len(subscriptions.row_keys) == 4  # "All" plus three, registries still to come
        assert "Reading the inventory" in str(app.screen.query_one("#load-line").render())
        gate.set()
        await loaded(pilot)
        assert "Inventory read" in str(app.screen.query_one("#load-line").render())


async def test_choosing_a_subscription_filters_registries_and_networks():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("1")
        subscriptions = app.screen.query_one(SubscriptionTable)
        subscriptions.select_key(DEV)
        await pilot.pause()
        names = [
            app.data.inventory.registry(k).name
            for k in app.screen.query_one(RegistryTable).row_keys
        ]
        assert names == ["devbasic"]
        assert app.screen.query_one(SubnetTable).row_keys == [DEV_SUBNET.key]
        subscriptions.select_key(ALL_SUBSCRIPTIONS)
        await pilot.pause()
        assert len(app.screen.query_one(RegistryTable).row_keys) == 3


async def test_slash_filters_the_focused_table_and_escape_clears_it():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("2", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"locked")
        table = app.screen.query_one(RegistryTable)
        assert [app.data.inventory.registry(k).name for k in table.row_keys] == ["lockedregistry"]
        await pilot.press("enter")
        assert app.focused is table and table.filter_text == "locked"
        await pilot.press("slash", "escape")
        assert len(table.row_keys) == 3 and table.filter_text == ""


async def test_refresh_keeps_the_cursor_on_its_row():
    source = HandBuiltTenant()
    app = make_app(source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("2", "down")
        table = app.screen.query_one(RegistryTable)
        before = table.selected_key
        await pilot.press("r")
        await pilot.pause(0.3)
        await loaded(pilot)
        assert source.reads == 2
        assert table.selected_key == before


async def test_registry_detail_shows_each_rule_beside_its_endpoint_status():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        app.screen.query_one(RegistryTable).select_key(
            registry_id(PROD, GROUP, "lockedregistry").casefold()
        )
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RegistryDetailScreen)
        text = str(app.screen.query_one(RegistryDetail).render())
        assert "aksVNET/nodes" in text and "✓ enabled" in text
        assert "myDockerVMVNET/myDockerVMSubnet" in text and "✗ missing" in text
        assert "oldVNET/gone" in text and "subnet not found" in text
        assert "203.0.113.0/24" in text
        assert "preview" in text
        assert "Deny by default" in text
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_subnet_detail_says_which_registries_it_reaches():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("3")
        app.screen.query_one(SubnetTable).select_key(AKS_SUBNET.key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SubnetDetailScreen)
        text = str(app.screen.query_one(SubnetDetail).render())
        assert "✓ reaches" in text and "lockedregistry" in text


async def test_findings_view_lists_findings_and_jumps_to_the_registry():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("f")
        assert isinstance(app.screen, FindingsScreen)
        table = app.screen.query_one(FindingsTable)
        assert len(table.row_keys) == len(app.data.findings) > 0
        codes = {f.code for f in app.data.findings}
        assert {"rule-subnet-missing-endpoint", "rule-subnet-not-found"} <= codes
        await pilot.press("slash", *"not-found", "enter")
        assert len(table.row_keys) == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RegistryDetailScreen)
        assert app.screen.registry_id.endswith("lockedregistry")


async def test_palette_jumps_to_a_registry_by_name():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"registry devbasic")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RegistryDetailScreen)
        assert app.screen.registry_id.endswith("devbasic")


async def test_help_lists_every_binding_from_the_action_list():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        shown = [table.get_row_at(index) for index in range(table.row_count)]
        for action in ACTIONS:
            assert [
                action.scope != "app" or row[0] == "Everywhere"
                for row in shown
                if row[2] == action.help
            ]
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_bindings_carry_ids_so_keys_can_be_remapped():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        app.set_keymap({"acrfence.show_findings": "F"})
        await pilot.press("f")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("F")
        assert isinstance(app.screen, FindingsScreen)


async def test_read_only_hides_and_refuses_change_actions():
    opened: list[object] = []
    register_wizard("lockdown", lambda context: opened.append(context))
    try:
        app = make_app(read_only=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            # What the footer draws: check_action already left the change actions out.
            shown = set(app.screen.active_bindings)
            assert "l" not in shown and "u" not in shown and "o" not in shown
            assert "p" in shown and "r" in shown
            await pilot.press("l")
            app.action_wizard("lockdown")  # the palette or a script can't get round it either
            await pilot.pause()
            assert opened == []
            assert "Read-only" in " ".join(str(n.message) for n in app._notifications)
    finally:
        WIZARDS.pop("lockdown", None)


async def test_a_registered_wizard_opens_with_the_selected_registry():
    contexts: list[object] = []

    def factory(context):
        contexts.append(context)
        return HelpScreen()

    register_wizard("lockdown", factory)
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await pilot.press("2")
            table = app.screen.query_one(RegistryTable)
            table.select_key(registry_id(DEV, GROUP, "devbasic").casefold())
            await pilot.press("l")
            await pilot.pause()
            assert contexts and contexts[0].registry.name == "devbasic"
    finally:
        WIZARDS.pop("lockdown", None)


async def test_narrow_terminal_shows_one_pane_at_a_time():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        assert screen.query_one("#pane-tabs").display
        await pilot.press("3")
        assert screen.query_one(SubnetTable).display
        assert not screen.query_one(RegistryTable).display
        assert app.focused is screen.query_one(SubnetTable)


async def test_q_quits():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
