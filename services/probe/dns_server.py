"""Resolve through one DNS server (a vantage's resolver, an operator's own, the emulator's),
from a chosen source address, and keep the resolution chain.

Private link lives in DNS: from a network linked to a ``privatelink.azurecr.io`` zone,
``myregistry.azurecr.io`` is ``CNAME myregistry.privatelink.azurecr.io`` then ``A 10.1.8.5``;
from anywhere else the CNAME leads to the public address. The chain is what tells an operator
which path a pull takes, so the probe shows it rather than only the final addresses.

Queries go over UDP from ``source`` (the vantage's address: a DNS server tells askers apart by
it) and again over TCP when the answer comes back truncated (dnspython's
``udp_with_fallback``). Failures raise ``socket.gaierror``, as the system resolver does, so
the probe treats every resolver alike.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype

__all__ = [
    "ChainLink",
    "DnsChain",
    "DnsServerResolver",
    "LOOPBACK_RULE",
    "address_map_for_rule",
    "dns_server_resolver",
    "parse_dns_server",
]

# The emulator's documented rule for reaching a private endpoint's IP on one machine
# (emulator/private_addresses.py; handed over as ACRFENCE_PRIVATE_ADDRESS_RULE, not imported:
# the app and its test double share a contract, not code).
LOOPBACK_RULE = "a.b.c.d -> 127.b.c.d"


@dataclass(frozen=True)
class ChainLink:
    """One answer record: ``CNAME myregistry.privatelink.azurecr.io`` or ``A 10.1.8.5``."""

    kind: str  # "CNAME" or "A"
    name: str  # the owner name, without the final dot
    value: str  # the CNAME's target (no final dot) or the address
    ttl: int

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


@dataclass(frozen=True)
class DnsChain:
    """What a server answered for a name: its rcode and the chain, in order."""

    name: str
    rcode: str  # "NOERROR", "NXDOMAIN", "REFUSED", "SERVFAIL"...
    links: tuple[ChainLink, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(link.value for link in self.links if link.kind == "A")

    def describe(self) -> str:
        """``CNAME x.privatelink.azurecr.io, A 10.1.8.5`` (or the rcode when nothing came)."""
        return ", ".join(str(link) for link in self.links) or self.rcode


def parse_dns_server(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``; the port defaults to 53) -> (host, port); ValueError."""
    from ipaddress import ip_address

    value = text.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port_text = rest.removeprefix(":") if rest else ""
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host, port_text = value, ""
    try:
        ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r} is not HOST:PORT with HOST an IP address") from None
    if not port_text:
        return host, 53
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


class DnsServerResolver:
    """A probe ``Resolver`` (``await resolver(host, port) -> [addresses]``) that asks one DNS
    server from one source address; ``await resolver.chain(host)`` gives the whole chain."""

    def __init__(self, server: tuple[str, int], source: str | None, timeout: float = 5.0):
        self.server = server
        self.source = source
        self.timeout = timeout

    async def chain(self, host: str) -> DnsChain:
        """The server's answer for an A query of ``host``; raises socket.gaierror when the
        server can't be asked (no answer, garbage)."""
        name = host.rstrip(".")
        query = dns.message.make_query(name, dns.rdatatype.A)
        try:
            response, _ = await dns.asyncquery.udp_with_fallback(
                query,
                self.server[0],
                timeout=self.timeout,
                port=self.server[1],
                source=self.source,
            )
        except dns.exception.Timeout:
            raise socket.gaierror(
                socket.EAI_AGAIN, f"no answer from DNS server {self._where()}"
            ) from None
        except (dns.exception.DNSException, OSError) as error:
            raise socket.gaierror(
                socket.EAI_FAIL, f"DNS server {self._where()} failed: {error}"
            ) from None
        links: list[ChainLink] = []
        for rrset in response.answer:
            kind = dns.rdatatype.to_text(rrset.rdtype)
            if kind not in ("A", "CNAME"):
                continue
            owner = rrset.name.to_text(omit_final_dot=True).lower()
            for rdata in rrset:
                value = rdata.to_text().rstrip(".").lower()
                links.append(ChainLink(kind, owner, value, int(rrset.ttl)))
        return DnsChain(name.lower(), dns.rcode.to_text(response.rcode()), tuple(links))

    async def __call__(self, host: str, port: int) -> list[str]:
        try:
            from ipaddress import ip_address

            return [str(ip_address(host))]  # a literal address resolves to itself
        except ValueError:
            pass
        return list(raise_for_failure(await self.chain(host)).addresses)

    def _where(self) -> str:
        return f"{self.server[0]}:{self.server[1]}"


def raise_for_failure(chain: DnsChain) -> DnsChain:
    """The chain when it ends in addresses; socket.gaierror (NXDOMAIN etc.) otherwise."""
    if chain.rcode == "NXDOMAIN":
        raise socket.gaierror(socket.EAI_NONAME, f"NXDOMAIN ({chain.describe()})")
    if chain.rcode != "NOERROR":
        raise socket.gaierror(socket.EAI_FAIL, f"DNS server answered {chain.rcode}")
    if not chain.addresses:
        raise socket.gaierror(socket.EAI_NODATA, f"no A record ({chain.describe()})")
    return chain


def dns_server_resolver(
    server: tuple[str, int], source: str | None = None, timeout: float = 5.0
) -> DnsServerResolver:
    """Resolve through ``server`` (host, port), asking from ``source`` (None: any address)."""
    return DnsServerResolver(server, source, timeout)


def address_map_for_rule(rule: str) -> Callable[[str], str | None]:
    """The function a rule names, mapping an answered private IPv4 address to the local
    address it is reached at (None: connect to it as it is); ValueError for an unknown rule."""
    if " ".join(rule.split()) != LOOPBACK_RULE:
        raise ValueError(f"{rule!r} is not a known address rule (only {LOOPBACK_RULE!r})")

    def to_loopback(address: str) -> str | None:
        from ipaddress import IPv4Address

        from acrfence.services.probe.dns import is_private_address

        try:
            packed = IPv4Address(address).packed
        except ValueError:
            return None
        if not is_private_address(address):
            return None
        return f"127.{packed[1]}.{packed[2]}.{packed[3]}"

    return to_loopback
