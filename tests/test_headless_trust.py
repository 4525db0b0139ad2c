"""Issue 8, the headless side: the CLI as a subprocess against the emulator, as an operator
runs it. Each test names the trust gap it closes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from test_plans_helpers import DOCKER_SUBNET, MYREGISTRY, journal_runs, registry_view

ROOT = Path(__file__).resolve().parents[1]


def acrfence(env: dict[str, str], *argv: str, stdin: str | None = None) -> CompletedProcess:
    """`acrfence ARGV` in a child process with ``env`` added to a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ACRFENCE_")}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv],
        cwd=ROOT,
        env={**base, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(emulator, tmp_path: Path) -> dict[str, str]:
    return {**emulator.env, "XDG_STATE_HOME": str(tmp_path)}


def test_plan_warns_on_a_private_range_as_an_ip_rule_with_the_findings_words(emulator, env):
    done = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET,
        "--ip", "10.0.0.0/8", "--plan",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "IP rule 10.0.0.0/8 never matches (not a public address)" in done.stdout
    plan = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET,
        "--ip", "10.0.0.0/8", "--plan", "--json",
    )  # fmt: skip
    checks = json.loads(plan.stdout)["plan"]["checks"]
    assert "ip-rule-private-range" in {c["code"] for c in checks}
    # A public range gets no such warning.
    public = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET,
        "--ip", "198.51.100.0/24", "--plan",
    )  # fmt: skip
    assert "never matches" not in public.stdout
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Allow"
    assert journal_runs(Path(env["XDG_STATE_HOME"])) == []


def test_a_misspelled_registry_gets_did_you_mean(emulator, env):
    for argv in (
        ("lockdown", "mycontainerregistyr", "--subnet", DOCKER_SUBNET, "--plan"),
        ("restore", "mycontainerregistyr", "--open", "--plan"),
        ("probe", "mycontainerregistyr"),
    ):
        done = acrfence(env, *argv)
        assert done.returncode == 2, (argv, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert "did you mean mycontainerregistry?" in lines[0], lines
    far = acrfence(env, "probe", "zzzzzzzzzzzz")
    assert far.returncode == 2 and "did you mean" not in far.stderr


def test_headless_plan_knows_this_machines_public_ip_as_the_tui_does(emulator, env):
    done = acrfence(env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--plan")
    assert done.returncode == 0, done.stderr
    assert "public IP is unknown" not in done.stdout
    assert f"this machine ({emulator.info['public_ip']}) will be refused" in done.stdout
    bad = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET,
        "--public-ip", "nope", "--plan",
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
