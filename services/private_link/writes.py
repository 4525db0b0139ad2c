"""Writes for the migration to a private endpoint: the private DNS zone, its virtual network
links, the private endpoint with its DNS zone group, the connection's approval, and their
deletion (a rollback's).

Every write starts from a fresh read (services.private_link.reads) and is idempotent: what the
read shows already done is not written again (a resumed step), and what someone else made is
left alone. Creates are guarded with ``If-None-Match: *`` and deletes with the etag just read
(``If-Match``) where Azure gives one (zones, links), so a change someone made between our
read and our write makes the write fail instead of overwriting theirs. Every write is read
back.

``on_write`` is awaited right before each write goes out (the plan executor journals what
that write changes first, so a kill -9 at any point leaves the journal knowing).

The registry's side (rules removed, public network access, bypass options) goes through
``services.registry_rules`` as every rule-set change does.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from azure.core import MatchConditions
from azure.mgmt.network.models import PrivateDnsZoneGroup
from azure.mgmt.network.models import PrivateEndpoint as PrivateEndpointBody
from azure.mgmt.privatedns.models import PrivateZone
from azure.mgmt.privatedns.models import VirtualNetworkLink as LinkBody

from acrfence.services.azure import AzureClients
from acrfence.services.errors import VerificationFailed
from acrfence.services.models.migration_change import PrivateEndpointChange, ZoneLinkChange
from acrfence.services.models.private_link import (
    PrivateDnsZone,
    PrivateEndpoint,
    VirtualNetworkLink,
    relative_record_name,
)
from acrfence.services.models.resource_id import (
    ResourceId,
    normalize_resource_id,
    parse_resource_id,
)
from acrfence.services.private_link.reads import PrivateLinkReads

__all__ = [
    "PrivateLinkWrites",
    "endpoint_addresses",
    "record_problems",
    "taken_record_sets",
    "CRASH_MID_WRITE",
]

OnWrite = Callable[[Any], Awaitable[None]] | None
ZONE_TYPE = "Microsoft.Network/privateDnsZones"
ENDPOINT_TYPE = "Microsoft.Network/privateEndpoints"
# Testing hook (see services.plans.executor): killed after Azure accepted the endpoint's PUT
# and before its long-running operation finished.
CRASH_MID_WRITE = "mid-write:private-endpoint"
# How long to wait for the zone group's A records to show (Azure writes them itself).
RECORDS_WAIT_S = 60.0
RECORDS_POLL_S = 0.5


def _parse(resource_id: str, kind: str) -> ResourceId:
    return parse_resource_id(resource_id, kind)


def _crash_if_asked() -> None:
    if os.environ.get("ACRFENCE_TEST_CRASH_AT") == CRASH_MID_WRITE:
        os.kill(os.getpid(), signal.SIGKILL)


def endpoint_addresses(endpoint: PrivateEndpoint) -> dict[str, tuple[str, ...]]:
    """{fqdn (lower case): private IPs} the endpoint answers with."""
    return {c.fqdn.lower(): c.ip_addresses for c in endpoint.dns_configs}


class PrivateLinkWrites:
    """The private-link writes, each from a fresh read, checked and read back."""

    def __init__(self, clients: AzureClients, reads: PrivateLinkReads | None = None) -> None:
        self._clients = clients
        self.reads = reads or PrivateLinkReads(clients)

    async def zone(self, zone_id: str) -> PrivateDnsZone | None:
        return await self.reads.private_dns_zone(zone_id)

    async def link_to(self, zone_id: str, vnet_id: str) -> VirtualNetworkLink | None:
        """The zone's link to ``vnet_id`` (whatever its name), or None."""
        zone = await self.zone(zone_id)
        return zone.link_to(vnet_id) if zone is not None else None

    async def endpoint(self, endpoint_id: str) -> PrivateEndpoint | None:
        return await self.reads.private_endpoint(endpoint_id)

    # -- the zone ---------------------------------------------------------------------------

    async def create_zone(self, zone_id: str, on_write: OnWrite = None) -> bool:
        """Create the zone unless it exists; True when this call created it."""
        if await self.zone(zone_id) is not None:
            return False
        parsed = _parse(zone_id, ZONE_TYPE)
        client = self._clients.private_dns(parsed.subscription_id)
        if on_write is not None:
            await on_write(None)
        # If-None-Match: someone else's zone of that name, made since our read, is not ours.
        poller = await client.private_zones.begin_create_or_update(
            parsed.resource_group,
            parsed.name,
            PrivateZone({"location": "global"}),
            match_condition=MatchConditions.IfMissing,
        )
        await poller.result()
        if await self.zone(zone_id) is None:
            raise VerificationFailed(f"private DNS zone {parsed.name} is missing after its create")
        return True

    async def delete_zone(self, zone_id: str, on_write: OnWrite = None) -> str | None:
        """Delete the zone when it holds nothing but its SOA record and has no links; else
        keep it and say why (someone else's records or links are in it)."""
        zone = await self.zone(zone_id)
        if zone is None:
            return "already gone"
        if zone.links:
            return f"kept: the zone has {len(zone.links)} virtual network link(s) someone else made"
        if zone.record_sets:  # ours went with the endpoint's zone group: these aren't ours
            shown = ", ".join(r.label for r in zone.record_sets[:3])
            more = f" and {len(zone.record_sets) - 3} more" if len(zone.record_sets) > 3 else ""
            return f"kept: the zone holds record sets someone else made ({shown}{more})"
        parsed = _parse(zone_id, ZONE_TYPE)
        client = self._clients.private_dns(parsed.subscription_id)
        if on_write is not None:
            await on_write(zone)
        poller = await client.private_zones.begin_delete(
            parsed.resource_group,
            parsed.name,
            etag=zone.etag,
            match_condition=MatchConditions.IfNotModified,
        )
        await poller.result()
        if await self.zone(zone_id) is not None:
            raise VerificationFailed(f"private DNS zone {parsed.name} is still there")
        return None

    # -- links ------------------------------------------------------------------------------

    async def link(self, change: ZoneLinkChange, on_write: OnWrite = None) -> bool:
        """Link the zone to the network unless some link already does; True when created."""
        existing = await self.link_to(change.zone_id, change.virtual_network_id)
        if existing is not None:
            await self._wait_link(change, existing)
            return False
        parsed = _parse(change.zone_id, ZONE_TYPE)
        client = self._clients.private_dns(parsed.subscription_id)
        if on_write is not None:
            await on_write(None)
        poller = await client.virtual_network_links.begin_create_or_update(
            parsed.resource_group,
            parsed.name,
            change.link_name,
            LinkBody(
                {
                    "location": "global",
                    "properties": {
                        "virtualNetwork": {"id": change.virtual_network_id},
                        "registrationEnabled": False,
                    },
                }
            ),
            match_condition=MatchConditions.IfMissing,
        )
        await poller.result()
        made = await self.link_to(change.zone_id, change.virtual_network_id)
        if made is None:
            raise VerificationFailed(f"link {change.link_name} is not there after creating it")
        await self._wait_link(change, made)
        return True

    async def _wait_link(self, change: ZoneLinkChange, link: VirtualNetworkLink) -> None:
        state = link.provisioning_state
        if state not in (None, "Succeeded"):
            raise VerificationFailed(f"link {link.name} to the network is {state}")

    async def unlink(self, change: ZoneLinkChange, on_write: OnWrite = None) -> str | None:
        """Delete the link by name, only while it still links that network (etag-guarded)."""
        parsed = _parse(change.zone_id, ZONE_TYPE)
        client = self._clients.private_dns(parsed.subscription_id)
        zone = await self.zone(change.zone_id)
        link = next(
            (
                k
                for k in (zone.links if zone else ())
                if k.name.casefold() == change.link_name.casefold()
            ),
            None,
        )
        if link is None:
            return "already gone"
        if link.virtual_network_key != normalize_resource_id(change.virtual_network_id):
            return "kept: the link now points at another network (someone else's)"
        if on_write is not None:
            await on_write(link)
        poller = await client.virtual_network_links.begin_delete(
            parsed.resource_group,
            parsed.name,
            change.link_name,
            etag=link.etag,
            match_condition=MatchConditions.IfNotModified,
        )
        await poller.result()
        if await self.link_to(change.zone_id, change.virtual_network_id) is not None:
            raise VerificationFailed(f"link {change.link_name} is still there")
        return None

    # -- the private endpoint ---------------------------------------------------------------

    async def create_endpoint(
        self, change: PrivateEndpointChange, on_write: OnWrite = None
    ) -> tuple[bool, PrivateEndpoint]:
        """The endpoint (created unless there), its zone group, its connection approved, and
        the zone's A records in place for every name. (created by this call, final state)."""
        created = False
        state = await self.endpoint(change.endpoint_id)
        if state is not None and state.connection_to(change.registry_id) is None:
            raise VerificationFailed(
                f"private endpoint {change.endpoint_id} exists and connects to another resource"
            )
        parsed = _parse(change.endpoint_id, ENDPOINT_TYPE)
        network = self._clients.network(parsed.subscription_id)
        if state is None:
            if on_write is not None:
                await on_write(None)
            # An automatic connection: approved at once when this identity may approve it;
            # otherwise Pending, and approved below through the registry.
            connection = {
                "name": f"{parsed.name}-connection",
                "properties": {
                    "privateLinkServiceId": change.registry_id,
                    "groupIds": ["registry"],
                },
            }
            body: dict[str, Any] = {
                "properties": {
                    "subnet": {"id": change.subnet_id},
                    "privateLinkServiceConnections": [connection],
                }
            }
            if change.location:
                body["location"] = change.location
            poller = await network.private_endpoints.begin_create_or_update(
                parsed.resource_group, parsed.name, PrivateEndpointBody(body)
            )
            created = True
            _crash_if_asked()
            await poller.result()
            state = await self.endpoint(change.endpoint_id)
            if state is None:
                raise VerificationFailed(f"private endpoint {parsed.name} is not there")
        if change.zone_group_name.casefold() not in {
            g.name.casefold() for g in state.zone_groups or ()
        }:
            # The zone group writes an A record set per name: one already there (or a CNAME)
            # isn't this run's, and is not overwritten.
            taken = taken_record_sets(await self.zone(change.zone_id), change.fqdns)
            if taken:
                raise VerificationFailed(
                    f"the private DNS zone already holds {', '.join(taken)}, not made by this "
                    "run: not overwritten; remove it (or choose another zone), then resume"
                )
            zone = _parse(change.zone_id, ZONE_TYPE)
            config = {
                "name": zone.name.replace(".", "-"),
                "properties": {"privateDnsZoneId": change.zone_id},
            }
            group = PrivateDnsZoneGroup({"properties": {"privateDnsZoneConfigs": [config]}})
            group_poller = await network.private_dns_zone_groups.begin_create_or_update(
                parsed.resource_group, parsed.name, change.zone_group_name, group
            )
            await group_poller.result()
        ours = state.connection_to(change.registry_id)
        if ours is not None and (ours.status or "").casefold() == "pending":
            await self.approve(change.registry_id, change.endpoint_id)
        state = await self.endpoint(change.endpoint_id)
        if state is None:
            raise VerificationFailed(f"private endpoint {parsed.name} is not there")
        await self.wait_for_records(change.zone_id, state, change.fqdns)
        return created, state

    async def approve(self, registry_id: str, endpoint_id: str) -> None:
        """Approve the registry's connection from ``endpoint_id`` (through ACR's API)."""
        registry = parse_resource_id(registry_id)
        client = self._clients.registries(registry.subscription_id)
        key = normalize_resource_id(endpoint_id)
        async for connection in client.private_endpoint_connections.list(
            registry.resource_group, registry.name
        ):
            endpoint = connection.private_endpoint.id if connection.private_endpoint else ""
            if normalize_resource_id(endpoint or "") != key:
                continue
            status = connection.private_link_service_connection_state
            if status is not None and status.status == "Approved":
                return
            poller = await client.private_endpoint_connections.begin_create_or_update(
                registry.resource_group,
                registry.name,
                str(connection.name),
                {
                    "properties": {
                        "privateLinkServiceConnectionState": {
                            "status": "Approved",
                            "description": "approved by acrfence migrate",
                        }
                    }
                },
            )
            await poller.result()
            return
        raise VerificationFailed(f"{registry.name} lists no connection from {endpoint_id}")

    async def wait_for_records(
        self, zone_id: str, state: PrivateEndpoint, fqdns: tuple[str, ...]
    ) -> None:
        """Wait (bounded) until the zone answers every name with the endpoint's IPs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECORDS_WAIT_S
        while True:
            problems = record_problems(await self.zone(zone_id), state, fqdns)
            if not problems:
                return
            if loop.time() >= deadline:
                raise VerificationFailed("; ".join(problems))
            await asyncio.sleep(RECORDS_POLL_S)

    async def delete_endpoint(
        self, change: PrivateEndpointChange, on_write: OnWrite = None
    ) -> str | None:
        """Delete the endpoint (its zone group's records and the registry's connection go
        with it), only while it is still the one this run made: same subnet, same registry."""
        state = await self.endpoint(change.endpoint_id)
        if state is None:
            # Gone (a failed create, or an earlier rollback killed before this point): the data
            # endpoints it turned on may still be on.
            if change.data_endpoint_was_enabled is False:
                return await self._data_endpoints_off(change.registry_id) or "already gone"
            return "already gone"
        if normalize_resource_id(state.subnet_id) != normalize_resource_id(change.subnet_id):
            return "kept: the endpoint is not the one this run made (another subnet)"
        parsed = _parse(change.endpoint_id, ENDPOINT_TYPE)
        network = self._clients.network(parsed.subscription_id)
        if on_write is not None:
            await on_write(state)
        poller = await network.private_endpoints.begin_delete(parsed.resource_group, parsed.name)
        await poller.result()
        if await self.endpoint(change.endpoint_id) is not None:
            raise VerificationFailed(f"private endpoint {parsed.name} is still there")
        if change.data_endpoint_was_enabled is False:
            return await self._data_endpoints_off(change.registry_id)
        return None

    async def _data_endpoints_off(self, registry_id: str) -> str | None:
        """Dedicated data endpoints off again (the endpoint turned them on), unless another
        private endpoint still uses them; read back."""
        registry = parse_resource_id(registry_id)
        client = self._clients.registries(registry.subscription_id)
        current = await client.registries.get(registry.resource_group, registry.name)
        if current.private_endpoint_connections:
            return "dedicated data endpoints kept on: another private endpoint uses them"
        if not current.data_endpoint_enabled:
            return None
        poller = await client.registries.begin_update(
            registry.resource_group,
            registry.name,
            {"properties": {"dataEndpointEnabled": False}},
            content_type="application/json",
        )
        await poller.result()
        after = await client.registries.get(registry.resource_group, registry.name)
        if after.data_endpoint_enabled:
            raise VerificationFailed(f"{registry.name}'s dedicated data endpoints are still on")
        return None


def taken_record_sets(zone: PrivateDnsZone | None, fqdns: tuple[str, ...]) -> list[str]:
    """The A and CNAME record sets the zone already holds for the endpoint's names: a zone
    group would overwrite an A record set (a CNAME can't stand beside one)."""
    if zone is None:
        return []
    return [
        record.label
        for fqdn in fqdns
        for record in zone.record_sets_for(fqdn)
        if record.kind in ("A", "CNAME")
    ]


def record_problems(
    zone: PrivateDnsZone | None, endpoint: PrivateEndpoint, fqdns: tuple[str, ...]
) -> list[str]:
    """What the zone's A records lack for the endpoint's names (empty: all in place)."""
    if zone is None:
        return ["the private DNS zone is gone"]
    addresses = endpoint_addresses(endpoint)
    problems = []
    for fqdn in fqdns or tuple(addresses):
        wanted = set(addresses.get(fqdn.lower(), ()))
        have = zone.addresses_of(fqdn) if relative_record_name(fqdn, zone.name) else ()
        if not wanted:
            problems.append(f"the endpoint has no private IP for {fqdn}")
        elif set(have) != wanted:
            said = ", ".join(have) or "no record"
            problems.append(f"{fqdn}: zone says {said}, endpoint has {', '.join(sorted(wanted))}")
    return problems
