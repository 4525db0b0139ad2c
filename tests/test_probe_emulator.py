"""The probe against the emulator over real HTTPS: each firewall verdict produced for real,
from the internet vantage and from subnet vantages, and explained beside the rules."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from acrfence.emulator.runner import EmulatorHandle
from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.connect_to import parse_connect_to
from acrfence.services.models import (
    Inventory,
    ProbeExpectation,
    Registry,
    Stage,
    Subscription,
    Verdict,
    VirtualNetwork,
)
from acrfence.services.probe import ProbeOptions, ProbeRunner, StageTimeouts
from acrfence.services.probe.watch import probe_until
from acrfence.services.registry_rules import NetworkEdit, RegistryRuleService
from acrfence.services.subnet_endpoints import SubnetEndpointService

APP_RG = f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg"
APP_VNET = f"{APP_RG}/providers/Microsoft.Network/virtualNetworks/app-vnet"
BUILD_AGENTS = f"{APP_VNET}/subnets/build-agents"
WORKERS = f"{APP_VNET}/subnets/workers"


def registry_id(name: str, group: str = "app-rg") -> str:
    return (
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/{group}"
        f"/providers/Microsoft.ContainerRegistry/registries/{name}"
    )


class Tenant:
    """The emulator seen through the app's own services: clients, registries, subnets."""

    def __init__(self, handle: EmulatorHandle, clients: AzureClients) -> None:
        self.handle = handle
        self.clients = clients
        self.target = clients.target

    async def registry(self, name: str, group: str = "app-rg") -> Registry:
        return await RegistryRuleService(self.clients).get(registry_id(name, group))

    async def inventory(self, registry: Registry, *subnet_ids: str) -> Inventory:
        subnets = [await SubnetEndpointService(self.clients).get(s) for s in subnet_ids]
        vnet = VirtualNetwork(
            APP_VNET, "app-vnet", "app-rg", SUB_PRODUCTION, "westus", subnets=tuple(subnets)
        )
        return Inventory(
            subscriptions=(Subscription(SUB_PRODUCTION, "Contoso Production"),),
            registries=(registry,),
            virtual_networks=(vnet,),
        )

    def options(self, vantage: str = "internet", **changes) -> ProbeOptions:
        subnet_id = None if vantage == "internet" else vantage
        options = ProbeOptions(
            connect_to=self.target.connect_to,
            ca_cert=self.target.ca_cert,
            source_address=self.handle.vantage(vantage),
            subnet_id=subnet_id,
            public_ip=self.handle.info["public_ip"] if vantage == "internet" else None,
            timeouts=StageTimeouts.uniform(5),
        )
        return replace(options, **changes)


@pytest.fixture
async def tenant(emulator: EmulatorHandle):
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        yield Tenant(emulator, clients)


async def test_the_internet_vantage_is_denied_with_its_client_ip(tenant: Tenant) -> None:
    registry = await tenant.registry("contosolocked")
    runner = ProbeRunner(tenant.options(), await tenant.inventory(registry))
    result = await runner.probe(registry)
    assert result.verdict is Verdict.DENIED
    assert result.decided_at is Stage.CHALLENGE
    assert result.client_ip == tenant.handle.info["public_ip"] == "203.0.113.10"
    assert result.hosts[0].stages[-1].status == 403
    assert result.explanation.startswith("denied, as the rules say: ")
    assert "203.0.113.10" in result.explanation


async def test_an_allowed_subnet_vantage_gets_the_challenge(tenant: Tenant) -> None:
    registry = await tenant.registry("contosodangling")  # a rule for build-agents (endpoint on)
    inventory = await tenant.inventory(registry, BUILD_AGENTS)
    result = await ProbeRunner(tenant.options(BUILD_AGENTS), inventory).probe(registry)
    assert result.verdict is Verdict.AUTH_REQUIRED
    assert result.verdict.network_allowed
    assert result.client_ip is None
    assert result.explanation.startswith("reachable, as the rules say: ")
    tcp = next(s for s in result.hosts[0].stages if s.stage is Stage.TCP)
    assert f"from {tenant.handle.vantage(BUILD_AGENTS)}" in tcp.detail


async def test_a_subnet_without_a_rule_is_denied_under_its_own_nat_ip(tenant: Tenant) -> None:
    registry = await tenant.registry("contosodangling")
    inventory = await tenant.inventory(registry, WORKERS)
    result = await ProbeRunner(tenant.options(WORKERS), inventory).probe(registry)
    assert result.verdict is Verdict.DENIED
    assert result.client_ip and result.client_ip != tenant.handle.info["public_ip"]
    assert result.explanation.startswith("denied, as the rules say: ")


async def test_with_the_signed_in_token_an_authorised_read_works(tenant: Tenant) -> None:
    registry = await tenant.registry("contosodangling")
    options = tenant.options(BUILD_AGENTS, token_provider=tenant.clients.arm_token)
    result = await ProbeRunner(options).probe(registry)
    assert result.verdict is Verdict.REACHABLE
    assert result.decided_at is Stage.AUTHORISED
    stages = [(s.stage, s.ok) for s in result.hosts[0].stages]
    assert stages == [
        (Stage.DNS, True),
        (Stage.TCP, True),
        (Stage.TLS, True),
        (Stage.CHALLENGE, True),
        (Stage.EXCHANGE, True),
        (Stage.TOKEN, True),
        (Stage.AUTHORISED, True),
    ]
    # The token never shows up in what the probe reports.
    token = await tenant.clients.arm_token()
    assert token not in repr(result)


async def test_pull_listed_pulls_an_image_the_catalog_lists(tenant: Tenant) -> None:
    # What the migration's verification asks: it can't name an image, so the probe pulls the
    # first repository's latest tag (token exchange, catalog, pull token, tags, manifest).
    registry = await tenant.registry("contosodangling")
    options = tenant.options(
        BUILD_AGENTS, token_provider=tenant.clients.arm_token, pull_listed=True
    )
    result = await ProbeRunner(options).probe(registry)
    assert result.verdict is Verdict.REACHABLE and result.decided_at is Stage.MANIFEST
    assert result.image and result.image.endswith(":latest")
    stages = [s.stage for s in result.hosts[0].stages]
    assert stages[-5:] == [
        Stage.TOKEN,
        Stage.AUTHORISED,  # the catalog
        Stage.TOKEN,  # repository:R:pull
        Stage.AUTHORISED,  # R's tags
        Stage.MANIFEST,
    ]
    token = await tenant.clients.arm_token()
    assert token not in repr(result) and "eyJ" not in repr(result)

    # An empty registry: the catalog read is as far as a pull gets.
    with tenant.handle.state.changing():
        tenant.handle.state.repositories[registry.key] = []
    empty = await ProbeRunner(options).probe(registry)
    assert empty.verdict is Verdict.REACHABLE and empty.decided_at is Stage.AUTHORISED
    assert empty.image is None and "catalog lists 0 repositories" in empty.detail


async def test_a_wrong_token_is_refused_at_the_exchange(tenant: Tenant) -> None:
    registry = await tenant.registry("mycontainerregistry", "myResourceGroup")

    async def wrong_token() -> str:
        return "not-the-emulator-token"

    result = await ProbeRunner(tenant.options(token_provider=wrong_token)).probe(registry)
    assert result.verdict is Verdict.AUTH_FAILED
    assert result.decided_at is Stage.EXCHANGE
    assert result.verdict.network_allowed
    assert "not-the-emulator-token" not in repr(result)


async def test_an_ip_rule_for_the_client_ip_lets_the_internet_in(tenant: Tenant) -> None:
    before = await ProbeRunner(tenant.options()).probe(await tenant.registry("contosolocked"))
    assert before.verdict is Verdict.DENIED
    await RegistryRuleService(tenant.clients).apply(
        registry_id("contosolocked"), NetworkEdit(add_ip_rules=(before.client_ip,))
    )
    registry = await tenant.registry("contosolocked")
    runner = ProbeRunner(tenant.options(), await tenant.inventory(registry))
    after = await runner.probe(registry)
    assert after.verdict is Verdict.AUTH_REQUIRED
    assert after.explanation.startswith("reachable, as the rules say: ")
    assert "203.0.113.10" in after.explanation


async def test_public_access_disabled_is_denied_and_explained(tenant: Tenant) -> None:
    registry = await tenant.registry("contosoprivate")
    runner = ProbeRunner(tenant.options(), await tenant.inventory(registry))
    result = await runner.probe(registry)
    assert result.verdict is Verdict.DENIED
    assert result.explanation.startswith("denied, as the rules say: ")
    assert "public network access" in result.explanation.lower()


async def test_a_certificate_for_another_name_is_a_tls_error(tenant: Tenant) -> None:
    # The ARM listener's certificate is for 127.0.0.1/localhost, not <name>.azurecr.io.
    arm_port = tenant.handle.arm_endpoint.rsplit(":", 1)[1]
    options = tenant.options(connect_to=(parse_connect_to(f"::127.0.0.1:{arm_port}"),))
    result = await ProbeRunner(options).probe(await tenant.registry("contosolocked"))
    assert result.verdict is Verdict.TLS_ERROR
    assert result.decided_at is Stage.TLS
    assert "certificate" in result.detail


async def test_without_the_ca_bundle_the_certificate_is_not_trusted(tenant: Tenant) -> None:
    options = tenant.options(ca_cert=None)
    result = await ProbeRunner(options).probe(await tenant.registry("contosolocked"))
    assert result.verdict is Verdict.TLS_ERROR
    assert "certificate rejected" in result.detail


async def test_open_against_the_rules_while_a_rule_propagates(tenant: Tenant) -> None:
    tenant.handle.faults.set_propagation_delay(30)
    await RegistryRuleService(tenant.clients).apply(
        registry_id("mycontainerregistry", "myResourceGroup"), NetworkEdit(default_action="Deny")
    )
    registry = await tenant.registry("mycontainerregistry", "myResourceGroup")
    runner = ProbeRunner(tenant.options(), await tenant.inventory(registry))
    result = await runner.probe(registry)
    assert result.verdict is Verdict.AUTH_REQUIRED  # the data plane still runs the old rules
    assert result.explanation.startswith("reachable but the rules say it should not be: ")


async def test_wait_probes_until_the_new_rule_reaches_the_data_plane(tenant: Tenant) -> None:
    tenant.handle.faults.set_propagation_delay(1.0)
    await RegistryRuleService(tenant.clients).apply(
        registry_id("mycontainerregistry", "myResourceGroup"), NetworkEdit(default_action="Deny")
    )
    registry = await tenant.registry("mycontainerregistry", "myResourceGroup")
    rounds: list[list[Verdict]] = []
    results = await probe_until(
        ProbeRunner(tenant.options()),
        [registry],
        ProbeExpectation.DENIED,
        wait_seconds=10,
        interval=0.25,
        on_round=lambda results, left: rounds.append([r.verdict for r in results]),
    )
    assert results[0].verdict is Verdict.DENIED
    assert rounds[0] == [Verdict.AUTH_REQUIRED]  # still open right after the write
    assert rounds[-1] == [Verdict.DENIED]


async def test_wait_gives_up_at_the_deadline(tenant: Tenant) -> None:
    registry = await tenant.registry("contosolocked")
    began = asyncio.get_running_loop().time()
    results = await probe_until(
        ProbeRunner(tenant.options()), [registry], ProbeExpectation.REACHABLE, 0.5, interval=0.1
    )
    assert results[0].verdict is Verdict.DENIED
    assert asyncio.get_running_loop().time() - began < 5


async def test_many_registries_concurrently_keep_their_order(tenant: Tenant) -> None:
    names = ["contosolocked", "contosoiprules", "contosodangling", "contosonoendpoint"]
    registries = [await tenant.registry(n) for n in names]
    results = await ProbeRunner(tenant.options(BUILD_AGENTS)).probe_many(registries)
    assert [r.registry_name for r in results] == names
    assert [r.verdict for r in results] == [
        Verdict.DENIED,
        Verdict.DENIED,
        Verdict.AUTH_REQUIRED,
        Verdict.DENIED,
    ]


async def test_a_consumer_that_stops_early_leaves_no_probe_running(tenant: Tenant) -> None:
    from contextlib import aclosing

    names = ["contosolocked", "contosoiprules", "contosodangling", "contosonoendpoint"]
    registries = [await tenant.registry(n) for n in names]
    runner = ProbeRunner(tenant.options(BUILD_AGENTS, concurrency=1))
    before = asyncio.all_tasks()
    async with aclosing(runner.iter_probes(registries)) as probes:
        async for _first in probes:
            break
    # The rest were cancelled and awaited before aclose returned: none is left pending.
    assert not [task for task in asyncio.all_tasks() - before if not task.done()]


async def test_data_endpoint_hosts_are_probed_too(tenant: Tenant) -> None:
    from acrfence.emulator.seeds import SUB_PLATFORM

    platform_id = (
        f"/subscriptions/{SUB_PLATFORM}/resourceGroups/platform-rg"
        "/providers/Microsoft.ContainerRegistry/registries/platformacr"
    )
    registry = await RegistryRuleService(tenant.clients).get(platform_id)
    ci = (
        f"/subscriptions/{SUB_PLATFORM}/resourceGroups/platform-rg/providers"
        "/Microsoft.Network/virtualNetworks/platform-vnet/subnets/ci"
    )
    assert registry.data_endpoint_host_names == ("platformacr.eastus.data.azurecr.io",)

    from_ci = await ProbeRunner(tenant.options(ci)).probe(registry)
    assert [(h.role, h.verdict) for h in from_ci.hosts] == [
        ("login server", Verdict.AUTH_REQUIRED),
        ("data endpoint", Verdict.AUTH_REQUIRED),
    ]
    data_tls = next(s for s in from_ci.hosts[1].stages if s.stage is Stage.TLS)
    assert "platformacr.eastus.data.azurecr.io" in data_tls.detail

    from_internet = await ProbeRunner(tenant.options()).probe(registry)
    assert [h.verdict for h in from_internet.hosts] == [Verdict.DENIED, Verdict.DENIED]


async def test_a_401_that_is_not_a_registry_challenge_is_unexpected(tenant: Tenant) -> None:
    # ARM's listener has a certificate for localhost and answers /v2/ with its own 401
    # (AuthenticationFailed, no oauth2/token realm): not proof that a registry let us in.
    arm_port = tenant.handle.arm_endpoint.rsplit(":", 1)[1]
    not_a_registry = replace(
        await tenant.registry("contosolocked"), name="localhost", login_server="localhost"
    )
    options = tenant.options(connect_to=(parse_connect_to(f"::127.0.0.1:{arm_port}"),))
    result = await ProbeRunner(options).probe(not_a_registry)
    assert result.verdict is Verdict.UNEXPECTED_STATUS
    assert result.decided_at is Stage.CHALLENGE
    assert not result.verdict.network_allowed and not result.verdict.network_refused
    assert "AuthenticationFailed" in result.detail


async def test_a_slow_data_plane_times_out_at_the_request_stage(tenant: Tenant) -> None:
    tenant.handle.faults.set_latency(1000, match="GET /v2/")
    options = tenant.options(timeouts=StageTimeouts(dns=1, tcp=1, tls=1, http=0.2))
    began = asyncio.get_running_loop().time()
    result = await ProbeRunner(options).probe(await tenant.registry("contosolocked"))
    assert result.verdict is Verdict.TIMEOUT
    assert result.decided_at is Stage.CHALLENGE
    assert [s.ok for s in result.hosts[0].stages] == [True, True, True, False]
    assert asyncio.get_running_loop().time() - began < 1.5
