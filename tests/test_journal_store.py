"""The run journal on disk: location, atomic writes, listing, bad run IDs, no secrets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from acrfence.services.models import Plan, RunState, Step, StepKind, StepStatus
from acrfence.services.plans.journal import Journal, JournalError, journal_directory, same_place


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


AZURE = "https://management.azure.com"
EMULATOR = "https://127.0.0.1:40443"


def test_a_run_made_against_one_endpoint_is_left_alone_against_another(tmp_path: Path) -> None:
    on_the_emulator = Journal(tmp_path, EMULATOR).new_run(_plan())
    on_azure = Journal(tmp_path, AZURE).new_run(_plan())
    assert json.loads((tmp_path / f"{on_azure.id}.json").read_text())["arm_endpoint"] == AZURE
    interrupted = Journal(tmp_path).save(replace(on_the_emulator, state=RunState.APPLYING))

    azure = Journal(tmp_path, AZURE)
    assert [r.id for r in azure.runs()] == [on_azure.id]
    assert azure.unfinished() == []
    assert [r.id for r in azure.made_elsewhere()] == [on_the_emulator.id]
    with pytest.raises(JournalError) as refused:
        azure.load(on_the_emulator.id)
    assert str(refused.value) == (
        f"run {on_the_emulator.id} was made against {EMULATOR}, not {AZURE}: "
        f"finish or undo it with ACRFENCE_ARM_ENDPOINT={EMULATOR}"
    )
    # The emulator again, on another port (it takes a free one at each start): still there.
    emulator = Journal(tmp_path, "https://127.0.0.1:51234/")
    assert [r.id for r in emulator.unfinished()] == [on_the_emulator.id]
    assert emulator.load(on_the_emulator.id) == interrupted
    # Opened for no endpoint in particular, the journal holds them all.
    assert [r.id for r in Journal(tmp_path).runs()] == [on_the_emulator.id, on_azure.id]


def test_a_run_journaled_before_endpoints_were_kept_is_seen_everywhere(tmp_path: Path) -> None:
    run = Journal(tmp_path).new_run(_plan())
    data = json.loads((tmp_path / f"{run.id}.json").read_text())
    del data["arm_endpoint"]
    (tmp_path / f"{run.id}.json").write_text(json.dumps(data))
    for endpoint in (AZURE, EMULATOR):
        assert [r.id for r in Journal(tmp_path, endpoint).runs()] == [run.id]


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        (AZURE, "https://MANAGEMENT.azure.com/", True),
        (AZURE, "https://management.usgovcloudapi.net", False),
        (AZURE, EMULATOR, False),
        (EMULATOR, "https://127.0.0.1:1234", True),
        ("https://localhost:1", "https://localhost:2", True),
        ("https://arm.example:443", "https://arm.example:8443", False),
    ],
)
def test_same_place(one: str, other: str, same: bool) -> None:
    assert same_place(one, other) is same
