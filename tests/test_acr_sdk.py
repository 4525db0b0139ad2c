"""Microsoft's ACR data-plane SDK (azure-containerregistry) against the emulator, from the
internet and from subnet vantages: it lists, reads tags and properties, fetches manifests and
blobs (checking their digests itself), and meets ACR's 403 DENIED after a lockdown."""

from __future__ import annotations

import hashlib
import json

import pytest
from azure.core.exceptions import HttpResponseError
from registry_clients import acr_client

from acrfence.emulator.registry_content import OCI_MANIFEST, build_image
from helpers import SUBNET_ID, lock_down


async def _read(stream) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def test_sdk_lists_reads_and_pulls_an_open_registry(emulator) -> None:
    async with acr_client(emulator, "mycontainerregistry") as client:
        names = [name async for name in client.list_repository_names()]
        paged = [name async for name in client.list_repository_names(results_per_page=1)]
        repository = await client.get_repository_properties("samples/nginx")
        tags = [tag.name async for tag in client.list_tag_properties("samples/nginx")]
        tag = await client.get_tag_properties("samples/nginx", "1.27")
        manifests = [m async for m in client.list_manifest_properties("samples/nginx")]
        properties = await client.get_manifest_properties("samples/nginx", "1.27")
        manifest = await client.get_manifest("samples/nginx", "1.27")
        by_digest = await client.get_manifest("hello-world", (await _digest(client)))
        layer = manifest.manifest["layers"][0]
        blob = await _read(await client.download_blob("samples/nginx", layer["digest"]))
    assert names == paged == ["hello-world", "samples/nginx"]
    assert (repository.name, repository.tag_count, repository.manifest_count) == (
        "samples/nginx",
        1,
        1,
    )
    assert tags == ["1.27"]
    expected = build_image("samples/nginx", "1.27", OCI_MANIFEST)
    assert tag.digest == properties.digest == manifest.digest == expected.digest
    assert [m.tags for m in manifests] == [["1.27"]]
    assert properties.size_in_bytes == expected.size
    assert manifest.media_type == OCI_MANIFEST
    assert by_digest.manifest["schemaVersion"] == 2
    assert "sha256:" + hashlib.sha256(blob).hexdigest() == layer["digest"]
    assert len(blob) == layer["size"]


async def _digest(client) -> str:
    return (await client.get_tag_properties("hello-world", "latest")).digest


async def test_sdk_from_the_subnet_after_a_lockdown_and_denied_from_the_internet(
    emulator,
) -> None:
    await lock_down(emulator)
    async with acr_client(emulator, "mycontainerregistry", SUBNET_ID) as client:
        names = [name async for name in client.list_repository_names()]
        tags = [tag.name async for tag in client.list_tag_properties("hello-world")]
        manifest = await client.get_manifest("hello-world", "latest")
    assert names == ["hello-world", "samples/nginx"]
    assert tags == ["latest"]
    assert manifest.manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"

    async with acr_client(emulator, "mycontainerregistry") as client:
        with pytest.raises(HttpResponseError) as denied:
            await client.get_manifest("hello-world", "latest")
        body = json.loads(await denied.value.response.read())
    assert denied.value.status_code == 403
    error = body["errors"][0]
    assert error["code"] == "DENIED"
    assert error["message"].startswith("client with IP '203.0.113.10' is not allowed access")


async def test_sdk_meets_each_vantage_as_the_rules_say(emulator) -> None:
    """contosonoendpoint names aks-nodes in a rule, but aks-nodes lacks the service endpoint,
    so ACR sees its NAT address and refuses; contosodangling's rule admits build-agents."""
    app_vnet = SUBNET_ID.split("/resourceGroups/")[0] + (
        "/resourceGroups/app-rg/providers/Microsoft.Network/virtualNetworks/app-vnet"
    )
    aks_nodes, build_agents = f"{app_vnet}/subnets/aks-nodes", f"{app_vnet}/subnets/build-agents"
    async with acr_client(emulator, "contosonoendpoint", aks_nodes) as client:
        with pytest.raises(HttpResponseError) as no_endpoint:
            [name async for name in client.list_repository_names()]
    async with acr_client(emulator, "contosodangling", build_agents) as client:
        allowed = [name async for name in client.list_repository_names()]
    nat_ip = emulator.state.nat_ips[aks_nodes.lower()]
    assert no_endpoint.value.status_code == 403
    message = json.loads(no_endpoint.value.response.text())["errors"][0]["message"]
    assert message.startswith(f"client with IP '{nat_ip}'")
    assert allowed == ["hello-world", "samples/nginx"]


async def test_sdk_gets_not_found_for_unknown_repositories_and_tags(emulator) -> None:
    async with acr_client(emulator, "mycontainerregistry") as client:
        with pytest.raises(HttpResponseError) as repository:
            await client.get_repository_properties("no/such-repo")
        with pytest.raises(HttpResponseError) as tag:
            await client.get_tag_properties("hello-world", "v9")
    assert repository.value.status_code == 404
    assert "NAME_UNKNOWN" in str(repository.value)
    assert tag.value.status_code == 404
    assert "TAG_UNKNOWN" in str(tag.value)


async def test_sdk_from_every_vantage_agrees_with_the_apps_analysis(emulator) -> None:
    """Every vantage (the fleet's 93 runner subnets by one of them) against every registry the
    analysis is sure about: the SDK pulls the manifest where the rules admit, and gets ACR's
    403 DENIED where they don't."""
    from acrfence.services.analysis import expected_access
    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target
    from acrfence.services.inventory import InventoryService

    async with AzureClients(Target.from_env(emulator.env)) as clients:
        inventory = await InventoryService(clients).load()
    vantages = [v for v in emulator.info["vantages"] if "/subnets/runners-" not in v]
    vantages += [next(v for v in emulator.info["vantages"] if v.endswith("/runners-00"))]
    compared = 0
    for vantage in vantages:
        internet = vantage == "internet"
        public_ip = (
            emulator.info["public_ip"] if internet else emulator.state.nat_ips[vantage.lower()]
        )
        for registry in inventory.registries:
            expectation = expected_access(
                registry, inventory, public_ip=public_ip, subnet_id=None if internet else vantage
            )
            if not expectation.certain:
                continue
            # Where the vantage's own DNS sends it: a private endpoint's address when a
            # zone linked to its network holds the name.
            async with acr_client(emulator, registry.name, vantage, through_dns=True) as client:
                try:
                    manifest = await client.get_manifest("hello-world", "latest")
                    allowed = manifest.digest.startswith("sha256:")
                except HttpResponseError as error:
                    assert error.status_code == 403, (registry.name, vantage)
                    body = json.loads(await error.response.read())
                    assert body["errors"][0]["code"] == "DENIED"
                    allowed = False
            assert allowed == expectation.allowed, (registry.name, vantage, expectation.reason)
            compared += 1
    assert compared >= len(inventory.registries) * (len(vantages) - 1)


async def test_sdk_updates_attributes_and_deletes_and_the_state_keeps_it(emulator) -> None:
    from acrfence.emulator.tenant_json import tenant_to_json

    async with acr_client(emulator, "mycontainerregistry") as client:
        tag = await client.update_tag_properties("hello-world", "latest", can_write=False)
        repository = await client.update_repository_properties("samples/nginx", can_delete=False)
        digest = (await client.get_tag_properties("samples/nginx", "1.27")).digest
        manifest = await client.update_manifest_properties("samples/nginx", digest, can_list=False)
        reread = await client.get_tag_properties("hello-world", "latest")

        await client.delete_tag("hello-world", "latest")
        tags_after = [t.name async for t in client.list_tag_properties("hello-world")]
        untagged = [m async for m in client.list_manifest_properties("hello-world")]
        await client.delete_manifest("hello-world", untagged[0].digest)
        manifests_after = [m async for m in client.list_manifest_properties("hello-world")]
        await client.delete_repository("samples/nginx")
        names = [name async for name in client.list_repository_names()]
    assert (tag.can_write, reread.can_write, reread.can_read) == (False, False, True)
    assert repository.can_delete is False
    assert manifest.can_list is False and manifest.digest == digest
    assert tags_after == []
    assert [m.tags for m in untagged] == [[]]  # the manifest outlives its tag
    assert manifests_after == []
    assert names == ["hello-world"]
    registry = emulator.state.find_registry_by_host("mycontainerregistry.azurecr.io")["id"]
    saved = tenant_to_json(emulator.state)["repositories"][registry.lower()]
    assert [(s["name"], s["tags"], s["untagged"]) for s in saved] == [("hello-world", [], [])]


async def test_sdk_downloads_blobs_through_the_data_endpoint_redirect(emulator) -> None:
    """platformacr has data endpoints: its login server redirects blob downloads to
    platformacr.eastus.data.azurecr.io, which the SDK follows from the ci subnet its rule
    admits."""
    ci = next(v for v in emulator.info["vantages"] if v.endswith("/platform-vnet/subnets/ci"))
    async with acr_client(emulator, "platformacr", ci) as client:
        manifest = await client.get_manifest("samples/nginx", "1.27")
        layer = manifest.manifest["layers"][0]
        blob = await _read(await client.download_blob("samples/nginx", layer["digest"]))
    assert "sha256:" + hashlib.sha256(blob).hexdigest() == layer["digest"]
