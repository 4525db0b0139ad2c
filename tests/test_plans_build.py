"""Lockdown and restore plans built from states already read: blocks, warnings, steps, undo."""

from __future__ import annotations

import json

from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    CheckLevel,
    Inventory,
    IpRule,
    NetworkRuleSet,
    Plan,
    PrivateEndpointConnection,
    Registry,
    RunRecord,
    ServiceEndpoint,
    SettingMove,
    StepKind,
    StepRecord,
    StepStatus,
    Subnet,
    VirtualNetwork,
    VirtualNetworkRule,
    legacy_applied,
    parse_resource_id,
    registry_id,
    subnet_id,
)
from acrfence.services.plans.lockdown import LockdownRequest, build_lockdown_plan
from acrfence.services.plans.restore import NothingToUndo, build_open_plan, build_undo_plan

SUB = "00000000-0000-0000-0000-000000000001"
OTHER_SUB = "00000000-0000-0000-0000-000000000002"
APP = subnet_id(SUB, "net", "vnet1", "app")
DATA = subnet_id(OTHER_SUB, "net2", "vnet2", "data")


def _registry(**kw) -> Registry:
    values = dict(
        id=registry_id(SUB, "rg", "contoso"),
        name="contoso",
        resource_group="rg",
        subscription_id=SUB,
        location="westeurope",
        sku="Premium",
        login_server="contoso.azurecr.io",
        network_rule_set=NetworkRuleSet(ip_rules=(IpRule("203.0.113.0/24"),)),
    )
    values.update(kw)
    return Registry(**values)


def _subnet(sid: str = APP, endpoints: tuple[str, ...] = ("Microsoft.Storage",), **kw) -> Subnet:
    parsed = parse_resource_id(sid)
    return Subnet(
        id=sid,
        name=parsed.name,
        virtual_network_name=parsed.names[0],
        resource_group=parsed.resource_group,
        subscription_id=parsed.subscription_id,
        address_prefixes=("10.0.1.0/24",),
        service_endpoints=tuple(ServiceEndpoint(s) for s in endpoints),
        delegations=("Microsoft.Web/serverFarms",),
        network_security_group_id="/subscriptions/x/nsg",
        etag='W/"1"',
        **kw,
    )


def _plan(registry=None, subnets=None, request=None, **kw) -> Plan:
    registry = registry or _registry()
    subnets = {APP: _subnet()} if subnets is None else subnets
    request = request or LockdownRequest(registry.id, tuple(subnets))
    states = kw.pop("provider_states", {SUB: "Registered", OTHER_SUB: "Registered"})
    return build_lockdown_plan(
        request, registry=registry, subnets=subnets, provider_states=states, **kw
    )


def _codes(plan: Plan, level: CheckLevel) -> set[str]:
    return {c.code for c in plan.checks if c.level is level}


def test_lockdown_steps_keep_other_endpoints_and_write_rules_once() -> None:
    plan = _plan(client_ip="198.51.100.7")
    assert not plan.blocked
    kinds = [s.kind for s in plan.steps]
    assert kinds == [StepKind.ENABLE_ENDPOINT, StepKind.WRITE_RULES, StepKind.VERIFY]
    endpoint, rules, _verify = plan.steps
    assert endpoint.after["service_endpoints"] == ["Microsoft.Storage", ACR_SERVICE_ENDPOINT]
    assert endpoint.after["delegations"] == ["Microsoft.Web/serverFarms"]
    assert endpoint.after["network_security_group"] == "/subscriptions/x/nsg"
    assert "--service-endpoints Microsoft.Storage Microsoft.ContainerRegistry" in endpoint.az[0]
    assert rules.before["default_action"] == "Allow"
    assert rules.after["default_action"] == "Deny"
    assert rules.after["ip_rules"] == ["203.0.113.0/24"]
    assert rules.change.add_virtual_network_rules == (APP,)
    assert f"az acr network-rule add --name contoso --subnet {APP}" in rules.az
    assert "az acr update --name contoso --default-action Deny" in rules.az
    assert {"this-machine-loses-access", "default-allow-ends", "hosted-agents", "preview"} <= (
        _codes(plan, CheckLevel.WARN)
    )


def test_provider_registration_only_where_needed() -> None:
    plan = _plan(
        subnets={APP: _subnet(), DATA: _subnet(DATA)},
        provider_states={SUB: "Registered", OTHER_SUB: "NotRegistered"},
    )
    first = plan.steps[0]
    assert first.kind is StepKind.REGISTER_PROVIDER
    assert first.change.subscription_id == OTHER_SUB
    assert first.az == (
        f"az provider register -n Microsoft.ContainerRegistry --subscription {OTHER_SUB} --wait",
    )
    assert sum(s.kind is StepKind.REGISTER_PROVIDER for s in plan.steps) == 1


def test_subnet_with_endpoint_needs_no_endpoint_step() -> None:
    plan = _plan(subnets={APP: _subnet(endpoints=(ACR_SERVICE_ENDPOINT,))})
    assert [s.kind for s in plan.steps] == [StepKind.WRITE_RULES, StepKind.VERIFY]
    assert "endpoint-affects-all-registries" not in _codes(plan, CheckLevel.WARN)


def test_client_ip_inside_requested_range_keeps_access() -> None:
    registry = _registry()
    request = LockdownRequest(registry.id, (APP,), ip_ranges=("198.51.100.0/24",))
    plan = _plan(registry, request=request, client_ip="198.51.100.7")
    assert "this-machine-loses-access" not in _codes(plan, CheckLevel.WARN)
    assert plan.steps[-2].change.add_ip_rules == ("198.51.100.0/24",)


def test_blocks_not_premium() -> None:
    plan = _plan(_registry(sku="Standard"))
    assert _codes(plan, CheckLevel.BLOCK) == {"not-premium"}
    assert plan.steps == ()


def test_blocks_sovereign_cloud() -> None:
    assert _codes(_plan(sovereign=True), CheckLevel.BLOCK) == {"sovereign-cloud"}


def test_blocks_missing_subnet() -> None:
    plan = _plan(subnets={APP: None})
    assert _codes(plan, CheckLevel.BLOCK) == {"subnet-not-found"}
    assert APP in plan.blocks[0].message


def test_blocks_private_link_from_same_vnet() -> None:
    pe = "/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pe1"
    registry = _registry(
        private_endpoint_connections=(PrivateEndpointConnection("c", "c", pe, "Approved"),)
    )
    sibling = _subnet(subnet_id(SUB, "net", "vnet1", "endpoints"), private_endpoint_ids=(pe,))
    app = _subnet()
    vnet = VirtualNetwork(
        id=app.virtual_network_id,
        name="vnet1",
        resource_group="net",
        subscription_id=SUB,
        location="westeurope",
        subnets=(app, sibling),
    )
    inventory = Inventory(registries=(registry,), virtual_networks=(vnet,))
    plan = _plan(registry, subnets={APP: app}, inventory=inventory)
    assert _codes(plan, CheckLevel.BLOCK) == {"private-link-same-vnet"}
    # Without the sibling in view, the same request is not blocked.
    assert not _plan(registry, subnets={APP: app}).blocked


def test_blocks_over_100_rules() -> None:
    rules = tuple(VirtualNetworkRule(subnet_id(SUB, "net", "big", f"s{i}")) for i in range(100))
    registry = _registry(network_rule_set=NetworkRuleSet(virtual_network_rules=rules))
    assert _codes(_plan(registry), CheckLevel.BLOCK) == {"too-many-rules"}
    # Re-adding a subnet that already has a rule does not count twice.
    existing = rules[0].subnet_id
    plan = _plan(registry, subnets={existing: _subnet(existing)})
    assert not plan.blocked


def test_other_registries_whose_ip_rules_may_stop_matching_are_named() -> None:
    registry = _registry()
    other = _registry(
        id=registry_id(SUB, "rg", "fabrikam"),
        name="fabrikam",
        network_rule_set=NetworkRuleSet("Deny", (IpRule("198.51.100.0/24"),)),
    )
    open_other = _registry(id=registry_id(SUB, "rg", "open"), name="open")
    inventory = Inventory(registries=(registry, other, open_other))
    plan = _plan(registry, inventory=inventory)
    message = next(c.message for c in plan.checks if c.code == "ip-rules-may-stop-matching")
    assert "fabrikam" in message and "open" not in message.split(":")[-1]


def test_plan_round_trips_through_json() -> None:
    plan = _plan()
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


def test_open_plan_removes_rules_and_unneeded_endpoints_only() -> None:
    other_rule = subnet_id(SUB, "net", "vnet1", "shared")
    registry = _registry(
        network_rule_set=NetworkRuleSet(
            "Deny", (), (VirtualNetworkRule(APP), VirtualNetworkRule(other_rule))
        )
    )
    neighbour = _registry(
        id=registry_id(SUB, "rg", "n"),
        name="n",
        network_rule_set=NetworkRuleSet("Deny", (), (VirtualNetworkRule(other_rule),)),
    )
    inventory = Inventory(registries=(registry, neighbour))
    subnets = {
        APP: _subnet(endpoints=(ACR_SERVICE_ENDPOINT, "Microsoft.Storage")),
        other_rule: _subnet(other_rule, endpoints=(ACR_SERVICE_ENDPOINT,)),
    }
    plan = build_open_plan(registry, remove_endpoints=True, subnets=subnets, inventory=inventory)
    kinds = [s.kind for s in plan.steps]
    assert kinds == [StepKind.WRITE_RULES, StepKind.DISABLE_ENDPOINT, StepKind.VERIFY]
    assert plan.steps[0].after["default_action"] == "Allow"
    assert plan.steps[0].after["virtual_network_rules"] == []
    assert plan.steps[1].target == APP
    assert plan.steps[1].after["service_endpoints"] == ["Microsoft.Storage"]
    assert "endpoint-still-needed" in {c.code for c in plan.checks}


def _ran(plan: Plan, statuses: dict[int, StepStatus], replaced: dict[int, dict]) -> RunRecord:
    # What the executor journals as ``applied``: the part of each step's change the state it
    # replaced lacked (here derived as for a journal written before ``applied`` existed).
    records = []
    for s in plan.steps:
        status = statuses.get(s.index, StepStatus.PENDING)
        was = replaced.get(s.index)
        applied = legacy_applied(s.change, str(status), was, s.before)
        records.append(StepRecord(s.index, status, was, applied))
    records = tuple(records)
    return RunRecord(id="20260101T000000-abcdef", plan=plan, records=records)


def test_undo_removes_only_what_the_run_added() -> None:
    registry = _registry(network_rule_set=NetworkRuleSet("Allow", (IpRule("203.0.113.0/24"),), ()))
    plan = _plan(registry)
    endpoint, rules, _ = plan.steps
    run = _ran(
        plan,
        {1: StepStatus.DONE, 2: StepStatus.APPLYING},
        {1: endpoint.before, 2: rules.before},
    )
    undo = build_undo_plan(run)
    assert [s.kind for s in undo.steps] == [
        StepKind.WRITE_RULES,
        StepKind.DISABLE_ENDPOINT,
        StepKind.VERIFY,
    ]
    assert undo.steps[0].change.remove_virtual_network_rules == (APP,)
    assert undo.steps[0].change.remove_ip_rules == ()
    assert undo.steps[0].change.settings == (SettingMove("default_action", "Allow", "Deny"),)
    assert undo.source_run_id == run.id


def test_undo_of_a_run_that_never_wrote_is_refused() -> None:
    run = _ran(_plan(), {}, {})
    try:
        build_undo_plan(run)
    except NothingToUndo as exc:
        assert run.id in str(exc)
    else:
        raise AssertionError("an untouched run has nothing to undo")


def test_undo_keeps_endpoint_the_subnet_already_had() -> None:
    plan = _plan()
    endpoint, rules, _ = plan.steps
    had = dict(endpoint.before, service_endpoints=[ACR_SERVICE_ENDPOINT])
    run = _ran(plan, {1: StepStatus.DONE, 2: StepStatus.DONE}, {1: had, 2: rules.before})
    kinds = [s.kind for s in build_undo_plan(run).steps]
    assert StepKind.DISABLE_ENDPOINT not in kinds
