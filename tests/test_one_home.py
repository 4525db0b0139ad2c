"""Rules of the domain that live in one function each, tested where they live."""

from __future__ import annotations

from services.plans.checks import any_rule_admits


def test_any_rule_admits_reads_each_rule_as_a_network_and_skips_unreadable_ones() -> None:
    assert any_rule_admits("203.0.113.5", ["198.51.100.0/24", "203.0.113.0/24"])
    assert any_rule_admits("203.0.113.5", ["203.0.113.5"])  # a bare address is a /32
    assert not any_rule_admits("203.0.113.5", ["not a rule", "198.51.100.7"])
    assert not any_rule_admits("not an address", ["0.0.0.0/0"])
