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
