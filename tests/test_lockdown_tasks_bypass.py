"""The lockdown plan and the Tasks bypass (networkRuleBypassAllowedForTasks), the limits it
checks before writing, and the registry API fallback seen from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from acrfence.emulator.arm.context import Settings
from helpers import DOCKER_SUBNET, MYREGISTRY, cli_env, journal_runs, run_cli


def _tasks(handle) -> bool:
    return handle.state.get_registry(MYREGISTRY)["properties"]["networkRuleBypassAllowedForTasks"]


def test_lockdown_lets_tasks_through_and_rollback_puts_it_back(
    emulator, tmp_path: Path, monkeypatch, capsys
) -> None:
    env = cli_env(emulator, tmp_path)
    args = ("lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET)
    assert run_cli(monkeypatch, env, *args, "--plan") == 0
    plan = capsys.readouterr().out
    tasks_warning = "ACR Tasks (quick tasks, builds, scheduled tasks) will get 403"
    assert tasks_warning in plan  # the warning, before the operator chooses
    assert run_cli(monkeypatch, env, *args, "--tasks-bypass", "allow", "--plan") == 0
    plan = capsys.readouterr().out
    assert "az acr update --name mycontainerregistry --default-action Deny " \
        "--set networkRuleBypassAllowedForTasks=true" in plan  # fmt: skip
    assert tasks_warning not in plan
    assert _tasks(emulator) is False  # --plan changes nothing

    assert run_cli(monkeypatch, env, *args, "--tasks-bypass", "allow", "--yes") == 0
    assert _tasks(emulator) is True
    run_id = journal_runs(tmp_path)[0]["id"]
    capsys.readouterr()
    assert run_cli(monkeypatch, env, "rollback", run_id, "--yes") == 0, capsys.readouterr().err
    assert _tasks(emulator) is False


def test_a_bad_tasks_bypass_value_is_one_line_and_exit_2(
    emulator, tmp_path: Path, monkeypatch, capsys
) -> None:
    env = cli_env(emulator, tmp_path)
    try:  # argparse's exit, or main's own 2 (either way: one line, nothing changed)
        rc = run_cli(monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet",
                     DOCKER_SUBNET, "--tasks-bypass", "maybe", "--yes")  # fmt: skip
    except SystemExit as exited:
        rc = exited.code
    assert rc == 2
    assert "--tasks-bypass" in capsys.readouterr().err
    assert _tasks(emulator) is False


def test_too_many_ip_rules_are_blocked_before_writing(
    emulator, tmp_path: Path, monkeypatch, capsys
) -> None:
    ips = [arg for i in range(201) for arg in ("--ip", f"198.18.{i // 250}.{i % 250 + 1}")]
    rc = run_cli(monkeypatch, cli_env(emulator, tmp_path), "lockdown", "mycontainerregistry",
                 "--subnet", DOCKER_SUBNET, *ips, "--yes")  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 1 and "would have 201 IP rules; Azure allows at most 200" in captured.err
    assert journal_runs(tmp_path) == []


def test_where_azure_refuses_the_newest_api_the_plan_says_so_and_runs_on_the_fallback(
    make_emulator, tmp_path: Path, monkeypatch, capsys
) -> None:
    handle = make_emulator(
        seed="demo", settings=Settings(refused_api_versions=frozenset({"2026-09-01-preview"}))
    )
    env = cli_env(handle, tmp_path)
    args = ("lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET)
    rc = run_cli(monkeypatch, env, *args, "--tasks-bypass", "allow", "--yes")
    captured = capsys.readouterr()
    assert rc == 1 and "refused registry API 2026-09-01-preview" in captured.err
    assert run_cli(monkeypatch, env, *args, "--yes") == 0, capsys.readouterr().err
    assert "uses 2021-08-01-preview" in capsys.readouterr().out  # the plan says so
    rules = handle.state.get_registry(MYREGISTRY)["properties"]["networkRuleSet"]
    assert rules["defaultAction"] == "Deny"
    capsys.readouterr()
    assert run_cli(monkeypatch, env, "inventory", "--json") == 0
    listed = json.loads(capsys.readouterr().out)["registries"]
    mine = next(r for r in listed if r["name"] == "mycontainerregistry")
    assert mine["registry_api_version"] == "2021-08-01-preview"
    assert "refused" in mine["registry_api_note"]


async def test_the_wizard_can_let_tasks_through(emulator, tmp_path: Path, monkeypatch) -> None:
    from textual.widgets import Button, Input, Select

    from helpers import open_lockdown_of_myregistry, static_text, until, wizard_app

    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        screen = await open_lockdown_of_myregistry(app, pilot, DOCKER_SUBNET)
        screen.query_one("#tasks-bypass", Select).value = "allow"
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        assert "ACR Tasks bypass" in static_text(screen, "#plan-text")
        assert "networkRuleBypassAllowedForTasks=true" in static_text(screen, "#plan-text")
        screen.query_one("#confirm", Input).value = "mycontainerregistry"
        await pilot.pause()
        screen.query_one("#apply", Button).press()
        await until(pilot, lambda: "Applied and verified" in static_text(screen, "#outcome"))
    assert _tasks(emulator) is True
