"""Helpers for fault-campaign tests (no tests here): the emulator's fault API over HTTPS, the
command line as a subprocess, and the journal of a run as the CLI wrote it."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def post_fault(handle, spec: dict) -> None:
    """Switch a fault on through `POST /_emulator/faults`, as any client of the emulator can."""
    response = httpx.post(
        f"{handle.arm_endpoint}/_emulator/faults",
        json=spec,
        headers={"Authorization": f"Bearer {handle.token}"},
        verify=ssl.create_default_context(cafile=handle.ca_cert),
        timeout=30,
    )
    assert response.status_code == 200, response.text


def tenant_snapshot(handle) -> dict:
    """The whole emulated tenant, through `GET /_emulator/state`."""
    response = httpx.get(
        f"{handle.arm_endpoint}/_emulator/state",
        headers={"Authorization": f"Bearer {handle.token}"},
        verify=ssl.create_default_context(cafile=handle.ca_cert),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def acrfence(env: dict[str, str], *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`acrfence ARGV` in a child process with ``env`` added to this one's environment."""
    child_env = {**os.environ, **env}
    child_env.pop("ACRFENCE_TEST_CRASH_AT", None)
    return subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", *argv],
        cwd=ROOT,
        env=child_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
