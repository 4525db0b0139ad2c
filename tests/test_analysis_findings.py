"""Each finding, detected on a hand-built inventory, and left quiet where it doesn't apply."""

from __future__ import annotations

from dataclasses import replace

import pytest

from acrfence.services.analysis import (
    FINDING_CODES,
    find_findings,
    registry_findings,
    subnet_findings,
)
from acrfence.services.models import PrivateDnsZone, Severity, subnet_id
from helpers import (
    OTHER_SUB,
    RG,
    make_connection,
    make_inventory,
    make_private_endpoint,
    make_registry,
    make_subnet,
    private_endpoint_id,
)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def only(findings, code):
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, codes(findings)
    return matching[0]


def test_healthy_lockdown_has_no_findings() -> None:
    subnet = make_subnet()
    registry = make_registry(subnets=(subnet.id,), ips=("203.0.113.0/24",))
    assert find_findings(make_inventory([registry], [subnet])) == ()


def test_rule_subnet_missing_endpoint_is_an_error_when_in_force() -> None:
    subnet = make_subnet(acr=False, others=("Microsoft.Storage",))
    registry = make_registry(subnets=(subnet.id,), ips=("203.0.113.7",))
    finding = only(
        registry_findings(registry, make_inventory([registry], [subnet])),
        "rule-subnet-missing-endpoint",
    )
    assert finding.severity is Severity.ERROR
    assert finding.subnet_id == subnet.id and finding.registry_id == registry.id
    assert "myDockerVMVNET/myDockerVMSubnet" in finding.title
    assert "Microsoft.Storage" in finding.detail  # tells the operator to keep what is there


def test_rule_subnet_missing_endpoint_is_a_warning_under_default_allow() -> None:
    subnet = make_subnet(acr=False)
    registry = make_registry(default_action="Allow", subnets=(subnet.id,))
    found = registry_findings(registry, make_inventory([registry], [subnet]))
    assert only(found, "rule-subnet-missing-endpoint").severity is Severity.WARNING


def test_dangling_rule() -> None:
    gone = subnet_id(make_subnet().subscription_id, RG, "oldVNET", "oldSubnet")
    kept = make_subnet()
    registry = make_registry(subnets=(kept.id, gone))
    finding = only(find_findings(make_inventory([registry], [kept])), "rule-subnet-not-found")
    assert finding.subnet_id == gone
    assert "oldVNET/oldSubnet" in finding.title


def test_rule_in_unreadable_subscription_is_information() -> None:
    foreign = subnet_id(OTHER_SUB, "otherRG", "theirVNET", "theirSubnet")
    registry = make_registry(subnets=(foreign,))
    finding = only(find_findings(make_inventory([registry])), "rule-subnet-unreadable")
    assert finding.severity is Severity.INFO
    assert OTHER_SUB in finding.detail
    # A rule that may well work doesn't make the registry "locked out".
    assert "registry-locked-out" not in codes(find_findings(make_inventory([registry])))


def test_deny_without_rules_is_locked_out() -> None:
    registry = make_registry()
    finding = only(find_findings(make_inventory([registry])), "registry-locked-out")
    assert finding.severity is Severity.ERROR
    assert "no rules" in finding.title
    assert "trusted Azure services" in finding.detail


def test_deny_whose_rules_all_fail_is_locked_out_too() -> None:
    subnet = make_subnet(acr=False)
    registry = make_registry(subnets=(subnet.id,), ips=("10.1.0.0/16",))
    finding = only(find_findings(make_inventory([registry], [subnet])), "registry-locked-out")
    assert "none of its 2 rules" in finding.title


def test_locked_out_with_private_endpoint_is_only_a_warning() -> None:
    connection = make_connection("pe1", private_endpoint_id("pe1"))
    registry = make_registry(connections=(connection,))
    finding = only(find_findings(make_inventory([registry])), "registry-locked-out")
    assert finding.severity is Severity.WARNING
    assert "disable public network access" in finding.detail


def test_unused_endpoint_on_subnet() -> None:
    used = make_subnet()
    unused = make_subnet("appVNET", "appSubnet")
    plain = make_subnet("appVNET", "plainSubnet", acr=False)
    registry = make_registry(subnets=(used.id,))
    inventory = make_inventory([registry], [used, unused, plain])
    finding = only(find_findings(inventory), "subnet-endpoint-unused")
    assert finding.subnet_id == unused.id and finding.registry_id is None
    assert finding.severity is Severity.INFO
    assert codes(subnet_findings(inventory)) == ["subnet-endpoint-unused"]


def test_rule_case_differs_from_subnet_id_still_counts_as_naming_it() -> None:
    subnet = make_subnet()
    registry = make_registry(
        subnets=(subnet.id.upper().replace("/SUBSCRIPTIONS", "/subscriptions"),)
    )
    assert find_findings(make_inventory([registry], [subnet])) == ()


def test_private_link_and_service_endpoint_from_the_same_vnet() -> None:
    endpoint = private_endpoint_id("pe-acr")
    pe_subnet = make_subnet(name="endpoints", acr=False, private_endpoints=(endpoint,))
    rule_subnet = make_subnet()
    registry = make_registry(
        subnets=(rule_subnet.id,), connections=(make_connection("pe-acr", endpoint),)
    )
    inventory = make_inventory([registry], [pe_subnet, rule_subnet])
    finding = only(find_findings(inventory), "private-link-and-service-endpoint-same-vnet")
    assert finding.severity is Severity.ERROR
    assert "myDockerVMVNET" in finding.title


def test_private_link_from_another_vnet_is_fine() -> None:
    endpoint = private_endpoint_id("pe-acr")
    pe_subnet = make_subnet("hubVNET", "endpoints", acr=False, private_endpoints=(endpoint,))
    rule_subnet = make_subnet()
    registry = make_registry(
        subnets=(rule_subnet.id,), connections=(make_connection("pe-acr", endpoint),)
    )
    inventory = make_inventory([registry], [pe_subnet, rule_subnet])
    assert "private-link-and-service-endpoint-same-vnet" not in codes(find_findings(inventory))


@pytest.mark.parametrize("sku", ["Basic", "Standard"])
def test_rules_on_non_premium(sku: str) -> None:
    subnet = make_subnet()
    registry = make_registry(sku=sku, subnets=(subnet.id,), ips=("10.0.0.0/8",))
    found = find_findings(make_inventory([registry], [subnet]))
    # The tier makes every rule moot, so that's the one thing said about this registry.
    assert codes(found) == ["rules-on-non-premium"]
    assert sku in found[0].title and "Premium" in found[0].detail


def test_basic_registry_without_rules_is_open_and_says_so_once() -> None:
    registry = make_registry(sku="Basic", default_action="Allow")
    found = find_findings(make_inventory([registry]))
    # An open registry is a warning, not "ok" (issue 14); the Basic tier is named as the why.
    assert codes(found) == ["registry-open"]
    assert found[0].severity is Severity.WARNING and "Basic tier" in found[0].title


def _many_rules(count: int):
    subnets = [make_subnet("bigVNET", f"s{i}") for i in range(count)]
    return make_registry(subnets=tuple(s.id for s in subnets)), subnets


@pytest.mark.parametrize(
    ("count", "expected"),
    [(89, None), (90, "vnet-rules-near-limit"), (99, "vnet-rules-near-limit"),
     (100, "vnet-rules-at-limit")],
)  # fmt: skip
def test_rule_limit(count: int, expected: str | None) -> None:
    registry, subnets = _many_rules(count)
    found = codes(find_findings(make_inventory([registry], subnets)))
    limit_codes = [c for c in found if c.startswith("vnet-rules-")]
    assert limit_codes == ([expected] if expected else [])


@pytest.mark.parametrize(
    "value", ["10.0.0.0/8", "172.16.5.0/24", "192.168.1.10", "100.64.0.1", "127.0.0.1"]
)
def test_ip_rule_in_private_range(value: str) -> None:
    registry = make_registry(ips=(value, "203.0.113.0/24"))
    finding = only(find_findings(make_inventory([registry])), "ip-rule-private-range")
    assert value in finding.title


def test_public_and_wide_ip_rules_are_not_flagged_as_private() -> None:
    registry = make_registry(ips=("8.8.8.8", "203.0.113.0/24", "0.0.0.0/1"))
    assert "ip-rule-private-range" not in codes(find_findings(make_inventory([registry])))


def test_ip_rule_malformed() -> None:
    registry = make_registry(ips=("300.1.1.1", "203.0.113.4"))
    finding = only(find_findings(make_inventory([registry])), "ip-rule-malformed")
    assert finding.severity is Severity.ERROR and "300.1.1.1" in finding.title


def test_ip_rule_allowing_everything() -> None:
    registry = make_registry(ips=("0.0.0.0/0",))
    assert "ip-rule-allows-everything" in codes(find_findings(make_inventory([registry])))


def test_bypass_off_on_a_restricted_registry() -> None:
    subnet = make_subnet()
    registry = make_registry(subnets=(subnet.id,), bypass="None")
    finding = only(find_findings(make_inventory([registry], [subnet])), "bypass-off")
    assert finding.severity is Severity.WARNING
    assert "--allow-trusted-services" in finding.detail


def test_bypass_off_on_an_open_registry_is_not_reported() -> None:
    registry = make_registry(default_action="Allow", bypass="None")
    # Only the openness is: the bypass changes nothing while everyone gets in.
    assert codes(find_findings(make_inventory([registry]))) == ["registry-open"]


def test_public_access_disabled_without_private_endpoint() -> None:
    pending = make_connection("pe-new", private_endpoint_id("pe-new"), status="Pending")
    registry = make_registry(public="Disabled", default_action="Allow", connections=(pending,))
    finding = only(
        find_findings(make_inventory([registry])), "public-access-disabled-no-private-endpoint"
    )
    assert finding.severity is Severity.ERROR
    assert "pe-new" in finding.detail  # points at the connection to approve


def test_public_access_disabled_with_approved_endpoint_is_fine() -> None:
    approved = make_connection("pe1", private_endpoint_id("pe1"))
    registry = make_registry(public="Disabled", default_action="Allow", connections=(approved,))
    assert find_findings(make_inventory([registry])) == ()


def test_default_allow_with_rules() -> None:
    subnet = make_subnet()
    registry = make_registry(default_action="Allow", subnets=(subnet.id,), ips=("203.0.113.1",))
    finding = only(find_findings(make_inventory([registry], [subnet])), "default-allow-with-rules")
    assert "2 rules do nothing" in finding.title
    assert "Deny" in finding.detail


def test_findings_come_errors_first() -> None:
    locked = make_registry("locked")
    allow = make_registry("allowy", default_action="Allow", ips=("203.0.113.1",))
    unused = make_subnet("appVNET", "appSubnet")
    found = find_findings(make_inventory([allow, locked], [unused]))
    ranks = [f.severity.rank for f in found]
    assert ranks == sorted(ranks)
    assert set(codes(found)) == {"registry-locked-out", "default-allow-with-rules",
                                 "subnet-endpoint-unused"}  # fmt: skip
    # default-allow-with-rules already says "allowy" is open: no second warning for it.


def test_every_finding_code_is_kebab_case_and_distinct() -> None:
    assert len(set(FINDING_CODES)) == len(FINDING_CODES)
    for code in FINDING_CODES:
        assert code == code.lower() and " " not in code and "_" not in code


def test_every_detail_says_what_to_do() -> None:
    # Build one inventory where every code fires; every detail must carry an instruction.
    endpoint = private_endpoint_id("pe-acr")
    pe_subnet = make_subnet(name="endpoints", acr=False, private_endpoints=(endpoint,))
    with_endpoint = make_subnet()
    without = make_subnet("v2", "noEndpoint", acr=False)
    unused = make_subnet("v3", "unused")
    gone = subnet_id(with_endpoint.subscription_id, RG, "v9", "gone")
    foreign = subnet_id(OTHER_SUB, "rg", "v8", "theirs")
    many, many_subnets = _many_rules(100)
    near, near_subnets = _many_rules(92)
    registries = [
        make_registry(
            "mixed",
            subnets=(with_endpoint.id, without.id, gone, foreign),
            ips=("10.0.0.0/8", "bad", "0.0.0.0/0"),
            bypass="None",
            connections=(make_connection("pe-acr", endpoint),),
        ),
        make_registry("locked", tasks=False),
        make_registry("basic", sku="Basic", ips=("203.0.113.1",)),
        make_registry("closed", public="Disabled", subnets=(with_endpoint.id,)),
        make_registry("allowy", default_action="Allow", ips=("203.0.113.1",)),
        many,
        near,
    ]
    # Private link: mixed's endpoint has no zone group; dns's has one, to a zone that lacks
    # its records and isn't linked to its network, in a subnet with no room left.
    dns = make_registry(
        "dns", connections=(make_connection("pe-dns", private_endpoint_id("pe-dns")),)
    )
    small = replace(make_subnet("v4", "small", acr=False), address_prefixes=("10.4.0.0/29",))
    zone = PrivateDnsZone(f"/subscriptions/{OTHER_SUB}/resourceGroups/rg/providers/"
                          "Microsoft.Network/privateDnsZones/privatelink.azurecr.io",
                          "privatelink.azurecr.io", "rg", OTHER_SUB)  # fmt: skip
    endpoints = [
        make_private_endpoint("pe-acr", pe_subnet, registries[0]),
        make_private_endpoint(
            "pe-dns", small, dns, zone_ids=(zone.id,),
            addresses=(("dns.azurecr.io", "10.4.0.4"), ("dns.westus.data.azurecr.io", "10.4.0.5"),
                       ("dns.eastus.data.azurecr.io", "10.4.0.6")),
        ),
    ]  # fmt: skip
    inventory = make_inventory(
        [*registries, dns],
        [pe_subnet, with_endpoint, without, unused, small, *many_subnets, *near_subnets],
        endpoints,
        [zone],
    )
    found = find_findings(inventory)
    assert set(codes(found)) == set(FINDING_CODES)
    instructions = ("add", "remove", "replace", "set", "turn", "upgrade", "approve", "check",
                    "keep", "tidy", "create", "disable", "allow")  # fmt: skip
    for finding in found:
        detail = finding.detail.lower()
        assert any(word in detail for word in instructions), finding
        assert "\n" not in finding.title


def test_tasks_bypass_off_on_a_deny_registry_only() -> None:
    from dataclasses import replace

    subnet = make_subnet()
    registry = make_registry(subnets=(subnet.id,), tasks=False)
    inventory = make_inventory([registry], [subnet])
    finding = only(registry_findings(registry, inventory), "tasks-bypass-disabled")
    assert finding.severity is Severity.INFO
    assert "networkRuleBypassAllowedForTasks" in finding.detail and "403" in finding.detail
    open_registry = make_registry(default_action="Allow", tasks=False)
    assert "tasks-bypass-disabled" not in codes(
        registry_findings(open_registry, make_inventory([open_registry], []))
    )
    # Read through the 2021 fallback API, the setting is unknown: nothing to say.
    unknown = replace(registry, api_version_note="Azure refused registry API ...")
    assert "tasks-bypass-disabled" not in codes(registry_findings(unknown, inventory))
