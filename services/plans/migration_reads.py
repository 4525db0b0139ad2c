"""Read the facts a migration plan is built from (``services.plans.migrate``), fresh.

The endpoint subnet and how many addresses it has left, the registry's replicas (one data
endpoint each), every private link zone of the registry's cloud in its subscription (with
links and records), the networks that pull, and (for the endpoint removal) the rules' subnets.
Reads go through services.private_link.reads.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acrfence.services.models import Registry, Subnet
from acrfence.services.models.private_link import RESERVED_ADDRESSES_PER_SUBNET, PrivateDnsZone
from acrfence.services.plans.migrate import (
    MigrateRequest,
    MigrationFacts,
    endpoint_id_of,
    pulling_networks,
    zone_name_for,
)
from acrfence.services.private_link.reads import PrivateLinkReads

if TYPE_CHECKING:
    from acrfence.services.plans.session import PlanSession

__all__ = ["read_migration_facts", "free_addresses"]


async def read_migration_facts(
    session: PlanSession, request: MigrateRequest, registry: Registry, client_ip: str | None
) -> MigrationFacts:
    reads = PrivateLinkReads(session.clients)
    subnets = await session.read_subnets((request.pe_subnet_id,))
    pe_subnet = subnets[request.pe_subnet_id]
    networks = pulling_networks(registry, request.link_vnet_ids)
    found, location, free, regions, zones = await asyncio.gather(
        asyncio.gather(*(_vnet_exists(session, n) for n in networks)),
        _location(session, pe_subnet),
        free_addresses(reads, pe_subnet),
        _regions(reads, registry),
        _zones(reads, registry, [*networks, request.pe_subnet_id]),
    )
    rule_subnets: dict[str, Subnet | None] = {}
    inventory = None
    if request.remove_service_endpoints:
        ids = tuple(r.subnet_id for r in registry.rules.virtual_network_rules)
        rule_subnets = await session.read_subnets(ids)
        inventory = await session.inventory()
    target = None
    if pe_subnet is not None:
        existing = await reads.private_endpoint(
            endpoint_id_of(request, registry, pe_subnet), with_zone_groups=False
        )
        if existing is not None:
            target = next(iter(existing.registry_ids), "another resource")
    return MigrationFacts(
        registry=registry,
        pe_subnet=pe_subnet,
        pe_location=location,
        free_addresses=free,
        regions=regions,
        zones=zones,
        networks_found=dict(zip(networks, found, strict=True)),
        rule_subnets=rule_subnets,
        inventory=inventory,
        client_ip=client_ip,
        sovereign=session.sovereign,
        existing_endpoint_target=target,
    )


async def _vnet_exists(session: PlanSession, vnet_id: str) -> bool:
    try:
        await session.read_vnet(vnet_id)
    except (ResourceNotFoundError, ValueError):
        return False
    except HttpResponseError as error:
        if error.status_code in (403, 404):
            return False
        raise
    return True


async def _location(session: PlanSession, subnet: Subnet | None) -> str:
    if subnet is None:
        return ""
    try:
        return (await session.read_vnet(subnet.virtual_network_id)).location
    except HttpResponseError:
        return ""


async def free_addresses(reads: PrivateLinkReads, subnet: Subnet | None) -> int | None:
    """Addresses the subnet can still hand out: its size, less Azure's five, less what its
    network interfaces (or, where the subnet doesn't list them, its private endpoints) hold."""
    if subnet is None or not subnet.address_prefixes:
        return None
    size = ipaddress.ip_network(subnet.address_prefixes[0], strict=False).num_addresses
    raw: Any = subnet.raw or {}
    configurations = (raw.get("properties") or {}).get("ipConfigurations") or ()
    if configurations:
        used = len(configurations)
    else:
        endpoints = await asyncio.gather(
            *(
                reads.private_endpoint(e, with_zone_groups=False)
                for e in subnet.private_endpoint_ids
            )
        )
        used = sum(e.address_count for e in endpoints if e is not None)
    return max(0, size - RESERVED_ADDRESSES_PER_SUBNET - used)


async def _regions(reads: PrivateLinkReads, registry: Registry) -> tuple[str, ...]:
    """The registry's home region, then every region it is replicated to."""
    regions = [registry.location.lower()]
    try:
        replications = await reads.replications(registry.id, registry.login_server or None)
    except HttpResponseError:
        return tuple(regions)  # no replications API here: the home region only
    regions += [r.region for r in replications if r.region not in regions]
    return tuple(regions)


async def _zones(
    reads: PrivateLinkReads, registry: Registry, related: list[str]
) -> tuple[PrivateDnsZone, ...]:
    """The registry's private link zones in its subscription and in those of the networks
    involved (a hub subscription often holds the zone), each once."""
    subscriptions = [registry.subscription_id]
    for resource_id in related:
        parts = resource_id.split("/")
        if len(parts) > 2 and parts[2].casefold() not in {s.casefold() for s in subscriptions}:
            subscriptions.append(parts[2])
    return await reads.find_private_dns_zones(subscriptions, zone_name_for(registry))
