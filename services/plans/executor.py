"""Apply a plan step by step, journaling intent before each write and the outcome after.

Every write step re-reads the live state, records it as the state it replaces, then applies
the step's *delta* to that fresh read (through the registry and subnet services, which read
again, write and verify). Applying a step twice changes nothing the second time, so ``resume``
simply runs the unfinished steps again; ``rollback`` runs the inverse plan built from the
journal (``services.plans.restore.build_undo_plan``).

Testing hook (documented, not a mock): ``ACRFENCE_TEST_CRASH_AT=before-write:N`` or
``after-step:N`` makes the process SIGKILL itself right after journaling step N's intent, or
right after journaling its outcome, so tests can prove resume and rollback from each boundary;
``mid-write:endpoint`` kills it inside a subnet write, after Azure accepted the PUT and before
its long-running operation finished (services.subnet_endpoints).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from services.errors import VerificationFailed, describe_error
from services.models import (
    ACR_SERVICE_ENDPOINT,
    Registry,
    RunRecord,
    RunState,
    Step,
    StepKind,
    StepRecord,
    StepStatus,
    Subnet,
    normalize_resource_id,
    provisioned,
)
from services.plans.journal import Journal, now_text
from services.plans.snapshot import ip_values, registry_state, same_ip, subnet_state

__all__ = ["PlanServices", "PlanExecutor", "StepProblem", "CRASH_HOOK"]

CRASH_HOOK = "ACRFENCE_TEST_CRASH_AT"
# How often a subnet step re-plans when someone keeps changing the subnet under us.
_SUBNET_ATTEMPTS = 3


class StepProblem(VerificationFailed):
    """A step that ran but did not reach its intended state (verification failed)."""


class _Rules(Protocol):
    async def get(self, registry_id: str) -> Registry: ...
    async def apply(self, registry_id: str, edit: Any) -> tuple[Registry, Registry]: ...


class _Subnets(Protocol):
    async def get(self, subnet_id: str) -> Subnet: ...
    async def set_acr_endpoint(
        self, subnet_id: str, enabled: bool, planned_etag: str | None
    ) -> tuple[Subnet, Subnet]: ...


class _Providers(Protocol):
    async def state(self, subscription_id: str) -> Any: ...
    async def register(self, subscription_id: str) -> Any: ...


@dataclass(frozen=True)
class PlanServices:
    """The three services a plan writes through (all pointed at the same target)."""

    rules: _Rules
    subnets: _Subnets
    providers: _Providers


ProgressCallback = Callable[[RunRecord, int], None]


class PlanExecutor:
    def __init__(
        self,
        services: PlanServices,
        journal: Journal,
        on_progress: ProgressCallback | None = None,
        describe: Callable[[BaseException], str] | None = None,
    ) -> None:
        self.services = services
        self.journal = journal
        self.on_progress = on_progress
        self.describe = describe or describe_error

    async def run(self, run: RunRecord) -> RunRecord:
        """Apply every step not yet done; returns the final record (done or failed)."""
        run = self._save(replace(run, state=RunState.APPLYING, error=None))
        for step in run.plan.steps:
            record = run.record(step.index)
            if record.status is StepStatus.DONE:
                continue
            try:
                run = await self._apply_step(run, step)
            except Exception as exc:  # every failure is journaled and reported as a sentence
                message = self.describe(exc)
                failed = replace(
                    run.record(step.index),
                    status=StepStatus.FAILED,
                    error=message,
                    finished_at=now_text(),
                )
                run = self._save(
                    replace(run.with_record(failed), state=RunState.FAILED, error=message)
                )
                return run
            _crash_if_asked("after-step", step.index)
        return self._save(replace(run, state=RunState.DONE))

    def _save(self, run: RunRecord, index: int = 0) -> RunRecord:
        run = self.journal.save(run)
        if self.on_progress:
            self.on_progress(run, index)
        return run

    async def _apply_step(self, run: RunRecord, step: Step) -> RunRecord:
        record = run.record(step.index)
        replaced = await self._read(step)
        if record.status is StepStatus.APPLYING and record.replaced is not None:
            # A crash caught this step mid-write: keep the state it replaced the first time.
            replaced = record.replaced
        record = replace(
            record,
            status=StepStatus.APPLYING,
            replaced=replaced,
            started_at=record.started_at or now_text(),
            error=None,
        )
        run = self._save(run.with_record(record), step.index)
        _crash_if_asked("before-write", step.index)
        result, note = await self._write(run, step)
        done = replace(
            record, status=StepStatus.DONE, result=result, note=note, finished_at=now_text()
        )
        return self._save(run.with_record(done), step.index)

    async def _read(self, step: Step) -> dict[str, Any] | None:
        if step.kind in (StepKind.ENABLE_ENDPOINT, StepKind.DISABLE_ENDPOINT):
            return subnet_state(await self.services.subnets.get(step.target))
        if step.kind is StepKind.WRITE_RULES:
            return registry_state(await self.services.rules.get(step.target))
        if step.kind is StepKind.REGISTER_PROVIDER:
            return {
                "registration_state": _state_text(
                    await self.services.providers.state(step.change["subscription_id"])
                )
            }
        return None

    async def _write(self, run: RunRecord, step: Step) -> tuple[dict[str, Any] | None, str | None]:
        if step.kind is StepKind.REGISTER_PROVIDER:
            return await self._register(step)
        if step.kind in (StepKind.ENABLE_ENDPOINT, StepKind.DISABLE_ENDPOINT):
            return await self._endpoint(step)
        if step.kind is StepKind.WRITE_RULES:
            return await self._rules(step)
        return await self._verify(run, step), None

    async def _register(self, step: Step) -> tuple[dict[str, Any], str | None]:
        subscription = step.change["subscription_id"]
        state = _state_text(await self.services.providers.state(subscription))
        if state.casefold() == "registered":
            return {"registration_state": state}, "already registered"
        await self.services.providers.register(subscription)
        after = _state_text(await self.services.providers.state(subscription))
        if after.casefold() != "registered":
            raise StepProblem(f"{ACR_SERVICE_ENDPOINT} is {after} in subscription {subscription}")
        return {"registration_state": after}, None

    async def _endpoint(self, step: Step) -> tuple[dict[str, Any], str | None]:
        from services.subnet_endpoints import SubnetChanged

        enabled = bool(step.change["enabled"])
        subnet_id = step.change["subnet_id"]
        current = await self.services.subnets.get(subnet_id)
        if current.has_acr_endpoint == enabled:
            return subnet_state(current), "already as intended"
        if not enabled:
            reason = await self._endpoint_still_needed(step)
            if reason:
                return subnet_state(current), reason
        # The plan's etag only guards the first attempt of a fresh plan; a resumed or re-planned
        # step compares against the state it just read, so others' changes are re-read, kept.
        etag = step.change.get("planned_etag") or current.etag
        replanned = False
        for _attempt in range(_SUBNET_ATTEMPTS):
            try:
                _before, after = await self.services.subnets.set_acr_endpoint(
                    subnet_id, enabled, etag
                )
            except SubnetChanged as changed:
                fresh = changed.current if getattr(changed, "current", None) else None
                fresh = fresh or await self.services.subnets.get(subnet_id)
                if fresh.has_acr_endpoint == enabled:
                    return subnet_state(fresh), "someone else made the same change"
                etag = fresh.etag
                replanned = True
                continue
            if after.has_acr_endpoint != enabled:
                raise StepProblem(f"subnet {after.label} did not take the endpoint change")
            # Only someone else's change counts as a re-plan: an undo step has no planned
            # etag of its own (our lockdown moved it) and starts from what it reads.
            return subnet_state(after), "re-planned: subnet changed" if replanned else None
        raise StepProblem(f"subnet {subnet_id} kept changing while we tried to update it")

    async def _endpoint_still_needed(self, step: Step) -> str | None:
        registry_id = step.change.get("registry_id")
        if not registry_id:
            return None
        registry = await self.services.rules.get(registry_id)
        before = set(step.change.get("rules_before") or ())
        key = normalize_resource_id(step.change["subnet_id"])
        for rule in registry.rules.virtual_network_rules:
            if rule.key == key and rule.key not in before:
                return f"kept: {registry.name} has a new rule for this subnet that needs it"
        return None

    async def _rules(self, step: Step) -> tuple[dict[str, Any], str | None]:
        from services.registry_rules import NetworkEdit

        change = step.change
        current = await self.services.rules.get(step.target)
        state = registry_state(current)
        have_subnets = {normalize_resource_id(s) for s in state["virtual_network_rules"]}
        have_ips = ip_values(state)
        add_subnets = tuple(
            s
            for s in change.get("add_virtual_network_rules", ())
            if normalize_resource_id(s) not in have_subnets
        )
        remove_subnets = tuple(
            s
            for s in change.get("remove_virtual_network_rules", ())
            if normalize_resource_id(s) in have_subnets
        )
        add_ips = tuple(
            ip for ip in change.get("add_ip_rules", ()) if not any(same_ip(ip, h) for h in have_ips)
        )
        remove_ips = tuple(
            ip for ip in change.get("remove_ip_rules", ()) if any(same_ip(ip, h) for h in have_ips)
        )
        settings: dict[str, str] = {}
        skipped: list[str] = []
        for key, move in (change.get("settings") or {}).items():
            now = state.get(key)
            if now == move["to"]:
                continue
            if move.get("only_if") is not None and now != move["only_if"]:
                # Someone else moved it since this run did: theirs wins.
                skipped.append(f"{key} left at {now} (changed by someone else)")
                continue
            settings[key] = move["to"]
        if not (add_subnets or remove_subnets or add_ips or remove_ips or settings):
            return state, "; ".join(skipped) or "already as intended"
        edit = NetworkEdit(
            add_virtual_network_rules=add_subnets,
            remove_virtual_network_rules=remove_subnets,
            add_ip_rules=add_ips,
            remove_ip_rules=remove_ips,
            default_action=settings.get("default_action"),
            public_network_access=settings.get("public_network_access"),
            network_rule_bypass_options=settings.get("network_rule_bypass_options"),
        )
        _before, after = await self.services.rules.apply(step.target, edit)
        return registry_state(after), "; ".join(skipped) or None

    async def _verify(self, run: RunRecord, step: Step) -> dict[str, Any]:
        """Re-read the registry and every subnet this run touched; compare to each step's aim."""
        registry = await self.services.rules.get(run.plan.registry_id)
        state = registry_state(registry)
        problems: list[str] = []
        if not provisioned(registry.provisioning_state):
            problems.append(f"registry {registry.name} is {registry.provisioning_state}")
        subnets: dict[str, Any] = {}
        for other in run.plan.steps:
            rec = run.record(other.index)
            if other.kind is StepKind.WRITE_RULES:
                problems += _rules_problems(other, rec, state)
            elif other.kind in (StepKind.ENABLE_ENDPOINT, StepKind.DISABLE_ENDPOINT):
                subnet = await self.services.subnets.get(other.target)
                subnets[subnet.id] = subnet_state(subnet)
                kept = (rec.note or "").startswith("kept")
                if not kept and subnet.has_acr_endpoint != bool(other.change["enabled"]):
                    problems.append(f"subnet {subnet.label}: endpoint not as intended")
                wanted_others = [
                    s
                    for s in (rec.replaced or other.before).get("service_endpoints", ())
                    if s.casefold() != ACR_SERVICE_ENDPOINT.casefold()
                ]
                have = {e.service.casefold() for e in subnet.service_endpoints}
                lost = [s for s in wanted_others if s.casefold() not in have]
                if lost:
                    problems.append(f"subnet {subnet.label} lost endpoints: {', '.join(lost)}")
                problems += _provisioning_problems(subnet)
        # A subnet locked in by a rule whose endpoint the plan found already there (no endpoint
        # step): the rule only works once that endpoint is provisioned, so check it too.
        for subnet_id in _rule_subnets_added(run):
            if normalize_resource_id(subnet_id) in {normalize_resource_id(k) for k in subnets}:
                continue
            try:
                subnet = await self.services.subnets.get(subnet_id)
            except Exception:  # a subnet this identity can't read (or gone): the rule is there
                continue
            subnets[subnet.id] = subnet_state(subnet)
            # A lockdown's rules must work; an undo restores the old state, rule-less or not.
            if run.plan.kind == "lockdown" and not subnet.has_acr_endpoint:
                problems.append(f"subnet {subnet.label} lacks the {ACR_SERVICE_ENDPOINT} endpoint")
            problems += _provisioning_problems(subnet)
        if problems:
            raise StepProblem("verification failed: " + "; ".join(problems))
        return {"registry": state, "subnets": subnets}


def _rule_subnets_added(run: RunRecord) -> list[str]:
    return [
        subnet_id
        for step in run.plan.steps
        if step.kind is StepKind.WRITE_RULES
        for subnet_id in step.change.get("add_virtual_network_rules", ())
    ]


def _provisioning_problems(subnet: Subnet) -> list[str]:
    """The configuration can read right while Azure is still (or stuck) applying it: an
    endpoint that is Updating carries no traffic, so the run isn't done until it's Succeeded."""
    problems = []
    if not provisioned(subnet.provisioning_state):
        problems.append(f"subnet {subnet.label} is {subnet.provisioning_state}")
    problems += [
        f"subnet {subnet.label}: endpoint {endpoint.service} is {endpoint.provisioning_state}, "
        "not Succeeded"
        for endpoint in subnet.service_endpoints
        if not provisioned(endpoint.provisioning_state)
    ]
    return problems


def _rules_problems(step: Step, record: StepRecord, state: dict[str, Any]) -> list[str]:
    change = step.change
    have = {normalize_resource_id(s) for s in state["virtual_network_rules"]}
    problems = [
        f"missing subnet rule {s}"
        for s in change.get("add_virtual_network_rules", ())
        if normalize_resource_id(s) not in have
    ]
    problems += [
        f"subnet rule still present {s}"
        for s in change.get("remove_virtual_network_rules", ())
        if normalize_resource_id(s) in have
    ]
    ips = ip_values(state)
    problems += [
        f"missing IP rule {ip}"
        for ip in change.get("add_ip_rules", ())
        if not any(same_ip(ip, h) for h in ips)
    ]
    problems += [
        f"IP rule still present {ip}"
        for ip in change.get("remove_ip_rules", ())
        if any(same_ip(ip, h) for h in ips)
    ]
    skipped = record.note or ""
    for key, move in (change.get("settings") or {}).items():
        if key in skipped:
            continue
        if state.get(key) != move["to"]:
            problems.append(f"{key} is {state.get(key)}, not {move['to']}")
    # Rules that existed before this step must still be there (nothing lost).
    before = record.replaced or step.before
    removed = {normalize_resource_id(s) for s in change.get("remove_virtual_network_rules", ())}
    for subnet_id in before.get("virtual_network_rules", ()):
        key = normalize_resource_id(subnet_id)
        if key not in removed and key not in have:
            problems.append(f"lost subnet rule {subnet_id}")
    return problems


def _state_text(value: Any) -> str:
    if value is None:
        return "unknown"
    for attribute in ("registration_state", "state"):
        inner = getattr(value, attribute, None)
        if isinstance(inner, str):
            return inner
    return str(value)


def _crash_if_asked(point: str, index: int) -> None:
    if os.environ.get(CRASH_HOOK) == f"{point}:{index}":
        os.kill(os.getpid(), signal.SIGKILL)
