"""The ARM route table."""

from __future__ import annotations

from emulator.arm import metadata, network, providers, registries, resource_list, subscriptions
from emulator.arm.router import Router

SUB = "/subscriptions/{subscription}"
RG = SUB + "/resourceGroups/{resource_group}"
ACR = "/providers/Microsoft.ContainerRegistry/registries"
NET = "/providers/Microsoft.Network"


def arm_router() -> Router:
    router = Router()
    router.add("/metadata/endpoints", get=metadata.get_endpoints)
    router.add("/subscriptions", get=subscriptions.list_subscriptions)
    router.add(SUB, get=subscriptions.get_subscription)
    router.add(SUB + "/providers/{namespace}", get=providers.get_provider)
    # Microsoft.Resources: generic listing (how `az acr` finds a registry's group) and groups.
    router.add(SUB + "/resources", get=resource_list.list_resources)
    router.add(SUB + "/resourcegroups", get=resource_list.list_resource_groups)
    router.add(RG, get=resource_list.get_resource_group)
    router.add(RG + "/resources", get=resource_list.list_resources)
    router.add(SUB + "/providers/{namespace}/register", post=providers.register_provider)
    router.add(SUB + ACR, get=registries.list_by_subscription)
    router.add(RG + ACR, get=registries.list_by_resource_group)
    router.add(RG + ACR + "/{name}", get=registries.get_registry, patch=registries.update_registry)
    router.add(
        RG + ACR + "/{name}/privateEndpointConnections",
        get=registries.list_private_endpoint_connections,
    )
    router.add(
        RG + ACR + "/{name}/privateEndpointConnections/{connection}",
        get=registries.get_private_endpoint_connection,
    )
    router.add(SUB + NET + "/virtualNetworks", get=network.list_vnets_by_subscription)
    router.add(RG + NET + "/virtualNetworks", get=network.list_vnets_by_resource_group)
    router.add(RG + NET + "/virtualNetworks/{vnet}", get=network.get_vnet)
    router.add(RG + NET + "/virtualNetworks/{vnet}/subnets", get=network.list_subnets)
    router.add(
        RG + NET + "/virtualNetworks/{vnet}/subnets/{subnet}",
        get=network.get_subnet,
        put=network.put_subnet,
    )
    router.add(
        SUB + NET + "/locations/{location}/operations/{operation}", get=network.get_operation
    )
    return router
