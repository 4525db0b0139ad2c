"""Build restore plans: open a registry again, or undo exactly what a journaled run did.

An undo is built from the journal's record of what each step's writes changed (``applied``),
and is made of deltas: it removes only rules this run added, puts back only what it removed,
and moves a setting back only if it still holds the value this run set. So a rule that existed
before, or that someone else added meanwhile, survives; a step whose write never happened
needs no undo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    Check,
    CheckLevel,
    DnsZoneChange,
    EndpointChange,
    Inventory,
    Plan,
    PrivateEndpointChange,
    ProviderChange,
    Registry,
    RulesChange,
    RunRecord,
    SettingMove,
    Step,
    StepKind,
    StepStatus,
    Subnet,
    ZoneLinkChange,
    normalize_resource_id,
)
from acrfence.services.plans import az_commands
from acrfence.services.plans.endpoint_removal import endpoint_removals
from acrfence.services.plans.snapshot import registry_state, vnet_rule_keys

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
            change=RulesChange(
                remove_virtual_network_rules=tuple(remove),
                settings=(SettingMove("default_action", "Allow"),),
            ),
            az=az_commands.registry_rule_changes(
                registry.name,
                remove_subnets=remove,
                default_action="Allow" if before["default_action"] != "Allow" else None,
            ),
        )
    ]
    if remove_endpoints:
        removals = endpoint_removals(
            registry,
            inventory,
            subnet_ids=remove,
            subnets=subnets,
            removed=set(wanted),
            rules_before=set(present),
            first_index=len(steps) + 1,
        )
        steps += removals.steps
        checks += [
            Check(
                CheckLevel.INFO,
                "endpoint-still-needed",
                f"keeping the endpoint on {subnet.label}: another registry's rule needs it",
            )
            for subnet in removals.still_needed
        ]
    steps.append(_verify_step(len(steps) + 1, registry))
    return Plan(
        kind="restore",
        registry_id=registry.id,
        registry_name=registry.name,
        checks=tuple(checks),
        steps=tuple(steps),
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
    """The inverse of what ``run``'s writes changed (or may have changed: a write in flight
    when the process died counts), newest first. Provider registrations are left in place:
    unregistering could break others."""
    steps: list[Step] = []
    checks: list[Check] = []
    name = run.plan.registry_name
    for step in reversed(run.plan.steps):
        record = run.record(step.index)
        applied = record.applied
        if record.status is StepStatus.PENDING or applied is None:
            continue
        replaced = record.replaced if record.replaced is not None else step.before
        if isinstance(applied, RulesChange):
            if not applied.is_empty:
                steps.append(_undo_rules(len(steps) + 1, step, applied, replaced, name))
        elif isinstance(applied, EndpointChange):
            steps.append(_undo_endpoint(len(steps) + 1, step, applied, replaced, run))
        elif isinstance(applied, DnsZoneChange | ZoneLinkChange | PrivateEndpointChange):
            undo = _undo_private_link(len(steps) + 1, step, applied)
            if undo is not None:
                steps.append(undo)
        elif isinstance(applied, ProviderChange):
            checks.append(
                Check(
                    CheckLevel.INFO,
                    "provider-stays-registered",
                    f"{applied.namespace} stays registered in subscription "
                    f"{applied.subscription_id} (harmless, and others may rely on it)",
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


# What each migration step created, and the step kind that deletes it again.
_DELETES = {
    StepKind.CREATE_DNS_ZONE: StepKind.DELETE_DNS_ZONE,
    StepKind.LINK_DNS_ZONE: StepKind.UNLINK_DNS_ZONE,
    StepKind.CREATE_PRIVATE_ENDPOINT: StepKind.DELETE_PRIVATE_ENDPOINT,
}


def _undo_private_link(
    index: int, step: Step, applied: DnsZoneChange | ZoneLinkChange | PrivateEndpointChange
) -> Step | None:
    """Delete what a migration step created (only that: ``applied`` names it). A delete
    step (a rollback's own) is not undone again."""
    kind = _DELETES.get(step.kind)
    if kind is None:
        return None
    if isinstance(applied, DnsZoneChange):
        name = "/".join(applied.zone_id.split("/")[4::4])
        title = f"undo step {step.index}: delete the private DNS zone {name} it created"
        az = (az_commands.private_dns_zone_delete(applied.zone_id),)
    elif isinstance(applied, ZoneLinkChange):
        title = (
            f"undo step {step.index}: delete link {applied.link_name} to network "
            f"{applied.virtual_network_id.rsplit('/', 1)[-1]}"
        )
        az = (az_commands.private_dns_link_delete(applied.zone_id, applied.link_name),)
    else:
        title = (
            f"undo step {step.index}: delete private endpoint "
            f"{applied.endpoint_id.rsplit('/', 1)[-1]} (its A records and connection go with it)"
        )
        az = (az_commands.private_endpoint_delete(applied.endpoint_id),)
    return Step(
        index=index,
        kind=kind,
        target=step.target,
        title=title,
        before=dict(step.after),
        after=dict(step.before),
        change=applied,
        az=az,
    )


def _undo_rules(
    index: int, step: Step, applied: RulesChange, replaced: dict[str, Any], registry_name: str
) -> Step:
    undo = applied.inverse()
    return Step(
        index=index,
        kind=StepKind.WRITE_RULES,
        target=step.target,
        title=f"undo step {step.index} on {registry_name}: {_rules_undo_words(undo)}",
        before=dict(step.after),
        after=dict(replaced),
        change=undo,
        az=az_commands.registry_rule_changes(
            registry_name,
            add_subnets=list(undo.add_virtual_network_rules),
            remove_subnets=list(undo.remove_virtual_network_rules),
            add_ips=list(undo.add_ip_rules),
            remove_ips=list(undo.remove_ip_rules),
            default_action=undo.word("default_action"),
            public_network_access=undo.word("public_network_access"),
            bypass=undo.word("network_rule_bypass_options"),
            tasks_bypass=undo.flag("network_rule_bypass_allowed_for_tasks"),
        ),
    )


def _rules_undo_words(undo: RulesChange) -> str:
    """What undoing a rules step does, naming only what it moves (no "remove 0 rules")."""
    words = []
    for count, what in (
        (len(undo.remove_virtual_network_rules), "remove {} subnet rule(s) it added"),
        (len(undo.remove_ip_rules), "remove {} IP rule(s) it added"),
        (len(undo.add_virtual_network_rules), "put back {} subnet rule(s) it removed"),
        (len(undo.add_ip_rules), "put back {} IP rule(s) it removed"),
    ):
        if count:
            words.append(what.format(count))
    words += [f"{move.name.replace('_', ' ')} back to {move.to}" for move in undo.settings]
    return ", ".join(words) or "nothing left to put back"


def _undo_endpoint(
    index: int, step: Step, applied: EndpointChange, replaced: dict[str, Any], run: RunRecord
) -> Step:
    enable = not applied.enabled
    # Rules the registry had when the run was planned: a rule for this subnet beyond those
    # (someone else's, added meanwhile) still needs the endpoint, so removing it waits.
    rules_before: set[str] = set()
    for other in run.plan.steps:
        if other.kind is StepKind.WRITE_RULES:
            rules_before |= vnet_rule_keys(other.before)
    kept = list(replaced.get("service_endpoints", ()))
    after = {k: v for k, v in replaced.items() if k != "etag"}
    return Step(
        index=index,
        kind=StepKind.ENABLE_ENDPOINT if enable else StepKind.DISABLE_ENDPOINT,
        target=step.target,
        title=f"undo step {step.index}: "
        + ("add back" if enable else "remove")
        + f" the {ACR_SERVICE_ENDPOINT} endpoint on {step.target.rsplit('/', 3)[-3]}/"
        f"{step.target.rsplit('/', 1)[-1]}, keeping everything else on it now",
        before=dict(step.after),
        after=after,
        change=EndpointChange(
            step.target,
            enabled=enable,
            registry_id=run.plan.registry_id,
            rules_before=tuple(sorted(rules_before)),
        ),
        az=(az_commands.subnet_service_endpoints(step.target, kept),),
    )
