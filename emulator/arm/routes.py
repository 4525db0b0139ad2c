"""The ARM route table."""

from __future__ import annotations

from acrfence.emulator.arm import (
    metadata,
    network,
    private_dns,
    private_endpoints,
    providers,
    registries,
    replications,
    resource_list,
    subscriptions,
)
from acrfence.emulator.arm.router import Router

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
        put=private_endpoints.put_registry_connection,
        delete=private_endpoints.delete_registry_connection,
    )
    router.add(RG + ACR + "/{name}/replications", get=replications.list_replications)
    router.add(RG + ACR + "/{name}/replications/{replication}", get=replications.get_replication)
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
    _private_dns_routes(router)
    _private_endpoint_routes(router)
    return router


def _private_endpoint_routes(router: Router) -> None:
    endpoints = NET + "/privateEndpoints"
    endpoint = RG + endpoints + "/{endpoint}"
    router.add(SUB + endpoints, get=private_endpoints.list_by_subscription)
    router.add(RG + endpoints, get=private_endpoints.list_by_resource_group)
    router.add(
        endpoint,
        get=private_endpoints.get_endpoint,
        put=private_endpoints.put_endpoint,
        delete=private_endpoints.delete_endpoint,
    )
    router.add(endpoint + "/privateDnsZoneGroups", get=private_endpoints.list_zone_groups)
    router.add(
        endpoint + "/privateDnsZoneGroups/{group}",
        get=private_endpoints.get_zone_group,
        put=private_endpoints.put_zone_group,
        delete=private_endpoints.delete_zone_group,
    )


def _private_dns_routes(router: Router) -> None:
    zones = NET + "/privateDnsZones"
    zone = RG + zones + "/{zone}"
    router.add(SUB + zones, get=private_dns.list_zones_by_subscription)
    router.add(RG + zones, get=private_dns.list_zones_by_resource_group)
    router.add(
        zone, get=private_dns.get_zone, put=private_dns.put_zone, delete=private_dns.delete_zone
    )
    router.add(zone + "/virtualNetworkLinks", get=private_dns.list_links)
    router.add(
        zone + "/virtualNetworkLinks/{link}",
        get=private_dns.get_link,
        put=private_dns.put_link,
        delete=private_dns.delete_link,
    )
    router.add(zone + "/{record_type}", get=private_dns.list_records)
    router.add(
        zone + "/{record_type}/{name}",
        get=private_dns.get_record,
        put=private_dns.put_record,
        delete=private_dns.delete_record,
    )
    router.add(RG + NET + "/privateDnsOperationStatuses/{operation}", get=private_dns.get_operation)
    router.add(
        RG + NET + "/privateDnsOperationResults/{operation}",
        get=private_dns.get_operation_result,
    )
