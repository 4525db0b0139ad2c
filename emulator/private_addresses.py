"""Private endpoint addresses on loopback: how a private IP is reached on this one machine.

Every private IP a private endpoint's network interface holds (one per login server and data
endpoint) is mapped to a loopback address by a fixed rule: keep the last three octets, put
127 in front (10.1.8.5 -> 127.1.8.5, 172.16.4.7 -> 127.16.4.7). A fixed rule rather than a
table lets any client (the app's probe, a test) find the loopback address of an IP that DNS
answered without asking the emulator; the ready line still lists the current ones
(`private_addresses`). The data plane listens on each such address, on the registry port,
while an endpoint holds it, and never on 0.0.0.0: all traffic stays in 127.0.0.0/8.

Two private IPs can share a loopback address (the same 10.0.0.4 in two virtual networks, as
Azure allows; or 10.16.0.4 and 172.16.0.4). The data plane then takes the endpoint in the
caller's own virtual network, as routing in Azure would; failing that, the first created.
Addresses x.0.0.1 never collide with the public listener on 127.0.0.1: Azure keeps the first
addresses of every subnet for itself.
"""

from __future__ import annotations

import ipaddress

from acrfence.emulator.state import Tenant

PRIVATE_ADDRESS_RULE = "a.b.c.d -> 127.b.c.d"


def loopback_for(private_ip: str) -> str | None:
    """The loopback address a private IPv4 address is reached at (None for anything else)."""
    try:
        address = ipaddress.IPv4Address(private_ip)
    except ValueError:
        return None
    _, b, c, d = address.packed
    return f"127.{b}.{c}.{d}"


def private_address_map(tenant: Tenant) -> dict[str, str]:
    """{private IP: loopback address} for every address a private endpoint holds now."""
    mapping: dict[str, str] = {}
    with tenant.lock:
        for endpoint in tenant.private_endpoints.values():
            for ip in endpoint.get("ipAddresses") or ():
                loopback = loopback_for(ip)
                if loopback is not None:
                    mapping.setdefault(ip, loopback)
    return mapping


def endpoint_at(tenant: Tenant, local_address: str, caller_vnet: str | None) -> str | None:
    """The lower-cased ID of the private endpoint a connection to `local_address` reached:
    the one in the caller's virtual network if several share the address; None if none."""
    found: list[tuple[str, str]] = []
    with tenant.lock:
        for key, endpoint in tenant.private_endpoints.items():
            if any(loopback_for(ip) == local_address for ip in endpoint.get("ipAddresses") or ()):
                vnet = endpoint.get("subnetId", "").lower().rsplit("/subnets/", 1)[0]
                found.append((key, vnet))
    for key, vnet in found:
        if caller_vnet is not None and vnet == caller_vnet:
            return key
    return found[0][0] if found else None
