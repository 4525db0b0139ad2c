"""Reads of private link: private endpoints (with their DNS zone groups), private DNS zones
(records and virtual network links) and registry replications.

Per-subscription listings (what the inventory needs, one request a page) go through the shared
ARM client's ``send_request`` as raw JSON, as services.inventory does: building a network,
private DNS and registry SDK client per subscription costs more CPU than the round trips on a
big tenant. Everything narrower (one endpoint, its zone groups, one zone's records and links,
one registry's replications) goes through the typed SDK clients of services.azure
(azure-mgmt-network, azure-mgmt-privatedns, azure-mgmt-containerregistry), whose models are
mappings over the same JSON: one parser per kind (services.models.private_link).

Every request goes through the clients' pipeline: the target's endpoint and CA, retries,
and ARM's read pacing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from acrfence.services.azure import NETWORK_API_VERSION, AzureClients
from acrfence.services.models.private_link import (
    PrivateDnsZone,
    PrivateEndpoint,
    Replication,
    ZoneGroup,
    is_registry_zone,
    private_dns_zone_from_arm,
    private_endpoint_from_arm,
    replication_from_arm,
    zone_group_from_arm,
)
from acrfence.services.models.resource_id import (
    REGISTRY_TYPE,
    normalize_resource_id,
    parse_resource_id,
    resource_group_of,
    subscription_of,
)

__all__ = [
    "PRIVATE_DNS_API_VERSION",
    "RESOURCES_API_VERSION",
    "PrivateLinkReads",
    "registry_endpoint",
]

# azure-mgmt-privatedns 2.0's version (2024-06-01), for the raw zone listing.
PRIVATE_DNS_API_VERSION = "2024-06-01"
# The generic resource listing (Resources_List): replications of a whole subscription at once.
RESOURCES_API_VERSION = "2021-04-01"
REPLICATION_TYPE = "Microsoft.ContainerRegistry/registries/replications"
# Detail reads (zone groups, records, links) outstanding at once per PrivateLinkReads.
DETAIL_READS_IN_FLIGHT = 16
_ERROR_MAP = {401: ClientAuthenticationError, 404: ResourceNotFoundError}


def registry_endpoint(endpoint: PrivateEndpoint) -> bool:
    """Whether an endpoint may connect to a container registry (the only ones acrfence reads
    on): it names one, or it names no target at all (then the registry's side decides)."""
    return bool(endpoint.registry_ids) or not endpoint.connections


def _plain(model: Any) -> dict[str, Any]:
    """An SDK model (a mapping over ARM's JSON) as plain JSON, wire names kept."""
    if isinstance(model, Mapping) and hasattr(model, "as_dict"):
        return dict(model.as_dict())
    return dict(model)


def _name_of(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


class PrivateLinkReads:
    """Async reads of private endpoints, private DNS zones and replications for one identity."""

    def __init__(self, clients: AzureClients, max_in_flight: int = DETAIL_READS_IN_FLIGHT) -> None:
        self._clients = clients
        self._details = asyncio.Semaphore(max_in_flight)

    @property
    def clients(self) -> AzureClients:
        return self._clients

    async def _collect(self, url: str, limit: asyncio.Semaphore | None) -> list[dict[str, Any]]:
        """Every item of a raw ARM listing, following nextLink (``limit`` held per page)."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        client = self._clients.arm()
        while next_url:
            if limit is not None:
                async with limit:
                    response = await client.send_request(HttpRequest("GET", next_url))
            else:
                response = await client.send_request(HttpRequest("GET", next_url))
            if response.status_code != 200:
                map_error(response.status_code, response, _ERROR_MAP)
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            page = response.json()
            items.extend(page.get("value") or ())
            next_url = page.get("nextLink")
        return items

    # ---- private endpoints -------------------------------------------------------------------

    async def list_private_endpoints(
        self,
        subscription_id: str,
        *,
        registries_only: bool = True,
        with_zone_groups: bool = True,
        limit: asyncio.Semaphore | None = None,
    ) -> tuple[PrivateEndpoint, ...]:
        """A subscription's private endpoints (to registries only, unless asked), sorted by
        name; with their zone groups read (one listing per endpoint) unless asked not to."""
        url = (
            f"/subscriptions/{subscription_id}/providers/Microsoft.Network"
            f"/privateEndpoints?api-version={NETWORK_API_VERSION}"
        )
        endpoints = [private_endpoint_from_arm(item) for item in await self._collect(url, limit)]
        if registries_only:
            endpoints = [e for e in endpoints if registry_endpoint(e)]
        if with_zone_groups:
            groups = await asyncio.gather(*(self.zone_groups(e.id) for e in endpoints))
            endpoints = [
                _with_groups(endpoint, found)
                for endpoint, found in zip(endpoints, groups, strict=True)
            ]
        return tuple(sorted(endpoints, key=lambda e: (e.name.casefold(), e.key)))

    async def zone_groups(self, endpoint_id: str) -> tuple[ZoneGroup, ...]:
        """An endpoint's privateDnsZoneGroups (empty: Azure keeps no records for it)."""
        network = self._clients.network(subscription_of(endpoint_id))
        async with self._details:
            pages = network.private_dns_zone_groups.list(
                _name_of(endpoint_id), resource_group_of(endpoint_id)
            )
            return tuple([zone_group_from_arm(_plain(group)) async for group in pages])

    async def private_endpoint(
        self, endpoint_id: str, *, with_zone_groups: bool = True
    ) -> PrivateEndpoint | None:
        """One private endpoint as Azure has it now; None when it doesn't exist."""
        network = self._clients.network(subscription_of(endpoint_id))
        try:
            async with self._details:
                found = await network.private_endpoints.get(
                    resource_group_of(endpoint_id), _name_of(endpoint_id)
                )
        except ResourceNotFoundError:
            return None
        endpoint = private_endpoint_from_arm(_plain(found))
        if not with_zone_groups:
            return endpoint
        return _with_groups(endpoint, await self.zone_groups(endpoint.id))

    # ---- private DNS zones -------------------------------------------------------------------

    async def list_private_dns_zones(
        self,
        subscription_id: str,
        *,
        registry_zones_only: bool = True,
        limit: asyncio.Semaphore | None = None,
    ) -> tuple[PrivateDnsZone, ...]:
        """A subscription's private DNS zones (ACR's ``privatelink.azurecr.*`` ones unless
        asked), each with its record sets and virtual network links, sorted by ID."""
        url = (
            f"/subscriptions/{subscription_id}/providers/Microsoft.Network"
            f"/privateDnsZones?api-version={PRIVATE_DNS_API_VERSION}"
        )
        raw_zones = await self._collect(url, limit)
        if registry_zones_only:
            raw_zones = [z for z in raw_zones if is_registry_zone(str(z.get("name") or ""))]
        zones = await asyncio.gather(*(self._zone_details(raw) for raw in raw_zones))
        return tuple(sorted(zones, key=lambda z: z.key))

    async def _zone_details(self, raw: Mapping[str, Any]) -> PrivateDnsZone:
        zone_id = str(raw.get("id") or "")
        dns = self._clients.private_dns(subscription_of(zone_id))
        group, name = resource_group_of(zone_id), _name_of(zone_id)

        async def records() -> list[dict[str, Any]]:
            async with self._details:
                return [_plain(r) async for r in dns.record_sets.list(group, name)]

        async def links() -> list[dict[str, Any]]:
            async with self._details:
                return [_plain(link) async for link in dns.virtual_network_links.list(group, name)]

        found_records, found_links = await asyncio.gather(records(), links())
        return private_dns_zone_from_arm(raw, found_records, found_links)

    async def private_dns_zone(self, zone_id: str) -> PrivateDnsZone | None:
        """One zone with its records and links as Azure has them now; None when it's gone."""
        dns = self._clients.private_dns(subscription_of(zone_id))
        try:
            async with self._details:
                zone = await dns.private_zones.get(resource_group_of(zone_id), _name_of(zone_id))
        except ResourceNotFoundError:
            return None
        return await self._zone_details(_plain(zone))

    async def find_private_dns_zones(
        self, subscription_ids: Iterable[str], zone_name: str
    ) -> tuple[PrivateDnsZone, ...]:
        """Every zone named ``zone_name`` (``privatelink.azurecr.io``) in these subscriptions,
        with records and links: the zone a migration reuses instead of duplicating."""
        wanted = zone_name.strip().lower()
        found = await asyncio.gather(
            *(self.list_private_dns_zones(s) for s in dict.fromkeys(subscription_ids))
        )
        return tuple(zone for zones in found for zone in zones if zone.name == wanted)

    # ---- replications ------------------------------------------------------------------------

    async def replications(
        self, registry_id: str, login_server: str | None = None
    ) -> tuple[Replication, ...]:
        """One registry's replications (its home region included, as ACR lists it)."""
        ref = parse_resource_id(registry_id, REGISTRY_TYPE)
        client = self._clients.registries(ref.subscription_id)
        async with self._details:
            pages = client.replications.list(ref.resource_group, ref.name)
            raw = [_plain(item) async for item in pages]
        replications = (replication_from_arm(item, login_server) for item in raw)
        return tuple(sorted(replications, key=lambda r: r.region))

    async def list_replications(
        self, subscription_id: str, limit: asyncio.Semaphore | None = None
    ) -> dict[str, tuple[Replication, ...]]:
        """Every replication in a subscription, by registry key, in ONE generic resource
        listing (ARM lists replications as resources of their own): a registry absent from the
        answer has only its home region. Data endpoint hosts assume the public cloud's suffix
        unless the caller rebuilds them from the registry's login server."""
        resource_filter = quote(f"resourceType eq '{REPLICATION_TYPE}'")
        url = (
            f"/subscriptions/{subscription_id}/resources?$filter={resource_filter}"
            f"&api-version={RESOURCES_API_VERSION}"
        )
        grouped: dict[str, list[Replication]] = {}
        for item in await self._collect(url, limit):
            replication = replication_from_arm(item)
            grouped.setdefault(normalize_resource_id(replication.registry_id), []).append(
                replication
            )
        return {key: tuple(sorted(items, key=lambda r: r.region)) for key, items in grouped.items()}


def _with_groups(endpoint: PrivateEndpoint, groups: tuple[ZoneGroup, ...]) -> PrivateEndpoint:
    return replace(endpoint, zone_groups=groups)
