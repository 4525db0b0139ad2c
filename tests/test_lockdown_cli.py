"""The headless lockdown/restore commands against the emulator, with the real SDK."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import (
    ACR,
    AKS,
    CROSSSUB,
    DOCKER_SUBNET,
    HUB_SPARE,
    MYREGISTRY,
    PLATFORM_CI,
    WORKERS,
    cli_env,
    journal_runs,
    registry_view,
    run_cli,
    subnet_view,
)


@pytest.fixture
def env(emulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(emulator, tmp_path)


def test_demo_walkthrough_lock_then_restore(emulator, env, tmp_path, monkeypatch, capsys):
    original = registry_view(emulator, MYREGISTRY)
    original_subnet = subnet_view(emulator, DOCKER_SUBNET)

    rc = run_cli(
        monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--plan"
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert (
        "+ Deny" in out
        and f"az acr network-rule add --name mycontainerregistry --subnet {DOCKER_SUBNET}" in out
    )
    assert "preview" in out
    assert registry_view(emulator, MYREGISTRY) == original  # --plan changes nothing
    assert journal_runs(tmp_path) == []

    rc = run_cli(
        monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"
    )
    assert rc == 0, capsys.readouterr().err
    locked = registry_view(emulator, MYREGISTRY)
    assert locked["default_action"] == "Deny"
    assert locked["vnet_rules"] == [DOCKER_SUBNET.lower()]
    assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]

    capsys.readouterr()
    assert run_cli(monkeypatch, env, "journal", "--json") == 0
    import json

    runs = json.loads(capsys.readouterr().out)
    assert [(r["registry"], r["state"]) for r in runs] == [(MYREGISTRY, "done")]
    steps = runs[0]["steps"]
    assert [s["status"] for s in steps] == ["done"] * len(steps)
    assert all(s["az"] for s in steps)
    run_id = runs[0]["id"]

    rc = run_cli(monkeypatch, env, "restore", "mycontainerregistry", "--run", run_id, "--yes")
    assert rc == 0, capsys.readouterr().err
    assert registry_view(emulator, MYREGISTRY) == original
    assert subnet_view(emulator, DOCKER_SUBNET) == original_subnet
    states = {r["id"]: r["state"] for r in journal_runs(tmp_path)}
    assert states[run_id] == "rolled-back"


def test_lockdown_keeps_other_endpoints_delegation_nsg_and_ip_settings(emulator, env, monkeypatch):
    before = subnet_view(emulator, WORKERS)
    rc = run_cli(
        monkeypatch, env, "lockdown", MYREGISTRY, "--subnet", WORKERS,
        "--ip", "203.0.113.0/24", "--bypass", "none", "--yes",
    )  # fmt: skip
    assert rc == 0
    after = subnet_view(emulator, WORKERS)
    assert after["endpoints"] == sorted([*before["endpoints"], ACR])
    assert after["delegations"] == before["delegations"] != []
    assert after["nsg"] == before["nsg"] is not None
    assert after["route_table"] == before["route_table"] is not None
    view = registry_view(emulator, MYREGISTRY)
    assert view["ip_rules"] == ["203.0.113.0/24"]
    assert view["bypass"] == "None"


def test_cross_subscription_subnet_registers_the_provider(emulator, env, monkeypatch, capsys):
    from acrfence.emulator.seeds import SUB_NETWORKING

    rc = run_cli(monkeypatch, env, "lockdown", CROSSSUB, "--subnet", HUB_SPARE, "--yes")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"az provider register -n {ACR} --subscription {SUB_NETWORKING}" in out
    assert emulator.state.subscription(SUB_NETWORKING).provider_state(ACR) == "Registered"
    assert HUB_SPARE.lower() in registry_view(emulator, CROSSSUB)["vnet_rules"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["lockdown", "nosuchregistry", "--subnet", DOCKER_SUBNET], "no registry named"),
        (["lockdown", "mycontainerregistry", "--subnet", "/subscriptions/x/subnets/y"],
         "malformed subnet ID"),
        (["lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--ip", "300.1.2.3/24"],
         "malformed IP range"),
        (["lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--ip", "2001:db8::/32"],
         "IPv4 only"),
        (["resume", "20260101T000000-abcdef", "--yes"], "no run"),
        (["rollback", "not-a-run", "--yes"], "not a run ID"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_changes_nothing(
    emulator, env, tmp_path, monkeypatch, capsys, argv, expected
):
    before = (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET))
    rc = (
        run_cli(monkeypatch, env, *argv, "--yes")
        if argv[0] == "lockdown"
        else run_cli(monkeypatch, env, *argv)
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert expected in err and len(err.strip().splitlines()) == 1
    assert (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)) == before
    assert journal_runs(tmp_path) == []


@pytest.mark.parametrize(
    ("registry", "subnet_id", "extra_env", "code"),
    [
        ("contosobasic", DOCKER_SUBNET, {}, "Premium tier"),
        ("platformacr", PLATFORM_CI, {}, "private link"),
        ("mycontainerregistry", DOCKER_SUBNET.replace("myDockerVMSubnet", "nosuchsubnet"), {},
         "subnet not found"),
        ("mycontainerregistry", DOCKER_SUBNET, {"ACRFENCE_CLOUD": "AzureUSGovernment"},
         "sovereign"),
    ],
)  # fmt: skip
def test_preflight_blocks_change_nothing(
    emulator, env, tmp_path, monkeypatch, capsys, registry, subnet_id, extra_env, code
):
    before = subnet_view(emulator, DOCKER_SUBNET)
    rc = run_cli(
        monkeypatch, {**env, **extra_env}, "lockdown", registry, "--subnet", subnet_id, "--yes"
    )
    captured = capsys.readouterr()
    assert rc == 1
    assert "blocked:" in captured.err and code in captured.err
    assert subnet_view(emulator, DOCKER_SUBNET) == before
    assert journal_runs(tmp_path) == []


def test_without_yes_and_without_a_terminal_it_refuses(
    emulator, env, tmp_path, monkeypatch, capsys
):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("mycontainerregistry\n"))
    before = registry_view(emulator, MYREGISTRY)
    rc = run_cli(monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET)
    err = capsys.readouterr().err
    assert rc == 2 and "without --yes" in err
    assert registry_view(emulator, MYREGISTRY) == before
    assert journal_runs(tmp_path) == []


def test_someone_elses_changes_at_write_time_survive_lockdown_and_rollback(
    emulator, env, tmp_path, monkeypatch
):
    emulator.faults.concurrent_writer(
        DOCKER_SUBNET,
        {"op": "add_service_endpoint", "subnet": DOCKER_SUBNET, "service": "Microsoft.Sql"},
    )
    emulator.faults.concurrent_writer(
        MYREGISTRY, {"op": "add_vnet_rule", "registry": MYREGISTRY, "subnet": AKS}
    )
    rc = run_cli(
        monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"
    )
    assert rc == 0
    assert subnet_view(emulator, DOCKER_SUBNET)["endpoints"] == sorted([ACR, "Microsoft.Sql"])
    assert registry_view(emulator, MYREGISTRY)["vnet_rules"] == sorted(
        [DOCKER_SUBNET.lower(), AKS.lower()]
    )

    run_id = journal_runs(tmp_path)[0]["id"]
    assert run_cli(monkeypatch, env, "rollback", run_id, "--yes") == 0
    view = registry_view(emulator, MYREGISTRY)
    assert view["vnet_rules"] == [AKS.lower()]  # theirs stays, ours is gone
    assert view["default_action"] == "Allow"
    assert subnet_view(emulator, DOCKER_SUBNET)["endpoints"] == ["Microsoft.Sql"]
    # Rolling back again is harmless.
    assert run_cli(monkeypatch, env, "rollback", run_id, "--yes") == 0
    assert registry_view(emulator, MYREGISTRY) == view


def test_default_action_changed_by_someone_else_is_not_overridden_by_rollback(
    emulator, env, tmp_path, monkeypatch
):
    assert (
        run_cli(
            monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"
        )
        == 0
    )
    run_id = journal_runs(tmp_path)[0]["id"]

    def theirs(raw: dict) -> None:
        raw["properties"]["networkRuleSet"]["ipRules"] = [
            {"action": "Allow", "value": "192.0.2.10"}
        ]

    emulator.state.update_registry(MYREGISTRY, theirs)
    assert run_cli(monkeypatch, env, "rollback", run_id, "--yes") == 0
    view = registry_view(emulator, MYREGISTRY)
    assert view["ip_rules"] == ["192.0.2.10"] and view["vnet_rules"] == []


def test_restore_open_removes_rules_and_unneeded_endpoints(emulator, env, monkeypatch, capsys):
    assert (
        run_cli(
            monkeypatch,
            env,
            "lockdown",
            MYREGISTRY,
            "--subnet",
            DOCKER_SUBNET,
            "--subnet",
            WORKERS,
            "--yes",
        )
        == 0
    )
    capsys.readouterr()
    rc = run_cli(
        monkeypatch, env, "restore", "mycontainerregistry", "--open", "--remove-endpoints", "--yes"
    )
    assert rc == 0, capsys.readouterr().err
    view = registry_view(emulator, MYREGISTRY)
    assert view["default_action"] == "Allow" and view["vnet_rules"] == []
    assert ACR not in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]
    assert subnet_view(emulator, WORKERS)["endpoints"] == [
        "Microsoft.KeyVault",
        "Microsoft.Storage",
    ]


def test_server_errors_mid_plan_fail_cleanly_then_resume_finishes(
    emulator, env, tmp_path, monkeypatch, capsys
):
    emulator.faults.server_error(count=20, status=503, match="PATCH registries/mycontainerregistry")
    rc = run_cli(
        monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"
    )
    err = capsys.readouterr().err
    assert rc == 1
    assert "Traceback" not in err and "resume" in err
    [run] = journal_runs(tmp_path)
    assert run["state"] == "failed"
    emulator.faults.clear()
    assert run_cli(monkeypatch, env, "resume", run["id"], "--yes") == 0
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Deny"
    assert journal_runs(tmp_path)[0]["state"] == "done"


def test_throttling_is_ridden_out_and_a_failed_lro_is_resumed(
    emulator, env, tmp_path, monkeypatch, capsys
):
    # 429s on the subnet write: the client's retry (Retry-After honoured) rides them out.
    emulator.faults.throttle(count=2, retry_after=0, match="PUT subnets/myDockerVMSubnet")
    # Then the subnet update's long-running operation fails: the step fails, the run stops.
    emulator.faults.fail_next_lro(code="InternalServerError")
    emulator.faults.concurrent_writer(
        MYREGISTRY, {"op": "add_ip_rule", "registry": MYREGISTRY, "value": "192.0.2.77"}
    )
    rc = run_cli(
        monkeypatch, env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"
    )
    err = capsys.readouterr().err
    [run] = journal_runs(tmp_path)
    assert rc == 1
    assert "InternalServerError" in err and len(err.strip().splitlines()) == 1
    assert [s["status"] for s in run["steps"]] == ["failed", "pending", "pending"]
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Allow"
    assert run_cli(monkeypatch, env, "resume", run["id"], "--yes") == 0
    view = registry_view(emulator, MYREGISTRY)
    assert view["default_action"] == "Deny" and "192.0.2.77" in view["ip_rules"]
    assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]


def test_plan_json_lists_checks_steps_and_az_commands(emulator, env, tmp_path, monkeypatch, capsys):
    import json

    argv = ["lockdown", MYREGISTRY, "--subnet", DOCKER_SUBNET, "--ip", "198.51.100.7/32"]
    assert run_cli(monkeypatch, env, *argv, "--plan", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"] is None
    plan = data["plan"]
    assert plan["registry_name"] == "mycontainerregistry"
    assert "preview" in {c["code"] for c in plan["checks"]}
    kinds = [s["kind"] for s in plan["steps"]]
    assert kinds == ["enable-endpoint", "write-rules", "verify"]
    rules = plan["steps"][1]
    assert rules["after"]["ip_rules"] == ["198.51.100.7"]
    assert (
        rules["before"]["default_action"] == "Allow" and rules["after"]["default_action"] == "Deny"
    )
    assert any("--ip-address 198.51.100.7" in c for c in rules["az"])
    assert journal_runs(tmp_path) == []


def test_open_keeps_an_endpoint_another_registry_needs(emulator, env, monkeypatch, capsys):
    from acrfence.emulator.seeds import SUB_PRODUCTION
    from acrfence.services.models import subnet_id as subnet

    # contosodangling has a rule for build-agents, which already has the endpoint.
    build_agents = subnet(SUB_PRODUCTION, "app-rg", "app-vnet", "build-agents")
    assert run_cli(monkeypatch, env, "lockdown", MYREGISTRY, "--subnet", build_agents, "--yes") == 0
    capsys.readouterr()
    rc = run_cli(monkeypatch, env, "restore", MYREGISTRY, "--open", "--remove-endpoints", "--yes")
    out = capsys.readouterr().out
    assert rc == 0
    assert "another registry's rule needs it" in out
    assert ACR in subnet_view(emulator, build_agents)["endpoints"]
    assert registry_view(emulator, MYREGISTRY)["vnet_rules"] == []


def test_journal_lists_runs_for_people(emulator, env, monkeypatch, capsys):
    assert run_cli(monkeypatch, env, "journal") == 0
    assert "no runs" in capsys.readouterr().out
    assert (
        run_cli(monkeypatch, env, "lockdown", MYREGISTRY, "--subnet", DOCKER_SUBNET, "--yes") == 0
    )
    capsys.readouterr()
    assert run_cli(monkeypatch, env, "journal") == 0
    out = capsys.readouterr().out
    assert "done" in out and "mycontainerregistry" in out and "[done] verify" in out


def test_restore_without_a_run_undoes_the_latest_lockdown_once(
    emulator, env, tmp_path, monkeypatch, capsys
):
    original = registry_view(emulator, MYREGISTRY)
    assert run_cli(monkeypatch, env, "restore", "mycontainerregistry", "--yes") == 2
    assert "no finished lockdown of mycontainerregistry" in capsys.readouterr().err

    lock = ("lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes")
    assert run_cli(monkeypatch, env, *lock) == 0
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Deny"

    capsys.readouterr()
    assert run_cli(monkeypatch, env, "restore", "mycontainerregistry", "--yes") == 0
    assert registry_view(emulator, MYREGISTRY) == original
    # Nobody else touched the subnet: undoing our own endpoint is no re-plan.
    restore_run = next(r for r in journal_runs(tmp_path) if r["kind"] == "restore")
    assert not any("re-planned" in (s.get("note") or "") for s in restore_run["steps"])
    # The lockdown is undone now: a second restore has nothing left to undo.
    assert run_cli(monkeypatch, env, "restore", "mycontainerregistry", "--yes") == 2
    assert "no finished lockdown" in capsys.readouterr().err


def test_ctrl_c_mid_lockdown_names_the_run_and_how_to_finish_it(emulator, env, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from fault_api import ROOT, post_fault

    # The subnet write hangs long enough to be interrupted in the middle of step 1.
    post_fault(emulator, {"fault": "latency", "ms": 60000, "match": "PUT /subnets/"})
    child = subprocess.Popen(
        [sys.executable, "-m", "acrfence.tui.cli", "lockdown", "mycontainerregistry",
         "--subnet", DOCKER_SUBNET, "--yes"],
        cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for line in child.stdout:  # wait for the step to start, not for a fixed time
            if line.strip().startswith("[1/"):
                break
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    [run] = journal_runs(tmp_path)
    run_id = run["id"]
    assert child.returncode == 130
    assert (
        f"acrfence lockdown: run {run_id} was interrupted; finish it with "
        f"`acrfence resume {run_id}` or undo it with `acrfence rollback {run_id}`"
    ) in err.splitlines()
    assert "Traceback" not in err
