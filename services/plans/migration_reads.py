"""Read the facts a migration plan is built from (``services.plans.migrate``), fresh.

The endpoint subnet and how many addresses it has left, the registry's replicas (one data
endpoint each), every ``privatelink.azurecr.io`` zone in the registry's subscription with its
links and A records, the networks that pull, and (for the endpoint removal) the rules' subnets.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acrfence.services.models import Registry, Subnet, parse_resource_id
from acrfence.services.models.migration_change import PRIVATE_LINK_ZONE
from acrfence.services.plans.migrate import (
    RESERVED_PER_SUBNET,
    ExistingZone,
    MigrateRequest,
    MigrationFacts,
    endpoint_id_of,
    pulling_networks,
)
from acrfence.services.private_link.writes import PrivateLinkWrites, relative_record_name

if TYPE_CHECKING:
    from acrfence.services.plans.session import PlanSession

__all__ = ["read_migration_facts", "free_addresses", "zone_answers"]


async def read_migration_facts(
    session: PlanSession, request: MigrateRequest, registry: Registry, client_ip: str | None
) -> MigrationFacts:
    private_link = PrivateLinkWrites(session.clients)
    subnets = await session.read_subnets((request.pe_subnet_id,))
    pe_subnet = subnets[request.pe_subnet_id]
    networks = pulling_networks(registry, request.link_vnet_ids)
    found, location, free, regions, zones = await asyncio.gather(
        asyncio.gather(*(_vnet_exists(session, n) for n in networks)),
        _location(session, pe_subnet),
        free_addresses(session, private_link, pe_subnet),
        _regions(session, registry),
        _zones(session, private_link, registry),
    )
    rule_subnets: dict[str, Subnet | None] = {}
    inventory = None
    if request.remove_service_endpoints:
        ids = tuple(r.subnet_id for r in registry.rules.virtual_network_rules)
        rule_subnets = await session.read_subnets(ids)
        inventory = await session.inventory()
    target = None
    if pe_subnet is not None:
        existing = await private_link.endpoint(endpoint_id_of(request, registry, pe_subnet))
        target = existing.target_id if existing is not None else None
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
        await session._read_vnet(vnet_id)
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
        return (await session._read_vnet(subnet.virtual_network_id)).location
    except HttpResponseError:
        return ""


async def free_addresses(
    session: PlanSession, private_link: PrivateLinkWrites, subnet: Subnet | None
) -> int | None:
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
        states = await asyncio.gather(
            *(private_link.endpoint(e) for e in subnet.private_endpoint_ids)
        )
        used = sum(len([ip for ips in s.addresses.values() for ip in ips]) for s in states if s)
    return max(0, size - RESERVED_PER_SUBNET - used)


async def _regions(session: PlanSession, registry: Registry) -> tuple[str, ...]:
    """The registry's home region, then every region it is replicated to."""
    parsed = parse_resource_id(registry.id)
    client = session.clients.registries(parsed.subscription_id)
    regions = [registry.location.lower()]
    try:
        async for replication in client.replications.list(parsed.resource_group, parsed.name):
            region = str(replication.location or replication.name).lower()
            if region not in regions:
                regions.append(region)
    except HttpResponseError:
        pass  # a registry without replications (or an API without them): its home region
    return tuple(regions)


async def _zones(
    session: PlanSession, private_link: PrivateLinkWrites, registry: Registry
) -> tuple[ExistingZone, ...]:
    client = session.clients.private_dns(registry.subscription_id)
    zone_ids = [
        str(zone.id)
        async for zone in client.private_zones.list()
        if str(zone.name).casefold() == PRIVATE_LINK_ZONE
    ]

    async def one(zone_id: str) -> ExistingZone:
        links, records = await asyncio.gather(
            private_link.links(zone_id), private_link.a_records(zone_id)
        )
        return ExistingZone(
            zone_id=zone_id,
            linked_network_ids=tuple(link["virtual_network_id"] for link in links),
            link_names=tuple(str(link.get("name") or "") for link in links),
            a_records=records,
        )

    return tuple(await asyncio.gather(*(one(z) for z in zone_ids)))


def zone_answers(zone: ExistingZone, fqdn: str) -> tuple[str, ...]:
    """What the zone holds for ``fqdn`` (its A record's addresses)."""
    name = relative_record_name(fqdn)
    return tuple(zone.a_records.get(name or "", ()))
