"""What the firewall should answer a caller, and the probe's verdict set beside it."""

from __future__ import annotations

import pytest

from acrfence.services.analysis import IpRuleError, expected_access, explain_outcome
from acrfence.services.models import ResourceIdError
from helpers import (
    make_connection,
    make_inventory,
    make_registry,
    make_subnet,
    private_endpoint_id,
)

WITH_ENDPOINT = make_subnet()
WITHOUT_ENDPOINT = make_subnet("v2", "noEndpoint", acr=False)
UNRULED = make_subnet("v3", "endpointNoRule")
LOCKED = make_registry(subnets=(WITH_ENDPOINT.id, WITHOUT_ENDPOINT.id), ips=("198.51.100.0/24",))
INVENTORY = make_inventory([LOCKED], [WITH_ENDPOINT, WITHOUT_ENDPOINT, UNRULED])


def expect(registry=LOCKED, inventory=INVENTORY, **caller):
    caller.setdefault("public_ip", None)
    caller.setdefault("subnet_id", None)
    return expected_access(registry, inventory, **caller)


def test_internet_client_matching_no_rule_is_denied_with_the_issue_wording() -> None:
    expectation = expect(public_ip="203.0.113.10")
    assert not expectation.allowed and expectation.certain
    assert expectation.reason == (
        "default action Deny, client IP 203.0.113.10 matches no IP rule, "
        "this host is not in an allowed subnet"
    )
    denied = explain_outcome(expectation, network_allowed=False)
    assert denied.startswith("denied, as the rules say: ")
    assert explain_outcome(expectation, network_allowed=True).startswith(
        "reachable but the rules say it should not be: "
    )


def test_ip_rule_match() -> None:
    expectation = expect(public_ip="198.51.100.77")
    assert expectation.allowed and expectation.decided_by == "ip-rule"
    assert expectation.matched_rule == "198.51.100.0/24"


def test_subnet_with_rule_and_endpoint_gets_in() -> None:
    expectation = expect(subnet_id=WITH_ENDPOINT.id)
    assert expectation.allowed and expectation.decided_by == "subnet-rule"
    assert "myDockerVMVNET/myDockerVMSubnet" in expectation.reason


def test_endpoint_subnet_without_rule_is_denied_even_from_an_allowed_ip() -> None:
    # Its traffic arrives through the service endpoint, so the public IP rule can't match it.
    expectation = expect(subnet_id=UNRULED.id, public_ip="198.51.100.77")
    assert not expectation.allowed and expectation.certain
    assert "IP rules don't match" in expectation.reason


def test_rule_without_endpoint_falls_back_to_the_public_ip() -> None:
    denied = expect(subnet_id=WITHOUT_ENDPOINT.id, public_ip="203.0.113.10")
    assert not denied.allowed
    assert "has a rule but lacks the Microsoft.ContainerRegistry endpoint" in denied.reason
    allowed = expect(subnet_id=WITHOUT_ENDPOINT.id, public_ip="198.51.100.5")
    assert allowed.allowed and allowed.decided_by == "ip-rule"


def test_unknown_ip_is_uncertain_when_ip_rules_exist() -> None:
    expectation = expect()
    assert not expectation.allowed and not expectation.certain
    assert "client IP unknown" in expectation.reason
    assert "can't say for sure" in explain_outcome(expectation, network_allowed=True)


def test_private_client_ip_is_not_matched() -> None:
    registry = make_registry(ips=("10.0.0.0/8",))
    expectation = expect(registry, make_inventory([registry]), public_ip="10.1.2.3")
    assert not expectation.allowed and expectation.certain
    assert "private (RFC 1918)" in expectation.reason


def test_default_allow_and_basic_let_everyone_in() -> None:
    allow = make_registry(default_action="Allow")
    basic = make_registry("basic", sku="Basic", ips=("198.51.100.1",))
    inventory = make_inventory([allow, basic])
    assert expect(allow, inventory, public_ip="203.0.113.10").decided_by == "default-allow"
    assert expect(basic, inventory, public_ip="203.0.113.10").allowed


def test_public_access_disabled_and_private_endpoints() -> None:
    approved = make_connection("pe1", private_endpoint_id("pe1"))
    closed = make_registry(public="Disabled", connections=(approved,))
    inventory = make_inventory([closed])
    from_internet = expect(closed, inventory, public_ip="203.0.113.10")
    assert not from_internet.allowed and from_internet.decided_by == "public-access-disabled"
    through_link = expect(closed, inventory, via_private_endpoint=True)
    assert through_link.allowed and "pe1" in through_link.reason
    no_link = make_registry("nolink", public="Disabled")
    assert not expect(no_link, inventory, via_private_endpoint=True).allowed


def test_denied_where_rules_allow_mentions_propagation_delay() -> None:
    text = explain_outcome(expect(public_ip="198.51.100.9"), network_allowed=False)
    assert text.startswith("denied but the rules say it should be reachable")
    assert "few minutes" in text


@pytest.mark.parametrize(
    ("caller", "error"),
    [
        ({"public_ip": "not-an-ip"}, IpRuleError),
        ({"public_ip": "2001:db8::1"}, IpRuleError),
        ({"subnet_id": "/subscriptions/x/whatever"}, ResourceIdError),
    ],
)
def test_bad_input_is_one_clear_error(caller, error) -> None:
    with pytest.raises(error) as raised:
        expect(**caller)
    assert "\n" not in str(raised.value) and str(raised.value)


def test_subnet_in_the_private_endpoints_vnet_comes_in_over_private_link() -> None:
    endpoint = private_endpoint_id("pe-hub")
    endpoint_subnet = make_subnet("hubVNET", "endpoints", acr=False, private_endpoints=(endpoint,))
    neighbour = make_subnet("hubVNET", "workloads", acr=False)
    elsewhere = make_subnet("spokeVNET", "workloads", acr=False)
    closed = make_registry(public="Disabled", connections=(make_connection("pe-hub", endpoint),))
    inventory = make_inventory([closed], [endpoint_subnet, neighbour, elsewhere])
    inside = expect(closed, inventory, subnet_id=neighbour.id)
    assert inside.allowed and inside.decided_by == "private-endpoint"
    assert "hubVNET" in inside.reason and "pe-hub" in inside.reason
    outside = expect(closed, inventory, subnet_id=elsewhere.id)
    assert not outside.allowed and outside.decided_by == "public-access-disabled"
