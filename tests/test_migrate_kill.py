"""`acrfence migrate` killed (SIGKILL, through the executor's crash hook) at step boundaries and
inside the private endpoint's write, then resumed and, separately, rolled back: resume ends
migrated, rollback ends exactly where the run started.

``MIGRATION_STEPS`` is the plan's step list for the tutorial's registry, and
``boundaries()`` every point the crash hook can stop at: a later test can run them all.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import (
    PE_SUBNET,
    PRIVATE_LINK_ZONE,
    ROOT,
    StaticTokenCredential,
    assert_migrated,
    cli_env,
    journal_runs,
    lock_down,
    run_cli,
    sdk_kwargs,
    with_vantages,
    world,
)

MIGRATE = ["migrate", "mycontainerregistry", "--pe-subnet", PE_SUBNET, "--yes"]
# The plan after the tutorial's lockdown, in order (step N is MIGRATION_STEPS[N - 1]).
MIGRATION_STEPS = (
    "create-dns-zone",
    "link-dns-zone",
    "create-private-endpoint",
    "verify-private-link",
    "write-rules",
    "verify",
)


def boundaries() -> list[str]:
    """Every point the crash hook stops at: before each step's write, after each step, and
    inside the endpoint's PUT (accepted, its operation unfinished)."""
    points = [f"{when}:{n}" for n in range(1, len(MIGRATION_STEPS) + 1)
              for when in ("before-write", "after-step")]  # fmt: skip
    return [*points, "mid-write:private-endpoint"]


# The boundaries this test visits: the zone made, the endpoint's PUT in flight, the rules gone
# (ACRFENCE_TEST_ALL_BOUNDARIES=1 visits every one, about 15 s each).
VISITED = (
    tuple(boundaries())
    if os.environ.get("ACRFENCE_TEST_ALL_BOUNDARIES")
    else ("after-step:1", "mid-write:private-endpoint", "before-write:5", "after-step:5")
)


def _killed_run(env: dict[str, str], crash_at: str) -> dict:
    child_env = {**os.environ, **env, "ACRFENCE_TEST_CRASH_AT": crash_at}
    child = subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", *MIGRATE],
        cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr
    [run] = [r for r in journal_runs_in(env) if r["kind"] == "migrate"]
    assert run["state"] == "applying"
    return run


def journal_runs_in(env: dict[str, str]) -> list[dict]:
    return journal_runs(Path(env["XDG_STATE_HOME"]))


@pytest.mark.parametrize("crash_at", VISITED)
def test_killed_then_rolled_back_or_resumed(emulator, tmp_path, monkeypatch, crash_at):
    asyncio.run(lock_down(emulator))
    before = world(emulator)

    rollback_env = with_vantages(emulator, cli_env(emulator, tmp_path / "rollback"))
    run = _killed_run(rollback_env, crash_at)
    assert run_cli(monkeypatch, rollback_env, "rollback", run["id"], "--yes") == 0
    assert world(emulator) == before
    [run] = [r for r in journal_runs_in(rollback_env) if r["kind"] == "migrate"]
    assert run["state"] == "rolled-back"

    resume_env = with_vantages(emulator, cli_env(emulator, tmp_path / "resume"))
    run = _killed_run(resume_env, crash_at)
    assert run_cli(monkeypatch, resume_env, "resume", run["id"], "--yes") == 0
    assert_migrated(emulator)
    [run] = [r for r in journal_runs_in(resume_env) if r["kind"] == "migrate"]
    assert run["state"] == "done"
    assert [s["kind"] for s in run["steps"]] == list(MIGRATION_STEPS)


async def _unlink(handle, link_name: str) -> None:
    credential = StaticTokenCredential(handle.token)
    async with PrivateDnsManagementClient(credential, SUB_PRODUCTION, **sdk_kwargs(handle)) as dns:
        poller = await dns.virtual_network_links.begin_delete(
            "myResourceGroup", PRIVATE_LINK_ZONE, link_name
        )
        await poller.result()


def test_a_link_removed_while_the_run_lay_dead_fails_verification_then_rolls_back(
    emulator, tmp_path, monkeypatch, capsys
):
    asyncio.run(lock_down(emulator))
    before = world(emulator)
    env = cli_env(emulator, tmp_path)
    run = _killed_run(env, "after-step:3")  # zone, link and endpoint made
    asyncio.run(_unlink(emulator, "myDockerVMVNET-link"))  # someone takes the link away
    # Resumed, the verification finds the network unlinked and stops before any rule goes
    # (at once: waiting can't bring a link back).
    assert run_cli(monkeypatch, env, "resume", run["id"], "--yes") == 1
    err = capsys.readouterr().err
    assert "the zone is not linked to network myDockerVMVNET" in err
    assert world(emulator)["registry"] == before["registry"]  # the rules are all still there
    assert run_cli(monkeypatch, env, "rollback", run["id"], "--yes") == 0
    assert world(emulator) == before
