"""The data plane's network decision (pure function), case by case."""

from __future__ import annotations

from acrfence.emulator.access import Caller, decide

SUBNET = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a"
)
PE = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/privateendpoints/pe"
INTERNET = Caller(public_ip="203.0.113.10")


def view(default="Deny", ip_rules=(), subnets=(), public="Enabled", sku="Premium", pe=None):
    connections = []
    if pe:
        connections.append(
            {"properties": {"privateEndpoint": {"id": pe},
                            "privateLinkServiceConnectionState": {"status": "Approved"}}}
        )  # fmt: skip
    return {
        "sku": sku,
        "publicNetworkAccess": public,
        "privateEndpointConnections": connections,
        "networkRuleSet": {
            "defaultAction": default,
            "ipRules": [{"action": "Allow", "value": v} for v in ip_rules],
            "virtualNetworkRules": [{"virtualNetworkSubnetResourceId": s} for s in subnets],
        },
    }


def subnet_caller(endpoint: bool, pes: frozenset[str] = frozenset()) -> Caller:
    return Caller(
        public_ip="198.51.100.1",
        subnet_id=SUBNET,
        private_ip="10.0.0.4",
        has_registry_endpoint=endpoint,
        vnet_private_endpoints=pes,
    )


def test_default_allow_admits_everyone() -> None:
    assert decide(view(default="Allow"), INTERNET).allowed


def test_deny_refuses_the_internet_and_names_its_ip() -> None:
    decision = decide(view(), INTERNET)
    assert not decision.allowed and decision.client_ip == "203.0.113.10"


def test_ip_rule_admits_a_matching_public_ip() -> None:
    assert decide(view(ip_rules=["203.0.113.0/24"]), INTERNET).allowed
    assert not decide(view(ip_rules=["203.0.114.0/24"]), INTERNET).allowed


def test_rule_and_endpoint_are_both_needed() -> None:
    assert decide(view(subnets=[SUBNET]), subnet_caller(endpoint=True)).allowed
    assert not decide(view(subnets=[SUBNET]), subnet_caller(endpoint=False)).allowed
    assert not decide(view(), subnet_caller(endpoint=True)).allowed


def test_rule_matching_is_case_insensitive() -> None:
    assert decide(view(subnets=[SUBNET.upper()]), subnet_caller(endpoint=True)).allowed


def test_endpoint_subnet_no_longer_matches_ip_rules_by_its_nat_ip() -> None:
    rules = view(ip_rules=["198.51.100.1"])
    assert decide(rules, subnet_caller(endpoint=False)).allowed
    with_endpoint = decide(rules, subnet_caller(endpoint=True))
    assert not with_endpoint.allowed and with_endpoint.client_ip == "10.0.0.4"


def test_public_access_disabled_denies_even_with_rules() -> None:
    disabled = view(default="Allow", subnets=[SUBNET], public="Disabled")
    assert not decide(disabled, subnet_caller(endpoint=True)).allowed
    assert not decide(disabled, INTERNET).allowed


def test_approved_private_endpoint_in_the_callers_vnet_admits() -> None:
    private = view(public="Disabled", pe=PE)
    assert decide(private, subnet_caller(endpoint=False, pes=frozenset({PE}))).allowed
    assert not decide(private, subnet_caller(endpoint=False)).allowed


def test_network_rules_do_not_apply_below_premium() -> None:
    assert decide(view(sku="Standard"), INTERNET).allowed


def test_the_private_endpoint_path_skips_the_public_firewall_for_its_own_registry() -> None:
    from dataclasses import replace

    locked = view(public="Disabled", ip_rules=("192.0.2.1",), pe=PE)
    through = replace(subnet_caller(endpoint=True), private_endpoint=PE)
    decision = decide(locked, through)
    assert decision.allowed and decision.client_ip == "10.0.0.4"
    # Another registry's endpoint (or an address no endpoint holds): refused, private IP named.
    other = decide(locked, replace(through, private_endpoint=PE + "-other"))
    assert not other.allowed and other.client_ip == "10.0.0.4"
    assert not decide(locked, replace(through, private_endpoint="")).allowed
    # A connection still Pending lets nothing through.
    pending = view(pe=PE)
    pending["privateEndpointConnections"][0]["properties"]["privateLinkServiceConnectionState"] = {
        "status": "Pending"
    }
    assert not decide(pending, through).allowed
    # The same caller on the public path meets public network access Disabled.
    assert not decide(locked, subnet_caller(endpoint=True)).allowed
