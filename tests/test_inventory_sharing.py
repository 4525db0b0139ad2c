"""Values many resources hold equal are held once (the 50,000-registry fleet tenant's memory,
benchmarks/dashboard.py --fleet): rule sets without rules, address prefixes, service
endpoints, and the details of findings. Equal is still equal; only the copies go."""

from __future__ import annotations

from collections import defaultdict

from acrfence.services.analysis import find_findings
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.services.models import Finding, Severity


def _all_one_object(groups: dict[object, list[object]]) -> bool:
    return all(len({id(value) for value in values}) == 1 for values in groups.values())


async def test_equal_values_of_an_inventory_are_one_object(emulator):
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        inventory = await InventoryService(clients).load()
    rule_sets: dict[object, list[object]] = defaultdict(list)
    for registry in inventory.registries:
        rules = registry.network_rule_set
        if rules is not None and not rules.ip_rules and not rules.virtual_network_rules:
            rule_sets[rules.default_action].append(rules)
    prefixes: dict[object, list[object]] = defaultdict(list)
    endpoints: dict[object, list[object]] = defaultdict(list)
    for subnet in inventory.subnets:
        prefixes[subnet.address_prefixes].append(subnet.address_prefixes)
        for endpoint in subnet.service_endpoints:
            endpoints[endpoint].append(endpoint)
    assert any(len(values) > 1 for values in rule_sets.values())
    assert any(len(values) > 1 for values in endpoints.values())
    assert _all_one_object(rule_sets)
    assert _all_one_object(prefixes)
    assert _all_one_object(endpoints)
    assert find_findings(inventory)  # analysis reads the shared values as before


def test_findings_with_one_detail_share_its_text():
    # Two equal texts made apart (as two registries' findings make them), one kept.
    first, second = ("".join(("Upgrade it to ", tier)) for tier in ("Premium", "Premium"))
    assert first is not second
    a = Finding("registry-open", Severity.WARNING, "one: open", first, registry_id="/one")
    b = Finding("registry-open", Severity.WARNING, "two: open", second, registry_id="/two")
    assert a.detail == b.detail == first
    assert a.detail is b.detail
