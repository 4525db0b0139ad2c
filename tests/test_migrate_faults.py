"""Faults at each write of the migration (429 with Retry-After, 5xx, a long-running operation
that fails), switched on through the emulator's fault API just as the step starts (after its
read, before its write): the run either rides them out to the fully migrated tenant or fails
with one sentence naming the ARM error code; either way rollback ends exactly at the start.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fault_api import acrfence, post_fault

from acrfence.emulator.runner import start_emulator
from acrfence.services.models import RunRecord, RunState, StepKind, StepStatus
from acrfence.services.plans.restore import NothingToUndo
from helpers import (
    FULL_MIGRATION,
    PE_SUBNET,
    cli_env,
    fast_session,
    journal_runs,
    lock_down,
    migration_plan_of,
    migration_view,
    view_diff,
)

# Each write step of the fullest migration, and the request its write sends first (a fault
# armed as the step starts meets that request before any other it matches).
WRITES = {
    StepKind.CREATE_DNS_ZONE: "PUT /privateDnsZones/privatelink.azurecr.io",
    StepKind.LINK_DNS_ZONE: "PUT /virtualNetworkLinks/",
    StepKind.CREATE_PRIVATE_ENDPOINT: "PUT /privateEndpoints/mycontainerregistry-pe",
    StepKind.WRITE_RULES: "PATCH /registries/mycontainerregistry",
    StepKind.DISABLE_ENDPOINT: "PUT /subnets/myDockerVMSubnet",
}
# Writes Azure answers with a long-running operation (the registry's PATCH answers at once).
LRO_KINDS = [k for k in WRITES if k is not StepKind.WRITE_RULES]
LRO_FAILURE_CODE = "RetryableError"


async def _step_indexes() -> list[tuple[int, StepKind]]:
    with start_emulator(seed="demo") as emulator:
        await lock_down(emulator)
        async with fast_session(emulator, Path("/nonexistent-journal")) as session:
            plan = await migration_plan_of(session, **FULL_MIGRATION)
    return [(s.index, s.kind) for s in plan.steps if s.kind in WRITES]


WRITE_STEPS = asyncio.run(_step_indexes())


def _cases(faults: dict[str, tuple[dict, str | None]], kinds=tuple(WRITES)):
    """(step index, kind, fault spec, the ARM code the run fails with or None) for each."""
    return [
        pytest.param(index, kind, spec, code, id=f"{name}-step{index}-{kind.value}")
        for index, kind in WRITE_STEPS
        if kind in kinds
        for name, (spec, code) in faults.items()
    ]


RIDDEN_OUT = {
    "429": ({"fault": "throttle", "count": 1, "retry_after": 1}, None),
    "503-once": ({"fault": "server_error", "count": 1, "status": 503}, None),
    "500-for-good": ({"fault": "server_error", "count": 50, "status": 500}, "InternalServerError"),
}
FAILED_OPERATION = {
    "failed-operation": (
        {"fault": "fail_next_lro", "count": 1, "code": LRO_FAILURE_CODE},
        LRO_FAILURE_CODE,
    )
}


class _ArmAtStep:
    """Switch ``spec`` on as step ``index`` starts (read done, intent journaled)."""

    def __init__(self, emulator, index: int, kind: StepKind, spec: dict) -> None:
        self.emulator, self.index, self.spec = emulator, index, dict(spec)
        if "match" not in self.spec and spec["fault"] != "fail_next_lro":
            self.spec["match"] = WRITES[kind]
        self.armed = False

    def __call__(self, run: RunRecord, index: int) -> None:
        starting = index == self.index and run.record(index).status is StepStatus.APPLYING
        if starting and not self.armed:
            post_fault(self.emulator, self.spec)
            self.armed = True

    def used_up(self) -> bool:
        """Whether the write met the fault (nothing of it is left to take)."""
        faults = self.emulator.faults
        if self.spec["fault"] == "fail_next_lro":
            return faults.take_lro_failure() is None
        method, _, path = self.spec["match"].partition(" ")
        return faults.take_counted(method, path) is None


@pytest.fixture(scope="module")
def migrated() -> dict:
    async def view() -> dict:
        with start_emulator(seed="demo") as emulator:
            await lock_down(emulator)
            async with fast_session(emulator, Path("/nonexistent-journal")) as session:
                plan = await migration_plan_of(session, **FULL_MIGRATION)
                run = await session.execute(plan)
            assert run.state is RunState.DONE, run.error
            return migration_view(emulator)

    return asyncio.run(view())


def _same(got: dict, want: dict, what: str) -> None:
    assert got == want, f"{what}:\n" + "\n".join(view_diff(got, want))


@pytest.mark.parametrize(
    ("index", "kind", "spec", "code"), _cases(RIDDEN_OUT) + _cases(FAILED_OPERATION, LRO_KINDS)
)
async def test_a_fault_at_a_steps_write(
    emulator, tmp_path: Path, migrated: dict, index: int, kind: StepKind, spec: dict, code
) -> None:
    await lock_down(emulator)
    start = migration_view(emulator)
    arm = _ArmAtStep(emulator, index, kind, spec)
    async with fast_session(emulator, tmp_path) as session:
        run = await session.execute(await migration_plan_of(session, **FULL_MIGRATION), arm)
        assert arm.armed
        if spec.get("count") == 1:
            assert arm.used_up(), f"step {index}'s write never met {spec}"
        post_fault(emulator, {"fault": "clear"})
        if code is None:
            assert run.state is RunState.DONE, run.error
            _same(migration_view(emulator), migrated, f"{spec} at step {index}, ridden out")
        else:
            assert run.state is RunState.FAILED
            assert run.error.endswith(f"(ARM error {code})"), run.error
            assert "\n" not in run.error and "Traceback" not in run.error
            failed = run.record(index)
            assert failed.status is StepStatus.FAILED and failed.error == run.error
            # Nothing after the failed step ran.
            assert all(r.status is StepStatus.PENDING for r in run.records if r.index > index)
        try:
            undo = await session.rollback(run.id)
        except NothingToUndo:
            # A refused first write: nothing of ours to undo (the view below says so too).
            assert code is not None and index == WRITE_STEPS[0][0]
        else:
            assert undo.state is RunState.DONE, undo.error
    _same(migration_view(emulator), start, f"rolled back after {spec} at step {index}")


async def test_the_command_names_the_arm_code_of_a_failed_operation(
    emulator, tmp_path: Path
) -> None:
    """`acrfence migrate` whose private endpoint's PUT fails: exit 1, one line on stderr
    naming the code, the journal holds the failed run; `acrfence rollback` then puts back
    exactly the start."""
    await lock_down(emulator)
    start = migration_view(emulator)
    env = cli_env(emulator, tmp_path)
    # A 501 is never retried: the endpoint's PUT fails for good.
    post_fault(emulator, {"fault": "server_error", "count": 1, "status": 501,
                          "match": "PUT /privateEndpoints/"})  # fmt: skip
    failed = acrfence(env, "migrate", "mycontainerregistry", "--pe-subnet", PE_SUBNET, "--yes")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "(ARM error InternalServerError)" in lines[0], failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    [run] = journal_runs(tmp_path)
    assert run["state"] == "failed"
    rolled = acrfence(env, "rollback", run["id"], "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    _same(migration_view(emulator), start, "`acrfence rollback` after the failed command")
