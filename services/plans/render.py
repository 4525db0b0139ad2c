"""Plans and runs as plain text: a readable diff per step plus its az commands.

Plain strings (no Textual, no colour codes) so the command line, the wizard and the journal
listing share one wording.
"""

from __future__ import annotations

from typing import Any

from acrfence.services.models import CheckLevel, Plan, RunRecord, Step

__all__ = ["render_plan", "render_step_diff", "render_run_summary", "diff_lines"]

_LABELS = {
    "default_action": "default action",
    "public_network_access": "public network access",
    "network_rule_bypass_options": "trusted-services bypass",
    "network_rule_bypass_allowed_for_tasks": "ACR Tasks bypass",
    "ip_rules": "IP rules",
    "virtual_network_rules": "subnet rules",
    "service_endpoints": "service endpoints",
    "registration_state": "registration",
    # The migration to a private endpoint.
    "private_dns_zone": "private DNS zone",
    "zone_links": "zone linked to",
    "private_endpoints": "private endpoints",
    "a_records": "A records",
}
# Shown for context but never changed by a plan: proves they are kept.
_KEPT = ("delegations", "network_security_group", "route_table")


def diff_lines(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key in [k for k in after if k != "etag"]:
        old, new = before.get(key), after.get(key)
        label = _LABELS.get(key, key.replace("_", " "))
        if isinstance(new, list) or isinstance(old, list):
            old_items, new_items = list(old or []), list(new or [])
            old_keys = {str(i).casefold() for i in old_items}
            new_keys = {str(i).casefold() for i in new_items}
            removed = [i for i in old_items if str(i).casefold() not in new_keys]
            added = [i for i in new_items if str(i).casefold() not in old_keys]
            if not (removed or added):
                if key in _KEPT and new_items:
                    lines.append(f"    {label}: {', '.join(map(str, new_items))} (kept)")
                continue
            kept = [i for i in new_items if str(i).casefold() in old_keys]
            lines.append(f"    {label}:")
            lines += [f"      = {i}" for i in kept]
            lines += [f"      - {i}" for i in removed]
            lines += [f"      + {i}" for i in added]
        elif old != new:
            lines.append(f"    {label}:")
            lines.append(f"      - {old}")
            lines.append(f"      + {new}")
        elif key in _KEPT and new:
            lines.append(f"    {label}: {new} (kept)")
    return lines


def render_step_diff(step: Step) -> list[str]:
    lines = [f"  {step.index}. {step.title}"]
    lines += diff_lines(step.before, step.after)
    lines += [f"      $ {command}" for command in step.az]
    return lines


def render_plan(plan: Plan) -> str:
    # The name leads and the resource ID gets a line of its own: inline, the ID wrapped the
    # header over three lines at 80 columns. az commands stay whole (they are pasted).
    lines = [f"{plan.kind} plan for registry {plan.registry_name}", f"  {plan.registry_id}"]
    if plan.source_run_id:
        lines.append(f"undoing run {plan.source_run_id}")
    for check in plan.checks:
        prefix = {
            CheckLevel.BLOCK: "BLOCKED",
            CheckLevel.WARN: "warning",
            CheckLevel.INFO: "note",
        }[check.level]
        lines.append(f"{prefix}: {check.message}")
    if plan.steps:
        lines.append("steps:")
        for step in plan.steps:
            lines += render_step_diff(step)
    elif not plan.blocked:
        lines.append("nothing to change")
    return "\n".join(lines)


def render_run_summary(run: RunRecord) -> str:
    head = f"{run.id}  {run.state:<11}  {run.plan.kind:<8}  {run.plan.registry_name}"
    if run.rolled_back_by:
        head += f"  (undone by {run.rolled_back_by})"
    lines = [head]
    for step in run.plan.steps:
        record = run.record(step.index)
        line = f"    {step.index}. [{record.status}] {step.title}"
        if record.note:
            line += f" — {record.note}"
        if record.error:
            line += f" — {record.error}"
        lines.append(line)
    return "\n".join(lines)
