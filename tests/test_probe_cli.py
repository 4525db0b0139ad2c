"""`acrfence probe` end to end against the emulator: table, JSON, --expect exit codes, --wait,
and bad input as one line with exit 2 before anything is read."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from acrfence.emulator.runner import EmulatorHandle
from acrfence.tui.commands import probe

ROOT = Path(__file__).resolve().parent.parent


def run_probe(monkeypatch: pytest.MonkeyPatch, handle: EmulatorHandle | None, *argv: str) -> int:
    if handle is not None:
        for key, value in handle.env.items():
            monkeypatch.setenv(key, value)
    parser = argparse.ArgumentParser(prog="acrfence probe")
    probe.configure(parser)
    return probe.run(parser.parse_args(list(argv)))


def test_denied_and_open_registries_in_a_table(emulator, monkeypatch, capsys) -> None:
    code = run_probe(monkeypatch, emulator, "contosolocked", "mycontainerregistry")
    out = capsys.readouterr().out
    assert code == 0
    locked = next(line for line in out.splitlines() if line.startswith("contosolocked "))
    assert "denied" in locked and "203.0.113.10" in locked
    open_row = next(line for line in out.splitlines() if line.startswith("mycontainerregistry "))
    assert "reachable (login required)" in open_row and "auth-required" not in open_row
    assert "contosolocked: denied, as the rules say: default action Deny" in out


def test_expect_denied_exits_0_only_when_every_verdict_is_a_refusal(
    emulator, monkeypatch, capsys
) -> None:
    assert run_probe(monkeypatch, emulator, "contosolocked", "--expect", "denied") == 0
    assert run_probe(monkeypatch, emulator, "contosolocked", "--expect", "reachable") == 1
    both = ("contosolocked", "mycontainerregistry")
    assert run_probe(monkeypatch, emulator, *both, "--expect", "denied") == 1
    out = capsys.readouterr().out
    assert " NOT MET " in out and " met " in out


def test_expect_reachable_counts_a_challenge_without_credentials(
    emulator, monkeypatch, capsys
) -> None:
    assert run_probe(monkeypatch, emulator, "mycontainerregistry", "--expect", "reachable") == 0


def test_json_with_the_token_stages(emulator, monkeypatch, capsys) -> None:
    code = run_probe(monkeypatch, emulator, "mycontainerregistry", "--token", "--json")
    text = capsys.readouterr().out
    [entry] = json.loads(text)
    assert code == 0
    assert entry["verdict"] == "reachable"
    assert entry["decided_at"] == "authorised"
    stages = [s["stage"] for s in entry["hosts"][0]["stages"]]
    assert stages == ["dns", "tcp", "tls", "v2", "exchange", "token", "authorised"]
    assert emulator.token not in text


def test_from_a_subnet_vantage_by_source_address(emulator, monkeypatch, capsys) -> None:
    subnet = next(k for k in emulator.info["vantages"] if k.endswith("/build-agents"))
    argv = ["contosodangling", "--json", "--expect", "reachable"]
    argv += ["--source-address", emulator.vantage(subnet), "--from-subnet", subnet]
    assert run_probe(monkeypatch, emulator, *argv) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["verdict"] == "auth-required"
    assert entry["explanation"].startswith("reachable, as the rules say")


def test_wait_succeeds_once_the_rule_reaches_the_data_plane(emulator, monkeypatch, capsys) -> None:
    from acrfence.emulator.seeds import SUB_PRODUCTION

    # Lock the registry through ARM with a propagation delay: the data plane keeps the old
    # (open) rules for a second, so the first rounds still see it reachable.
    emulator.faults.set_propagation_delay(1.5)
    registry = emulator.state.get_registry(
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers"
        "/Microsoft.ContainerRegistry/registries/mycontainerregistry"
    )
    assert registry is not None
    _lock_through_arm(emulator, registry["id"])
    began = time.monotonic()
    code = run_probe(
        monkeypatch, emulator, "mycontainerregistry", "--expect", "denied", "--wait", "20"
    )
    captured = capsys.readouterr()
    assert code == 0
    assert time.monotonic() - began < 15
    progress = [line for line in captured.err.splitlines() if "left" in line]
    assert progress[0].startswith("acrfence probe: 0/1 denied")
    assert progress[-1].startswith("acrfence probe: 1/1 denied")


def _lock_through_arm(handle: EmulatorHandle, registry_id: str) -> None:
    """Default action Deny through the registry service (real SDK, real HTTPS)."""
    import asyncio

    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target
    from acrfence.services.registry_rules import NetworkEdit, RegistryRuleService

    async def lock() -> None:
        async with AzureClients(Target.from_env(handle.env)) as clients:
            await RegistryRuleService(clients).apply(
                registry_id, NetworkEdit(default_action="Deny")
            )

    # This test is synchronous; run the write in its own thread's loop.
    thread = threading.Thread(target=lambda: asyncio.run(lock()))
    thread.start()
    thread.join()


def test_wait_gives_up_with_exit_1(emulator, monkeypatch, capsys) -> None:
    code = run_probe(
        monkeypatch, emulator, "contosolocked", "--expect", "reachable", "--wait", "0.5"
    )
    assert code == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "name at least one REGISTRY"),
        (["bad_name!"], "is not a registry name"),
        (["/subscriptions/x/resourceGroups"], "REGISTRY:"),
        (["contosolocked", "--connect-to", "nonsense"], "HOST1:PORT1:HOST2:PORT2"),
        (["contosolocked", "--source-address", "300.1.1.1"], "is not an IP address"),
        (["contosolocked", "--wait", "5"], "--wait needs --expect"),
        (["contosolocked", "--from-subnet", "/subscriptions/x"], "--from-subnet"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, argv, message) -> None:
    # No emulator: bad input is caught before anything is read.
    assert run_probe(monkeypatch, None, *argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_an_unknown_registry_is_one_line_and_exit_2(emulator, monkeypatch, capsys) -> None:
    assert run_probe(monkeypatch, emulator, "nosuchregistry") == 2
    err = capsys.readouterr().err.strip()
    # services.lookup's sentence, as for lockdown and restore.
    assert err.startswith("acrfence probe: no registry named 'nosuchregistry'")
    assert len(err.splitlines()) == 1


def test_the_probe_command_module_loads_without_textual_the_sdk_or_httpx() -> None:
    script = (
        "import argparse, json, sys\n"
        "from acrfence.tui.commands import probe\n"
        "probe.configure(argparse.ArgumentParser())\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(out.stdout)}
    assert not {"textual", "azure", "httpx", "httpcore"} & loaded


def test_through_the_acrfence_entry_point(emulator, monkeypatch, capsys) -> None:
    from acrfence.tui.cli import main

    for key, value in emulator.env.items():
        monkeypatch.setenv(key, value)
    assert main(["probe", "contosolocked", "--expect", "denied", "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["verdict"] == "denied" and entry["matches"] is True


def test_azure_refusing_the_identity_is_one_sentence_and_exit_3(
    emulator, monkeypatch, capsys
) -> None:
    for key, value in emulator.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ACRFENCE_TOKEN", "a-token-arm-will-refuse")
    parser = argparse.ArgumentParser(prog="acrfence probe")
    probe.configure(parser)
    assert probe.run(parser.parse_args(["contosolocked"])) == 3
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("acrfence probe: ")
    assert "Traceback" not in captured.err and "a-token-arm-will-refuse" not in captured.err
    assert captured.out == ""


def test_pull_fetches_the_manifest_through_the_token_flow(emulator, monkeypatch, capsys) -> None:
    argv = ["mycontainerregistry", "--pull", "samples/nginx:1.27", "--json"]
    code = run_probe(monkeypatch, emulator, *argv, "--expect", "reachable")
    text = capsys.readouterr().out
    [entry] = json.loads(text)
    assert code == 0
    assert entry["verdict"] == "reachable"
    assert entry["decided_at"] == "manifest"
    assert entry["image"] == "samples/nginx:1.27"
    stages = entry["hosts"][0]["stages"]
    assert [s["stage"] for s in stages] == [
        "dns",
        "tcp",
        "tls",
        "v2",
        "exchange",
        "token",
        "manifest",
    ]
    assert stages[5]["detail"] == "access token for repository:samples/nginx:pull"
    assert stages[6]["detail"].startswith("HTTP 200: pulled the manifest of samples/nginx:1.27")
    assert emulator.token not in text


def test_pull_of_a_missing_image_is_not_reachable(emulator, monkeypatch, capsys) -> None:
    argv = ["mycontainerregistry", "--pull", "hello-world:v9", "--expect", "reachable"]
    assert run_probe(monkeypatch, emulator, *argv) == 1
    row = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("mycontainer")
    )
    assert "image not found" in row and "NOT MET" in row and "MANIFEST_UNKNOWN" in row


def test_pull_from_the_internet_after_a_lockdown_is_denied(emulator, monkeypatch, capsys) -> None:
    argv = ["contosolocked", "--pull", "hello-world", "--json", "--expect", "denied"]
    assert run_probe(monkeypatch, emulator, *argv) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["verdict"], entry["decided_at"], entry["image"]) == (
        "denied",
        "v2",
        "hello-world:latest",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pull", "Hello:1"], "is not a repository name"),
        (["--pull", "hello@sha256:xyz"], "is not a sha256 digest"),
        (["--pull", "hello:latest", "--no-token"], "drop --no-token"),
    ],
)
def test_pull_bad_input_is_one_line(monkeypatch, capsys, argv, message) -> None:
    assert run_probe(monkeypatch, None, "mycontainerregistry", *argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_pull_from_a_subnet_the_rules_admit(emulator, monkeypatch, capsys) -> None:
    subnet = next(k for k in emulator.info["vantages"] if k.endswith("/build-agents"))
    argv = ["contosodangling", "--pull", "hello-world:latest", "--expect", "reachable"]
    argv += ["--source-address", emulator.vantage(subnet), "--from-subnet", subnet, "--json"]
    assert run_probe(monkeypatch, emulator, *argv) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["decided_at"] == "manifest" and entry["verdict"] == "reachable"
