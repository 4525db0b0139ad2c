"""The process killed (SIGKILL) at each step boundary and at random points under latency, then
resumed and, separately, rolled back: each ends in the intended state with nothing lost."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import (
    ACR,
    AKS,
    DOCKER_SUBNET,
    MYREGISTRY,
    cli_env,
    journal_runs,
    registry_view,
    run_cli,
    subnet_view,
)

ROOT = Path(__file__).resolve().parent.parent
LOCKDOWN = ["lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"]


def _start(env: dict[str, str], crash_at: str | None = None) -> subprocess.Popen:
    child_env = {**os.environ, **env}
    child_env.pop("ACRFENCE_TEST_CRASH_AT", None)
    if crash_at:
        child_env["ACRFENCE_TEST_CRASH_AT"] = crash_at
    return subprocess.Popen(
        [sys.executable, "-m", "acrfence.tui.cli", *LOCKDOWN],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _someone_else_meanwhile(emulator) -> None:
    """Changes made by another operator while our run lies half-done."""

    def add_sql(raw: dict) -> None:
        endpoints = raw["properties"].setdefault("serviceEndpoints", [])
        endpoints.append({"service": "Microsoft.Sql", "locations": ["*"]})

    def add_rule(raw: dict) -> None:
        rules = raw["properties"]["networkRuleSet"].setdefault("virtualNetworkRules", [])
        rules.append({"action": "Allow", "virtualNetworkSubnetResourceId": AKS})

    emulator.state.update_subnet(DOCKER_SUBNET, add_sql)
    emulator.state.update_registry(MYREGISTRY, add_rule)


def _assert_rolled_back(emulator, original: dict) -> None:
    view = registry_view(emulator, MYREGISTRY)
    assert view == {**original, "vnet_rules": [AKS.lower()]}  # theirs kept, ours gone
    assert subnet_view(emulator, DOCKER_SUBNET)["endpoints"] == ["Microsoft.Sql"]


def _assert_locked(emulator) -> None:
    view = registry_view(emulator, MYREGISTRY)
    assert view["default_action"] == "Deny"
    assert view["vnet_rules"] == sorted([AKS.lower(), DOCKER_SUBNET.lower()])
    assert subnet_view(emulator, DOCKER_SUBNET)["endpoints"] == sorted([ACR, "Microsoft.Sql"])


def _only_run(state_dir: Path, kind: str = "lockdown") -> dict:
    [run] = [r for r in journal_runs(state_dir) if r["kind"] == kind]
    return run


@pytest.mark.parametrize(
    "crash_at", ["before-write:1", "after-step:1", "before-write:2", "after-step:2"]
)
def test_killed_at_a_step_boundary_then_rolled_back_or_resumed(
    emulator, tmp_path, monkeypatch, crash_at
):
    original = registry_view(emulator, MYREGISTRY)
    rollback_env = cli_env(emulator, tmp_path / "rollback")
    child = _start(rollback_env, crash_at)
    assert child.wait(timeout=60) == -signal.SIGKILL, child.stderr.read()
    run = _only_run(tmp_path / "rollback")
    assert run["state"] == "applying"
    _someone_else_meanwhile(emulator)
    assert run_cli(monkeypatch, rollback_env, "rollback", run["id"], "--yes") == 0
    _assert_rolled_back(emulator, original)
    assert _only_run(tmp_path / "rollback")["state"] == "rolled-back"

    resume_env = cli_env(emulator, tmp_path / "resume")
    child = _start(resume_env, crash_at)
    assert child.wait(timeout=60) == -signal.SIGKILL, child.stderr.read()
    run = _only_run(tmp_path / "resume")
    assert run_cli(monkeypatch, resume_env, "resume", run["id"], "--yes") == 0
    _assert_locked(emulator)
    assert _only_run(tmp_path / "resume")["state"] == "done"


def test_killed_at_random_points_under_latency(make_emulator, tmp_path, monkeypatch):
    seed = int(os.environ.get("ACRFENCE_TEST_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    emulator = make_emulator(seed="demo", latency_ms=60)
    original = registry_view(emulator, MYREGISTRY)
    for attempt, action in enumerate(("rollback", "resume")):
        env = cli_env(emulator, tmp_path / action)
        child = _start(env)
        delay = rng.uniform(1.0, 3.6)  # a whole run takes about 4 s here
        # Kill it at that random point of its run (unless it ended before).
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        runs = [r for r in journal_runs(tmp_path / action) if r["kind"] == "lockdown"]
        context = f"seed {seed}, attempt {attempt}, killed after {delay:.2f}s"
        if action == "rollback":
            if runs:
                assert run_cli(monkeypatch, env, "rollback", runs[0]["id"], "--yes") == 0, context
            view = registry_view(emulator, MYREGISTRY)
            assert view == original, context
            assert ACR not in subnet_view(emulator, DOCKER_SUBNET)["endpoints"], context
        else:
            if runs:
                assert run_cli(monkeypatch, env, "resume", runs[0]["id"], "--yes") == 0, context
            else:  # killed before the run was journaled: nothing changed, run it afresh
                assert registry_view(emulator, MYREGISTRY) == original, context
                assert run_cli(monkeypatch, env, *LOCKDOWN) == 0, context
            view = registry_view(emulator, MYREGISTRY)
            assert view["default_action"] == "Deny", context
            assert view["vnet_rules"] == [DOCKER_SUBNET.lower()], context
            assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"], context
