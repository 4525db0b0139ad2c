"""Name resolution for the probe, injectable so tests never have to reach a real resolver.

A resolver is any ``async (host, port) -> list[str]`` raising ``socket.gaierror`` when the
name does not resolve. Tests hand in a dict-backed one to make a name resolve to a private
address without ever connecting to it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from ipaddress import ip_address, ip_network

__all__ = ["Resolver", "system_resolver", "static_resolver", "is_private_address"]

Resolver = Callable[[str, int], Awaitable[list[str]]]

# The ranges a private endpoint's NIC gets its address from: RFC 1918, shared address space
# (RFC 6598, used by some VNets) and IPv6 unique local. Loopback is deliberately not here:
# it is how --connect-to and the emulator point a probe at this machine.
_PRIVATE_RANGES = tuple(
    ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


@lru_cache(maxsize=4096)  # asked twice per host; hundreds of hosts share a few addresses
def is_private_address(address: str) -> bool:
    """True for an address in a private range (a private endpoint's, typically)."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed.version == net.version and parsed in net for net in _PRIVATE_RANGES)


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver; a literal address resolves to itself."""
    try:
        return [str(ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if str(sockaddr[0]) not in addresses:
            addresses.append(str(sockaddr[0]))
    return addresses


def static_resolver(table: Mapping[str, list[str]], fallback: Resolver | None = None) -> Resolver:
    """A resolver answering from ``table`` (case-insensitive); other names fail or fall back."""
    known = {name.casefold(): list(addresses) for name, addresses in table.items()}

    async def resolve(host: str, port: int) -> list[str]:
        addresses = known.get(host.casefold())
        if addresses is not None:
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return list(addresses)
        if fallback is not None:
            return await fallback(host, port)
        try:
            return [str(ip_address(host))]
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    return resolve
