"""The ARM contract, driven by the real azure-mgmt `.aio` clients against the emulator."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PRODUCTION, SUB_RESTRICTED
from acrfence.emulator.state import CLOCK
from acrfence.services.models import resource_group_of
from helpers import PREVIEW, RG, SUBNET_ID, StaticTokenCredential, acr, network, sdk_kwargs


async def test_subscriptions_list_only_accessible_ones(emulator) -> None:
    async with SubscriptionClient(
        StaticTokenCredential(emulator.token), **sdk_kwargs(emulator)
    ) as c:
        listed = [s.subscription_id async for s in c.subscriptions.list()]
        first = await c.subscriptions.get(SUB_PRODUCTION)
        with pytest.raises(HttpResponseError) as denied:
            await c.subscriptions.get(SUB_RESTRICTED)
    assert listed[0] == SUB_PRODUCTION
    assert SUB_NETWORKING in listed and SUB_RESTRICTED not in listed
    assert first.display_name == "Contoso Production"
    assert denied.value.status_code == 403
    assert denied.value.error.code == "AuthorizationFailed"


async def test_registry_get_with_preview_version_shows_vnet_rules(emulator) -> None:
    async with acr(emulator, api_version=PREVIEW) as client:
        registry = await client.registries.get("app-rg", "contosonoendpoint")
    raw = registry.as_dict()
    rule_set = raw["properties"]["networkRuleSet"]
    assert rule_set["defaultAction"] == "Deny"
    assert rule_set["virtualNetworkRules"][0]["virtualNetworkSubnetResourceId"].endswith(
        "/subnets/aks-nodes"
    )


async def test_registry_get_with_default_version_hides_vnet_rules(emulator) -> None:
    async with acr(emulator) as client:
        registry = await client.registries.get("app-rg", "contosonoendpoint")
    assert "virtualNetworkRules" not in registry.as_dict()["properties"]["networkRuleSet"]
    assert registry.login_server == "contosonoendpoint.azurecr.io"
    assert registry.sku.name == "Premium"


async def test_unknown_registry_is_resource_not_found(emulator) -> None:
    async with acr(emulator) as client:
        with pytest.raises(ResourceNotFoundError) as missing:
            await client.registries.get("app-rg", "nosuchregistry")
    assert missing.value.error.code == "ResourceNotFound"


async def test_registry_patch_adds_vnet_rule_and_deny(emulator) -> None:
    body = {
        "properties": {
            "networkRuleSet": {
                "defaultAction": "Deny",
                "virtualNetworkRules": [{"id": SUBNET_ID}],
                "ipRules": [],
            }
        }
    }
    async with acr(emulator, api_version=PREVIEW) as client:
        poller = await client.registries.begin_update(RG, "mycontainerregistry", body)
        updated = await poller.result()
        reread = await client.registries.get(RG, "mycontainerregistry")
    for registry in (updated, reread):
        rule_set = registry.as_dict()["properties"]["networkRuleSet"]
        assert rule_set["defaultAction"] == "Deny"
        assert rule_set["virtualNetworkRules"] == [
            {"action": "Allow", "virtualNetworkSubnetResourceId": SUBNET_ID}
        ]


async def test_patch_under_stable_version_keeps_vnet_rules(emulator) -> None:
    async with acr(emulator) as client:
        poller = await client.registries.begin_update(
            "app-rg", "contosonoendpoint",
            {"properties": {"networkRuleSet": {"defaultAction": "Allow"}}},
        )  # fmt: skip
        await poller.result()
    stored = emulator.state.get_registry(
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg/providers/"
        "Microsoft.ContainerRegistry/registries/contosonoendpoint"
    )
    rule_set = stored["properties"]["networkRuleSet"]
    assert rule_set["defaultAction"] == "Allow"
    assert len(rule_set["virtualNetworkRules"]) == 1


async def test_subnet_put_is_a_long_running_operation_keeping_everything(emulator) -> None:
    async with network(emulator) as client:
        before = await client.subnets.get("app-rg", "app-vnet", "workers")
        endpoints = list(before.service_endpoints)
        endpoints.append({"service": "Microsoft.ContainerRegistry"})
        before.service_endpoints = endpoints
        poller = await client.subnets.begin_create_or_update(
            "app-rg", "app-vnet", "workers", before
        )
        after = await poller.result()
        vnet = await client.virtual_networks.get("app-rg", "app-vnet")
    services = [e.service for e in after.service_endpoints]
    assert services == ["Microsoft.Storage", "Microsoft.KeyVault", "Microsoft.ContainerRegistry"]
    assert after.delegations[0].service_name == "Microsoft.ContainerInstance/containerGroups"
    assert after.network_security_group.id.endswith("/workers-nsg")
    assert after.route_table.id.endswith("/workers-rt")
    assert after.provisioning_state == "Succeeded"
    assert after.etag != before.etag and after.etag.startswith('W/"')
    inline = next(s for s in vnet.subnets if s.name == "workers")
    assert inline.etag == after.etag


async def test_subnet_pages_and_vnet_listing(make_emulator) -> None:
    handle = make_emulator(seed="generate:1x3x2x7")
    handle.settings.page_size = 5
    subscription = next(iter(handle.state.subscriptions.values())).subscription_id
    async with network(handle, subscription) as client:
        vnets = [v async for v in client.virtual_networks.list_all()]
        group = resource_group_of(vnets[0].id)
        subnets = [s async for s in client.subnets.list(group, vnets[0].name)]
    assert len(vnets) == 2
    assert len(subnets) == 7
    assert len({s.id for s in subnets}) == 7


async def test_registry_list_follows_next_link(make_emulator) -> None:
    handle = make_emulator(seed="generate:1x12x1x1")
    handle.settings.page_size = 5
    subscription = next(iter(handle.state.subscriptions.values())).subscription_id
    async with acr(handle, subscription) as client:
        names = [r.name async for r in client.registries.list()]
    assert len(names) == 12 and len(set(names)) == 12


async def test_provider_register_goes_registering_then_registered(emulator) -> None:
    # The emulator's clock is stepped, not slept past: no race with a busy machine.
    emulator.settings.provider_registration_s = 60
    async with ResourceManagementClient(
        StaticTokenCredential(emulator.token), SUB_NETWORKING, **sdk_kwargs(emulator)
    ) as client:
        before = await client.providers.get("Microsoft.ContainerRegistry")
        registering = await client.providers.register("Microsoft.ContainerRegistry")
        CLOCK.advance(59)
        still = await client.providers.get("Microsoft.ContainerRegistry")
        CLOCK.advance(2)
        after = await client.providers.get("Microsoft.ContainerRegistry")
    assert before.registration_state == "NotRegistered"
    assert registering.registration_state == "Registering"
    assert still.registration_state == "Registering"
    assert after.registration_state == "Registered"
