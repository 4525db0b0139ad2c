"""The service layer against Azure's answers and misbehaviour, all produced by the emulator
over HTTPS with the real SDK: validation errors with their ARM codes, someone else writing
between our read and our write, 429/5xx, failed long-running operations, providers, lookup."""

from __future__ import annotations

import copy
import ssl

import pytest
from azure.core.exceptions import HttpResponseError

from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.errors import AcrfenceError, describe_error
from acrfence.services.lookup import AmbiguousRegistryName, RegistryNotFound, find_registry
from acrfence.services.providers import ProviderService
from acrfence.services.registry_rules import InvalidEdit, NetworkEdit, RegistryRuleService
from acrfence.services.subnet_endpoints import SubnetChanged, SubnetEndpointService

PROD = f"/subscriptions/{SUB_PRODUCTION}/resourceGroups"
ACR = "providers/Microsoft.ContainerRegistry/registries"
MY_REGISTRY = f"{PROD}/myResourceGroup/{ACR}/mycontainerregistry"
BASIC_REGISTRY = f"{PROD}/basic-rg/{ACR}/contosobasic"
IP_REGISTRY = f"{PROD}/app-rg/{ACR}/contosoiprules"
APP_VNET = f"{PROD}/app-rg/providers/Microsoft.Network/virtualNetworks/app-vnet"
WORKERS = f"{APP_VNET}/subnets/workers"
BUILD_AGENTS = f"{APP_VNET}/subnets/build-agents"
DOCKER_SUBNET = (
    f"{PROD}/myResourceGroup/providers/Microsoft.Network/virtualNetworks/myDockerVMVNET"
    "/subnets/myDockerVMSubnet"
)
HUB_SPARE = (
    f"/subscriptions/{SUB_NETWORKING}/resourceGroups/network-rg/providers/Microsoft.Network"
    "/virtualNetworks/hub-vnet/subnets/hub-spare"
)
PLATFORM_RG = f"/subscriptions/{SUB_PLATFORM}/resourceGroups/platform-rg"
PLATFORM_REGISTRY = f"{PLATFORM_RG}/{ACR}/platformacr"
PLATFORM_VNET = f"{PLATFORM_RG}/providers/Microsoft.Network/virtualNetworks/platform-vnet"
PLATFORM_PE_SUBNET = f"{PLATFORM_VNET}/subnets/private-endpoints"
FAST = 0.02  # seconds between LRO polls against the emulator


def clients_for(handle) -> AzureClients:
    return AzureClients(Target.from_env(handle.env), polling_interval=FAST)


def stored_registry(handle, registry_id: str) -> dict:
    with handle.state.lock:
        return copy.deepcopy(handle.state.registries[registry_id.lower()])


def stored_subnet(handle, subnet_id: str) -> dict:
    with handle.state.lock:
        return copy.deepcopy(handle.state.subnets[subnet_id.lower()])


@pytest.mark.parametrize(
    ("registry", "edit", "code"),
    [
        (BASIC_REGISTRY, NetworkEdit(default_action="Deny"), "NetworkRuleSetNotSupported"),
        (
            MY_REGISTRY,
            NetworkEdit(add_virtual_network_rules=(f"{APP_VNET}/subnets/nope",)),
            "NetworkRuleValidationError",
        ),
        (
            MY_REGISTRY,
            NetworkEdit(add_virtual_network_rules=(HUB_SPARE,)),
            "SubnetSubscriptionNotRegistered",
        ),
        (
            PLATFORM_REGISTRY,
            NetworkEdit(add_virtual_network_rules=(PLATFORM_PE_SUBNET,)),
            "PrivateLinkAndServiceEndpointConflict",
        ),
    ],
)
async def test_azure_validation_errors_keep_their_arm_code(emulator, registry, edit, code) -> None:
    before = stored_registry(emulator, registry)
    async with clients_for(emulator) as clients:
        with pytest.raises(HttpResponseError) as caught:
            await RegistryRuleService(clients).apply(registry, edit)
    assert caught.value.error.code == code
    sentence = describe_error(caught.value)
    assert sentence.startswith("Azure refused: ") and sentence.endswith(f"(ARM error {code})")
    assert "\n" not in sentence
    assert stored_registry(emulator, registry) == before


@pytest.mark.parametrize(
    "edit",
    [
        NetworkEdit(add_virtual_network_rules=("/subscriptions/x/vnet",)),
        NetworkEdit(add_virtual_network_rules=(MY_REGISTRY,)),  # not a subnet
        NetworkEdit(add_ip_rules=("10.0.0.300",)),
        NetworkEdit(add_ip_rules=("2001:db8::/64",)),
        NetworkEdit(default_action="Block"),
        NetworkEdit(public_network_access="Sometimes"),
    ],
)
async def test_bad_input_is_one_line_and_sends_nothing(emulator, edit) -> None:
    # A 501 (never retried) armed for the next registry request trips on any call we send.
    emulator.faults.server_error(count=1, status=501, match="/registries")
    async with clients_for(emulator) as clients:
        with pytest.raises(InvalidEdit) as caught:
            await RegistryRuleService(clients).apply(MY_REGISTRY, edit)
        assert "\n" not in str(caught.value) and caught.value.code == "InvalidInput"
        # Still armed: the edit sent no request at all.
        with pytest.raises(HttpResponseError) as tripped:
            await RegistryRuleService(clients).get_raw(MY_REGISTRY)
    assert tripped.value.status_code == 501


async def test_ip_rule_added_between_our_read_and_write_survives(emulator) -> None:
    emulator.faults.concurrent_writer(
        IP_REGISTRY, {"op": "add_ip_rule", "registry": IP_REGISTRY, "value": "203.0.113.7/32"}
    )
    async with clients_for(emulator) as clients:
        before, after = await RegistryRuleService(clients).apply(
            IP_REGISTRY, NetworkEdit(add_ip_rules=("192.0.2.0/24",))
        )
    assert "203.0.113.7/32" not in {r.value for r in before.rules.ip_rules}
    values = {r.value for r in after.rules.ip_rules}
    assert values == {"10.20.0.0/16", "198.51.100.200/32", "203.0.113.7/32", "192.0.2.0/24"}
    stored = stored_registry(emulator, IP_REGISTRY)["properties"]["networkRuleSet"]["ipRules"]
    assert {r["value"] for r in stored} == values


async def test_vnet_rule_added_between_our_read_and_write_survives(emulator) -> None:
    emulator.faults.concurrent_writer(
        MY_REGISTRY, {"op": "add_vnet_rule", "registry": MY_REGISTRY, "subnet": BUILD_AGENTS}
    )
    async with clients_for(emulator) as clients:
        _, after = await RegistryRuleService(clients).apply(
            MY_REGISTRY, NetworkEdit(add_ip_rules=("192.0.2.1",), default_action="Deny")
        )
    assert [r.key for r in after.rules.virtual_network_rules] == [BUILD_AGENTS.casefold()]
    assert after.rules.denies_by_default


async def test_subnet_changed_since_the_plan_is_not_overwritten(emulator) -> None:
    async with clients_for(emulator) as clients:
        subnets = SubnetEndpointService(clients)
        planned = await subnets.get(WORKERS)
        emulator.state.update_subnet(
            WORKERS,
            lambda s: s["properties"]["serviceEndpoints"].append(
                {"service": "Microsoft.Sql", "locations": ["*"], "provisioningState": "Succeeded"}
            ),
        )
        changed = stored_subnet(emulator, WORKERS)
        with pytest.raises(SubnetChanged) as caught:
            await subnets.set_acr_endpoint(WORKERS, True, planned.etag)
    assert caught.value.current.etag == changed["etag"]
    assert "Microsoft.Sql" in {e.service for e in caught.value.current.service_endpoints}
    assert stored_subnet(emulator, WORKERS) == changed


async def test_subnet_changed_between_our_read_and_write_is_not_overwritten(emulator) -> None:
    spec = {"op": "add_service_endpoint", "subnet": WORKERS, "service": "Microsoft.Sql"}
    async with clients_for(emulator) as clients:
        subnets = SubnetEndpointService(clients)
        planned = await subnets.get(WORKERS)
        emulator.faults.concurrent_writer(WORKERS, spec)
        with pytest.raises(SubnetChanged):
            await subnets.set_acr_endpoint(WORKERS, True, planned.etag)
        assert not (await subnets.get(WORKERS)).has_acr_endpoint

        # Without a plan to honour, the change is rebuilt on top of theirs.
        emulator.faults.concurrent_writer(WORKERS, {**spec, "service": "Microsoft.Web"})
        before, after = await subnets.set_acr_endpoint(WORKERS, True, None)
    services = {e.service for e in after.service_endpoints}
    assert services == {
        "Microsoft.Storage",
        "Microsoft.KeyVault",
        "Microsoft.Sql",
        "Microsoft.Web",
        "Microsoft.ContainerRegistry",
    }
    # Everything else the subnet had is kept.
    assert (
        after.delegations == before.delegations == ("Microsoft.ContainerInstance/containerGroups",)
    )
    assert after.network_security_group_id == before.network_security_group_id is not None
    assert after.route_table_id == before.route_table_id is not None


async def test_removing_the_endpoint_keeps_the_others(emulator) -> None:
    async with clients_for(emulator) as clients:
        subnets = SubnetEndpointService(clients)
        await subnets.set_acr_endpoint(WORKERS, True, None)
        _, after = await subnets.set_acr_endpoint(WORKERS, False, None)
    assert {e.service for e in after.service_endpoints} == {
        "Microsoft.Storage",
        "Microsoft.KeyVault",
    }


async def test_throttling_and_server_errors_are_ridden_out(emulator) -> None:
    emulator.faults.throttle(count=2, retry_after=0, match="GET /registries/mycontainerregistry")
    emulator.faults.server_error(count=1, status=503, match="PATCH /registries")
    emulator.faults.server_error(count=2, status=500, match="PUT /subnets/")
    async with clients_for(emulator) as clients:
        _, subnet = await SubnetEndpointService(clients).set_acr_endpoint(DOCKER_SUBNET, True, None)
        _, registry = await RegistryRuleService(clients).apply(
            MY_REGISTRY, NetworkEdit(add_virtual_network_rules=(DOCKER_SUBNET,))
        )
    assert subnet.has_acr_endpoint
    assert len(registry.rules.virtual_network_rules) == 1


async def test_failed_long_running_operation_is_an_error(emulator) -> None:
    before = stored_subnet(emulator, DOCKER_SUBNET)
    emulator.faults.fail_next_lro(code="InternalServerError", message="injected")
    async with clients_for(emulator) as clients:
        with pytest.raises(HttpResponseError) as caught:
            await SubnetEndpointService(clients).set_acr_endpoint(DOCKER_SUBNET, True, None)
    assert "InternalServerError" in describe_error(caught.value)
    assert stored_subnet(emulator, DOCKER_SUBNET)["properties"].get(
        "serviceEndpoints", []
    ) == before["properties"].get("serviceEndpoints", [])


async def test_unregistered_provider_is_registered_explicitly(emulator) -> None:
    async with clients_for(emulator) as clients:
        providers = ProviderService(clients)
        assert await providers.state(SUB_NETWORKING) == "NotRegistered"
        assert await providers.register(SUB_NETWORKING, timeout_s=20) == "Registered"
        assert await providers.state(SUB_NETWORKING) == "Registered"


async def test_missing_registration_is_not_silently_fixed(tmp_path) -> None:
    """A 409 MissingSubscriptionRegistration reaches us as an error; nobody registers.

    The emulator never answers that (see emulator/registry_rules.py), so a tiny HTTPS server
    here plays ARM for this one answer and counts the registration calls the SDK's
    auto-registration policy would make.
    """
    import trustme
    from aiohttp import web

    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(f"{request.method} {request.path}")
        body = {"error": {"code": "MissingSubscriptionRegistration", "message": "not registered"}}
        return web.json_response(body, status=409)

    authority = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        target = Target(f"https://127.0.0.1:{port}", ca_cert=str(ca_file), token="t")
        async with AzureClients(target, polling_interval=FAST) as clients:
            with pytest.raises(HttpResponseError) as caught:
                await clients.registries(SUB_PRODUCTION).registries.get("rg", "acr")
    finally:
        await runner.cleanup()
    assert caught.value.error.code == "MissingSubscriptionRegistration"
    assert not [c for c in calls if c.endswith("/register")]
    assert len(calls) == 1


async def test_find_registry_by_name_and_id(emulator) -> None:
    async with clients_for(emulator) as clients:
        by_name = await find_registry(clients, None, "MyContainerRegistry")
        assert by_name.id.casefold() == MY_REGISTRY.casefold()
        by_id = await find_registry(
            clients, None, MY_REGISTRY.upper().replace("SUBSCRIPTIONS", "subscriptions")
        )
        assert by_id.name == "mycontainerregistry"
        with pytest.raises(RegistryNotFound):
            await find_registry(clients, None, "nosuchregistry")
        with pytest.raises(RegistryNotFound):
            await find_registry(clients, None, MY_REGISTRY + "x")
        with pytest.raises(AcrfenceError, match="not a registry name"):
            await find_registry(clients, None, "my registry!")
        with pytest.raises(AcrfenceError, match="resourceGroups"):
            await find_registry(clients, None, f"/subscriptions/{SUB_PRODUCTION}/oops/x/y/z/a/b/c")


async def test_ambiguous_registry_name(emulator) -> None:
    from acrfence.emulator.resources import make_registry

    with emulator.state.lock:
        emulator.state.add_registry(
            make_registry(SUB_PLATFORM, "platform-rg", "mycontainerregistry")
        )
    async with clients_for(emulator) as clients:
        with pytest.raises(AmbiguousRegistryName) as caught:
            await find_registry(clients, None, "mycontainerregistry")
    assert len(caught.value.matches) == 2
    assert "\n" not in str(caught.value)


async def test_an_edit_already_in_place_writes_nothing(emulator) -> None:
    async with clients_for(emulator) as clients:
        rules = RegistryRuleService(clients)
        await rules.apply(IP_REGISTRY, NetworkEdit(default_action="Deny"))
        # Any PATCH now would fail (501 is never retried); a no-op edit must not send one.
        emulator.faults.server_error(count=1, status=501, match="PATCH /registries")
        before, after = await rules.apply(
            IP_REGISTRY, NetworkEdit(add_ip_rules=("10.20.0.0/16",), default_action="deny")
        )
    assert before == after


async def test_no_service_endpoint_in_a_sovereign_cloud(emulator) -> None:
    target = Target.from_env({**emulator.env, "ACRFENCE_CLOUD": "AzureUSGovernment"})
    before = stored_subnet(emulator, DOCKER_SUBNET)
    async with AzureClients(target, polling_interval=FAST) as clients:
        with pytest.raises(AcrfenceError) as caught:
            await SubnetEndpointService(clients).set_acr_endpoint(DOCKER_SUBNET, True, None)
    assert caught.value.code == "NotSupportedInCloud"
    assert stored_subnet(emulator, DOCKER_SUBNET) == before


async def test_subnet_errors_keep_their_arm_code(emulator) -> None:
    async with clients_for(emulator) as clients:
        subnets = SubnetEndpointService(clients)
        with pytest.raises(HttpResponseError) as missing:
            await subnets.set_acr_endpoint(f"{APP_VNET}/subnets/nothere", True, None)
        emulator.faults.conflict(count=1, match="PUT /subnets/")
        with pytest.raises(HttpResponseError) as busy:
            await subnets.set_acr_endpoint(DOCKER_SUBNET, True, None)
    assert missing.value.status_code == 404 and missing.value.error.code
    assert describe_error(missing.value).endswith(f"(ARM error {missing.value.error.code})")
    assert busy.value.error.code == "AnotherOperationInProgress"
    with pytest.raises(AcrfenceError, match="expected a Microsoft.Network/virtualNetworks/subnets"):
        await SubnetEndpointService(clients).get(MY_REGISTRY)


async def test_subnet_settings_we_do_not_model_are_sent_back(emulator) -> None:
    # defaultOutboundAccess is writable: a PUT that left it out would reset it.
    emulator.state.update_subnet(
        WORKERS, lambda s: s["properties"].update({"defaultOutboundAccess": False})
    )
    async with clients_for(emulator) as clients:
        await SubnetEndpointService(clients).set_acr_endpoint(WORKERS, True, None)
    assert stored_subnet(emulator, WORKERS)["properties"]["defaultOutboundAccess"] is False
