"""Private link as acrfence sees it: private endpoints to registries, private DNS zones (their
records and virtual network links) and registry replications (one data endpoint per region).

A registry's own side (``publicNetworkAccess``, ``dataEndpointEnabled``,
``dataEndpointHostNames``, its private endpoint connections) is on ``Registry``
(services.models.inventory). Every model here is frozen and built from ARM's JSON by the
``*_from_arm`` functions, whichever client read it (the SDK's models serialize back to the
same JSON), so the inventory's raw listings and the SDK reads agree on one parser each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from acrfence.services.models.resource_id import (
    normalize_resource_id,
    resource_group_of,
    subscription_of,
)

__all__ = [
    "ACR_PRIVATE_LINK_GROUP",
    "RESERVED_ADDRESSES_PER_SUBNET",
    "DnsConfig",
    "PrivateLinkConnection",
    "ZoneGroup",
    "PrivateEndpoint",
    "ARecordSet",
    "CnameRecordSet",
    "RecordSetRef",
    "VirtualNetworkLink",
    "PrivateDnsZone",
    "Replication",
    "private_link_zone_name",
    "is_registry_zone",
    "data_endpoint_host",
    "registry_private_names",
    "relative_record_name",
    "private_endpoint_from_arm",
    "zone_group_from_arm",
    "private_dns_zone_from_arm",
    "a_record_set_from_arm",
    "cname_record_set_from_arm",
    "virtual_network_link_from_arm",
    "replication_from_arm",
    "PrivateNameView",
    "PrivateEndpointView",
]

# The private link sub-resource (groupId) of a container registry.
ACR_PRIVATE_LINK_GROUP = "registry"
# Azure keeps five addresses of every subnet (network, broadcast, x.x.x.1-3): a private
# endpoint takes its addresses from what is left.
RESERVED_ADDRESSES_PER_SUBNET = 5


def private_link_zone_name(login_server: str) -> str:
    """The private DNS zone a registry's private endpoint needs: ``privatelink.azurecr.io`` in
    Azure's public cloud, ``privatelink.azurecr.cn`` / ``.us`` in the sovereign ones (the login
    server's suffix after the registry's name)."""
    suffix = login_server.strip().lower().split(".", 1)[-1]
    return f"privatelink.{suffix}"


def is_registry_zone(zone_name: str) -> bool:
    """Whether a private DNS zone is one of ACR's private link zones."""
    return zone_name.strip().lower().startswith("privatelink.azurecr.")


def data_endpoint_host(login_server: str, registry_name: str, region: str) -> str:
    """A registry's dedicated data endpoint in ``region``: ``{name}.{region}.data.azurecr.io``."""
    suffix = login_server.strip().lower().split(".", 1)[-1]
    return f"{registry_name.lower()}.{region.lower()}.data.{suffix}"


def registry_private_names(
    login_server: str,
    registry_name: str,
    regions: Iterable[str],
    data_endpoint_host_names: Iterable[str] = (),
) -> tuple[str, ...]:
    """Every name a private endpoint to the registry answers for, login server first, then one
    data endpoint per region (ACR's own host names when it lists them, else the names it will
    give them). Each needs an A record in the private link zone."""
    names = [login_server.lower()]
    hosts = [host.lower() for host in data_endpoint_host_names]
    for region in regions:
        host = data_endpoint_host(login_server, registry_name, region)
        if host not in hosts:
            hosts.append(host)
    names.extend(host for host in hosts if host not in names)
    return tuple(names)


def relative_record_name(fqdn: str, zone_name: str) -> str | None:
    """The record name of ``fqdn`` in a private link zone, as Azure's zone groups write it:
    ``x.azurecr.io`` is ``x`` in ``privatelink.azurecr.io`` (the zone shadows the public
    suffix through a CNAME); None when the name doesn't belong to the zone."""
    zone = zone_name.strip().lower().rstrip(".")
    public_suffix = zone.removeprefix("privatelink.")
    name = fqdn.strip().lower().rstrip(".")
    for suffix in (zone, public_suffix):
        if name.endswith("." + suffix):
            return name[: -len(suffix) - 1]
    return None


# ---- private endpoints ---------------------------------------------------------------------


@dataclass(frozen=True)
class DnsConfig:
    """One name a private endpoint answers for and its private IP(s) (``customDnsConfigs``)."""

    fqdn: str
    ip_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrivateLinkConnection:
    """The endpoint's side of its connection to a resource (here, a registry)."""

    name: str
    target_id: str  # privateLinkServiceId: the registry's resource ID
    group_ids: tuple[str, ...] = ()
    status: str | None = None  # Approved, Pending, Rejected, Disconnected
    description: str | None = None
    manual: bool = False  # a manualPrivateLinkServiceConnection (waits for approval)

    @property
    def approved(self) -> bool:
        return (self.status or "").casefold() == "approved"

    def targets(self, resource_id: str) -> bool:
        return normalize_resource_id(self.target_id) == normalize_resource_id(resource_id)


@dataclass(frozen=True)
class ZoneGroup:
    """A ``privateDnsZoneGroups`` child: Azure keeps the endpoint's A records in these zones."""

    id: str
    name: str
    zone_ids: tuple[str, ...] = ()
    provisioning_state: str | None = None


@dataclass(frozen=True)
class PrivateEndpoint:
    id: str
    name: str
    resource_group: str
    subscription_id: str
    location: str
    subnet_id: str
    provisioning_state: str | None = None
    etag: str | None = None
    dns_configs: tuple[DnsConfig, ...] = ()
    network_interface_ids: tuple[str, ...] = ()
    connections: tuple[PrivateLinkConnection, ...] = ()
    # None: not read (Resource Graph's rows and the bare listing don't carry them).
    zone_groups: tuple[ZoneGroup, ...] | None = None
    # ARM's JSON as last read (a read-only view), for the raw view (`y`); never compared.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        return normalize_resource_id(self.id)

    @property
    def subnet_key(self) -> str:
        return normalize_resource_id(self.subnet_id)

    @property
    def virtual_network_id(self) -> str:
        return self.subnet_id.rsplit("/subnets/", 1)[0]

    @property
    def zone_ids(self) -> tuple[str, ...]:
        return tuple(zone for group in self.zone_groups or () for zone in group.zone_ids)

    @property
    def has_zone_group(self) -> bool | None:
        """Whether Azure keeps this endpoint's records (None: zone groups weren't read)."""
        return None if self.zone_groups is None else bool(self.zone_groups)

    @property
    def registry_ids(self) -> tuple[str, ...]:
        return tuple(c.target_id for c in self.connections if "/registries/" in c.target_id.lower())

    def connection_to(self, registry_id: str) -> PrivateLinkConnection | None:
        return next((c for c in self.connections if c.targets(registry_id)), None)

    def addresses_of(self, fqdn: str) -> tuple[str, ...]:
        wanted = fqdn.strip().lower().rstrip(".")
        return next((c.ip_addresses for c in self.dns_configs if c.fqdn.lower() == wanted), ())

    @property
    def address_count(self) -> int:
        return len({ip for config in self.dns_configs for ip in config.ip_addresses})


def _connection_from_arm(raw: Mapping[str, Any], manual: bool) -> PrivateLinkConnection:
    props = raw.get("properties") or {}
    state = props.get("privateLinkServiceConnectionState") or {}
    return PrivateLinkConnection(
        name=str(raw.get("name") or ""),
        target_id=str(props.get("privateLinkServiceId") or ""),
        group_ids=tuple(str(g) for g in props.get("groupIds") or ()),
        status=state.get("status"),
        description=state.get("description"),
        manual=manual,
    )


def zone_group_from_arm(raw: Mapping[str, Any]) -> ZoneGroup:
    props = raw.get("properties") or {}
    return ZoneGroup(
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or ""),
        zone_ids=tuple(
            str((config.get("properties") or {}).get("privateDnsZoneId") or "")
            for config in props.get("privateDnsZoneConfigs") or ()
        ),
        provisioning_state=props.get("provisioningState"),
    )


def private_endpoint_from_arm(
    raw: Mapping[str, Any], zone_groups: Iterable[Mapping[str, Any]] | None = None
) -> PrivateEndpoint:
    """An endpoint from ARM's JSON; ``zone_groups`` the JSON of its privateDnsZoneGroups when
    they were read (None: not read)."""
    props = raw.get("properties") or {}
    resource_id = str(raw.get("id") or "")
    connections = [
        *(_connection_from_arm(c, False) for c in props.get("privateLinkServiceConnections") or ()),
        *(
            _connection_from_arm(c, True)
            for c in props.get("manualPrivateLinkServiceConnections") or ()
        ),
    ]
    return PrivateEndpoint(
        id=resource_id,
        name=str(raw.get("name") or resource_id.rsplit("/", 1)[-1]),
        resource_group=resource_group_of(resource_id),
        subscription_id=subscription_of(resource_id),
        location=str(raw.get("location") or ""),
        subnet_id=str((props.get("subnet") or {}).get("id") or ""),
        provisioning_state=props.get("provisioningState"),
        etag=raw.get("etag"),
        dns_configs=tuple(
            DnsConfig(
                str(c.get("fqdn") or "").lower(),
                tuple(str(ip) for ip in c.get("ipAddresses") or ()),
            )
            for c in props.get("customDnsConfigs") or ()
        ),
        network_interface_ids=tuple(
            str(nic.get("id") or "") for nic in props.get("networkInterfaces") or ()
        ),
        connections=tuple(connections),
        zone_groups=None if zone_groups is None else tuple(map(zone_group_from_arm, zone_groups)),
        raw=raw,
    )


# ---- private DNS zones ---------------------------------------------------------------------


@dataclass(frozen=True)
class ARecordSet:
    name: str  # relative to the zone: "mycontainerregistry", "mycontainerregistry.westus.data"
    addresses: tuple[str, ...] = ()
    etag: str | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class CnameRecordSet:
    name: str
    target: str
    etag: str | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class RecordSetRef:
    """Any record set of a zone but its SOA (A, AAAA, CNAME, MX, PTR, SRV, TXT): what is
    there, whoever made it, so nothing of someone else's is overwritten or deleted."""

    kind: str  # upper case: "A", "TXT"
    name: str  # relative to the zone, lower case
    etag: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class VirtualNetworkLink:
    """A zone's link to a virtual network: that network's resolver answers from the zone."""

    id: str
    name: str
    virtual_network_id: str
    provisioning_state: str | None = None
    registration_enabled: bool = False
    link_state: str | None = None  # Completed, InProgress
    etag: str | None = None

    @property
    def virtual_network_key(self) -> str:
        return normalize_resource_id(self.virtual_network_id)


@dataclass(frozen=True)
class PrivateDnsZone:
    id: str
    name: str
    resource_group: str
    subscription_id: str
    a_records: tuple[ARecordSet, ...] = ()
    cname_records: tuple[CnameRecordSet, ...] = ()
    links: tuple[VirtualNetworkLink, ...] = ()
    etag: str | None = None
    # Every record set but the SOA, of any type (A and CNAME too).
    record_sets: tuple[RecordSetRef, ...] = ()
    # ARM's JSON as last read (a read-only view), for the raw view (`y`); never compared.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        return normalize_resource_id(self.id)

    @property
    def is_registry_zone(self) -> bool:
        return is_registry_zone(self.name)

    def a_record(self, name: str) -> ARecordSet | None:
        """The A record set of ``name``, relative to the zone or an FQDN it holds."""
        relative = relative_record_name(name, self.name) if "." in name else name.lower()
        if relative is None:
            relative = name.lower()
        return next((r for r in self.a_records if r.name.lower() == relative), None)

    def addresses_of(self, fqdn: str) -> tuple[str, ...]:
        record = self.a_record(fqdn)
        return record.addresses if record is not None else ()

    def record_sets_for(self, name: str) -> tuple[RecordSetRef, ...]:
        """Every record set (any type) of ``name``, relative to the zone or an FQDN it holds."""
        relative = relative_record_name(name, self.name) if "." in name else name.lower()
        if relative is None:
            relative = name.lower()
        return tuple(r for r in self.record_sets if r.name == relative)

    def link_to(self, virtual_network_id: str) -> VirtualNetworkLink | None:
        key = normalize_resource_id(virtual_network_id)
        return next((link for link in self.links if link.virtual_network_key == key), None)

    def linked_to(self, virtual_network_id: str) -> bool:
        return self.link_to(virtual_network_id) is not None


def a_record_set_from_arm(raw: Mapping[str, Any]) -> ARecordSet:
    props = raw.get("properties") or {}
    return ARecordSet(
        name=str(raw.get("name") or "").lower(),
        addresses=tuple(str(a.get("ipv4Address") or "") for a in props.get("aRecords") or () if a),
        etag=raw.get("etag"),
        ttl=props.get("ttl"),
    )


def cname_record_set_from_arm(raw: Mapping[str, Any]) -> CnameRecordSet:
    props = raw.get("properties") or {}
    return CnameRecordSet(
        name=str(raw.get("name") or "").lower(),
        target=str((props.get("cnameRecord") or {}).get("cname") or ""),
        etag=raw.get("etag"),
        ttl=props.get("ttl"),
    )


def virtual_network_link_from_arm(raw: Mapping[str, Any]) -> VirtualNetworkLink:
    props = raw.get("properties") or {}
    return VirtualNetworkLink(
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or ""),
        virtual_network_id=str((props.get("virtualNetwork") or {}).get("id") or ""),
        provisioning_state=props.get("provisioningState"),
        registration_enabled=bool(props.get("registrationEnabled")),
        link_state=props.get("virtualNetworkLinkState"),
        etag=raw.get("etag"),
    )


def _record_type(raw: Mapping[str, Any]) -> str:
    """``A`` from ``Microsoft.Network/privateDnsZones/A``."""
    return str(raw.get("type") or "").rsplit("/", 1)[-1].upper()


def private_dns_zone_from_arm(
    raw: Mapping[str, Any],
    record_sets: Iterable[Mapping[str, Any]] = (),
    links: Iterable[Mapping[str, Any]] = (),
) -> PrivateDnsZone:
    """A zone from ARM's JSON, with its record sets (A and CNAME with their data, every type
    but the SOA by type and name) and its virtual network links."""
    resource_id = str(raw.get("id") or "")
    records = list(record_sets)
    return PrivateDnsZone(
        id=resource_id,
        name=str(raw.get("name") or resource_id.rsplit("/", 1)[-1]).lower(),
        resource_group=resource_group_of(resource_id),
        subscription_id=subscription_of(resource_id),
        a_records=tuple(a_record_set_from_arm(r) for r in records if _record_type(r) == "A"),
        cname_records=tuple(
            cname_record_set_from_arm(r) for r in records if _record_type(r) == "CNAME"
        ),
        links=tuple(map(virtual_network_link_from_arm, links)),
        etag=raw.get("etag"),
        record_sets=tuple(
            RecordSetRef(_record_type(r), str(r.get("name") or "").lower(), r.get("etag"))
            for r in records
            if _record_type(r) != "SOA"
        ),
        raw=raw,
    )


# ---- replications --------------------------------------------------------------------------


@dataclass(frozen=True)
class Replication:
    """One region a registry is replicated to (its home region too, as ACR lists it)."""

    registry_id: str
    region: str
    data_endpoint_host: str  # the region's data endpoint (once dedicated data endpoints are on)
    id: str | None = None
    provisioning_state: str | None = None
    region_endpoint_enabled: bool = True

    @property
    def registry_key(self) -> str:
        return normalize_resource_id(self.registry_id)


def replication_from_arm(raw: Mapping[str, Any], login_server: str | None = None) -> Replication:
    """A replication from ARM's JSON (a full GET or a generic resource listing's item).

    ``login_server`` gives the data endpoint its cloud's suffix; without it the public cloud's
    ``azurecr.io`` is assumed."""
    resource_id = str(raw.get("id") or "")
    registry_id = resource_id.split("/replications/", 1)[0]
    registry_name = registry_id.rsplit("/", 1)[-1]
    region = str(raw.get("location") or raw.get("name") or "").lower().replace(" ", "")
    props = raw.get("properties") or {}
    server = login_server or f"{registry_name.lower()}.azurecr.io"
    return Replication(
        registry_id=registry_id,
        region=region,
        data_endpoint_host=data_endpoint_host(server, registry_name, region),
        id=resource_id or None,
        provisioning_state=props.get("provisioningState"),
        region_endpoint_enabled=props.get("regionEndpointEnabled", True) is not False,
    )


# ---- what the detail pane shows (built by services.analysis.private_link) ------------------


@dataclass(frozen=True)
class PrivateNameView:
    """One name a registry's private endpoint answers for, its IPs, and its DNS record."""

    fqdn: str
    addresses: tuple[str, ...]
    # "present", "missing", "stale" (points at none of the registry's endpoints), or
    # "unknown" (no zone read for it)
    record: str


@dataclass(frozen=True)
class PrivateEndpointView:
    """A registry's private endpoint as the detail pane shows it."""

    name: str
    endpoint_id: str | None  # None: the connection's endpoint wasn't read
    subnet_label: str
    status: str | None  # the connection's state
    has_zone_group: bool | None  # None: not read
    zone_names: tuple[str, ...]  # the zones its names resolve through
    names: tuple[PrivateNameView, ...] = ()
