"""What Azure DNS answers for a `*.azurecr.io` name, as seen from one vantage (pure logic).

A virtual network's resolver (Azure DNS, 168.63.129.16) answers a name from a private DNS
zone linked to that network when the zone covers it, and from public DNS otherwise. ACR's
public DNS puts the private link name in the chain once a registry has a private endpoint
(docs "Connect privately to an Azure container registry using Azure Private Link"):

    myregistry.azurecr.io            CNAME myregistry.privatelink.azurecr.io
    myregistry.privatelink.azurecr.io  A   <public frontend>      (from the internet)
    myregistry.privatelink.azurecr.io  A   10.1.8.5               (from a linked network)

and the same for each data endpoint (`myregistry.westus.data.azurecr.io` CNAME
`myregistry.westus.data.privatelink.azurecr.io`). A linked zone that lacks the record answers
NXDOMAIN (a private zone is authoritative for its names) unless the link's
`resolutionPolicy` is `NxDomainRedirect`, which falls back to public DNS. Names outside
azurecr.io are REFUSED: this resolver serves the registries only and never recurses to the
real internet (nothing leaves 127.0.0.0/8).

The public frontend address is a documentation address (RFC 5737 TEST-NET-1) per region:
only its role matters, and a client reaches it through the emulator's connect-to rule.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from acrfence.emulator.state import Tenant

REGISTRY_SUFFIX = ".azurecr.io"
PRIVATE_LINK_ZONE = "privatelink.azurecr.io"
PRIVATE_LINK_SUFFIX = "." + PRIVATE_LINK_ZONE
PUBLIC_TTL = 300
NOERROR, NXDOMAIN, REFUSED = "NOERROR", "NXDOMAIN", "REFUSED"


@dataclass(frozen=True)
class DnsRecord:
    name: str  # lower case, no trailing dot
    kind: str  # "A" or "CNAME"
    value: str  # an IPv4 address or the CNAME's target
    ttl: int


@dataclass(frozen=True)
class DnsAnswer:
    rcode: str  # NOERROR, NXDOMAIN or REFUSED
    records: tuple[DnsRecord, ...] = ()


def public_frontend_address(region: str) -> str:
    """ACR's public address for a region in the emulator: stable, in 192.0.2.0/24."""
    return f"192.0.2.{zlib.crc32(region.lower().encode()) % 250 + 1}"


def vantage_vnet(tenant: Tenant, source: str) -> str | None:
    """The lower-cased virtual network ID a source address asks from (None: the internet)."""
    with tenant.lock:
        subnet_key = tenant.subnet_by_vantage.get(source)
    return subnet_key.rsplit("/subnets/", 1)[0] if subnet_key else None


def _linked_zone(tenant: Tenant, vnet_key: str | None) -> tuple[dict, dict] | None:
    """(zone, link) of the privatelink.azurecr.io zone linked to the network, if any."""
    if vnet_key is None:
        return None
    for zone in tenant.private_dns_zones.values():
        if zone["name"].lower() != PRIVATE_LINK_ZONE:
            continue
        for link in zone["links"].values():
            props = link.get("properties") or {}
            target = ((props.get("virtualNetwork") or {}).get("id") or "").lower()
            # A link serves names once it is provisioned (its PUT is long-running).
            if target == vnet_key and props.get("provisioningState", "Succeeded") == "Succeeded":
                return zone, link
    return None


def _registry_for(tenant: Tenant, public_name: str) -> dict | None:
    return tenant.find_registry_by_host(public_name)


def _region_of(registry: dict, public_name: str) -> str:
    # A data endpoint names its region (`r.<region>.data.azurecr.io`); a login server is
    # served from the registry's home region.
    parts = public_name.split(".")
    if len(parts) == 5 and parts[2] == "data":
        return parts[1]
    return str(registry.get("location") or "westus")


def _public_a(tenant: Tenant, name: str, public_name: str) -> DnsAnswer:
    registry = _registry_for(tenant, public_name)
    if registry is None:
        return DnsAnswer(NXDOMAIN)
    address = public_frontend_address(_region_of(registry, public_name))
    return DnsAnswer(NOERROR, (DnsRecord(name, "A", address, PUBLIC_TTL),))


def _private_link_name(tenant: Tenant, name: str, vnet_key: str | None) -> DnsAnswer:
    """`x.privatelink.azurecr.io`: the linked zone's records, else public DNS."""
    relative = name[: -len(PRIVATE_LINK_SUFFIX)]
    public_name = relative + REGISTRY_SUFFIX
    linked = _linked_zone(tenant, vnet_key)
    if linked is not None:
        zone, link = linked
        a_set = zone["records"].get(f"a/{relative}")
        if a_set is not None:
            props = a_set.get("properties") or {}
            ttl = int(props.get("ttl") or 10)
            addresses = [r["ipv4Address"] for r in props.get("aRecords") or []]
            return DnsAnswer(NOERROR, tuple(DnsRecord(name, "A", a, ttl) for a in addresses))
        cname_set = zone["records"].get(f"cname/{relative}")
        if cname_set is not None:
            props = cname_set.get("properties") or {}
            target = ((props.get("cnameRecord") or {}).get("cname") or "").lower().rstrip(".")
            if target:
                record = DnsRecord(name, "CNAME", target, int(props.get("ttl") or 10))
                rest = answer_name(tenant, target, vnet_key, depth=1)
                return DnsAnswer(rest.rcode, (record, *rest.records))
        if any(key.split("/", 1)[1] == relative for key in zone["records"]):
            return DnsAnswer(NOERROR)  # the name holds other types (TXT, AAAA...): no A data
        policy = (link.get("properties") or {}).get("resolutionPolicy", "Default")
        if policy != "NxDomainRedirect":
            return DnsAnswer(NXDOMAIN)
    return _public_a(tenant, name, public_name)


def answer_name(tenant: Tenant, qname: str, vnet_key: str | None, depth: int = 0) -> DnsAnswer:
    """The chain (CNAMEs then A records) for `qname` asked from `vnet_key` (None: internet)."""
    name = qname.lower().rstrip(".")
    if depth > 8:  # a CNAME loop written into a zone: Azure DNS gives up with SERVFAIL
        return DnsAnswer("SERVFAIL")
    if not name.endswith(REGISTRY_SUFFIX):
        return DnsAnswer(REFUSED)
    with tenant.lock:
        if name.endswith(PRIVATE_LINK_SUFFIX):
            return _private_link_name(tenant, name, vnet_key)
        registry = _registry_for(tenant, name)
        if registry is None:
            return DnsAnswer(NXDOMAIN)
        connections = registry["properties"].get("privateEndpointConnections") or []
        if not connections:
            return _public_a(tenant, name, name)
        target = name[: -len(REGISTRY_SUFFIX)] + PRIVATE_LINK_SUFFIX
        rest = _private_link_name(tenant, target, vnet_key)
        return DnsAnswer(rest.rcode, (DnsRecord(name, "CNAME", target, PUBLIC_TTL), *rest.records))


def answer(tenant: Tenant, source: str, qname: str) -> DnsAnswer:
    """What the vantage at `source` (its loopback address) is answered for `qname`."""
    return answer_name(tenant, qname, vantage_vnet(tenant, source))
