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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.containerregistry.aio import ContainerRegistryManagementClient
from azure.mgmt.network.aio import NetworkManagementClient
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Static

from acrfence.emulator.runner import EmulatorHandle
from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION
from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    Inventory,
    IpRule,
    NetworkRuleSet,
    PrivateEndpointConnection,
    Registry,
    ServiceEndpoint,
    Subnet,
    Subscription,
    VirtualNetwork,
    VirtualNetworkRule,
    registry_id,
    subnet_id,
)
from acrfence.tui.actions import WizardContext
from acrfence.tui.app import AcrFenceApp
from acrfence.tui.launch import build_services
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from acrfence.tui.screens.registry_detail import RegistryDetailScreen
from acrfence.widgets.registry_detail import RegistryDetail
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_detail import SubnetDetail

# ---- talking to the emulator with the real clients -------------------------------------------


class StaticTokenCredential:
    """An async credential that hands out one fixed bearer token (the emulator's)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


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

    def __init__(self, handle: EmulatorHandle, local_address: str) -> None:
        host, port = handle.registry_endpoint.rsplit(":", 1)
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


def dataplane_client(handle: EmulatorHandle, vantage: str = "internet") -> httpx.AsyncClient:
    """An httpx client whose requests to *.azurecr.io reach the emulator from `vantage`
    ("internet" or a subnet resource ID)."""
    return httpx.AsyncClient(transport=ConnectToTransport(handle, handle.vantage(vantage)))


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
    body = {
        "properties": {
            "networkRuleSet": {
                "defaultAction": "Deny",
                "virtualNetworkRules": [{"virtualNetworkSubnetResourceId": SUBNET_ID}],
                "ipRules": [],
            }
        }
    }
    async with acr(handle, api_version=PREVIEW) as client:
        await (await client.registries.begin_update(RG, "mycontainerregistry", body)).result()


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


def make_inventory(registries=(), subnets=()) -> Inventory:
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
