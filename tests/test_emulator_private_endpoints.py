"""Private endpoints to registries, their DNS zone groups and the registry's connections, with
Microsoft's own azure-mgmt-network, azure-mgmt-privatedns and azure-mgmt-containerregistry
clients against the emulator; plus replications and a full subnet refused as Azure does."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.containerregistry.aio import ContainerRegistryManagementClient
from azure.mgmt.network.aio import NetworkManagementClient
from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

from acrfence.emulator.arm.private_endpoints import subnet_capacity
from acrfence.emulator.arm.replications import add_replication
from acrfence.emulator.resources import make_private_endpoint_connection
from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import StaticTokenCredential, sdk_kwargs

GROUP = "app-rg"
REGISTRY_GROUP = "myResourceGroup"  # mycontainerregistry's, as in the tutorial
ZONE = "privatelink.azurecr.io"


def _subnet_id(handle, vnet: str, subnet: str) -> str:
    with handle.state.lock:
        return next(
            s["id"]
            for s in handle.state.subnets.values()
            if s["name"] == subnet and f"/virtualNetworks/{vnet}/" in s["id"]
        )


def _registry(handle, name: str) -> dict:
    with handle.state.lock:
        return next(r for r in handle.state.registries.values() if r["name"] == name)


def _clients(handle):
    credential = StaticTokenCredential(handle.token)
    kwargs = sdk_kwargs(handle)
    return (
        NetworkManagementClient(credential, SUB_PRODUCTION, **kwargs),
        PrivateDnsManagementClient(credential, SUB_PRODUCTION, **kwargs),
    )


def _endpoint_body(handle, registry: dict, subnet_id: str, manual: bool = False) -> dict:
    connection = {
        "name": "conn",
        "properties": {"privateLinkServiceId": registry["id"], "groupIds": ["registry"]},
    }
    kind = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    return {"location": "westus", "properties": {"subnet": {"id": subnet_id}, kind: [connection]}}


def _pick_registry(handle) -> dict:
    # The tutorial's registry: Premium, in the production subscription, no endpoint yet.
    return _registry(handle, "mycontainerregistry")


async def test_an_endpoint_gets_addresses_dns_and_a_connection_on_the_registry(emulator) -> None:
    registry = _pick_registry(emulator)
    add_replication(emulator.state, registry["id"], "eastus")  # two data endpoints now
    subnet_id = _subnet_id(emulator, "app-vnet", "private-endpoints")
    network, dns = _clients(emulator)
    async with network, dns:
        await (
            await dns.private_zones.begin_create_or_update(GROUP, ZONE, {"location": "global"})
        ).result()
        endpoint = await (
            await network.private_endpoints.begin_create_or_update(
                GROUP, "myacr-pe", _endpoint_body(emulator, registry, subnet_id)
            )
        ).result()
        assert endpoint.provisioning_state == "Succeeded"
        fqdns = {c.fqdn: c.ip_addresses for c in endpoint.custom_dns_configs}
        assert set(fqdns) == {
            "mycontainerregistry.azurecr.io",
            "mycontainerregistry.westus.data.azurecr.io",
            "mycontainerregistry.eastus.data.azurecr.io",
        }
        addresses = [ip for ips in fqdns.values() for ip in ips]
        assert len(set(addresses)) == 3 and all(ip.startswith("10.1.8.") for ip in addresses)
        assert endpoint.network_interfaces[0].id
        state = endpoint.private_link_service_connections[0].private_link_service_connection_state
        assert state.status == "Approved"

        group = await (
            await network.private_dns_zone_groups.begin_create_or_update(
                GROUP, "myacr-pe", "default",
                {"properties": {"privateDnsZoneConfigs": [{"name": "acr", "properties": {
                    "privateDnsZoneId": (await dns.private_zones.get(GROUP, ZONE)).id}}]}},
            )
        ).result()  # fmt: skip
        record_sets = group.private_dns_zone_configs[0].record_sets
        assert {r.record_set_name for r in record_sets} == {
            "mycontainerregistry",
            "mycontainerregistry.westus.data",
            "mycontainerregistry.eastus.data",
        }
        login = await dns.record_sets.get(GROUP, ZONE, "A", "mycontainerregistry")
        assert (
            login.properties.a_records[0].ipv4_address == fqdns["mycontainerregistry.azurecr.io"][0]
        )

        listed = [e.name async for e in network.private_endpoints.list(GROUP)]
        assert "myacr-pe" in listed

    stored = _registry(emulator, "mycontainerregistry")["properties"]
    assert stored["dataEndpointEnabled"] is True
    connection = stored["privateEndpointConnections"][-1]["properties"]
    assert connection["privateEndpoint"]["id"] == endpoint.id
    assert connection["privateLinkServiceConnectionState"]["status"] == "Approved"
    subnet = emulator.state.get_subnet(subnet_id)
    assert endpoint.id in [e["id"] for e in subnet["properties"]["privateEndpoints"]]

    # Deleting the endpoint takes its records, its connection and its addresses away again.
    network, dns = _clients(emulator)
    async with network, dns:
        await (await network.private_endpoints.begin_delete(GROUP, "myacr-pe")).result()
        with pytest.raises(ResourceNotFoundError):
            await network.private_endpoints.get(GROUP, "myacr-pe")
        with pytest.raises(ResourceNotFoundError):
            await dns.record_sets.get(GROUP, ZONE, "A", "mycontainerregistry")
    assert not [
        c
        for c in _registry(emulator, "mycontainerregistry")["properties"][
            "privateEndpointConnections"
        ]
        if c["properties"]["privateEndpoint"]["id"] == endpoint.id
    ]


async def test_a_manual_connection_waits_until_the_registry_approves_it(emulator) -> None:
    registry = _pick_registry(emulator)
    subnet_id = _subnet_id(emulator, "app-vnet", "private-endpoints")
    network, dns = _clients(emulator)
    credential = StaticTokenCredential(emulator.token)
    acr = ContainerRegistryManagementClient(credential, SUB_PRODUCTION, **sdk_kwargs(emulator))
    async with network, dns, acr:
        endpoint = await (
            await network.private_endpoints.begin_create_or_update(
                GROUP, "manual-pe", _endpoint_body(emulator, registry, subnet_id, manual=True)
            )
        ).result()
        state = endpoint.manual_private_link_service_connections[0]
        assert state.private_link_service_connection_state.status == "Pending"
        connections = [
            c
            async for c in acr.private_endpoint_connections.list(
                REGISTRY_GROUP, "mycontainerregistry"
            )
        ]
        pending = next(c for c in connections if c.private_endpoint.id == endpoint.id)
        assert pending.private_link_service_connection_state.status == "Pending"
        approved = await (
            await acr.private_endpoint_connections.begin_create_or_update(
                REGISTRY_GROUP, "mycontainerregistry", pending.name,
                {"properties": {"privateLinkServiceConnectionState": {
                    "status": "Approved", "description": "ok by ops"}}},
            )
        ).result()  # fmt: skip
        assert approved.private_link_service_connection_state.status == "Approved"
        endpoint = await network.private_endpoints.get(GROUP, "manual-pe")
        state = endpoint.manual_private_link_service_connections[0]
        assert state.private_link_service_connection_state.status == "Approved"


async def test_a_full_subnet_refuses_an_endpoint_as_azure_does(make_emulator) -> None:
    handle = make_emulator(seed="demo")
    registry = _pick_registry(handle)
    subnet_id = _subnet_id(handle, "app-vnet", "private-endpoints")
    # Take the subnet down to one free address: the endpoint needs two (login + data).
    with handle.state.changing():
        handle.state.subnets[subnet_id.lower()]["properties"]["addressPrefix"] = "10.1.8.0/29"
        handle.state.subnets[subnet_id.lower()]["properties"].pop("addressPrefixes", None)
    assert subnet_capacity(handle.state, subnet_id) == 3
    add_replication(handle.state, registry["id"], "eastus")
    add_replication(handle.state, registry["id"], "northeurope")  # 4 addresses needed now
    network, _dns = _clients(handle)
    async with network, _dns:
        with pytest.raises(HttpResponseError) as full:
            await network.private_endpoints.begin_create_or_update(
                GROUP, "too-many", _endpoint_body(handle, registry, subnet_id)
            )
    assert full.value.status_code == 400
    assert full.value.error.code == "SubnetIsFull"
    assert "does not have enough capacity for 4 IP addresses" in full.value.message
    assert (
        _registry(handle, "mycontainerregistry")["properties"]["privateEndpointConnections"] == []
    )


async def test_replications_list_and_get(emulator) -> None:
    registry = _pick_registry(emulator)
    add_replication(emulator.state, registry["id"], "eastus")
    credential = StaticTokenCredential(emulator.token)
    async with ContainerRegistryManagementClient(
        credential, SUB_PRODUCTION, **sdk_kwargs(emulator)
    ) as acr:
        names = [r.name async for r in acr.replications.list(REGISTRY_GROUP, "mycontainerregistry")]
        assert names == ["westus", "eastus"]
        eastus = await acr.replications.get(REGISTRY_GROUP, "mycontainerregistry", "eastus")
        assert eastus.location == "eastus" and eastus.provisioning_state == "Succeeded"
        with pytest.raises(ResourceNotFoundError):
            await acr.replications.get(REGISTRY_GROUP, "mycontainerregistry", "japaneast")
    hosts = _registry(emulator, "mycontainerregistry")["properties"]["dataEndpointHostNames"]
    assert hosts == [
        "mycontainerregistry.westus.data.azurecr.io",
        "mycontainerregistry.eastus.data.azurecr.io",
    ]


async def test_a_registry_takes_at_most_200_private_endpoints(emulator) -> None:
    registry = _pick_registry(emulator)
    with emulator.state.changing():
        stored = emulator.state.registries[registry["id"].lower()]
        stored["properties"]["privateEndpointConnections"] = [
            make_private_endpoint_connection(stored, f"pe{n}.conn", f"/x/pe{n}") for n in range(200)
        ]
    subnet_id = _subnet_id(emulator, "app-vnet", "private-endpoints")
    network, dns = _clients(emulator)
    async with network, dns:
        with pytest.raises(HttpResponseError) as limited:
            await network.private_endpoints.begin_create_or_update(
                GROUP, "one-too-many", _endpoint_body(emulator, registry, subnet_id)
            )
    assert limited.value.error.code == "PrivateEndpointLimitReached"


async def test_data_endpoint_names_are_listed_only_while_they_are_on(emulator) -> None:
    # A private endpoint turns dedicated data endpoints on; turning them off again (as a
    # migration's rollback does) leaves Azure listing no data endpoint names, as its
    # recordings show ("dataEndpointEnabled": false, "dataEndpointHostNames": []).
    registry = _pick_registry(emulator)
    subnet_id = _subnet_id(emulator, "app-vnet", "private-endpoints")
    credential = StaticTokenCredential(emulator.token)
    network, dns = _clients(emulator)
    acr = ContainerRegistryManagementClient(credential, SUB_PRODUCTION, **sdk_kwargs(emulator))
    async with network, dns, acr:
        await (
            await network.private_endpoints.begin_create_or_update(
                GROUP, "myacr-pe", _endpoint_body(emulator, registry, subnet_id)
            )
        ).result()
        on = await acr.registries.get(REGISTRY_GROUP, "mycontainerregistry")
        assert on.data_endpoint_enabled is True
        assert on.data_endpoint_host_names == ["mycontainerregistry.westus.data.azurecr.io"]

        await (
            await acr.registries.begin_update(
                REGISTRY_GROUP,
                "mycontainerregistry",
                {"properties": {"dataEndpointEnabled": False}},
            )
        ).result()
        off = await acr.registries.get(REGISTRY_GROUP, "mycontainerregistry")
        assert off.data_endpoint_enabled is False
        assert off.data_endpoint_host_names == []

        await (
            await acr.registries.begin_update(
                REGISTRY_GROUP, "mycontainerregistry", {"properties": {"dataEndpointEnabled": True}}
            )
        ).result()
        again = await acr.registries.get(REGISTRY_GROUP, "mycontainerregistry")
        assert again.data_endpoint_host_names == on.data_endpoint_host_names
