"""IP rule values as ACR reads them."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from acrfence.services.analysis import IpRuleError, non_routable_block, parse_ip_rule
from acrfence.services.analysis.cidr import describe_range


@pytest.mark.parametrize(
    ("value", "network"),
    [("1.2.3.4", "1.2.3.4/32"), ("1.2.3.0/24", "1.2.3.0/24"), (" 1.2.3.4/24 ", "1.2.3.0/24")],
)
def test_addresses_and_ranges(value: str, network: str) -> None:
    assert parse_ip_rule(value) == IPv4Network(network)


@pytest.mark.parametrize("value", ["", "1.2.3", "1.2.3.4/33", "::1", "2001:db8::/32", "a.b.c.d"])
def test_rejects_what_acr_rejects(value: str) -> None:
    with pytest.raises(IpRuleError):
        parse_ip_rule(value)


def test_non_routable_blocks() -> None:
    assert non_routable_block(IPv4Network("10.20.0.0/16")) == "private (RFC 1918)"
    assert non_routable_block(IPv4Network("100.100.0.0/16")).startswith("carrier-grade NAT")
    assert non_routable_block(IPv4Network("203.0.113.0/24")) is None  # the emulator's internet
    assert non_routable_block(IPv4Network("8.0.0.0/7")) is None
    # A range that only partly overlaps a private block can still match public clients.
    assert non_routable_block(IPv4Network("0.0.0.0/0")) is None


def test_describe_range() -> None:
    assert describe_range(IPv4Network("1.2.3.4/32")) == "1.2.3.4"
    assert describe_range(IPv4Network("1.2.0.0/16")) == "1.2.0.0/16 (65,536 addresses)"
