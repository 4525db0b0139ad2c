"""The migration of mycontainerregistry after the tutorial's lockdown, killed (SIGKILL, the
executor's crash hook) at every step boundary of its own plan, then resumed and, separately,
rolled back: resume ends exactly where an uninterrupted migration ends, rollback exactly where
the run started, across the whole tenant (registries, subnets, private endpoints, zones, links,
record sets; see ``helpers.migration_view``).

tests/test_migrate_kill.py does a few boundaries through the real `acrfence migrate`, `resume`
and `rollback` commands (about 15 s each: the command polls operations every second). Here
every boundary of the fullest plan (public access off, the subnets' endpoints removed) is
visited: one child process per boundary runs the migration through PlanSession with 20 ms
polling and is killed; the emulator's state file and the journal are copied, so rollback runs
on the tenant the kill left and resume on a twin loaded from the copy (about 3 s a boundary).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

import pytest

from acrfence.emulator.runner import start_emulator
from acrfence.services.models import RunState
from acrfence.services.plans.journal import Journal
from acrfence.services.plans.restore import NothingToUndo
from helpers import (
    FULL_MIGRATION,
    fast_session,
    lock_down,
    migration_plan_of,
    migration_view,
    run_migration_child,
    view_diff,
)


async def _plan_steps() -> list[tuple[int, str]]:
    with start_emulator(seed="demo") as emulator:
        await lock_down(emulator)
        async with fast_session(emulator, Path("/nonexistent-journal")) as session:
            plan = await migration_plan_of(session, **FULL_MIGRATION)
    assert plan.steps and not plan.blocked
    return [(step.index, step.kind.value) for step in plan.steps]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every step boundary of the plan itself: before step N's write, after step N (and the
    one point inside a write the hook has for the migration)."""
    if "boundary" not in metafunc.fixturenames:
        return
    steps = asyncio.run(_plan_steps())
    points = [f"{when}:{index}" for index, _ in steps for when in ("before-write", "after-step")]
    ids = [f"{p}:{index}-{kind}" for (index, kind) in steps for p in ("before", "after")]
    # And inside the endpoint's PUT: Azure accepted it, its operation hadn't finished.
    points.append("mid-write:private-endpoint")
    ids.append("inside-the-endpoint-put")
    metafunc.parametrize("boundary", points, ids=ids)


async def _migrated_view() -> dict:
    with start_emulator(seed="demo") as emulator:
        await lock_down(emulator)
        async with fast_session(emulator, Path("/tmp") / "unused") as session:
            run = await session.execute(await migration_plan_of(session, **FULL_MIGRATION))
        assert run.state is RunState.DONE, run.error
        return migration_view(emulator)


@pytest.fixture(scope="module")
def migrated() -> dict:
    """The tenant after an uninterrupted migration (on an emulator of its own)."""
    return asyncio.run(_migrated_view())


def _killed(emulator, journal_dir: Path, crash_at: str):
    child = run_migration_child(emulator, journal_dir, crash_at, **FULL_MIGRATION)
    assert child.returncode == -signal.SIGKILL, child.stderr
    [run] = Journal(journal_dir).runs()
    assert run.state is RunState.APPLYING
    return run


def _settled(view: dict) -> dict:
    for endpoint in view["private_endpoints"].values():
        endpoint["state"] = "Succeeded"
    return view


def _same(got: dict, want: dict, what: str) -> None:
    assert got == want, f"{what}:\n" + "\n".join(view_diff(got, want))


async def test_killed_at_a_step_boundary_then_rolled_back_or_resumed(
    make_emulator, tmp_path: Path, boundary: str, migrated: dict
) -> None:
    """One kill per boundary: the tenant it leaves (the emulator's state file) and the journal
    are copied, so rollback runs on the original and resume on a second emulator loaded from
    the copy, each from exactly the state the kill left."""
    crash_at = boundary
    emulator = make_emulator(seed="demo", state_file=tmp_path / "tenant.json")
    await lock_down(emulator)
    start = migration_view(emulator)

    run = _killed(emulator, tmp_path / "journal", crash_at)
    shutil.copytree(tmp_path / "journal", tmp_path / "journal-copy")
    shutil.copy(tmp_path / "tenant.json", tmp_path / "tenant-copy.json")
    twin = make_emulator(state_file=tmp_path / "tenant-copy.json")
    killed = migration_view(emulator)
    # The same, but for an operation the kill left in flight: loading finishes it, as Azure
    # finishes an accepted operation whatever becomes of its client.
    _same(_settled(migration_view(twin)), _settled(killed), "the copy of the tenant the kill left")

    async with fast_session(emulator, tmp_path / "journal") as session:
        try:
            undo = await session.rollback(run.id)
        except NothingToUndo:
            # Only a kill before the first write leaves nothing of ours.
            assert crash_at == "before-write:1"
            assert killed == start
        else:
            assert undo.state is RunState.DONE, undo.error
            assert session.journal.load(run.id).state is RunState.ROLLED_BACK
    _same(migration_view(emulator), start, f"rolled back after a kill at {crash_at}")

    async with fast_session(twin, tmp_path / "journal-copy") as session:
        resumed = await session.resume(run.id)
        assert resumed.state is RunState.DONE, resumed.error
        _same(migration_view(twin), migrated, f"resumed after a kill at {crash_at}")
        # And the resumed run, rolled back, leaves the tenant as it found it.
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    _same(migration_view(twin), start, f"resumed then rolled back ({crash_at})")
