"""A run that FAILS (rather than dies) is rolled back exactly: each step journals what our write
changed before it goes out, keeps it through failure and resume, and rollback undoes only that.
The repros of issue 9 against the emulator, faults switched on through its fault API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_api import acrfence, post_fault

from acrfence.services.config import Target
from acrfence.services.models import RunRecord, RunState, StepKind, StepStatus
from acrfence.services.plans.journal import Journal
from acrfence.services.plans.lockdown import LockdownRequest
from acrfence.services.plans.session import PlanSession
from helpers import (
    ACR,
    DOCKER_SUBNET,
    MYREGISTRY,
    cli_env,
    journal_runs,
    registry_view,
    subnet_view,
)

LOCKDOWN = ("lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes")


@pytest.fixture
def env(emulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(emulator, tmp_path)


def _lockdown_run(state_dir: Path) -> dict:
    [run] = [r for r in journal_runs(state_dir) if r["kind"] == "lockdown"]
    return run


def _step(run: dict, kind: str) -> dict:
    return next(s for s in run["steps"] if s["kind"] == kind)


def test_repro_a_failed_endpoint_step_keeps_what_it_replaced(emulator, env, tmp_path):
    """The subnet's operation polls are throttled until the step fails after the endpoint was
    written; resume succeeds; rollback removes the endpoint the subnet didn't have before."""
    original = (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET))
    throttle_polls = {"fault": "throttle", "count": 9, "retry_after": 0, "match": "/operations/"}
    post_fault(emulator, throttle_polls)
    failed = acrfence(env, *LOCKDOWN)
    assert failed.returncode == 1, failed.stderr
    step = _step(_lockdown_run(tmp_path), "enable-endpoint")
    assert step["status"] == "failed" and step["started_at"]
    assert ACR not in step["replaced"]["service_endpoints"]
    assert step["applied"]["enabled"] is True  # the PUT went out: the endpoint may be ours

    post_fault(emulator, {"fault": "clear"})
    resumed = acrfence(env, "resume", _lockdown_run(tmp_path)["id"], "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    step = _step(_lockdown_run(tmp_path), "enable-endpoint")
    assert ACR not in step["replaced"]["service_endpoints"]  # not the state after our write
    assert step["applied"]["enabled"] is True

    rolled = acrfence(env, "rollback", _lockdown_run(tmp_path)["id"], "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)) == original


async def test_repro_b_rules_write_lands_but_its_read_back_fails(emulator, env, tmp_path):
    """The PATCH lands, the read-back GET fails with 500s: the step fails holding what the
    PATCH changed; resume then rollback (CLI, both exit 0) put the registry and subnet back."""
    original = (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET))
    session = PlanSession.for_target(Target.from_env(env), Journal(tmp_path / "acrfence"))
    armed: list[int] = []

    def break_read_back(run: RunRecord, index: int) -> None:
        # Called as each journal entry is written: the rules step's write is about to go out.
        step = run.plan.steps[index - 1] if index else None
        record = run.record(index) if index else None
        if step and step.kind is StepKind.WRITE_RULES and record.applied and not armed:
            armed.append(index)
            post_fault(emulator, {"fault": "latency", "ms": 900, "match": "PATCH /registries/"})
            post_fault(
                emulator,
                {"fault": "server_error", "count": 12, "status": 500,
                 "match": "GET /registries/mycontainerregistry"},
            )  # fmt: skip

    try:
        registry = await session.resolve_registry("mycontainerregistry")
        plan = await session.lockdown_plan(LockdownRequest(registry.id, (DOCKER_SUBNET,)), registry)
        run = await session.execute(plan, break_read_back)
    finally:
        await session.close()
    assert armed and run.state is RunState.FAILED
    record = run.record(armed[0])
    assert record.status is StepStatus.FAILED
    assert record.applied.add_virtual_network_rules == (DOCKER_SUBNET,)
    assert [(m.name, m.to, m.only_if) for m in record.applied.settings] == [
        ("default_action", "Deny", "Allow")
    ]
    locked = registry_view(emulator, MYREGISTRY)
    assert locked["default_action"] == "Deny" and locked["vnet_rules"] == [DOCKER_SUBNET.lower()]

    post_fault(emulator, {"fault": "clear"})
    resumed = acrfence(env, "resume", run.id, "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    rolled = acrfence(env, "rollback", run.id, "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "applied and verified" in rolled.stdout
    assert (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)) == original


def test_repro_c_refused_write_is_undone_by_doing_nothing(emulator, env, tmp_path):
    """Someone else sets Deny, and a 409 refuses our PATCH: our write never happened, so
    rollback leaves their Deny alone (and removes only the endpoint we did add)."""
    original = (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET))
    their_deny = {"op": "set_default_action", "registry": MYREGISTRY, "value": "Deny"}
    post_fault(
        emulator, {"fault": "concurrent_writer", "resource_id": MYREGISTRY, "mutation": their_deny}
    )
    post_fault(emulator, {"fault": "conflict", "count": 1, "match": "PATCH /registries/"})
    failed = acrfence(env, *LOCKDOWN)
    assert failed.returncode == 1
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    run = _lockdown_run(tmp_path)
    rules = _step(run, "write-rules")
    assert rules["status"] == "failed" and rules["applied"] is None
    assert rules["replaced"] is not None

    rolled = acrfence(env, "rollback", run["id"], "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert registry_view(emulator, MYREGISTRY) == {**original[0], "default_action": "Deny"}
    assert subnet_view(emulator, DOCKER_SUBNET) == original[1]


async def test_rollback_keeps_identical_changes_someone_else_made_in_flight(
    emulator, env, tmp_path
):
    """Right after each step reads, someone else makes the very change it was about to make
    (the endpoint, our subnet rule): our writes find it done, so it isn't ours to remove."""
    original = registry_view(emulator, MYREGISTRY)
    session = PlanSession.for_target(Target.from_env(env), Journal(tmp_path / "acrfence"))
    theirs = {
        StepKind.ENABLE_ENDPOINT: (
            DOCKER_SUBNET,
            {"op": "add_service_endpoint", "subnet": DOCKER_SUBNET, "service": ACR},
        ),
        StepKind.WRITE_RULES: (
            MYREGISTRY,
            {"op": "add_vnet_rule", "registry": MYREGISTRY, "subnet": DOCKER_SUBNET},
        ),
    }

    def someone_else(run: RunRecord, index: int) -> None:
        # The step has read and journaled its intent; the next read of the resource (the
        # service's own, just before writing) sees the other party's identical change.
        if not index:
            return
        step, record = run.plan.steps[index - 1], run.record(index)
        if record.status is StepStatus.APPLYING and step.kind in theirs:
            resource, mutation = theirs.pop(step.kind)
            post_fault(
                emulator,
                {"fault": "concurrent_writer", "resource_id": resource, "mutation": mutation},
            )

    try:
        registry = await session.resolve_registry("mycontainerregistry")
        plan = await session.lockdown_plan(LockdownRequest(registry.id, (DOCKER_SUBNET,)), registry)
        run = await session.execute(plan, someone_else)
        assert run.state is RunState.DONE, run.error
        assert not theirs  # both changes were made while the run was in flight
        endpoint = next(r for r in run.records if r.index == 1)
        assert endpoint.applied is None and "someone else" in endpoint.note
        rules = run.record(2).applied
        assert rules.add_virtual_network_rules == ()  # their rule, not ours
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    finally:
        await session.close()
    view = registry_view(emulator, MYREGISTRY)
    assert view == {**original, "vnet_rules": [DOCKER_SUBNET.lower()]}  # Deny undone, rule kept
    assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]


def test_a_journal_from_before_applied_still_rolls_back(emulator, env, tmp_path):
    """Journals written before steps recorded ``applied`` (change as a plain dict) load, and
    rollback derives what to undo from ``replaced`` as it used to."""
    import json

    original = (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET))
    done = acrfence(env, *LOCKDOWN)
    assert done.returncode == 0, done.stderr
    path = next((tmp_path / "acrfence").glob("*.json"))
    data = json.loads(path.read_text())
    for step in data["steps"]:
        step.pop("applied")
    path.write_text(json.dumps(data))
    rolled = acrfence(env, "rollback", data["id"], "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)) == original
