"""Build restore plans: open a registry again, or undo exactly what a journaled run did.

An undo is built from the journal's record of the state each step replaced, and is made of
deltas: it removes only rules this run added, puts back only what it removed, and moves a
setting back only if it still holds the value this run set. So a rule that existed before, or
that someone else added meanwhile, survives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.models import (
    ACR_SERVICE_ENDPOINT,
    Check,
    CheckLevel,
    Inventory,
    Plan,
    Registry,
    RunRecord,
    Step,
    StepKind,
    StepStatus,
    Subnet,
    normalize_resource_id,
)
from services.plans import az_commands
from services.plans.snapshot import ip_values, registry_state, subnet_state, vnet_rule_keys

__all__ = ["build_open_plan", "build_undo_plan", "NothingToUndo"]


class NothingToUndo(ValueError):
    """The run changed nothing that can be undone."""


def build_open_plan(
    registry: Registry,
    *,
    subnet_ids: Iterable[str] | None = None,
    remove_endpoints: bool = False,
    subnets: Mapping[str, Subnet | None] | None = None,
    inventory: Inventory | None = None,
) -> Plan:
    """Remove the chosen subnet rules (all of them by default) and set the default action to
    Allow; with ``remove_endpoints``, also remove the endpoint from those subnets when no
    remaining rule of ANY registry in ``inventory`` needs it."""
    before = registry_state(registry)
    present = {normalize_resource_id(s): s for s in before["virtual_network_rules"]}
    wanted = (
        present.keys() if subnet_ids is None else {normalize_resource_id(s) for s in subnet_ids}
    )
    remove = [present[k] for k in present if k in wanted]
    checks: list[Check] = []
    for key in wanted:
        if key not in present:
            checks.append(
                Check(CheckLevel.WARN, "no-such-rule", f"{registry.name} has no rule for {key}")
            )
    if not registry.is_premium:
        checks.append(
            Check(CheckLevel.INFO, "not-premium", f"{registry.name} is {registry.sku}: no rules")
        )
    after = dict(before)
    after["virtual_network_rules"] = [
        s for s in before["virtual_network_rules"] if normalize_resource_id(s) not in wanted
    ]
    after["default_action"] = "Allow"
    steps = [
        Step(
            index=1,
            kind=StepKind.WRITE_RULES,
            target=registry.id,
            title=f"open {registry.name}: remove {len(remove)} subnet rule(s), "
            "default action Allow",
            before=before,
            after=after,
            change={
                "add_virtual_network_rules": [],
                "remove_virtual_network_rules": remove,
                "add_ip_rules": [],
                "remove_ip_rules": [],
                "settings": {"default_action": {"to": "Allow", "only_if": None}},
            },
            az=az_commands.registry_rule_changes(
                registry.name,
                remove_subnets=remove,
                default_action="Allow" if before["default_action"] != "Allow" else None,
            ),
        )
    ]
    if remove_endpoints:
        still_needed = _subnets_needed(inventory, registry, set(wanted))
        for subnet_id in remove:
            subnet = (subnets or {}).get(subnet_id) or _find(subnets, subnet_id)
            if subnet is None or not subnet.has_acr_endpoint:
                continue
            if subnet.key in still_needed:
                checks.append(
                    Check(
                        CheckLevel.INFO,
                        "endpoint-still-needed",
                        f"keeping the endpoint on {subnet.label}: another registry's rule needs it",
                    )
                )
                continue
            steps.append(_disable_step(len(steps) + 1, subnet, registry.id, set(present)))
    steps.append(_verify_step(len(steps) + 1, registry))
    return Plan(
        kind="restore",
        registry_id=registry.id,
        registry_name=registry.name,
        checks=tuple(checks),
        steps=tuple(steps),
    )


def _find(subnets: Mapping[str, Subnet | None] | None, subnet_id: str) -> Subnet | None:
    key = normalize_resource_id(subnet_id)
    for sid, subnet in (subnets or {}).items():
        if normalize_resource_id(sid) == key:
            return subnet
    return None


def _subnets_needed(inventory: Inventory | None, registry: Registry, removed: set[str]) -> set[str]:
    needed: set[str] = set()
    for other in inventory.registries if inventory else ():
        for rule in other.rules.virtual_network_rules:
            if other.key == registry.key and rule.key in removed:
                continue
            needed.add(rule.key)
    for rule in registry.rules.virtual_network_rules:
        if rule.key not in removed:
            needed.add(rule.key)
    return needed


def _disable_step(index: int, subnet: Subnet, registry_id: str, rules_before: set[str]) -> Step:
    before = subnet_state(subnet)
    kept = [e.service for e in subnet.service_endpoints if not e.is_acr]
    after = dict(before, service_endpoints=kept)
    after.pop("etag")
    return Step(
        index=index,
        kind=StepKind.DISABLE_ENDPOINT,
        target=subnet.id,
        title=f"remove the {ACR_SERVICE_ENDPOINT} endpoint from {subnet.label}, keeping the rest",
        before=before,
        after=after,
        change={
            "subnet_id": subnet.id,
            "enabled": False,
            "planned_etag": subnet.etag,
            # At apply time: keep the endpoint if the registry has a rule for this subnet that
            # was not there before (someone else's new rule needs it).
            "registry_id": registry_id,
            "rules_before": sorted(rules_before),
        },
        az=(az_commands.subnet_service_endpoints(subnet.id, kept),),
    )


def _verify_step(index: int, registry: Registry | None, registry_id: str = "") -> Step:
    target = registry.id if registry else registry_id
    name = registry.name if registry else target.rsplit("/", 1)[-1]
    return Step(
        index=index,
        kind=StepKind.VERIFY,
        target=target,
        title="verify: re-read the registry's rule set and the subnets' endpoints",
        az=(f"az acr network-rule list --name {name}",),
    )


def build_undo_plan(run: RunRecord, kind: str = "rollback") -> Plan:
    """The inverse of what ``run`` did (or may have done: a step caught mid-write counts),
    newest first. Provider registrations are left in place: unregistering could break others."""
    steps: list[Step] = []
    checks: list[Check] = []
    name = run.plan.registry_name
    for step in reversed(run.plan.steps):
        record = run.record(step.index)
        if record.status not in (StepStatus.DONE, StepStatus.APPLYING, StepStatus.FAILED):
            continue
        replaced = record.replaced if record.replaced is not None else step.before
        if step.kind is StepKind.WRITE_RULES:
            undo = _undo_rules(len(steps) + 1, step, replaced, name)
            if undo is not None:
                steps.append(undo)
        elif step.kind in (StepKind.ENABLE_ENDPOINT, StepKind.DISABLE_ENDPOINT):
            undo = _undo_endpoint(len(steps) + 1, step, replaced, run)
            if undo is not None:
                steps.append(undo)
        elif step.kind is StepKind.REGISTER_PROVIDER and record.status is StepStatus.DONE:
            checks.append(
                Check(
                    CheckLevel.INFO,
                    "provider-stays-registered",
                    f"{step.change.get('namespace')} stays registered in subscription "
                    f"{step.change.get('subscription_id')} (harmless, and others may rely on it)",
                )
            )
    if not steps:
        raise NothingToUndo(f"run {run.id} changed nothing that needs undoing")
    steps.append(_verify_step(len(steps) + 1, None, run.plan.registry_id))
    return Plan(
        kind=kind,
        registry_id=run.plan.registry_id,
        registry_name=name,
        checks=tuple(checks),
        steps=tuple(steps),
        source_run_id=run.id,
    )


def _undo_rules(
    index: int, step: Step, replaced: dict[str, Any], registry_name: str
) -> Step | None:
    change = step.change
    had_subnets = vnet_rule_keys(replaced)
    had_ips = ip_values(replaced)
    remove_subnets = [
        s
        for s in change.get("add_virtual_network_rules", ())
        if normalize_resource_id(s) not in had_subnets
    ]
    add_subnets = [
        s
        for s in change.get("remove_virtual_network_rules", ())
        if normalize_resource_id(s) in had_subnets
    ]
    remove_ips = [ip for ip in change.get("add_ip_rules", ()) if ip not in had_ips]
    add_ips = [ip for ip in change.get("remove_ip_rules", ()) if ip in had_ips]
    settings = {
        key: {"to": replaced.get(key), "only_if": value["to"]}
        for key, value in (change.get("settings") or {}).items()
        if replaced.get(key) is not None and replaced.get(key) != value["to"]
    }
    if not (remove_subnets or add_subnets or remove_ips or add_ips or settings):
        return None
    return Step(
        index=index,
        kind=StepKind.WRITE_RULES,
        target=step.target,
        title=f"undo step {step.index} on {registry_name}: remove {len(remove_subnets)} subnet "
        f"rule(s) and {len(remove_ips)} IP rule(s) it added, put back what it changed",
        before=dict(step.after),
        after=dict(replaced),
        change={
            "add_virtual_network_rules": add_subnets,
            "remove_virtual_network_rules": remove_subnets,
            "add_ip_rules": add_ips,
            "remove_ip_rules": remove_ips,
            "settings": settings,
        },
        az=az_commands.registry_rule_changes(
            registry_name,
            add_subnets=add_subnets,
            remove_subnets=remove_subnets,
            add_ips=add_ips,
            remove_ips=remove_ips,
            default_action=(settings.get("default_action") or {}).get("to"),
            public_network_access=(settings.get("public_network_access") or {}).get("to"),
            bypass=(settings.get("network_rule_bypass_options") or {}).get("to"),
        ),
    )


def _undo_endpoint(index: int, step: Step, replaced: dict[str, Any], run: RunRecord) -> Step | None:
    had_acr = any(
        s.casefold() == ACR_SERVICE_ENDPOINT.casefold()
        for s in replaced.get("service_endpoints", ())
    )
    enabled = bool(step.change.get("enabled"))
    if had_acr == enabled:
        return None  # the step found the subnet already as it wanted it: nothing to undo
    rules_before = set()
    for other in run.plan.steps:
        if other.kind is StepKind.WRITE_RULES:
            rec = run.record(other.index)
            rules_before |= vnet_rule_keys(rec.replaced or other.before)
    kept = [s for s in replaced.get("service_endpoints", ())]
    after = {k: v for k, v in replaced.items() if k != "etag"}
    return Step(
        index=index,
        kind=StepKind.ENABLE_ENDPOINT if had_acr else StepKind.DISABLE_ENDPOINT,
        target=step.target,
        title=f"undo step {step.index}: "
        + ("add back" if had_acr else "remove")
        + f" the {ACR_SERVICE_ENDPOINT} endpoint on {step.target.rsplit('/', 3)[-3]}/"
        f"{step.target.rsplit('/', 1)[-1]}, keeping everything else on it now",
        before=dict(step.after),
        after=after,
        change={
            "subnet_id": step.target,
            "enabled": had_acr,
            "planned_etag": None,
            "registry_id": run.plan.registry_id,
            "rules_before": sorted(rules_before),
        },
        az=(az_commands.subnet_service_endpoints(step.target, kept),),
    )
