"""The demo keeps its tenant and journal apart from the user's real journal."""

from __future__ import annotations

from pathlib import Path

from acrfence.emulator.runner import start_emulator
from acrfence.tui.launch import demo_state_directory


def test_demo_state_lives_beside_not_inside_the_real_journal(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    directory = demo_state_directory(reset=False)
    assert directory == tmp_path / "acrfence" / "demo"
    (directory / "journal").mkdir()
    (directory / "journal" / "run.json").write_text("{}")
    # The real journal lists acrfence/*.json only: the demo's runs never show up there.
    assert list((tmp_path / "acrfence").glob("*.json")) == []

    assert demo_state_directory(reset=False) == directory
    assert (directory / "journal" / "run.json").exists()
    assert not any(demo_state_directory(reset=True).iterdir())


def test_the_demo_tenant_remembers_a_change_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "tenant.json"
    with start_emulator(seed="demo", state_file=state) as first:
        registry_id = next(
            key for key in first.state.registries if key.endswith("/mycontainerregistry")
        )

        def deny(registry: dict) -> None:
            registry["properties"]["networkRuleSet"]["defaultAction"] = "Deny"

        first.state.update_registry(registry_id, deny)
    with start_emulator(seed="demo", state_file=state) as second:
        registry = second.state.get_registry(registry_id)
        assert registry["properties"]["networkRuleSet"]["defaultAction"] == "Deny"


def test_the_demo_s_journal_suggests_commands_that_reach_it(tmp_path: Path) -> None:
    # An unfinished run (a lockdown killed halfway) in the demo's journal and in the real one.
    import os
    import subprocess
    import sys
    from dataclasses import replace

    from acrfence.services.models import Plan, RunState, Step, StepKind
    from acrfence.services.plans.journal import Journal

    step = Step(1, StepKind.VERIFY, "/subscriptions/x/r", "verify", az=("az acr show",))
    plan = Plan("lockdown", "/subscriptions/x/r", "r", steps=(step,))
    for directory in (tmp_path / "acrfence" / "demo" / "journal", tmp_path / "acrfence"):
        journal = Journal(directory)
        journal.save(replace(journal.new_run(plan), state=RunState.APPLYING))

    def journal_output(*flags: str) -> str:
        env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
        env.pop("ACRFENCE_JOURNAL_DIR", None)
        command = [sys.executable, "-m", "acrfence.tui.cli", *flags, "journal"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    # Plain `acrfence resume RUN` would look in the real journal and answer "no run".
    assert "(acrfence --demo resume RUN_ID, or acrfence --demo rollback RUN_ID)" in (
        journal_output("--demo")
    )
    assert "(acrfence resume RUN_ID, or acrfence rollback RUN_ID)" in journal_output()
