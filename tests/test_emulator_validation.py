"""Every validation error: ARM's error body with a specific code, and nothing changed."""

from __future__ import annotations

import ssl

import httpx
import pytest
from azure.core.exceptions import HttpResponseError

from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION
from acrfence.services.models import resource_group_of
from helpers import PREVIEW, RG, SUBNET_ID, acr, network, patch_error

REGISTRY = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/{RG}/providers/"
    "Microsoft.ContainerRegistry/registries/mycontainerregistry"
)
HUB_SPARE = (
    f"/subscriptions/{SUB_NETWORKING}/resourceGroups/network-rg/providers/Microsoft.Network"
    "/virtualNetworks/hub-vnet/subnets/hub-spare"
)


@pytest.mark.parametrize(
    ("registry", "rg", "rule_set", "props", "status", "code"),
    [
        ("contosobasic", "basic-rg", {"defaultAction": "Deny"}, {}, 400,
         "NetworkRuleSetNotSupported"),
        ("mycontainerregistry", RG, {"defaultAction": "Block"}, {}, 400, "InvalidRequestContent"),
        ("mycontainerregistry", RG, {"ipRules": [{"value": "10.0.0.300/24"}]}, {}, 400,
         "InvalidIpRule"),
        ("mycontainerregistry", RG, {"ipRules": [{"value": "not-an-ip"}]}, {}, 400,
         "InvalidIpRule"),
        ("mycontainerregistry", RG,
         {"virtualNetworkRules": [{"id": SUBNET_ID.replace("myDockerVMSubnet", "nosuch")}]}, {},
         400, "NetworkRuleValidationError"),
        ("mycontainerregistry", RG, {"virtualNetworkRules": [{"id": "not/a/subnet"}]}, {}, 400,
         "InvalidVirtualNetworkRule"),
        ("mycontainerregistry", RG, {"virtualNetworkRules": [{"id": HUB_SPARE}]}, {}, 400,
         "SubnetSubscriptionNotRegistered"),
        ("mycontainerregistry", RG, {}, {"publicNetworkAccess": "Sometimes"}, 400,
         "InvalidRequestContent"),
    ],
)  # fmt: skip
async def test_invalid_network_rule_set_is_refused(
    emulator, registry, rg, rule_set, props, status, code
) -> None:
    error, before, after = await patch_error(emulator, registry, rule_set, rg, **props)
    assert error.status_code == status
    assert error.error.code == code
    assert error.error.message
    assert after == before


async def test_more_than_100_vnet_rules_is_refused(make_emulator) -> None:
    handle = make_emulator(seed="generate:1x1x3x40")
    subscription = next(iter(handle.state.subscriptions.values())).subscription_id
    registry = next(iter(handle.state.registries.values()))
    subnets = [s["id"] for s in handle.state.subnets.values()][:101]
    rg = resource_group_of(registry["id"])
    body = {"properties": {"networkRuleSet": {"virtualNetworkRules": [{"id": s} for s in subnets]}}}
    async with acr(handle, subscription, api_version=PREVIEW) as client:
        with pytest.raises(HttpResponseError) as failure:
            await (await client.registries.begin_update(rg, registry["name"], body)).result()
        body["properties"]["networkRuleSet"]["virtualNetworkRules"] = [
            {"id": s} for s in subnets[:100]
        ]
        ok = await (await client.registries.begin_update(rg, registry["name"], body)).result()
    assert failure.value.error.code == "TooManyVirtualNetworkRules"
    assert len(ok.as_dict()["properties"]["networkRuleSet"]["virtualNetworkRules"]) == 100


async def test_private_link_and_service_endpoint_from_same_vnet_is_refused(emulator) -> None:
    ci_spare = (
        f"/subscriptions/{SUB_PLATFORM}/resourceGroups/platform-rg/providers/Microsoft.Network"
        "/virtualNetworks/platform-vnet/subnets/private-endpoints"
    )
    registry = (
        f"/subscriptions/{SUB_PLATFORM}/resourceGroups/platform-rg/providers/"
        "Microsoft.ContainerRegistry/registries/platformacr"
    )
    before = emulator.state.get_registry(registry)
    existing = before["properties"]["networkRuleSet"]["virtualNetworkRules"]
    rules = [*existing, {"virtualNetworkSubnetResourceId": ci_spare}]
    body = {"properties": {"networkRuleSet": {"virtualNetworkRules": rules}}}
    async with acr(emulator, SUB_PLATFORM, api_version=PREVIEW) as client:
        with pytest.raises(HttpResponseError) as failure:
            await (
                await client.registries.begin_update("platform-rg", "platformacr", body)
            ).result()
    assert failure.value.error.code == "PrivateLinkAndServiceEndpointConflict"
    assert emulator.state.get_registry(registry) == before


async def test_existing_dangling_rule_does_not_block_other_edits(emulator) -> None:
    registry = (
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg/providers/"
        "Microsoft.ContainerRegistry/registries/contosodangling"
    )
    rules = emulator.state.get_registry(registry)["properties"]["networkRuleSet"][
        "virtualNetworkRules"
    ]
    rule_set = {"virtualNetworkRules": rules, "ipRules": [{"value": "203.0.113.0/24"}]}
    body = {"properties": {"networkRuleSet": rule_set}}
    async with acr(emulator, api_version=PREVIEW) as client:
        updated = await (
            await client.registries.begin_update("app-rg", "contosodangling", body)
        ).result()
    assert updated.as_dict()["properties"]["networkRuleSet"]["ipRules"] == [
        {"action": "Allow", "value": "203.0.113.0/24"}
    ]


async def test_subnet_put_with_bad_prefix_is_refused_and_changes_nothing(emulator) -> None:
    before = emulator.state.get_subnet(SUBNET_ID)
    async with network(emulator) as client:
        subnet = await client.subnets.get(RG, "myDockerVMVNET", "myDockerVMSubnet")
        subnet.address_prefix = "192.168.0.0/24"
        with pytest.raises(HttpResponseError) as failure:
            await client.subnets.begin_create_or_update(
                RG, "myDockerVMVNET", "myDockerVMSubnet", subnet
            )
    assert failure.value.error.code == "NetcfgSubnetRangeOutsideVnet"
    assert emulator.state.get_subnet(SUBNET_ID) == before


async def _raw(handle, method: str, path: str, **kwargs) -> httpx.Response:
    context = ssl.create_default_context(cafile=handle.ca_cert)
    async with httpx.AsyncClient(verify=context, base_url=handle.arm_endpoint) as client:
        return await client.request(method, path, **kwargs)


async def test_missing_and_unknown_api_versions(emulator) -> None:
    auth = {"Authorization": f"Bearer {emulator.token}"}
    path = REGISTRY
    missing = await _raw(emulator, "GET", path, headers=auth)
    unknown = await _raw(emulator, "GET", path, params={"api-version": "2099-01-01"}, headers=auth)
    subs = await _raw(
        emulator, "GET", "/subscriptions", params={"api-version": "2099-01-01"}, headers=auth
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert "2021-08-01-preview" in unknown.json()["error"]["message"]
    assert subs.json()["error"]["code"] == "InvalidApiVersionParameter"


@pytest.mark.parametrize(
    "version",
    ["2019-05-01", "2021-08-01-preview", "2021-12-01-preview", "2023-07-01",
     "2025-03-01-preview", "2025-11-01", "2026-09-01-preview"],
)  # fmt: skip
async def test_every_published_registry_version_is_accepted(emulator, version) -> None:
    auth = {"Authorization": f"Bearer {emulator.token}"}
    response = await _raw(emulator, "GET", REGISTRY, params={"api-version": version}, headers=auth)
    assert response.status_code == 200
    has_rules = "virtualNetworkRules" in response.json()["properties"]["networkRuleSet"]
    assert has_rules == (version in {"2021-08-01-preview", "2021-12-01-preview",
                                     "2026-09-01-preview"})  # fmt: skip


async def test_authentication_is_required(emulator) -> None:
    params = {"api-version": "2022-12-01"}
    none = await _raw(emulator, "GET", "/subscriptions", params=params)
    wrong = await _raw(
        emulator, "GET", "/subscriptions", params=params, headers={"Authorization": "Bearer nope"}
    )
    metadata = await _raw(
        emulator, "GET", "/metadata/endpoints", params={"api-version": "2022-09-01"}
    )
    assert none.status_code == 401
    assert none.json()["error"]["code"] == "AuthenticationFailed"
    assert none.headers["www-authenticate"].startswith("Bearer authorization_uri=")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert metadata.status_code == 200
    assert metadata.json()["resourceManager"] == f"{emulator.arm_endpoint}/"


async def test_metadata_answers_one_cloud_from_2022_09_01_and_a_list_before(emulator) -> None:
    """ARM's /metadata/endpoints: 2022-09-01 answers the current cloud as one object (what
    `az cloud register --endpoint-resource-manager` indexes); 2019-05-01 and 2020-06-01 a list.
    """
    path = "/metadata/endpoints"
    current = await _raw(emulator, "GET", path, params={"api-version": "2022-09-01"})
    assert isinstance(current.json(), dict)
    assert current.json()["resourceManager"] == f"{emulator.arm_endpoint}/"
    for version in ("2019-05-01", "2020-06-01"):
        clouds = (await _raw(emulator, "GET", path, params={"api-version": version})).json()
        assert [cloud["resourceManager"] for cloud in clouds] == [f"{emulator.arm_endpoint}/"]
