"""Apply a plan step by step, journaling intent before each write and the outcome after.

Every write step reads the live state, journals it as the state the step replaces (once: a
resumed step keeps the first), and works out which part of the step's delta that state still
lacks. Just before a service sends the write, the journal records that part as ``applied``,
narrowed to what the state the write is built on still lacks; if Azure refuses the write (it
answers the PUT/PATCH itself with an error), ``applied`` goes back to what earlier attempts
changed. So ``applied`` is always what our writes changed or may have changed, whatever the
outcome (done, failed, killed), and rollback (``services.plans.restore.build_undo_plan``)
undoes exactly that. Applying a step twice changes nothing the second time, so ``resume``
runs the unfinished steps again, adding to what their earlier attempts changed.

Testing hook (documented, not a mock): ``ACRFENCE_TEST_CRASH_AT=before-write:N`` or
``after-step:N`` makes the process SIGKILL itself right after journaling step N's intent, or
right after journaling its outcome, so tests can prove resume and rollback from each boundary;
``mid-write:endpoint`` kills it inside a subnet write, after Azure accepted the PUT and before
its long-running operation finished (services.subnet_endpoints); ``mid-write:private-endpoint``
likewise inside the migration's endpoint PUT (services.private_link.writes).

The migration's step kinds (zone, links, private endpoint, their undo, and the private-link
verifications) have their handlers in ``services.plans.migration_steps``, looked up by kind.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from acrfence.services.errors import VerificationFailed, describe_error
from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    EndpointChange,
    ProviderChange,
    Registry,
    RulesChange,
    RunRecord,
    RunState,
    Step,
    StepChange,
    StepKind,
    StepRecord,
    StepStatus,
    Subnet,
    changes_made,
    merge_changes,
    normalize_resource_id,
    provisioned,
)
from acrfence.services.plans.journal import Journal, now_text
from acrfence.services.plans.migration_steps import handler_for
from acrfence.services.plans.snapshot import has_ip, ip_values, registry_state, subnet_state

__all__ = ["PlanServices", "PlanExecutor", "StepProblem", "CRASH_HOOK"]

CRASH_HOOK = "ACRFENCE_TEST_CRASH_AT"
# How often a subnet step re-plans when someone keeps changing the subnet under us.
_SUBNET_ATTEMPTS = 3
# How long verification waits for Azure to finish applying (a subnet's endpoint usually takes
# seconds), and how often it looks again meanwhile.
VERIFY_SETTLE_S = 120.0
VERIFY_SETTLE_POLL_S = 1.0
# Methods that change a resource: an error answering one of them means Azure did not take it.
_WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})


class StepProblem(VerificationFailed):
    """A step that ran but did not reach its intended state (verification failed)."""


class _Rules(Protocol):
    async def get(self, registry_id: str) -> Registry: ...
    async def apply(
        self,
        registry_id: str,
        edit: Any,
        on_write: Callable[[Registry], Awaitable[None]] | None = None,
    ) -> tuple[Registry, Registry]: ...


class _Subnets(Protocol):
    async def get(self, subnet_id: str) -> Subnet: ...
    async def set_acr_endpoint(
        self,
        subnet_id: str,
        enabled: bool,
        planned_etag: str | None,
        on_write: Callable[[Subnet], Awaitable[None]] | None = None,
    ) -> tuple[Subnet, Subnet]: ...


class _Providers(Protocol):
    async def state(self, subscription_id: str) -> Any: ...
    async def register(self, subscription_id: str) -> Any: ...


@dataclass(frozen=True)
class PlanServices:
    """The services a plan writes through (all pointed at the same target). ``private_link``
    (services.private_link.writes) and ``vantage_check`` (the per-network DNS and pull check,
    see services.plans.migration_steps) serve the migration's steps only."""

    rules: _Rules
    subnets: _Subnets
    providers: _Providers
    private_link: Any = None
    vantage_check: Any = None


ProgressCallback = Callable[[RunRecord, int], None]


class _Writes:
    """The writes one step attempt sends (the services call it right before each) and what
    they change, merged."""

    def __init__(self, on_send: Callable[[Any], Awaitable[None]]) -> None:
        self.sent = 0
        self.made: StepChange | None = None
        # The change the write carries, when narrower than the step's (settings left alone).
        self.carries: StepChange | None = None
        self._on_send = on_send

    async def __call__(self, basis: Any) -> None:
        self.sent += 1
        await self._on_send(basis)

    def may_have_landed(self, error: BaseException) -> bool:
        """False when no write went out, or the only one was answered with an error."""
        if self.sent == 0:
            return False
        return not (self.sent == 1 and _refused_write(error))


def _refused_write(error: BaseException) -> bool:
    from azure.core.exceptions import HttpResponseError

    if not isinstance(error, HttpResponseError) or error.response is None:
        return False
    request = getattr(error.response, "request", None)
    method = str(getattr(request, "method", "") or "").upper()
    return method in _WRITE_METHODS and (error.status_code or 0) >= 400


def _operation_failed(error: BaseException) -> bool:
    """Azure answered the operation's status poll (2xx) with a terminal Failed: it is over,
    so a fresh read shows all it changed (a throttled or lost poll says nothing of the kind:
    that operation may still finish)."""
    from azure.core.exceptions import HttpResponseError

    status = error.status_code if isinstance(error, HttpResponseError) else None
    return status is not None and 200 <= status < 300


class PlanExecutor:
    def __init__(
        self,
        services: PlanServices,
        journal: Journal,
        on_progress: ProgressCallback | None = None,
        describe: Callable[[BaseException], str] | None = None,
        settle_seconds: float = VERIFY_SETTLE_S,
    ) -> None:
        self.services = services
        self.journal = journal
        self.on_progress = on_progress
        self.describe = describe or describe_error
        # How long verification waits for what Azure is still applying (--wait, headless).
        self.settle_seconds = settle_seconds

    async def run(self, run: RunRecord) -> RunRecord:
        """Apply every step not yet done; returns the final record (done or failed)."""
        run = await self._save(replace(run, state=RunState.APPLYING, error=None))
        for step in run.plan.steps:
            if run.record(step.index).status is StepStatus.DONE:
                continue
            run, error = await self._apply_step(run, step)
            if error is not None:
                failed = replace(run, state=RunState.FAILED, error=error)
                return await self._save(failed, step.index)
            _crash_if_asked("after-step", step.index)
        return await self._save(replace(run, state=RunState.DONE))

    async def _save(self, run: RunRecord, index: int = 0) -> RunRecord:
        run = await self.journal.asave(run)
        if self.on_progress:
            self.on_progress(run, index)
        return run

    async def _apply_step(self, run: RunRecord, step: Step) -> tuple[RunRecord, str | None]:
        """Run one step; returns the run and, when the step failed, the error sentence. The
        failure is journaled here, keeping ``replaced``, ``started_at`` and ``applied``."""
        record = run.record(step.index)
        # What earlier attempts of this step changed, or may have (a failed or killed one).
        prior = record.applied
        try:
            current = await self._read(step)
        except Exception as exc:  # nothing was written: the record keeps what it had
            return self._failed(run, record, prior, exc), self.describe(exc)
        record = replace(
            record,
            status=StepStatus.APPLYING,
            # The state before our first write: a resumed step keeps the one it journaled.
            replaced=record.replaced
            if record.replaced is not None
            else self._state_of(step, current),
            applied=prior,
            started_at=record.started_at or now_text(),
            error=None,
        )
        run = await self._save(run.with_record(record), step.index)
        _crash_if_asked("before-write", step.index)

        async def journal_write(basis: Any) -> None:
            # Right before a write goes out: what it changes is ours from now on, whatever
            # happens to the process or the request.
            nonlocal run, record
            carried = writes.carries or step.change
            writes.made = merge_changes(writes.made, self._write_changes(step, carried, basis))
            record = replace(record, applied=merge_changes(prior, writes.made))
            run = await self._save(run.with_record(record), step.index)

        writes = _Writes(journal_write)
        try:
            result, note = await self._write(run, step, current, writes)
        except Exception as exc:  # every failure is journaled and reported as a sentence
            applied = prior
            if writes.may_have_landed(exc):
                landed = writes.made
                if _operation_failed(exc):
                    landed = await self._still_in_place(step, landed)
                applied = merge_changes(prior, landed)
            return self._failed(run, record, applied, exc), self.describe(exc)
        done = replace(
            record, status=StepStatus.DONE, result=result, note=note, finished_at=now_text()
        )
        return await self._save(run.with_record(done), step.index), None

    def _failed(
        self, run: RunRecord, record: StepRecord, applied: StepChange | None, exc: BaseException
    ) -> RunRecord:
        failed = replace(
            record,
            status=StepStatus.FAILED,
            applied=applied,
            error=self.describe(exc),
            finished_at=now_text(),
        )
        return self.journal.save(run.with_record(failed))

    async def _still_in_place(self, step: Step, made: StepChange | None) -> StepChange | None:
        """The part of ``made`` a fresh read shows in place, after an operation that failed
        for good; when the read fails too, all of ``made`` (it may have landed)."""
        handler = handler_for(step.kind)
        if handler is not None:
            return await handler.in_place(self.services, step, made)
        try:
            fresh = await self._read(step)
        except Exception:  # the failure being journaled matters more than this read
            return made
        if isinstance(made, RulesChange) and isinstance(fresh, Registry):
            missing = changes_made(made, registry_state(fresh))
            in_place = RulesChange(
                add_virtual_network_rules=_without(
                    made.add_virtual_network_rules, missing.add_virtual_network_rules
                ),
                remove_virtual_network_rules=_without(
                    made.remove_virtual_network_rules, missing.remove_virtual_network_rules
                ),
                add_ip_rules=_without(made.add_ip_rules, missing.add_ip_rules),
                remove_ip_rules=_without(made.remove_ip_rules, missing.remove_ip_rules),
                settings=tuple(m for m in made.settings if missing.setting(m.name) is None),
            )
            return None if in_place.is_empty else in_place
        if isinstance(made, EndpointChange) and isinstance(fresh, Subnet):
            return made if fresh.has_acr_endpoint == made.enabled else None
        return made

    def _state_of(self, step: Step, current: Any) -> dict[str, Any] | None:
        handler = handler_for(step.kind)
        return handler.state(current) if handler is not None else _state_of(current)

    def _write_changes(self, step: Step, change: StepChange, basis: Any) -> StepChange | None:
        handler = handler_for(step.kind)
        if handler is not None:
            return handler.made(change, basis)
        return _what_write_changes(change, basis)

    async def _read(self, step: Step) -> Any:
        """The live object the step changes: a Registry, a Subnet or a registration state."""
        handler = handler_for(step.kind)
        if handler is not None:
            return await handler.read(self.services, step)
        change = step.change
        if isinstance(change, EndpointChange):
            return await self.services.subnets.get(step.target)
        if isinstance(change, RulesChange):
            return await self.services.rules.get(step.target)
        if isinstance(change, ProviderChange):
            return _state_text(await self.services.providers.state(change.subscription_id))
        return None

    async def _write(
        self, run: RunRecord, step: Step, current: Any, writes: _Writes
    ) -> tuple[dict[str, Any] | None, str | None]:
        handler = handler_for(step.kind)
        if handler is not None:
            return await handler.write(self, run, step, current, writes)
        change = step.change
        if isinstance(change, ProviderChange):
            return await self._register(change, current, writes)
        if isinstance(change, EndpointChange):
            return await self._endpoint(change, current, writes)
        if isinstance(change, RulesChange):
            return await self._rules(step, change, current, writes)
        return await self._verify(run, step), None

    async def _register(
        self, change: ProviderChange, state: str, writes: _Writes
    ) -> tuple[dict[str, Any], str | None]:
        subscription = change.subscription_id
        if state.casefold() == "registered":
            return {"registration_state": state}, "already registered"
        await writes(state)
        await self.services.providers.register(subscription)
        after = _state_text(await self.services.providers.state(subscription))
        if after.casefold() != "registered":
            raise StepProblem(f"{ACR_SERVICE_ENDPOINT} is {after} in subscription {subscription}")
        return {"registration_state": after}, None

    async def _endpoint(
        self, change: EndpointChange, current: Subnet, writes: _Writes
    ) -> tuple[dict[str, Any], str | None]:
        from acrfence.services.subnet_endpoints import SubnetChanged

        enabled = change.enabled
        subnet_id = change.subnet_id
        if current.has_acr_endpoint == enabled:
            return subnet_state(current), "already as intended"
        if not enabled:
            reason = await self._endpoint_still_needed(change)
            if reason:
                return subnet_state(current), reason
        # The plan's etag only guards the first attempt of a fresh plan; a resumed or re-planned
        # step compares against the state it just read, so others' changes are re-read, kept.
        etag = change.planned_etag or current.etag
        replanned = False
        for _attempt in range(_SUBNET_ATTEMPTS):
            try:
                _before, after = await self.services.subnets.set_acr_endpoint(
                    subnet_id, enabled, etag, on_write=writes
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
            if not writes.sent:
                return subnet_state(after), "someone else made the same change"
            # Only someone else's change counts as a re-plan: an undo step has no planned
            # etag of its own (our lockdown moved it) and starts from what it reads.
            return subnet_state(after), "re-planned: subnet changed" if replanned else None
        raise StepProblem(f"subnet {subnet_id} kept changing while we tried to update it")

    async def _endpoint_still_needed(self, change: EndpointChange) -> str | None:
        if not change.registry_id:
            return None
        registry = await self.services.rules.get(change.registry_id)
        before = set(change.rules_before)
        key = normalize_resource_id(change.subnet_id)
        for rule in registry.rules.virtual_network_rules:
            if rule.key == key and rule.key not in before:
                return f"kept: {registry.name} has a new rule for this subnet that needs it"
        return None

    async def _rules(
        self, step: Step, change: RulesChange, current: Registry, writes: _Writes
    ) -> tuple[dict[str, Any], str | None]:
        from acrfence.services.registry_rules import NetworkEdit

        state = registry_state(current)
        moves = []
        skipped: list[str] = []
        for move in change.settings:
            now = state.get(move.name)
            if move.only_if is not None and now not in (move.only_if, move.to):
                # Someone else moved it since this run did: theirs wins.
                skipped.append(f"{move.name} left at {now} (changed by someone else)")
                continue
            moves.append(move)
        # The part of the step's delta the fresh read still lacks: all this write will do.
        intent = changes_made(replace(change, settings=tuple(moves)), state)
        if intent.is_empty:
            return state, "; ".join(skipped) or "already as intended"
        writes.carries = intent
        edit = NetworkEdit(
            add_virtual_network_rules=intent.add_virtual_network_rules,
            remove_virtual_network_rules=intent.remove_virtual_network_rules,
            add_ip_rules=intent.add_ip_rules,
            remove_ip_rules=intent.remove_ip_rules,
            default_action=intent.word("default_action"),
            public_network_access=intent.word("public_network_access"),
            network_rule_bypass_options=intent.word("network_rule_bypass_options"),
            tasks_bypass=intent.flag("network_rule_bypass_allowed_for_tasks"),
        )
        _before, after = await self.services.rules.apply(step.target, edit, on_write=writes)
        if not writes.sent:
            skipped.append("someone else made the same change")
        return registry_state(after), "; ".join(skipped) or None

    async def _verify(self, run: RunRecord, step: Step) -> dict[str, Any]:
        """Re-read the registry and every subnet this run touched; compare to each step's aim.

        A resource Azure is still applying (Updating) is waited for, a bounded while, as
        `az` waits: a resumed step can find its own earlier write still in flight. Anything
        else wrong, or still applying after the wait, fails the verification.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_seconds
        while True:
            state, problems, applying = await self._verify_once(run)
            if not problems:
                return state
            if len(applying) < len(problems) or loop.time() >= deadline:
                raise StepProblem("verification failed: " + "; ".join(problems))
            await asyncio.sleep(VERIFY_SETTLE_POLL_S)

    async def _verify_once(self, run: RunRecord) -> tuple[dict[str, Any], list[str], list[str]]:
        """(state read, every problem, the problems that are only Azure still applying)."""
        applying: list[str] = []
        registry = await self.services.rules.get(run.plan.registry_id)
        state = registry_state(registry)
        problems: list[str] = []
        if not provisioned(registry.provisioning_state):
            problems.append(f"registry {registry.name} is {registry.provisioning_state}")
            if still_applying(registry.provisioning_state):
                applying.append(problems[-1])
        subnets: dict[str, Any] = {}
        for other in run.plan.steps:
            rec = run.record(other.index)
            if other.kind is StepKind.WRITE_RULES:
                problems += _rules_problems(other, rec, state)
            elif other.kind in (StepKind.ENABLE_ENDPOINT, StepKind.DISABLE_ENDPOINT):
                subnet = await self.services.subnets.get(other.target)
                subnets[subnet.id] = subnet_state(subnet)
                kept = (rec.note or "").startswith("kept")
                enabled = isinstance(other.change, EndpointChange) and other.change.enabled
                if not kept and subnet.has_acr_endpoint != enabled:
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
                problems += _provisioning_problems(subnet, applying)
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
            problems += _provisioning_problems(subnet, applying)
        return {"registry": state, "subnets": subnets}, problems, applying


def _rule_subnets_added(run: RunRecord) -> list[str]:
    return [
        subnet_id
        for step in run.plan.steps
        if step.kind is StepKind.WRITE_RULES and isinstance(step.change, RulesChange)
        for subnet_id in step.change.add_virtual_network_rules
    ]


def _provisioning_problems(subnet: Subnet, applying: list[str]) -> list[str]:
    """The configuration can read right while Azure is still (or stuck) applying it: an
    endpoint that is Updating carries no traffic, so the run isn't done until it's Succeeded.
    Problems that are only "still applying" are also added to ``applying``."""
    problems = []
    if not provisioned(subnet.provisioning_state):
        problems.append(f"subnet {subnet.label} is {subnet.provisioning_state}")
        if still_applying(subnet.provisioning_state):
            applying.append(problems[-1])
    for endpoint in subnet.service_endpoints:
        if not provisioned(endpoint.provisioning_state):
            problems.append(
                f"subnet {subnet.label}: endpoint {endpoint.service} is "
                f"{endpoint.provisioning_state}, not Succeeded"
            )
            if still_applying(endpoint.provisioning_state):
                applying.append(problems[-1])
    return problems


# Provisioning states of a change Azure is still applying (the rest are final).
_APPLYING_STATES = frozenset({"updating", "creating", "provisioning", "accepted", "inprogress"})


def still_applying(state: str | None) -> bool:
    return state is not None and state.casefold() in _APPLYING_STATES


def _rules_problems(step: Step, record: StepRecord, state: dict[str, Any]) -> list[str]:
    change = step.change
    if not isinstance(change, RulesChange):
        return []
    have = {normalize_resource_id(s) for s in state["virtual_network_rules"]}
    problems = [
        f"missing subnet rule {s}"
        for s in change.add_virtual_network_rules
        if normalize_resource_id(s) not in have
    ]
    problems += [
        f"subnet rule still present {s}"
        for s in change.remove_virtual_network_rules
        if normalize_resource_id(s) in have
    ]
    ips = ip_values(state)
    problems += [f"missing IP rule {ip}" for ip in change.add_ip_rules if not has_ip(ips, ip)]
    problems += [f"IP rule still present {ip}" for ip in change.remove_ip_rules if has_ip(ips, ip)]
    skipped = record.note or ""
    for move in change.settings:
        if move.name in skipped:
            continue
        if state.get(move.name) != move.to:
            problems.append(f"{move.name} is {state.get(move.name)}, not {move.to}")
    # Rules that existed before this step must still be there (nothing lost).
    before = record.replaced or step.before
    removed = {normalize_resource_id(s) for s in change.remove_virtual_network_rules}
    for subnet_id in before.get("virtual_network_rules", ()):
        key = normalize_resource_id(subnet_id)
        if key not in removed and key not in have:
            problems.append(f"lost subnet rule {subnet_id}")
    return problems


def _without(values: tuple[str, ...], dropped: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v for v in values if v not in dropped)


def _state_of(current: Any) -> dict[str, Any] | None:
    """The journal's form of what a step read (see services.plans.snapshot)."""
    if isinstance(current, Registry):
        return registry_state(current)
    if isinstance(current, Subnet):
        return subnet_state(current)
    if isinstance(current, str):
        return {"registration_state": current}
    return None


def _what_write_changes(change: StepChange, basis: Any) -> StepChange | None:
    """The part of ``change`` a write built on ``basis`` (the state the service is about to
    send its write over) really changes: what ``basis`` already shows isn't ours."""
    if isinstance(change, RulesChange) and isinstance(basis, Registry):
        made = changes_made(change, registry_state(basis))
        return None if made.is_empty else made
    if isinstance(change, EndpointChange):
        if isinstance(basis, Subnet) and basis.has_acr_endpoint == change.enabled:
            return None
        return EndpointChange(change.subnet_id, change.enabled)
    if isinstance(change, ProviderChange):
        return change
    return None


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
