"""Rules of the domain that live in one function each, tested where they live."""

from __future__ import annotations

from acrfence.services.plans.checks import any_rule_admits


def test_any_rule_admits_reads_each_rule_as_a_network_and_skips_unreadable_ones() -> None:
    assert any_rule_admits("203.0.113.5", ["198.51.100.0/24", "203.0.113.0/24"])
    assert any_rule_admits("203.0.113.5", ["203.0.113.5"])  # a bare address is a /32
    assert not any_rule_admits("203.0.113.5", ["not a rule", "198.51.100.7"])
    assert not any_rule_admits("not an address", ["0.0.0.0/0"])


def test_ids_azure_returned_are_read_leniently_in_one_place() -> None:
    from acrfence.services.models import (
        id_segment,
        is_registry_name,
        is_subscription_id,
        resource_group_of,
        subnet_id,
        subscription_of,
    )

    sid = subnet_id("00000000-0000-0000-0000-000000000001", "Net-RG", "vnet1", "app")
    assert subscription_of(sid) == "00000000-0000-0000-0000-000000000001"
    assert resource_group_of(sid.upper()) == "NET-RG"  # keys compare as ARM does
    assert id_segment(sid, "virtualnetworks") == "vnet1"
    assert resource_group_of("/subscriptions/x") == "" and subscription_of("") == ""
    assert is_subscription_id("00000000-0000-0000-0000-000000000001")
    assert not is_subscription_id("not-a-guid")
    assert is_registry_name("myregistry01") and not is_registry_name("my_registry")
