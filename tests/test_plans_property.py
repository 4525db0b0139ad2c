"""Property: whatever faults hit a lockdown (seeded random schedules of 429s, 5xx, 409s,
failed operations, broken read-backs and other writers racing us), lockdown -> fail -> resume
-> rollback ends with the tenant as it was before the run plus exactly what the other writers
changed: nothing of ours left, nothing of theirs lost.

Faults are switched on through the emulator's fault API at chosen moments of the run (as a
step starts, or as its write is about to go out); the other writers are the emulator's
concurrent-writer fault, each recording whether its change changed anything (an identical
change made after ours changes nothing, so it isn't theirs to keep). ACRFENCE_PROPERTY_SEEDS
widens the campaign (default 8 seeds, well under a minute; 30 seeds passed).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fault_api import post_fault

from acrfence.services.config import Target
from acrfence.services.models import RunRecord, RunState, StepKind, StepStatus
from acrfence.services.plans.journal import Journal
from acrfence.services.plans.lockdown import LockdownRequest
from acrfence.services.plans.restore import NothingToUndo
from acrfence.services.plans.session import PlanSession
from helpers import ACR, AKS, DOCKER_SUBNET, MYREGISTRY, registry_view, subnet_view

SEEDS = range(int(os.environ.get("ACRFENCE_PROPERTY_SEEDS", "8")))
THEIR_IP = "192.0.2.1"

# Counted faults, as the fault API takes them; each armed at a random moment of the run.
COUNTED = [
    {"fault": "throttle", "count": 2, "retry_after": 0, "match": "/operations/"},
    {"fault": "throttle", "count": 9, "retry_after": 0, "match": "/operations/"},
    {"fault": "server_error", "count": 1, "status": 500, "match": "PATCH /registries/"},
    {"fault": "server_error", "count": 1, "status": 503, "match": "PUT /subnets/"},
    {"fault": "conflict", "count": 1, "match": "PATCH /registries/"},
    {"fault": "conflict", "count": 1, "match": "PUT /subnets/"},
    {"fault": "fail_next_lro", "count": 1},
    # As a write goes out: its read-back fails, so the step fails though the write landed.
    {"fault": "server_error", "count": 8, "status": 500, "match": "GET /registries/mycontainer"},
    {"fault": "server_error", "count": 8, "status": 500, "match": "GET /subscriptions/"},
    {"fault": "throttle", "count": 2, "retry_after": 0, "match": "GET /registries/"},
]
# Moments to arm a fault or a writer: (step kind, phase); "applying" is just after the step
# read and journaled what it replaced, "sent" just before its write goes out.
MOMENTS = [
    ("start", ""),
    (StepKind.ENABLE_ENDPOINT, "applying"),
    (StepKind.ENABLE_ENDPOINT, "sent"),
    (StepKind.WRITE_RULES, "applying"),
    (StepKind.WRITE_RULES, "sent"),
]


@dataclass
class Others:
    """Other writers' changes, applied by the emulator right after our next read of the
    resource; ``effective`` names those that changed something."""

    emulator: object
    effective: set[str] = field(default_factory=set)

    def arm(self, name: str) -> None:
        resource = DOCKER_SUBNET if name in ("sql-endpoint", "acr-endpoint") else MYREGISTRY
        self.emulator.faults.concurrent_writer(resource, lambda tenant: self._apply(name, tenant))

    def _apply(self, name: str, tenant) -> None:
        def endpoint(service: str):
            def change(subnet: dict) -> None:
                endpoints = subnet["properties"].setdefault("serviceEndpoints", [])
                if not any(e["service"].lower() == service.lower() for e in endpoints):
                    endpoints.append({"service": service, "locations": ["*"]})
                    self.effective.add(name)

            tenant.update_subnet(DOCKER_SUBNET, change)

        def registry(change_rules):
            def change(raw: dict) -> None:
                if change_raw := change_rules(raw["properties"].setdefault("networkRuleSet", {})):
                    self.effective.add(change_raw)

            tenant.update_registry(MYREGISTRY, change)

        def add_rule(subnet: str):
            def change(rule_set: dict) -> str | None:
                rules = rule_set.setdefault("virtualNetworkRules", [])
                ids = {(r.get("virtualNetworkSubnetResourceId") or r.get("id")).lower()
                       for r in rules}  # fmt: skip
                if subnet.lower() in ids:
                    return None
                rules.append({"action": "Allow", "virtualNetworkSubnetResourceId": subnet})
                return name

            return change

        def add_ip(rule_set: dict) -> str | None:
            rules = rule_set.setdefault("ipRules", [])
            if any(r["value"] == THEIR_IP for r in rules):
                return None
            rules.append({"action": "Allow", "value": THEIR_IP})
            return name

        def deny(rule_set: dict) -> str | None:
            if rule_set.get("defaultAction") == "Deny":
                return None
            rule_set["defaultAction"] = "Deny"
            return name

        {
            "sql-endpoint": lambda: endpoint("Microsoft.Sql"),
            "acr-endpoint": lambda: endpoint(ACR),
            "aks-rule": lambda: registry(add_rule(AKS)),
            "same-rule": lambda: registry(add_rule(DOCKER_SUBNET)),
            "ip-rule": lambda: registry(add_ip),
            "deny": lambda: registry(deny),
        }[name]()

    def expected(self, registry: dict, subnet: dict) -> tuple[dict, dict]:
        """The state before the run plus what these writers changed."""
        registry, subnet = dict(registry), dict(subnet)
        if "aks-rule" in self.effective:
            registry["vnet_rules"] = sorted([*registry["vnet_rules"], AKS.lower()])
        if "same-rule" in self.effective:
            registry["vnet_rules"] = sorted([*registry["vnet_rules"], DOCKER_SUBNET.lower()])
        if "ip-rule" in self.effective:
            registry["ip_rules"] = sorted([*registry["ip_rules"], THEIR_IP])
        if "deny" in self.effective:
            registry["default_action"] = "Deny"
        endpoints = set(subnet["endpoints"])
        if "sql-endpoint" in self.effective:
            endpoints.add("Microsoft.Sql")
        # Their endpoint is theirs; so is ours once their rule for the subnet needs it.
        if self.effective & {"acr-endpoint", "same-rule"}:
            endpoints.add(ACR)
        subnet["endpoints"] = sorted(endpoints)
        return registry, subnet


class Schedule:
    """What to switch on at which moment of the first lockdown attempt."""

    def __init__(self, rng: random.Random, emulator, others: Others) -> None:
        self.emulator = emulator
        self.others = others
        self.plan: dict[tuple, list] = {}
        for _ in range(rng.randint(1, 3)):
            self.plan.setdefault(rng.choice(MOMENTS), []).append(rng.choice(COUNTED))
        writers = ["sql-endpoint", "acr-endpoint", "aks-rule", "same-rule", "ip-rule", "deny"]
        for name in rng.sample(writers, rng.randint(0, 3)):
            self.plan.setdefault(rng.choice(MOMENTS), []).append(name)
        self._seen: dict[int, StepStatus] = {}
        self.log: list[str] = []

    def fire(self, moment: tuple) -> None:
        for item in self.plan.pop(moment, ()):
            self.log.append(f"{moment}: {item}")
            if isinstance(item, str):
                self.others.arm(item)
            else:
                post_fault(self.emulator, item)

    def on_progress(self, run: RunRecord, index: int) -> None:
        if not index:
            return
        record = run.record(index)
        kind = run.plan.steps[index - 1].kind
        if record.status is StepStatus.APPLYING:
            phase = "sent" if self._seen.get(index) is StepStatus.APPLYING else "applying"
            self.fire((kind, phase))
        self._seen[index] = record.status


async def _finish(session: PlanSession, emulator, rng: random.Random, run_id: str, how: str):
    """Resume (or roll back) ``run_id`` until it is done: maybe once more under a fault,
    then with none."""
    call = session.resume if how == "resume" else session.rollback
    if rng.random() < 0.5:
        post_fault(emulator, rng.choice(COUNTED[:7]))
        result = await call(run_id)
        post_fault(emulator, {"fault": "clear"})
        if result.state is RunState.DONE:
            return result
    return await call(run_id)


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_faults_then_resume_then_rollback_restore_the_tenant(
    make_emulator, tmp_path: Path, seed: int
):
    rng = random.Random(seed)
    emulator = make_emulator(seed="demo")
    before = (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET))
    others = Others(emulator)
    schedule = Schedule(rng, emulator, others)
    session = PlanSession.for_target(Target.from_env(emulator.env), Journal(tmp_path))
    try:
        registry = await session.resolve_registry("mycontainerregistry")
        request = LockdownRequest(
            registry.id,
            (DOCKER_SUBNET,),
            ip_ranges=rng.choice([(), ("198.51.100.0/24",)]),
            bypass=rng.choice([None, "None"]),
        )
        plan = await session.lockdown_plan(request, registry)
        schedule.fire(("start", ""))
        run = await session.execute(plan, schedule.on_progress)
        context = f"seed {seed}: {schedule.log}, lockdown {run.state} ({run.error})"
        post_fault(emulator, {"fault": "clear"})  # writers not fired yet are dropped too
        if run.state is not RunState.DONE:
            run = await _finish(session, emulator, rng, run.id, "resume")
            assert run.state is RunState.DONE, f"{context}; resume: {run.error}"
        try:
            undo = await _finish(session, emulator, rng, run.id, "rollback")
            assert undo.state is RunState.DONE, f"{context}; rollback: {undo.error}"
        except NothingToUndo:
            pass  # the others made every change before us: nothing was ours
    finally:
        await session.close()
    expected = others.expected(*before)
    after = (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET))
    assert after == expected, f"{context}; theirs: {sorted(others.effective)}"
