"""Property (issue 9's, extended to the migration): whatever seeded random schedule of faults
(429s, 5xx, 409s, failed operations, broken read-backs, throttled operation polls) hits the
migration, or wherever a kill -9 stops it, resume ends exactly at the migrated tenant and
rollback then ends exactly where the run started, across the whole tenant
(``helpers.migration_view``). Resume and rollback may meet a fault of their own first.

ACRFENCE_PROPERTY_SEEDS widens the campaign (default 8 seeds).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from pathlib import Path

import pytest
from fault_api import post_fault

from acrfence.emulator.runner import start_emulator
from acrfence.services.models import RunRecord, RunState, StepStatus
from acrfence.services.plans.journal import Journal
from helpers import (
    FULL_MIGRATION,
    fast_session,
    lock_down,
    migration_plan_of,
    migration_view,
    run_migration_child,
    view_diff,
)

SEEDS = range(int(os.environ.get("ACRFENCE_PROPERTY_SEEDS", "8")))

# Counted faults, as the fault API takes them; each armed at a random moment of the run.
COUNTED = [
    {"fault": "throttle", "count": 2, "retry_after": 0, "match": "PUT /privateDnsZones/"},
    {"fault": "throttle", "count": 2, "retry_after": 0, "match": "/privateDnsOperationStatuses/"},
    {"fault": "throttle", "count": 9, "retry_after": 0, "match": "/operations/"},
    {"fault": "server_error", "count": 1, "status": 500, "match": "PUT /privateEndpoints/"},
    {"fault": "server_error", "count": 8, "status": 503, "match": "PUT /virtualNetworkLinks/"},
    {"fault": "server_error", "count": 1, "status": 500, "match": "PATCH /registries/"},
    {"fault": "conflict", "count": 1, "match": "PATCH /registries/"},
    {"fault": "conflict", "count": 1, "match": "PUT /subnets/"},
    {"fault": "fail_next_lro", "count": 1},
    # As a write goes out: its read-back fails, so the step fails though the write landed.
    {"fault": "server_error", "count": 8, "status": 500, "match": "GET /subscriptions/"},
    {"fault": "server_error", "count": 8, "status": 500, "match": "GET /registries/mycontainer"},
    {"fault": "throttle", "count": 2, "retry_after": 0, "match": "GET /privateEndpoints/"},
]
# The faults resume and rollback may meet first (those that end in a plain refusal or retry).
SECOND_TRY = COUNTED[:9]


async def _migrated_view() -> dict:
    with start_emulator(seed="demo") as emulator:
        await lock_down(emulator)
        async with fast_session(emulator, Path("/nonexistent-journal")) as session:
            run = await session.execute(await migration_plan_of(session, **FULL_MIGRATION))
        assert run.state is RunState.DONE, run.error
        return migration_view(emulator)


@pytest.fixture(scope="module")
def migrated() -> dict:
    return asyncio.run(_migrated_view())


class Schedule:
    """Which faults to switch on at which moment of the first attempt: as the run starts, as
    a step starts (read done), or as its write is about to go out."""

    def __init__(self, rng: random.Random, emulator, step_count: int) -> None:
        self.emulator = emulator
        moments = [("start", 0)] + [
            (phase, n) for n in range(1, step_count + 1) for phase in ("applying", "sent")
        ]
        self.plan: dict[tuple[str, int], list[dict]] = {}
        for _ in range(rng.randint(1, 3)):
            self.plan.setdefault(rng.choice(moments), []).append(rng.choice(COUNTED))
        self._seen: dict[int, StepStatus] = {}
        self.log: list[str] = []

    def fire(self, moment: tuple[str, int]) -> None:
        for spec in self.plan.pop(moment, ()):
            self.log.append(f"{moment}: {spec}")
            post_fault(self.emulator, spec)

    def on_progress(self, run: RunRecord, index: int) -> None:
        if not index:
            return
        status = run.record(index).status
        if status is StepStatus.APPLYING:
            phase = "sent" if self._seen.get(index) is StepStatus.APPLYING else "applying"
            self.fire((phase, index))
        self._seen[index] = status


async def _until_done(session, emulator, rng: random.Random, run_id: str, how: str):
    """Resume (or roll back) ``run_id``: maybe once under a fault, then with none."""
    call = session.resume if how == "resume" else session.rollback
    if rng.random() < 0.5:
        post_fault(emulator, rng.choice(SECOND_TRY))
        result = await call(run_id)
        post_fault(emulator, {"fault": "clear"})
        if result.state is RunState.DONE:
            return result
    return await call(run_id)


def _same(got: dict, want: dict, what: str) -> None:
    assert got == want, f"{what}:\n" + "\n".join(view_diff(got, want))


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_faults_or_a_kill_then_resume_then_rollback(
    make_emulator, tmp_path: Path, seed: int, migrated: dict
) -> None:
    rng = random.Random(seed)
    emulator = make_emulator(seed="demo")
    await lock_down(emulator)
    start = migration_view(emulator)
    async with fast_session(emulator, tmp_path) as session:
        plan = await migration_plan_of(session, **FULL_MIGRATION)
        if rng.random() < 0.4:
            # Killed at a random boundary, maybe with a fault in its way first.
            when = rng.choice(("before-write", "after-step"))
            crash_at = f"{when}:{rng.randint(1, len(plan.steps))}"
            fault = rng.choice([None, *COUNTED])
            if fault:
                post_fault(emulator, fault)
            child = run_migration_child(emulator, tmp_path, crash_at, **FULL_MIGRATION)
            context = f"seed {seed}: killed at {crash_at} under {fault}"
            # The fault may have failed the run before it reached the boundary.
            assert child.returncode in (-signal.SIGKILL, 1), f"{context}: {child.stderr}"
            runs = Journal(tmp_path).runs()
            if not runs:  # its planning reads failed: nothing journaled, nothing changed
                _same(migration_view(emulator), start, f"{context}; nothing journaled")
                post_fault(emulator, {"fault": "clear"})
                runs = [await session.execute(await migration_plan_of(session, **FULL_MIGRATION))]
            [run] = runs
        else:
            schedule = Schedule(rng, emulator, len(plan.steps))
            schedule.fire(("start", 0))
            run = await session.execute(plan, schedule.on_progress)
            context = f"seed {seed}: {schedule.log}, run {run.state} ({run.error})"
        post_fault(emulator, {"fault": "clear"})
        if run.state is not RunState.DONE:
            run = await _until_done(session, emulator, rng, run.id, "resume")
            assert run.state is RunState.DONE, f"{context}; resume: {run.error}"
        _same(migration_view(emulator), migrated, f"{context}; resumed")
        undo = await _until_done(session, emulator, rng, run.id, "rollback")
        assert undo.state is RunState.DONE, f"{context}; rollback: {undo.error}"
    _same(migration_view(emulator), start, f"{context}; rolled back")
