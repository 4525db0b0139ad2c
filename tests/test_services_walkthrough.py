"""The walk-through at service level, against the emulator with the real SDK: endpoint on the
subnet, rule + Deny on the registry, the data plane answering 403 from the internet and 401
from the subnet, then restore and 401 from the internet again."""

from __future__ import annotations

import ssl

import httpx

from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.connect_to import resolve_connect_to
from acrfence.services.registry_rules import NetworkEdit, RegistryRuleService
from acrfence.services.subnet_endpoints import SubnetEndpointService

RG = f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup"
REGISTRY = f"{RG}/providers/Microsoft.ContainerRegistry/registries/mycontainerregistry"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/myDockerVMVNET/subnets/myDockerVMSubnet"
LOGIN_SERVER = "mycontainerregistry.azurecr.io"


async def v2_status(handle, vantage: str) -> tuple[int, str]:
    """GET /v2/ as curl --connect-to would: connect where ACRFENCE_CONNECT_TO says, from the
    vantage's source address, with the registry's name in SNI and Host."""
    target = Target.from_env(handle.env)
    host, port = resolve_connect_to(target.connect_to, LOGIN_SERVER, 443)
    transport = httpx.AsyncHTTPTransport(
        local_address=handle.vantage(vantage),
        verify=ssl.create_default_context(cafile=target.ca_cert),
    )
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(
            f"https://{host}:{port}/v2/",
            headers={"Host": LOGIN_SERVER},
            extensions={"sni_hostname": LOGIN_SERVER},
        )
        return response.status_code, response.text


async def test_lockdown_then_restore(emulator) -> None:
    assert set(emulator.info["vantages"]) >= {"internet", SUBNET}
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        subnets = SubnetEndpointService(clients)
        rules = RegistryRuleService(clients)

        planned = await subnets.get(SUBNET)
        assert not planned.has_acr_endpoint
        before, after = await subnets.set_acr_endpoint(SUBNET, True, planned.etag)
        assert not before.has_acr_endpoint and after.has_acr_endpoint
        assert after.etag != planned.etag
        assert (await subnets.get(SUBNET)).has_acr_endpoint  # read back independently

        before, after = await rules.apply(
            REGISTRY, NetworkEdit(add_virtual_network_rules=(SUBNET,), default_action="Deny")
        )
        assert before.rules.default_action == "Allow" and not before.rules.virtual_network_rules
        assert after.rules.denies_by_default
        assert [r.key for r in after.rules.virtual_network_rules] == [SUBNET.casefold()]

        status, body = await v2_status(emulator, "internet")
        assert status == 403 and "DENIED" in body
        status, body = await v2_status(emulator, SUBNET)
        assert status == 401, body

        _, restored = await rules.apply(
            REGISTRY, NetworkEdit(remove_virtual_network_rules=(SUBNET,), default_action="Allow")
        )
        assert restored.rules.default_action == "Allow"
        assert not restored.rules.virtual_network_rules
        status, _ = await v2_status(emulator, "internet")
        assert status == 401

        _, without = await subnets.set_acr_endpoint(SUBNET, False, None)
        assert not without.has_acr_endpoint


async def test_rule_is_written_as_virtual_network_subnet_resource_id(emulator) -> None:
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        await SubnetEndpointService(clients).set_acr_endpoint(SUBNET, True, None)
        await RegistryRuleService(clients).apply(
            REGISTRY, NetworkEdit(add_virtual_network_rules=(SUBNET,))
        )
    stored = emulator.state.registries[REGISTRY.lower()]["properties"]["networkRuleSet"]
    assert stored["virtualNetworkRules"][0]["virtualNetworkSubnetResourceId"] == SUBNET
    assert stored["defaultAction"] == "Allow"  # an edit without a default action keeps it
