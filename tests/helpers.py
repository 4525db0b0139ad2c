"""Helpers the tests share (no tests here), in one module instead of test files importing
each other: clients and credentials for the emulator, the demo tenant's IDs, the command line
run in-process, views of the emulator's state, hand-built inventories for the pure analysis
tests, and Pilot waits that wait on a condition (never a fixed pause).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.containerregistry.aio import ContainerRegistryManagementClient
from azure.mgmt.network.aio import NetworkManagementClient
from textual import events
from textual.app import App, ComposeResult
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Static

from acrfence.emulator.runner import EmulatorHandle
from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION
from acrfence.services.azure import StaticTokenCredential  # the app's own: one fixed token
from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    DnsConfig,
    Inventory,
    IpRule,
    NetworkRuleSet,
    PrivateEndpoint,
    PrivateEndpointConnection,
    PrivateLinkConnection,
    Registry,
    ServiceEndpoint,
    Subnet,
    Subscription,
    VirtualNetwork,
    VirtualNetworkRule,
    ZoneGroup,
    registry_id,
    subnet_id,
)
from acrfence.tui.actions import WizardContext
from acrfence.tui.app import AcrFenceApp
from acrfence.tui.launch import build_services
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from acrfence.tui.screens.registry_detail import RegistryDetailScreen
from acrfence.widgets.palette import install_palette
from acrfence.widgets.registry_detail import RegistryDetail
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_detail import SubnetDetail
from acrfence.widgets.subnet_table import SubnetTable

# ---- talking to the emulator with the real clients -------------------------------------------


def sdk_kwargs(handle: EmulatorHandle) -> dict:
    """Keyword arguments that point any azure-mgmt `.aio` client at the emulator."""
    return {
        "base_url": handle.arm_endpoint,
        "connection_verify": handle.ca_cert,
        "credential_scopes": [f"{handle.arm_endpoint}/.default"],
        "polling_interval": 0.02,
        "retry_backoff_factor": 0.01,
    }


class _ConnectTo(httpcore.AsyncNetworkBackend):
    """Connect every host name to the emulator's data-plane port (curl's --connect-to)."""

    def __init__(self, host: str, port: int) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._host = host
        self._port = port

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return await self._inner.connect_tcp(
            self._host, self._port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise OSError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class ConnectToTransport(httpx.AsyncBaseTransport):
    """An httpx transport that keeps the URL's host (Host header and SNI) but connects to the
    emulator from a given source address (the vantage)."""

    def __init__(
        self, handle: EmulatorHandle, local_address: str, address: str | None = None
    ) -> None:
        host, port = handle.registry_endpoint.rsplit(":", 1)
        host = address or host  # a private endpoint's loopback address: its path in
        context = ssl.create_default_context(cafile=handle.ca_cert)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            local_address=local_address,
            network_backend=_ConnectTo(host, int(port)),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)
        content = await response.aread()
        await response.aclose()
        return httpx.Response(
            status_code=response.status, headers=response.headers, content=content,
            extensions=response.extensions,
        )  # fmt: skip

    async def aclose(self) -> None:
        await self._pool.aclose()


def dataplane_client(
    handle: EmulatorHandle, vantage: str = "internet", address: str | None = None
) -> httpx.AsyncClient:
    """An httpx client whose requests to *.azurecr.io reach the emulator from `vantage`
    ("internet" or a subnet resource ID); at `address` (a private endpoint's loopback
    address) instead of the public listener when given."""
    transport = ConnectToTransport(handle, handle.vantage(vantage), address)
    return httpx.AsyncClient(transport=transport)


PREVIEW = "2021-08-01-preview"
RG = "myResourceGroup"
SUBNET_ID = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/{RG}/providers/Microsoft.Network"
    "/virtualNetworks/myDockerVMVNET/subnets/myDockerVMSubnet"
)


def acr(handle, subscription=SUB_PRODUCTION, **kwargs) -> ContainerRegistryManagementClient:
    return ContainerRegistryManagementClient(
        StaticTokenCredential(handle.token), subscription, **sdk_kwargs(handle), **kwargs
    )


def network(handle, subscription=SUB_PRODUCTION) -> NetworkManagementClient:
    return NetworkManagementClient(
        StaticTokenCredential(handle.token), subscription, **sdk_kwargs(handle)
    )


async def patch_error(handle, registry: str, rule_set: dict, rg: str = RG, **props) -> tuple:
    before = handle.state.get_registry(
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/{rg}/providers/"
        f"Microsoft.ContainerRegistry/registries/{registry}"
    )
    body = {"properties": {"networkRuleSet": rule_set, **props}}
    async with acr(handle, api_version=PREVIEW) as client:
        with pytest.raises(HttpResponseError) as failure:
            await (await client.registries.begin_update(rg, registry, body)).result()
    after = handle.state.get_registry(before["id"])
    return failure.value, before, after


async def lock_down(handle) -> None:
    """The walk-through: endpoint on the subnet, a rule for it, default action Deny."""
    async with network(handle) as client:
        subnet = await client.subnets.get(RG, "myDockerVMVNET", "myDockerVMSubnet")
        subnet.service_endpoints = [{"service": "Microsoft.ContainerRegistry"}]
        poller = await client.subnets.begin_create_or_update(
            RG, "myDockerVMVNET", "myDockerVMSubnet", subnet
        )
        await poller.result()
    await set_network_rules(handle, "Deny")


async def set_network_rules(handle, default_action: str) -> None:
    """mycontainerregistry's rules: one virtual network rule (myDockerVMSubnet), no IP
    rules, and ``default_action``."""
    body = {
        "properties": {
            "networkRuleSet": {
                "defaultAction": default_action,
                "virtualNetworkRules": [{"virtualNetworkSubnetResourceId": SUBNET_ID}],
                "ipRules": [],
            }
        }
    }
    async with acr(handle, api_version=PREVIEW) as client:
        await (await client.registries.begin_update(RG, "mycontainerregistry", body)).result()


async def rule_under_default_allow(handle) -> None:
    """mycontainerregistry (Premium) with a virtual network rule that does nothing: default
    Allow, no IP rules. The fleet pass over Resource Graph does not read its rules."""
    await set_network_rules(handle, "Allow")


# ---- the demo tenant's IDs, the command line, the emulator's state ----------------------------

# The repository's top directory (the CLI runs from there in a child process).
ROOT = Path(__file__).resolve().parent.parent
ACR = "Microsoft.ContainerRegistry"

DOCKER_SUBNET = subnet_id(SUB_PRODUCTION, "myResourceGroup", "myDockerVMVNET", "myDockerVMSubnet")
WORKERS = subnet_id(SUB_PRODUCTION, "app-rg", "app-vnet", "workers")
AKS = subnet_id(SUB_PRODUCTION, "app-rg", "app-vnet", "aks-nodes")
HUB_SPARE = subnet_id(SUB_NETWORKING, "network-rg", "hub-vnet", "hub-spare")
PLATFORM_CI = subnet_id(SUB_PLATFORM, "platform-rg", "platform-vnet", "ci")
MYREGISTRY = registry_id(SUB_PRODUCTION, "myResourceGroup", "mycontainerregistry")
CROSSSUB = registry_id(SUB_PRODUCTION, "app-rg", "contosocrosssub")


def acrfence(handle, *args: str) -> subprocess.CompletedProcess[str]:
    """`acrfence ARGS` as a child process on ``handle``'s tenant (no ACRFENCE_ settings leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACRFENCE_")}
    env.update(handle.env)
    return subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def cli_env(handle, state_dir: Path) -> dict[str, str]:
    return {**handle.env, "XDG_STATE_HOME": str(state_dir)}


def run_cli(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *argv: str) -> int:
    """`acrfence ARGV` in this process, with ``env`` as its environment additions."""
    from acrfence.tui.cli import main

    with monkeypatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("ACRFENCE_TEST_CRASH_AT", raising=False)
        return main(list(argv))


def registry_view(handle, registry_id: str) -> dict:
    raw = copy.deepcopy(handle.state.get_registry(registry_id))
    props = raw["properties"]
    rules = props.get("networkRuleSet") or {}
    return {
        "default_action": rules.get("defaultAction"),
        "vnet_rules": sorted(
            (r.get("virtualNetworkSubnetResourceId") or r.get("id")).lower()
            for r in rules.get("virtualNetworkRules") or ()
        ),
        "ip_rules": sorted(r["value"] for r in rules.get("ipRules") or ()),
        "public": props.get("publicNetworkAccess"),
        "bypass": props.get("networkRuleBypassOptions"),
    }


def subnet_view(handle, subnet_id: str) -> dict:
    raw = copy.deepcopy(handle.state.get_subnet(subnet_id))
    props = raw["properties"]
    return {
        "endpoints": sorted(e["service"] for e in props.get("serviceEndpoints") or ()),
        "delegations": sorted(
            (d.get("properties") or {}).get("serviceName", d.get("name"))
            for d in props.get("delegations") or ()
        ),
        "nsg": (props.get("networkSecurityGroup") or {}).get("id"),
        "route_table": (props.get("routeTable") or {}).get("id"),
    }


def journal_runs(state_dir: Path) -> list[dict]:
    directory = state_dir / "acrfence"
    if not directory.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


# ---- hand-built inventories for the pure analysis tests -----------------------------------

SUB = "11111111-1111-1111-1111-111111111111"
OTHER_SUB = "22222222-2222-2222-2222-222222222222"  # never in the inventory: unreadable
RG = "myResourceGroup"


def make_subnet(
    vnet: str = "myDockerVMVNET",
    name: str = "myDockerVMSubnet",
    *,
    acr: bool = True,
    others: tuple[str, ...] = (),
    private_endpoints: tuple[str, ...] = (),
    subscription: str = SUB,
) -> Subnet:
    services = ((ACR_SERVICE_ENDPOINT,) if acr else ()) + others
    return Subnet(
        id=subnet_id(subscription, RG, vnet, name),
        name=name,
        virtual_network_name=vnet,
        resource_group=RG,
        subscription_id=subscription,
        address_prefixes=("10.0.0.0/24",),
        service_endpoints=tuple(ServiceEndpoint(s) for s in services),
        private_endpoint_ids=private_endpoints,
    )


def make_registry(
    name: str = "mycontainerregistry",
    *,
    sku: str = "Premium",
    default_action: str = "Deny",
    subnets: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    public: str = "Enabled",
    bypass: str = "AzureServices",
    connections: tuple[PrivateEndpointConnection, ...] = (),
    tasks: bool = True,  # Tasks bypass on: tasks-bypass-disabled stays out of the other cases
) -> Registry:
    return Registry(
        id=registry_id(SUB, RG, name),
        name=name,
        resource_group=RG,
        subscription_id=SUB,
        location="westus",
        sku=sku,
        login_server=f"{name}.azurecr.io",
        public_network_access=public,
        network_rule_bypass_options=bypass,
        network_rule_set=NetworkRuleSet(
            default_action,
            tuple(IpRule(v) for v in ips),
            tuple(VirtualNetworkRule(s) for s in subnets),
        ),
        private_endpoint_connections=connections,
        network_rule_bypass_allowed_for_tasks=tasks,
    )


def make_connection(name: str, endpoint_id: str | None, status: str = "Approved"):
    return PrivateEndpointConnection(
        id=f"/x/privateEndpointConnections/{name}",
        name=name,
        private_endpoint_id=endpoint_id,
        status=status,
    )


def private_endpoint_id(name: str) -> str:
    return (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/"
        f"privateEndpoints/{name}"
    )


def make_private_endpoint(
    name: str,
    subnet: Subnet,
    registry: Registry,
    *,
    zone_ids: tuple[str, ...] | None = (),
    addresses: tuple[tuple[str, str], ...] = (),
) -> PrivateEndpoint:
    """A private endpoint model to ``registry`` in ``subnet``; ``zone_ids`` its zone group's
    zones (None: zone groups not read); ``addresses`` (fqdn, ip) pairs."""
    groups = None
    if zone_ids is not None:
        groups = (
            (ZoneGroup(f"{private_endpoint_id(name)}/g", "default", zone_ids),) if zone_ids else ()
        )
    return PrivateEndpoint(
        id=private_endpoint_id(name),
        name=name,
        resource_group=RG,
        subscription_id=SUB,
        location="westus",
        subnet_id=subnet.id,
        dns_configs=tuple(DnsConfig(fqdn, (ip,)) for fqdn, ip in addresses),
        connections=(
            PrivateLinkConnection(f"{name}-conn", registry.id, ("registry",), "Approved"),
        ),
        zone_groups=groups,
    )


def make_inventory(
    registries=(), subnets=(), private_endpoints=(), private_dns_zones=()
) -> Inventory:
    by_vnet: dict[str, list[Subnet]] = {}
    for subnet in subnets:
        by_vnet.setdefault(subnet.virtual_network_id, []).append(subnet)
    vnets = tuple(
        VirtualNetwork(
            id=vnet_id,
            name=members[0].virtual_network_name,
            resource_group=RG,
            subscription_id=members[0].subscription_id,
            location="westus",
            subnets=tuple(members),
        )
        for vnet_id, members in by_vnet.items()
    )
    return Inventory(
        subscriptions=(Subscription(SUB, "Main"),),
        registries=tuple(registries),
        virtual_networks=vnets,
        private_endpoints=tuple(private_endpoints),
        private_dns_zones=tuple(private_dns_zones),
        private_link_read=(SUB.casefold(),),
    )


# ---- Pilot: waiting on conditions -----------------------------------------------------------

# How often a wait looks at its condition again; the app's workers and messages run meanwhile.
POLL_SECONDS = 0.02


async def until(
    pilot: Pilot[Any], condition: Callable[[], object], what: str = "", timeout: float = 20.0
) -> None:
    """Wait until ``condition()`` is true, letting the app's workers and messages run; the one
    wait the Pilot tests use (a condition, never a fixed pause)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or 'the condition'}")
        await pilot.pause(POLL_SECONDS)
    await pilot.pause()  # and let the screens redraw from it


def keys_at_once(app: App[Any], text: str) -> None:
    """Post ``text`` as key presses with no pause between them, as a paste into a terminal
    without bracketed paste or tmux's ``send-keys '/' 'contoso'`` arrive: all queued before
    the app has handled the first (``pilot.press`` waits for the app after every key)."""
    names = {"/": "slash", ":": "colon", "-": "minus", ".": "full_stop", "\r": "enter"}
    for char in text:
        app.post_message(events.Key(names.get(char, char), char))


async def inventory_loaded(pilot: Pilot[Any]) -> None:
    """Wait until the app's inventory is read (or its read failed) and its findings, worked
    out on a thread, have caught up."""
    data = lambda: pilot.app.data  # noqa: E731
    await until(
        pilot,
        lambda: (
            not data().loading
            and (data().inventory.subscriptions or data().error)
            and not data().findings_pending
            and not getattr(pilot.app.screen, "rows_pending", False)
        ),
        "the inventory, its findings and the panes' rows",
    )


def notes(messages: list[object]) -> list[str]:
    """ "Title: message" of each notification among the messages a ``message_hook`` kept."""
    return [
        f"{m.notification.title}: {m.notification.message}"
        for m in messages
        if isinstance(m, Notify)
    ]


def static_text(screen: Any, selector: str) -> str:
    widget = screen.query_one(selector, Static)
    # The plan is laid out in a Rich group; its widget keeps the text as ``plain``.
    return getattr(widget, "plain", None) or str(widget.render())


# ---- the app on the demo tenant --------------------------------------------------------------


def demo_app(handle: EmulatorHandle, *, read_only: bool = False, **env: str) -> AcrFenceApp:
    services = build_services({**handle.env, **env}, "demo tenant (test)")
    services.public_ip = handle.info["public_ip"]
    # A stopped clock: the status line's "read just now" never depends on how slow the run is.
    return AcrFenceApp(services, read_only=read_only, clock=lambda: 0.0)


def registry_names(app: AcrFenceApp) -> list[str]:
    """The registries pane's names, in the order it shows them."""
    table = app.screen.query_one(RegistryTable)
    return [app.data.inventory.registry(key).name for key in table.row_keys]


def wizard_app(
    handle: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_only: bool = False
) -> AcrFenceApp:
    """The app with the demo's vantages and public IP, journaling under ``tmp_path``."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    services = build_services(handle.env, "emulator")
    services.vantages = handle.info["vantages"]
    services.public_ip = handle.info["public_ip"]
    return AcrFenceApp(services, read_only=read_only)


async def open_lockdown_of_myregistry(
    app: AcrFenceApp, pilot: Pilot[Any], subnet_id: str | None = None
) -> LockdownWizardScreen:
    """The lockdown wizard on mycontainerregistry on top of the app; ``subnet_id`` is the
    subnet the user came from (the wizard's suggestion), None for nothing chosen yet."""
    inventory = app.data.inventory
    subnet = inventory.subnet(subnet_id) if subnet_id else None
    screen = LockdownWizardScreen(
        WizardContext(app, inventory, inventory.registry(MYREGISTRY), subnet, False)
    )
    app.push_screen(screen)
    await pilot.pause()
    return screen


def detail_text(app: AcrFenceApp) -> str:
    widget = RegistryDetail if isinstance(app.screen, RegistryDetailScreen) else SubnetDetail
    return app.screen.query_one(widget).plain


async def open_registry(pilot: Pilot[Any], name: str) -> str:
    """Open ``name``'s detail from the registries pane; its text."""
    app = pilot.app
    await pilot.press("2")
    registry = next(r for r in app.data.inventory.registries if r.name == name)
    assert app.screen.query_one(RegistryTable).select_key(registry.key)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, RegistryDetailScreen)
    return detail_text(app)


# ---- private link (issue 12): situations built with Microsoft's SDKs -----------------------

PRIVATE_LINK_ZONE = "privatelink.azurecr.io"


def emulated_subnet_id(handle: EmulatorHandle, vnet: str, subnet: str) -> str:
    with handle.state.lock:
        return next(
            s["id"]
            for s in handle.state.subnets.values()
            if s["name"] == subnet and f"/virtualNetworks/{vnet}/" in s["id"]
        )


def emulated_vnet_id(handle: EmulatorHandle, vnet: str) -> str:
    with handle.state.lock:
        return next(v["id"] for v in handle.state.vnets.values() if v["name"] == vnet)


async def build_private_link(
    handle: EmulatorHandle,
    *,
    registry: str = "mycontainerregistry",
    subnet: tuple[str, str] = ("app-vnet", "private-endpoints"),
    endpoint: str = "myacr-pe",
    group: str = "app-rg",
    replicate_to: tuple[str, ...] = ("eastus",),
    link_vnets: tuple[str, ...] = ("app-vnet",),
    zone_group: bool = True,
    subscription: str = SUB_PRODUCTION,
) -> dict[str, str]:
    """A private endpoint to ``registry`` as an operator makes it with the SDKs: the registry
    replicated to ``replicate_to``, a privatelink.azurecr.io zone in ``group`` (reused when
    there) linked to ``link_vnets``, the endpoint in ``subnet`` and, when asked, its zone group
    (which writes the A records). Returns the IDs made."""
    from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

    from acrfence.emulator.arm.replications import add_replication

    with handle.state.lock:
        target = next(r for r in handle.state.registries.values() if r["name"] == registry)
    for region in replicate_to:
        add_replication(handle.state, target["id"], region)
    subnet_id = emulated_subnet_id(handle, *subnet)
    credential = StaticTokenCredential(handle.token)
    kwargs = sdk_kwargs(handle)
    network_client = NetworkManagementClient(credential, subscription, **kwargs)
    dns = PrivateDnsManagementClient(credential, subscription, **kwargs)
    async with network_client, dns:
        zone = await (
            await dns.private_zones.begin_create_or_update(
                group, PRIVATE_LINK_ZONE, {"location": "global"}
            )
        ).result()
        for vnet in link_vnets:
            await (
                await dns.virtual_network_links.begin_create_or_update(
                    group, PRIVATE_LINK_ZONE, f"{vnet}-link",
                    {"location": "global", "properties": {
                        "virtualNetwork": {"id": emulated_vnet_id(handle, vnet)},
                        "registrationEnabled": False}},
                )
            ).result()  # fmt: skip
        connection = {
            "name": f"{endpoint}-conn",
            "properties": {"privateLinkServiceId": target["id"], "groupIds": ["registry"]},
        }
        made = await (
            await network_client.private_endpoints.begin_create_or_update(
                group, endpoint,
                {"location": "westus", "properties": {
                    "subnet": {"id": subnet_id}, "privateLinkServiceConnections": [connection]}},
            )
        ).result()  # fmt: skip
        if zone_group:
            await (
                await network_client.private_dns_zone_groups.begin_create_or_update(
                    group, endpoint, "default",
                    {"properties": {"privateDnsZoneConfigs": [
                        {"name": "acr", "properties": {"privateDnsZoneId": zone.id}}]}},
                )
            ).result()  # fmt: skip
    return {
        "registry": target["id"],
        "endpoint": made.id,
        "zone": zone.id,
        "subnet": subnet_id,
        "vnet": subnet_id.rsplit("/subnets/", 1)[0],
    }


async def delete_a_record(handle: EmulatorHandle, zone_id: str, name: str) -> None:
    """Take one A record out of a private DNS zone, as an operator's slip would."""
    from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

    parts = zone_id.split("/")
    credential = StaticTokenCredential(handle.token)
    async with PrivateDnsManagementClient(credential, parts[2], **sdk_kwargs(handle)) as dns:
        await dns.record_sets.delete(parts[4], parts[-1], "A", name)


async def private_link_for(
    handle: EmulatorHandle,
    registry: str = "mycontainerregistry",
    endpoint_group: str = "app-rg",
    endpoint_subnet: str = "private-endpoints",
    link_vnets: tuple[str, ...] = ("app-vnet",),
) -> dict[str, str]:
    """A private endpoint for `registry` in app-vnet's `endpoint_subnet`, a
    privatelink.azurecr.io zone (in `endpoint_group`) linked to `link_vnets` (app-vnet's
    subscription), and a zone group writing the A records; all through Microsoft's SDKs.
    Returns {fqdn: private IP}."""
    from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

    credential = StaticTokenCredential(handle.token)
    with handle.state.lock:
        target = next(r for r in handle.state.registries.values() if r["name"] == registry)
        subnet_id = next(
            s["id"]
            for s in handle.state.subnets.values()
            if s["name"] == endpoint_subnet and "/virtualNetworks/app-vnet/" in s["id"]
        )
        vnet_ids = [v["id"] for v in handle.state.vnets.values() if v["name"] in link_vnets]
    dns = PrivateDnsManagementClient(credential, SUB_PRODUCTION, **sdk_kwargs(handle))
    async with network(handle) as net, dns:
        zone = await (
            await dns.private_zones.begin_create_or_update(
                endpoint_group, PRIVATE_LINK_ZONE, {"location": "global"}
            )
        ).result()
        for vnet_id in vnet_ids:
            await (
                await dns.virtual_network_links.begin_create_or_update(
                    endpoint_group, PRIVATE_LINK_ZONE, vnet_id.rsplit("/", 1)[1] + "-link",
                    {"location": "global", "properties": {
                        "virtualNetwork": {"id": vnet_id}, "registrationEnabled": False}},
                )
            ).result()  # fmt: skip
        name = f"{registry}-pe"
        connection = {
            "name": "conn",
            "properties": {"privateLinkServiceId": target["id"], "groupIds": ["registry"]},
        }
        endpoint = await (
            await net.private_endpoints.begin_create_or_update(
                endpoint_group, name,
                {"location": "westus", "properties": {"subnet": {"id": subnet_id},
                 "privateLinkServiceConnections": [connection]}},
            )
        ).result()  # fmt: skip
        await (
            await net.private_dns_zone_groups.begin_create_or_update(
                endpoint_group, name, "default",
                {"properties": {"privateDnsZoneConfigs": [
                    {"name": "acr", "properties": {"privateDnsZoneId": zone.id}}]}},
            )
        ).result()  # fmt: skip
    return {c.fqdn: c.ip_addresses[0] for c in endpoint.custom_dns_configs}


# ---- the migration to a private endpoint (acrfence migrate) ----------------------------------

PE_SUBNET = subnet_id(SUB_PRODUCTION, "app-rg", "app-vnet", "private-endpoints")
DOCKER_VNET = DOCKER_SUBNET.rsplit("/subnets/", 1)[0]


def world(handle) -> dict:
    """Everything a migration touches, as comparable plain data."""
    state = handle.state
    with state.lock:
        registry = copy.deepcopy(state.registries[MYREGISTRY.lower()])
        endpoints = {
            key: (e["subnetId"].lower(), sorted(e.get("zoneGroups") or {}))
            for key, e in state.private_endpoints.items()
        }
        zones = {
            key: {"links": sorted(z["links"]), "records": sorted(z["records"])}
            for key, z in state.private_dns_zones.items()
        }
        subnets = {
            key: sorted(e["id"].lower() for e in s["properties"].get("privateEndpoints") or ())
            for key, s in state.subnets.items()
        }
    props = registry["properties"]
    return {
        "registry": registry_view(handle, MYREGISTRY),
        "connections": sorted(
            c["properties"]["privateEndpoint"]["id"].lower()
            for c in props.get("privateEndpointConnections") or ()
        ),
        "data_endpoint_enabled": bool(props.get("dataEndpointEnabled")),
        "endpoints": endpoints,
        "zones": zones,
        "subnet_endpoints": subnets,
        "docker_subnet": subnet_view(handle, DOCKER_SUBNET),
    }


def zone_of(handle, group: str = "myresourcegroup") -> dict:
    with handle.state.lock:
        return copy.deepcopy(
            next(
                z
                for k, z in handle.state.private_dns_zones.items()
                if f"/resourcegroups/{group}/" in k and k.endswith(PRIVATE_LINK_ZONE)
            )
        )


def our_endpoint(handle) -> dict:
    with handle.state.lock:
        return copy.deepcopy(
            next(
                e
                for k, e in handle.state.private_endpoints.items()
                if "mycontainerregistry-pe" in k
            )
        )


def assert_migrated(handle, *, regions: tuple[str, ...] = ("westus",)) -> None:
    """Rules gone, the private endpoint serving: approved, every name's A record = its IP,
    the zone linked to the network that pulled through the rule."""
    view = registry_view(handle, MYREGISTRY)
    assert view["vnet_rules"] == []
    endpoint = our_endpoint(handle)
    assert endpoint["properties"]["provisioningState"] == "Succeeded"
    link = endpoint["properties"]["privateLinkServiceConnections"][0]["properties"]
    assert link["privateLinkServiceConnectionState"]["status"] == "Approved"
    zone = zone_of(handle)
    names = {c["fqdn"]: c["ipAddresses"] for c in endpoint["properties"]["customDnsConfigs"]}
    expected = {"mycontainerregistry.azurecr.io"} | {
        f"mycontainerregistry.{r}.data.azurecr.io" for r in regions
    }
    assert set(names) == expected
    for fqdn, ips in names.items():
        relative = fqdn.removesuffix(".azurecr.io")
        record = zone["records"][f"a/{relative}"]
        assert [a["ipv4Address"] for a in record["properties"]["aRecords"]] == ips
    linked = [link["properties"]["virtualNetwork"]["id"].lower() for link in zone["links"].values()]
    assert DOCKER_VNET.lower() in linked


def with_vantages(handle, env: dict[str, str]) -> dict[str, str]:
    """This machine may stand in every subnet (the emulator's vantages), as --demo sets."""
    vantages = {k: v for k, v in handle.info["vantages"].items() if k.startswith("/")}
    return {**env, "ACRFENCE_VANTAGES": json.dumps(vantages)}


# ---- the migration: every boundary, faults, scenarios, property (the whole tenant compared) -----

# The fullest migration: every step kind (zone, link, endpoint, both verifications, rules,
# the subnet's endpoint, public access) is in its plan.
FULL_MIGRATION = {"disable_public_access": True, "remove_service_endpoints": True}
# Seconds between LRO polls for tests' own sessions (the CLI polls every second).
FAST_POLL_S = 0.02


def fast_session(handle: EmulatorHandle, journal_dir: Path) -> Any:
    """A PlanSession on ``handle`` that polls long-running operations every 20 ms, journaling
    in ``journal_dir`` (close it, or use ``async with``)."""
    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.session import PlanSession

    target = Target.from_env(handle.env)
    clients = AzureClients(target, polling_interval=FAST_POLL_S)
    session = PlanSession(clients, target, Journal(journal_dir), owns_clients=True)
    session.settle_seconds = 20.0
    return session


async def migration_plan_of(session: Any, **request: Any) -> Any:
    """mycontainerregistry's migration to PE_SUBNET as ``session`` plans it from a fresh read."""
    from acrfence.services.plans.migrate import MigrateRequest

    registry = await session.resolve_registry("mycontainerregistry")
    return await session.migration_plan(MigrateRequest(registry.id, PE_SUBNET, **request), registry)


# The migration run in a child process (so the crash hook's SIGKILL takes only it) with the
# tests' fast polling, importing no more than the command would; argv[1] is JSON. Exit 0 done,
# 1 failed.
MIGRATION_CHILD = """
import asyncio, json, sys
from pathlib import Path
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.plans.journal import Journal
from acrfence.services.plans.migrate import MigrateRequest
from acrfence.services.plans.session import PlanSession

async def main(args):
    target = Target.from_env()
    clients = AzureClients(target, polling_interval=args["poll"])
    journal = Journal(Path(args["journal"]))
    async with PlanSession(clients, target, journal, owns_clients=True) as session:
        session.settle_seconds = 20.0
        registry = await session.resolve_registry("mycontainerregistry")
        request = MigrateRequest(registry.id, args["pe_subnet"], **args["request"])
        run = await session.execute(await session.migration_plan(request, registry))
    return 0 if run.state.value == "done" else 1

sys.exit(asyncio.run(main(json.loads(sys.argv[1]))))
"""


def run_migration_child(
    handle: EmulatorHandle, journal_dir: Path, crash_at: str | None = None, **request: Any
) -> subprocess.CompletedProcess[str]:
    """The migration in a child process on ``handle``'s tenant; ``crash_at`` arms
    ACRFENCE_TEST_CRASH_AT (services.plans.executor)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACRFENCE_")}
    env.update(handle.env)
    if crash_at:
        env["ACRFENCE_TEST_CRASH_AT"] = crash_at
    args = json.dumps(
        {
            "journal": str(journal_dir),
            "pe_subnet": PE_SUBNET,
            "poll": FAST_POLL_S,
            "request": request,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", MIGRATION_CHILD, args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _lower_sorted(values: Any) -> list[str]:
    return sorted(str(v).lower() for v in values or ())


def _registry_view(raw: dict) -> dict:
    props = raw["properties"]
    rules = props.get("networkRuleSet") or {}
    view = {
        "default_action": rules.get("defaultAction"),
        "vnet_rules": _lower_sorted(
            r.get("virtualNetworkSubnetResourceId") or r.get("id")
            for r in rules.get("virtualNetworkRules") or ()
        ),
        "ip_rules": sorted(r["value"] for r in rules.get("ipRules") or ()),
        "public": props.get("publicNetworkAccess"),
        "bypass": props.get("networkRuleBypassOptions"),
        "tasks_bypass": props.get("networkRuleBypassAllowedForTasks"),
        # (endpoint, status): the connection's own name carries a GUID ARM makes up.
        "connections": sorted(
            (
                c["properties"]["privateEndpoint"]["id"].lower(),
                c["properties"]["privateLinkServiceConnectionState"]["status"],
            )
            for c in props.get("privateEndpointConnections") or ()
        ),
    }
    # A private endpoint turns dedicated data endpoints on; an exact rollback turns them off.
    view["data_endpoint_enabled"] = bool(props.get("dataEndpointEnabled"))
    return view


def _endpoint_view(raw: dict) -> dict:
    props = raw.get("properties") or {}
    connections = [
        (c.get("properties") or {})
        for kind in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
        for c in props.get(kind) or ()
    ]
    return {
        "subnet": raw.get("subnetId", "").lower(),
        "state": props.get("provisioningState", "Succeeded"),
        "targets": _lower_sorted(c.get("privateLinkServiceId") for c in connections),
        "addresses": sorted(
            (c["fqdn"].lower(), tuple(c.get("ipAddresses") or ()))
            for c in props.get("customDnsConfigs") or ()
        ),
        "zone_groups": sorted(
            (
                name,
                tuple(
                    _lower_sorted(
                        z["properties"]["privateDnsZoneId"]
                        for z in group["properties"].get("privateDnsZoneConfigs") or ()
                    )
                ),
            )
            for name, group in (raw.get("zoneGroups") or {}).items()
        ),  # fmt: skip
    }


def _zone_view(zone: dict) -> dict:
    def record(raw: dict) -> dict:
        props = {k: v for k, v in raw["properties"].items() if k not in ("fqdn", "etag")}
        return copy.deepcopy(props)

    return {
        "links": {
            name.lower(): (
                link["properties"]["virtualNetwork"]["id"].lower(),
                link["properties"].get("registrationEnabled"),
            )
            for name, link in zone["links"].items()
        },
        "records": {key.lower(): record(raw) for key, raw in zone["records"].items()},
        "tags": copy.deepcopy(zone.get("tags") or {}),
    }


def migration_view(handle: EmulatorHandle) -> dict:
    """Everything a migration may touch, across the whole tenant, as the emulator holds it:
    every registry's network settings and private endpoint connections, every subnet's service
    endpoints and private endpoints, every private endpoint, every private DNS zone with its
    links and record sets. Without what ARM makes anew on each write (etags, timestamps, the
    GUIDs in generated names), so two runs that end alike compare equal."""
    tenant = handle.state
    with tenant.lock:
        return {
            "registries": {key: _registry_view(raw) for key, raw in tenant.registries.items()},
            "subnets": {
                key: {
                    "endpoints": sorted(
                        e["service"] for e in raw["properties"].get("serviceEndpoints") or ()
                    ),
                    "private_endpoints": _lower_sorted(
                        e["id"] for e in raw["properties"].get("privateEndpoints") or ()
                    ),
                }
                for key, raw in tenant.subnets.items()
            },
            "private_endpoints": {
                key: _endpoint_view(raw) for key, raw in tenant.private_endpoints.items()
            },
            "zones": {key: _zone_view(zone) for key, zone in tenant.private_dns_zones.items()},
        }


# mycontainerregistry's zone as the migration makes it (in the registry's resource group),
# keyed as migration_view keys zones.
MIGRATION_ZONE_KEY = (
    f"/subscriptions/{SUB_PRODUCTION}/resourcegroups/myresourcegroup/providers"
    f"/microsoft.network/privatednszones/{PRIVATE_LINK_ZONE}"
)


def private_dns(handle: EmulatorHandle) -> Any:
    """Microsoft's private DNS client for the production subscription (``async with`` it)."""
    from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

    credential = StaticTokenCredential(handle.token)
    return PrivateDnsManagementClient(credential, SUB_PRODUCTION, **sdk_kwargs(handle))


def same_view(got: dict, want: dict, what: str) -> None:
    """Assert two migration views are equal, naming each difference."""
    assert got == want, f"{what}:\n" + "\n".join(view_diff(got, want))


def view_diff(got: dict, want: dict, path: str = "") -> list[str]:
    """Where two views differ, one line each (for assertion messages)."""
    if isinstance(got, dict) and isinstance(want, dict):
        lines = []
        for key in sorted(set(got) | set(want), key=str):
            if key not in got or key not in want:
                lines.append(
                    f"{path}/{key}: {got.get(key, '<absent>')!r} != {want.get(key, '<absent>')!r}"
                )
            else:
                lines += view_diff(got[key], want[key], f"{path}/{key}")
        return lines
    return [] if got == want else [f"{path}: {got!r} != {want!r}"]


class TablesApp(App[None]):
    """The registries and subnets tables alone, coloured as the app draws them."""

    def __init__(self) -> None:
        super().__init__()
        install_palette(self.console, colour=True)

    def compose(self) -> ComposeResult:
        yield RegistryTable(id="registries")
        yield SubnetTable(id="networks")
