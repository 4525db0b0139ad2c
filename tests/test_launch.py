"""`acrfence --demo`, `--rehearse`, `--read-only` and `--via` put together as the command line
does (tui.launch), then driven with Pilot: the parts the tests otherwise build by hand."""

from __future__ import annotations

import pytest

from acrfence.tui.cli import build_parser
from acrfence.tui.launch import prepare_dashboard
from helpers import inventory_loaded


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    for name in ("ACRFENCE_ARM_ENDPOINT", "ACRFENCE_TOKEN", "ACRFENCE_CA_CERT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "argv", [["--demo"], ["--demo", "--read-only"], ["--demo", "--via", "resource-graph"]]
)
async def test_the_demo_starts_as_the_command_line_builds_it(state_home, argv) -> None:
    prepared = prepare_dashboard(build_parser().parse_args(argv))
    assert not isinstance(prepared, int)
    app, emulator = prepared
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await inventory_loaded(pilot)
            assert app.data.error is None
            assert len(app.data.inventory.registries) == 14
            # The demo's own vantages and public IP reach the probe wizard and the plans.
            assert app.services.public_ip == emulator.info["public_ip"]
            assert app.services.vantages
            assert app.services.journal_directory.is_relative_to(state_home)
            assert "mycontainerregistry" in (app.services.welcome or "")
    finally:
        emulator.stop()


def test_demo_and_rehearse_together_is_one_line_of_bad_input(state_home, capsys) -> None:
    args = build_parser().parse_args(["--demo", "--rehearse", "x.json"])
    assert prepare_dashboard(args) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_help_says_migrations_are_journaled_resumed_and_rolled_back() -> None:
    help_text = " ".join(build_parser().format_help().split())
    assert "list journaled runs (lockdown, restore, migrate)" in help_text
    assert "finish an interrupted or failed lockdown, restore or migrate run" in help_text
    assert "undo a lockdown, restore or migrate run" in help_text
