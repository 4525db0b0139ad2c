"""The run journal on disk: location, atomic writes, listing, bad run IDs, no secrets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from acrfence.services.models import Plan, RunState, Step, StepKind, StepStatus
from acrfence.services.plans.journal import Journal, JournalError, journal_directory


def _plan() -> Plan:
    step = Step(1, StepKind.VERIFY, "/subscriptions/x/r", "verify", az=("az acr show",))
    return Plan("lockdown", "/subscriptions/x/r", "r", steps=(step,))


def test_directory_follows_xdg_state_home(tmp_path: Path) -> None:
    assert journal_directory({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "acrfence"
    home = journal_directory({"HOME": "/nowhere"})
    assert home.parts[-3:] == (".local", "state", "acrfence")


def test_new_run_is_saved_and_reloaded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "acrfence")
    run = journal.new_run(_plan())
    assert run.state is RunState.PLANNED
    assert journal.load(run.id) == run
    files = list((tmp_path / "acrfence").iterdir())
    assert [f.name for f in files] == [f"{run.id}.json"]  # no temp files left behind
    data = json.loads(files[0].read_text())
    assert data["registry"] == "/subscriptions/x/r" and data["state"] == "planned"
    assert data["steps"][0]["status"] == "pending" and data["steps"][0]["az"] == ["az acr show"]


def test_updates_replace_the_file_and_unfinished_runs_are_listed(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    first = journal.new_run(_plan())
    second = journal.new_run(_plan())
    applying = first.with_record(replace(first.record(1), status=StepStatus.APPLYING))
    journal.save(replace(applying, state=RunState.APPLYING))
    journal.save(replace(second, state=RunState.DONE))
    assert [r.id for r in journal.runs()] == [first.id, second.id]
    assert [r.id for r in journal.unfinished()] == [first.id]
    assert journal.load(first.id).record(1).status is StepStatus.APPLYING


def test_torn_or_foreign_files_are_skipped(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    run = journal.new_run(_plan())
    (tmp_path / "20990101T000000-000000.json").write_text("{not json")
    assert [r.id for r in journal.runs()] == [run.id]


@pytest.mark.parametrize("bad", ["../etc/passwd", "", "20260101T000000-zzzzzz"])
def test_bad_run_ids_are_one_line_errors(tmp_path: Path, bad: str) -> None:
    with pytest.raises(JournalError) as info:
        Journal(tmp_path).load(bad)
    assert "\n" not in str(info.value)


def test_unknown_run_names_the_directory(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no run 20260101T000000-abcdef"):
        Journal(tmp_path).load("20260101T000000-abcdef")


async def test_the_executor_journals_off_the_event_loop(emulator, tmp_path, monkeypatch):
    # fsync can block for long on a busy disk: the executor's saves run in a worker thread.
    import os
    import threading

    from acrfence.services.config import Target
    from acrfence.services.models import RunState
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.lockdown import LockdownRequest
    from acrfence.services.plans.session import PlanSession

    loop_thread = threading.current_thread()
    fsync_threads: list[threading.Thread] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        fsync_threads.append(threading.current_thread())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    async with PlanSession.for_target(Target.from_env(emulator.env), Journal(tmp_path)) as session:
        registry = await session.resolve_registry("contosoiprules")
        request = LockdownRequest(registry.id, (), ip_ranges=("203.0.113.77",))
        run = await session.execute(await session.lockdown_plan(request, registry))
    assert run.state is RunState.DONE, run.error
    assert fsync_threads and loop_thread not in fsync_threads
