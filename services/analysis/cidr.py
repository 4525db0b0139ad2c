"""IP rule values as ACR reads them: IPv4 addresses or CIDR ranges, public ones only matter.

ACR's firewall sees the public address a request arrives from, so a rule inside a private or
otherwise non-routable block can never match anything.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network

__all__ = [
    "IpRuleError",
    "parse_ip_rule",
    "parse_client_ip",
    "non_routable_block",
    "describe_range",
]


class IpRuleError(ValueError):
    """A value ACR would not take as an IP rule, or a client address that is not IPv4."""


# Blocks whose addresses never reach Azure as a source address: RFC 1918, shared address space
# (RFC 6598, carrier NAT), loopback, link-local, "this network", multicast and reserved.
# Documentation ranges (TEST-NET) are left out on purpose: the emulator presents the internet
# as one of them, so flagging them would be wrong against it.
_NON_ROUTABLE: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(cidr), label)
    for cidr, label in (
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("100.64.0.0/10", "carrier-grade NAT (RFC 6598)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("0.0.0.0/8", "'this network'"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)


@lru_cache(maxsize=65536)
def parse_ip_rule(value: str) -> IPv4Network:
    """The range an IP rule admits; a bare address means /32, as ACR reads it.

    Host bits set below the prefix are tolerated (``1.2.3.4/24`` is ``1.2.3.0/24``).
    """
    text = (value or "").strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise IpRuleError(f"not an IPv4 address or CIDR range: {value!r}") from None
    if not isinstance(network, IPv4Network):
        raise IpRuleError(f"ACR IP rules take IPv4 only, not {value!r}")
    return network


def parse_client_ip(value: str) -> IPv4Address:
    """A caller's address, as the probe reports it; ACR's firewall speaks IPv4 only."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        raise IpRuleError(f"not an IP address: {value!r}") from None
    if not isinstance(address, IPv4Address):
        raise IpRuleError(f"ACR's firewall matches IPv4 client addresses only, not {value!r}")
    return address


# The same blocks as integer bounds: a containment test is two comparisons.
_NON_ROUTABLE_BOUNDS = tuple(
    (int(block.network_address), int(block.broadcast_address), label)
    for block, label in _NON_ROUTABLE
)


def non_routable_block(network: IPv4Network | IPv4Address) -> str | None:
    """A label such as "private (RFC 1918)" when all of ``network`` lies in such a block."""
    if isinstance(network, IPv4Address):
        first = last = int(network)
    else:
        first, last = int(network.network_address), int(network.broadcast_address)
    for start, end, label in _NON_ROUTABLE_BOUNDS:
        if start <= first and last <= end:
            return label
    return None


def describe_range(network: IPv4Network) -> str:
    """How a rule reads in a sentence: "203.0.113.10" or "203.0.113.0/24 (256 addresses)"."""
    if network.prefixlen == 32:
        return str(network.network_address)
    return f"{network} ({network.num_addresses:,} addresses)"
