"""Microsoft.Resources in the emulator: the generic resource listing (`$filter`, `$top`,
paging), resource groups, and the managed-identity endpoint, through the real SDK where one
exists (ResourceManagementClient) and raw HTTPS where the contract is the wire."""

from __future__ import annotations

import base64
import json
import ssl

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from acrfence.emulator.identity import IDENTITY_PATH
from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import StaticTokenCredential, sdk_kwargs

ACR_TYPE = "Microsoft.ContainerRegistry/registries"


async def _names(handle, **kwargs) -> list[str]:
    async with ResourceManagementClient(
        StaticTokenCredential(handle.token), SUB_PRODUCTION, **sdk_kwargs(handle)
    ) as client:
        return [r.name async for r in client.resources.list(**kwargs)]


async def _group_names(handle, group: str, **kwargs) -> list[str]:
    async with ResourceManagementClient(
        StaticTokenCredential(handle.token), SUB_PRODUCTION, **sdk_kwargs(handle)
    ) as client:
        return [r.name async for r in client.resources.list_by_resource_group(group, **kwargs)]


async def test_filter_by_type_as_az_acr_does_and_items_carry_no_properties(emulator) -> None:
    async with ResourceManagementClient(
        StaticTokenCredential(emulator.token), SUB_PRODUCTION, **sdk_kwargs(emulator)
    ) as client:
        items = [r async for r in client.resources.list(filter=f"resourceType eq '{ACR_TYPE}'")]
    assert "mycontainerregistry" in {r.name for r in items}
    assert {r.type for r in items} == {ACR_TYPE}
    mine = next(r for r in items if r.name == "mycontainerregistry")
    assert mine.sku.name == "Premium" and mine.location == "westus" and mine.tags == {}
    assert mine.properties is None


async def test_filter_grammar(emulator) -> None:
    by_name = await _names(emulator, filter="name eq 'MyContainerRegistry'")  # case-insensitive
    assert by_name == ["mycontainerregistry"]
    joined = await _names(
        emulator, filter=f"resourceType eq '{ACR_TYPE}' and resourceGroup eq 'legacy-rg'"
    )
    assert joined == ["contosolegacy"]
    located = await _names(emulator, filter="location eq 'westus' and name eq 'app-vnet'")
    assert located == ["app-vnet"]
    # A Premium registry's replications are resources of their own, named registry/region.
    dangling = await _names(emulator, filter="substringof('dangl', name)")
    assert dangling == ["contosodangling", "contosodangling/westus"]
    either = await _names(
        emulator, filter="substringof('dangl', name) or substringof('halfd', name)"
    )
    assert {name.split("/")[0] for name in either} == {"contosodangling", "contosohalfdone"}
    in_group = await _group_names(emulator, "MYRESOURCEGROUP")  # group names: any case
    assert sorted(in_group) == [
        "myDockerVMVNET",
        "mycontainerregistry",
        "mycontainerregistry/westus",
    ]
    assert await _names(emulator, filter="tagName eq 'owner'") == []


@pytest.mark.parametrize(
    "bad_filter",
    [
        "provisioningState eq 'Succeeded'",  # not a filterable property
        "name eq 'a' or name eq 'b'",  # `or` only joins substringof
        "tagName eq 'owner' and name eq 'x'",  # tags don't mix with the rest
        "substringof('x', location)",  # substringof takes name and resourceGroup only
        "name eq unquoted",
    ],
)
async def test_an_unsupported_filter_is_refused_as_arm_does(emulator, bad_filter) -> None:
    with pytest.raises(HttpResponseError) as failure:
        await _names(emulator, filter=bad_filter)
    assert failure.value.status_code == 400
    assert failure.value.error.code == "InvalidFilterInQueryString"
    assert f"Invalid $filter '{bad_filter}'" in failure.value.error.message


async def test_top_is_the_page_size_and_paging_keeps_the_filter(emulator) -> None:
    everything = await _names(emulator)
    paged = await _names(emulator, top=2)
    assert paged == everything and len(everything) > 2
    registries = await _names(emulator, filter=f"resourceType eq '{ACR_TYPE}'", top=3)
    assert len(registries) > 3 and all(not n.endswith("vnet") for n in registries)
    with pytest.raises(HttpResponseError) as failure:
        await _names(emulator, top=1001)
    assert failure.value.error.code == "InvalidTopInQueryString"


async def test_resource_groups_list_and_get(emulator) -> None:
    async with ResourceManagementClient(
        StaticTokenCredential(emulator.token), SUB_PRODUCTION, **sdk_kwargs(emulator)
    ) as client:
        groups = [g.name async for g in client.resource_groups.list()]
        one = await client.resource_groups.get("myresourcegroup")  # as az sends it
        with pytest.raises(HttpResponseError) as missing:
            await client.resource_groups.get("no-such-rg")
    assert {"myResourceGroup", "app-rg", "basic-rg", "legacy-rg"} <= set(groups)
    assert (one.name, one.location) == ("myResourceGroup", "westus")
    assert missing.value.error.code == "ResourceGroupNotFound"


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_managed_identity_endpoint_hands_out_the_token_the_emulator_accepts(
    emulator,
) -> None:
    context = ssl.create_default_context(cafile=emulator.ca_cert)
    header = emulator.az_env["IDENTITY_HEADER"]
    resource = {"resource": "https://management.core.windows.net/"}
    async with httpx.AsyncClient(verify=context, base_url=emulator.arm_endpoint) as client:
        app_service = await client.get(
            IDENTITY_PATH,
            params={"api-version": "2019-08-01", **resource},
            headers={"X-IDENTITY-HEADER": header},
        )
        imds = await client.get(
            IDENTITY_PATH, params={"api-version": "2018-02-01", **resource},
            headers={"Metadata": "true"},
        )  # fmt: skip
        wrong = await client.get(IDENTITY_PATH, params=resource,
                                 headers={"X-IDENTITY-HEADER": "guess"})  # fmt: skip
        bare = await client.get(IDENTITY_PATH, params=resource)
    assert app_service.status_code == 200 and imds.status_code == 200
    token = app_service.json()["access_token"]
    assert token == imds.json()["access_token"] == emulator.token
    assert int(app_service.json()["expires_on"]) > 0 and int(imds.json()["expires_in"]) > 0
    assert _claims(token)["tid"] and _claims(token)["oid"]
    assert wrong.status_code == 401 and bare.status_code == 400
    assert emulator.token not in wrong.text + bare.text


async def test_resource_group_names_match_in_any_case_and_ids_keep_theirs(emulator) -> None:
    """az takes the group from the listing's id lower-cased: every path must still resolve,
    and answers keep the group's name as created."""
    context = ssl.create_default_context(cafile=emulator.ca_cert)
    auth = {"Authorization": f"Bearer {emulator.token}"}
    sub = f"/subscriptions/{SUB_PRODUCTION}"
    paths = {
        f"{sub}/resourceGroups/myresourcegroup/providers/Microsoft.ContainerRegistry/"
        "registries/mycontainerregistry": "2026-09-01-preview",
        f"{sub}/resourcegroups/MYRESOURCEGROUP/providers/microsoft.network/virtualnetworks/"
        "mydockervmvnet/subnets/mydockervmsubnet": "2024-07-01",
        f"{sub}/resourcegroups/myresourcegroup": "2024-11-01",
    }
    async with httpx.AsyncClient(verify=context, base_url=emulator.arm_endpoint) as client:
        for path, version in paths.items():
            answer = await client.get(path, params={"api-version": version}, headers=auth)
            assert answer.status_code == 200, path
            assert "/resourceGroups/myResourceGroup" in answer.json()["id"]
