"""The demo seed holds the scenario verbatim and every awkward case the app must handle."""

from __future__ import annotations

from acrfence.emulator.access import Caller, decide
from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PRODUCTION, SUB_RESTRICTED, demo_tenant
from acrfence.emulator.state import CONTAINER_REGISTRY
from acrfence.services.models import resource_group_of


def _by_name(tenant) -> dict[str, dict]:
    return {r["name"]: r for r in tenant.registries.values()}


def _rules(registry: dict) -> list[str]:
    rules = registry["properties"]["networkRuleSet"]["virtualNetworkRules"]
    return [r["virtualNetworkSubnetResourceId"].lower() for r in rules]


def _has_endpoint(subnet: dict) -> bool:
    endpoints = subnet["properties"].get("serviceEndpoints") or []
    return any(e["service"] == CONTAINER_REGISTRY for e in endpoints)


def test_scenario_is_verbatim() -> None:
    tenant = demo_tenant()
    first = next(iter(tenant.subscriptions.values()))
    registry = _by_name(tenant)["mycontainerregistry"]
    vnet = tenant.get_vnet(
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers/"
        "Microsoft.Network/virtualNetworks/myDockerVMVNET"
    )
    assert first.subscription_id == SUB_PRODUCTION
    assert resource_group_of(registry["id"]) == "myResourceGroup"
    assert registry["sku"]["name"] == "Premium"
    assert registry["properties"]["networkRuleSet"]["defaultAction"] == "Allow"
    assert _rules(registry) == []
    assert vnet["properties"]["addressSpace"]["addressPrefixes"] == ["10.0.0.0/16"]
    assert [
        (s["name"], s["properties"]["addressPrefix"]) for s in vnet["properties"]["subnets"]
    ] == [("myDockerVMSubnet", "10.0.0.0/24")]
    assert len(tenant.subscriptions) >= 3


def test_awkward_cases_are_present() -> None:
    tenant = demo_tenant()
    registries = _by_name(tenant)
    named_by_rules = {s for r in registries.values() for s in _rules(r)}
    assert any(r["sku"]["name"] == "Basic" for r in registries.values())
    locked = registries["contosolocked"]["properties"]
    assert locked["networkRuleSet"]["defaultAction"] == "Deny" and not _rules(
        registries["contosolocked"]
    )
    assert locked["networkRuleBypassOptions"] == "None"
    assert any(
        s in tenant.subnets and not _has_endpoint(tenant.subnets[s]) for s in named_by_rules
    )  # a rule whose subnet lacks the endpoint
    assert any(s not in tenant.subnets for s in named_by_rules)  # dangling
    unregistered = tenant.subscription(SUB_NETWORKING)
    assert unregistered.provider_state(CONTAINER_REGISTRY) == "NotRegistered"
    assert any(s.startswith(f"/subscriptions/{SUB_NETWORKING}") for s in named_by_rules)
    assert not tenant.subscription(SUB_RESTRICTED).accessible
    assert any(s.startswith(f"/subscriptions/{SUB_RESTRICTED}") for s in named_by_rules)
    unused = [k for k, s in tenant.subnets.items() if _has_endpoint(s) and k not in named_by_rules]
    assert unused
    ips = [
        i["value"]
        for r in registries.values()
        for i in r["properties"]["networkRuleSet"]["ipRules"]
    ]
    assert any(v.startswith("10.") for v in ips)
    workers = next(s for s in tenant.subnets.values() if s["name"] == "workers")["properties"]
    assert {e["service"] for e in workers["serviceEndpoints"]} >= {
        "Microsoft.Storage", "Microsoft.KeyVault"
    }  # fmt: skip
    assert workers["delegations"] and workers["networkSecurityGroup"]


def test_private_link_cases() -> None:
    tenant = demo_tenant()
    registries = _by_name(tenant)
    private = registries["contosoprivate"]
    endpoint = private["properties"]["privateEndpointConnections"][0]["properties"]
    stored = tenant.private_endpoints[endpoint["privateEndpoint"]["id"].lower()]
    pe_subnet = stored["subnetId"]
    assert pe_subnet.lower() in tenant.subnets  # the private endpoint's vnet is in the tenant
    # Set up as Azure leaves a correct private link: an address per name (login server, a
    # data endpoint per region), a zone group, the hub's zone holding each A record and
    # linked to the network whose agents pull.
    names = [c["fqdn"] for c in stored["properties"]["customDnsConfigs"]]
    assert names == [
        "contosoprivate.azurecr.io",
        "contosoprivate.westus.data.azurecr.io",
        "contosoprivate.eastus.data.azurecr.io",
    ]
    assert stored["ipAddresses"] == ["10.50.3.4", "10.50.3.5", "10.50.3.6"]
    [zone] = tenant.private_dns_zones.values()
    assert zone["name"] == "privatelink.azurecr.io" and list(stored["zoneGroups"]) == ["default"]
    records = {k: v["properties"]["aRecords"][0]["ipv4Address"] for k, v in zone["records"].items()
               if k.startswith("a/")}  # fmt: skip
    assert records == {
        "a/contosoprivate": "10.50.3.4",
        "a/contosoprivate.westus.data": "10.50.3.5",
        "a/contosoprivate.eastus.data": "10.50.3.6",
    }
    [link] = zone["links"].values()
    pe_vnet = pe_subnet.lower().rsplit("/subnets/")[0]
    assert link["properties"]["virtualNetwork"]["id"].lower() == pe_vnet
    # platformacr stays the broken example: private link and a service endpoint rule from the
    # same network, an endpoint with addresses but no zone group.
    platform = registries["platformacr"]
    pe = platform["properties"]["privateEndpointConnections"][0]["properties"]["privateEndpoint"]
    broken = tenant.private_endpoints[pe["id"].lower()]
    assert broken["ipAddresses"] and not broken["zoneGroups"]
    broken_vnet = broken["subnetId"].lower().rsplit("/subnets/")[0]
    assert any(s.startswith(broken_vnet + "/subnets/") for s in _rules(platform))
    # Only a connection through contosoprivate's own endpoint gets in.
    view = tenant.effective_network_view(private["id"].lower())
    own = endpoint["privateEndpoint"]["id"].lower()
    assert decide(
        view, Caller("198.51.100.9", pe_subnet, "10.50.3.4", private_endpoint=own)
    ).allowed
    other = pe["id"].lower()
    assert not decide(
        view, Caller("198.51.100.9", pe_subnet, "10.50.3.4", private_endpoint=other)
    ).allowed
