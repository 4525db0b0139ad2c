"""`acrfence emulator`: one JSON line when ready, serves requests, exits 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from acrfence.emulator.seeds import build_tenant

ROOT = Path(__file__).resolve().parent.parent


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "acrfence.tui.cli", "emulator", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_prints_one_json_line_and_exits_cleanly(signum, tmp_path) -> None:
    state = tmp_path / "state.json"
    process = _start("--seed", "demo", "--state", str(state))
    try:
        info = json.loads(process.stdout.readline())
        context = ssl.create_default_context(cafile=info["ca_cert"])
        response = httpx.get(
            f"{info['arm_endpoint']}/subscriptions",
            params={"api-version": "2022-12-01"},
            headers={"Authorization": f"Bearer {info['env']['ACRFENCE_TOKEN']}"},
            verify=context,
        )
        process.send_signal(signum)
        rest, errors = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    assert rest == ""  # exactly one line on stdout
    assert response.status_code == 200
    assert info["arm_endpoint"].startswith("https://127.0.0.1:")
    assert info["registry_endpoint"].startswith("127.0.0.1:")
    assert info["public_ip"] == "203.0.113.10"
    assert info["vantages"]["internet"] == "127.0.0.1"
    demo_subnets = [s["id"] for s in build_tenant("demo").subnets.values()]
    assert sorted(info["vantages"]) == sorted(["internet", *demo_subnets])
    port = info["registry_endpoint"].rsplit(":", 1)[1]
    assert info["env"] == {
        "ACRFENCE_ARM_ENDPOINT": info["arm_endpoint"],
        "ACRFENCE_CA_CERT": info["ca_cert"],
        "ACRFENCE_TOKEN": info["token"],
        "ACRFENCE_CONNECT_TO": f"::127.0.0.1:{port}",
        "ACRFENCE_PUBLIC_IP": "203.0.113.10",
        "ACRFENCE_DNS_SERVER": info["dns"],
        "ACRFENCE_PRIVATE_ADDRESS_RULE": "a.b.c.d -> 127.b.c.d",
    }
    assert info["dns"] == f"127.0.0.1:{info['dns_port']}"
    assert state.exists()


def test_bad_seed_is_one_line_and_exit_2() -> None:
    process = _start("--seed", "generate:oops")
    out, errors = process.communicate(timeout=20)
    assert process.returncode == 2
    assert out == ""
    assert errors.strip().count("\n") == 0 and "generate:" in errors


def test_token_flag_sets_the_accepted_token_and_a_blank_one_is_refused() -> None:
    process = _start("--seed", "demo", "--token", "operator-chosen.jwt.value")
    try:
        info = json.loads(process.stdout.readline())
        context = ssl.create_default_context(cafile=info["ca_cert"])

        def subscriptions(token: str) -> int:
            return httpx.get(
                f"{info['arm_endpoint']}/subscriptions",
                params={"api-version": "2022-12-01"},
                headers={"Authorization": f"Bearer {token}"},
                verify=context,
            ).status_code

        accepted, refused = subscriptions("operator-chosen.jwt.value"), subscriptions("other")
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert info["token"] == "operator-chosen.jwt.value"
    assert (accepted, refused) == (200, 401)
    assert set(info["az_env"]) == {
        "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "NO_PROXY"
    }  # fmt: skip
    blank = _start("--token", " ")
    out, errors = blank.communicate(timeout=20)
    assert blank.returncode == 2 and out == "" and "--token" in errors
