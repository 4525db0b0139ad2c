"""IP rules compare one way everywhere, as networks: the registry service, the plans' snapshots,
the step records and the executor all use services.models.ip_rule_key."""

from __future__ import annotations

import pytest

from acrfence.services.models import (
    IpRule,
    NetworkRuleSet,
    Registry,
    RulesChange,
    changes_made,
    ip_rule_key,
    same_ip_rule,
)
from acrfence.services.plans import snapshot
from acrfence.services.registry_rules import NetworkEdit, edit_problems


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("1.2.3.4/24", "1.2.3.0/24", True),  # host bits below the prefix don't count
        ("1.2.3.4", "1.2.3.4/32", True),
        (" 1.2.3.4 ", "1.2.3.4", True),
        ("1.2.3.4/24", "1.2.3.4/32", False),
        ("1.2.3.0/24", "1.2.4.0/24", False),
        ("not-an-ip", "NOT-AN-IP", True),  # kept as text: equals only itself
        ("not-an-ip", "1.2.3.4", False),
    ],
)
def test_one_equality_for_ip_rules(a: str, b: str, same: bool) -> None:
    assert same_ip_rule(a, b) is same
    assert snapshot.same_ip(a, b) is same  # the plans use the same function
    assert (ip_rule_key(a) in snapshot.ip_values({"ip_rules": [b]})) is same
    assert (IpRule(a).key == IpRule(b).key) is same


def _registry(*ip_rules: str) -> Registry:
    rules = NetworkRuleSet("Deny", tuple(IpRule(v) for v in ip_rules), ())
    return Registry(
        id="/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
        "Microsoft.ContainerRegistry/registries/acr",
        name="acr",
        resource_group="rg",
        subscription_id="00000000-0000-0000-0000-000000000001",
        location="westus",
        sku="Premium",
        login_server="acr.azurecr.io",
        network_rule_set=rules,
    )


def test_the_registry_service_and_the_plans_agree_on_host_bits() -> None:
    registry = _registry("1.2.3.0/24")
    # The registry service: adding 1.2.3.4/24 where 1.2.3.0/24 exists is already done.
    assert edit_problems(registry, NetworkEdit(add_ip_rules=("1.2.3.4/24",))) == []
    # The step records (what a write would change) agree.
    state = snapshot.registry_state(registry)
    assert changes_made(RulesChange(add_ip_rules=("1.2.3.4/24",)), state).is_empty
    assert changes_made(RulesChange(remove_ip_rules=("1.2.3.4/24",)), state).remove_ip_rules == (
        "1.2.3.4/24",
    )
