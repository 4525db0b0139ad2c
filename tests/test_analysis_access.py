"""Effective access in words, and the subnets and ranges that really get in."""

from __future__ import annotations

from acrfence.services.analysis import effective_access
from acrfence.services.models import subnet_id
from helpers import (
    OTHER_SUB,
    RG,
    SUB,
    make_connection,
    make_inventory,
    make_registry,
    make_subnet,
    private_endpoint_id,
)


def test_the_scenario_lockdown_reads_as_the_operator_says_it() -> None:
    subnet = make_subnet()
    registry = make_registry(subnets=(subnet.id,), ips=("203.0.113.10",))
    access = effective_access(registry, make_inventory([registry], [subnet]))
    assert access.headline == (
        "Deny by default; reachable from myDockerVMVNET/myDockerVMSubnet and 1 IP range"
    )
    assert access.allowed_subnet_ids == (subnet.id,)
    assert access.allowed_ip_ranges == ("203.0.113.10/32",)
    assert not access.open_to_internet


def test_ineffective_rules_say_why_and_are_not_counted() -> None:
    missing = make_subnet("v2", "noEndpoint", acr=False)
    gone = subnet_id(SUB, RG, "v9", "gone")
    foreign = subnet_id(OTHER_SUB, "rg", "v8", "theirs")
    registry = make_registry(subnets=(missing.id, gone, foreign), ips=("10.0.0.0/8", "nope"))
    access = effective_access(registry, make_inventory([registry], [missing]))
    assert access.allowed_subnet_ids == () and access.allowed_ip_ranges == ()
    text = "\n".join(access.lines)
    assert "rule for v2/noEndpoint does nothing because the subnet lacks" in text
    assert "rule for v9/gone does nothing because the subnet no longer exists" in text
    assert "rule for v8/theirs can't be checked" in text
    assert "IP rule 10.0.0.0/8 does nothing because" in text and "private" in text
    assert "IP rule nope does nothing because it is not an IPv4 address" in text
    # The unreadable subnet may well have the endpoint: not called locked out.
    assert access.headline == "Deny by default; reachable only through 1 rule that can't be checked"


def test_many_subnets_are_counted_not_listed() -> None:
    subnets = [make_subnet("bigVNET", f"s{i}") for i in range(5)]
    registry = make_registry(subnets=tuple(s.id for s in subnets))
    access = effective_access(registry, make_inventory([registry], subnets))
    assert access.headline == "Deny by default; reachable from 5 subnets"
    assert len(access.allowed_subnet_ids) == 5


def test_default_allow_is_open_and_its_rules_do_nothing() -> None:
    subnet = make_subnet()
    registry = make_registry(default_action="Allow", subnets=(subnet.id,), ips=("203.0.113.1",))
    access = effective_access(registry, make_inventory([registry], [subnet]))
    assert access.open_to_internet
    assert access.headline.startswith("Open to the internet (default action Allow)")
    assert "2 rules do nothing" in access.headline
    assert (
        sum("does nothing because the default action is Allow" in line for line in access.lines)
        == 2
    )


def test_basic_tier_is_open_whatever_its_rules() -> None:
    registry = make_registry(sku="Basic", ips=("203.0.113.1",))
    access = effective_access(registry, make_inventory([registry]))
    assert access.open_to_internet
    assert "Basic" in access.headline
    assert any("need the Premium tier" in line for line in access.lines)


def test_public_access_disabled_counts_private_endpoints() -> None:
    approved = make_connection("pe1", private_endpoint_id("pe1"))
    pending = make_connection("pe2", private_endpoint_id("pe2"), status="Pending")
    registry = make_registry(public="Disabled", connections=(approved, pending))
    access = effective_access(registry, make_inventory([registry]))
    assert (
        access.headline
        == "Public access disabled; reachable only through 1 approved private endpoint"
    )
    assert not access.open_to_internet
    assert any("pe2 is Pending" in line for line in access.lines)

    closed = make_registry("closed", public="Disabled")
    assert effective_access(closed, make_inventory([closed])).headline.startswith("Unreachable")


def test_deny_with_a_catch_all_ip_rule_is_open() -> None:
    registry = make_registry(ips=("0.0.0.0/0",))
    access = effective_access(registry, make_inventory([registry]))
    assert access.open_to_internet
    assert access.headline.startswith("Open to the internet")


def test_bypass_and_private_endpoints_are_stated() -> None:
    approved = make_connection("pe1", private_endpoint_id("pe1"))
    registry = make_registry(bypass="None", connections=(approved,))
    access = effective_access(registry, make_inventory([registry]))
    assert access.headline == "Deny by default; reachable from 1 private endpoint"
    assert "Trusted Azure services are refused too (bypass off)." in access.lines
    assert any("pe1 is Approved" in line for line in access.lines)


def test_a_changed_registry_is_analysed_afresh_on_the_same_inventory() -> None:
    import dataclasses

    subnet = make_subnet()
    registry = make_registry(subnets=(subnet.id,))
    inventory = make_inventory([registry], [subnet])
    assert effective_access(registry, inventory).allowed_subnet_ids == (subnet.id,)
    emptied = dataclasses.replace(registry, network_rule_set=None)
    assert effective_access(emptied, inventory).allowed_subnet_ids == ()
