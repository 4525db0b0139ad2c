"""Issue 8, the headless side: the CLI as a subprocess against the emulator, as an operator
runs it. Each test names the trust gap it closes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from fault_api import tenant_snapshot

from acrfence.services.models.resource_id import subscription_of
from helpers import DOCKER_SUBNET, MYREGISTRY, journal_runs, registry_view

ROOT = Path(__file__).resolve().parents[1]
AZURE = "https://management.azure.com"


def acrfence(env: dict[str, str], *argv: str, stdin: str | None = None) -> CompletedProcess:
    """`acrfence ARGV` in a child process with ``env`` added to a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ACRFENCE_")}
    return subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", *argv],
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


@pytest.mark.parametrize(
    "argv",
    [
        ("lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes"),
        ("restore", "mycontainerregistry", "--open", "--yes"),
        ("resume", "20260101T000000-abcdef", "--yes"),
        ("rollback", "20260101T000000-abcdef", "--yes"),
    ],
)
def test_read_only_refuses_every_headless_change(emulator, env, argv):
    before = registry_view(emulator, MYREGISTRY)
    done = acrfence(env, "--read-only", *argv)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--read-only" in done.stderr, done.stderr
    assert registry_view(emulator, MYREGISTRY) == before
    assert journal_runs(Path(env["XDG_STATE_HOME"])) == []


def test_read_only_still_shows_a_plan(emulator, env):
    done = acrfence(
        env, "--read-only", "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--plan"
    )
    assert done.returncode == 0, done.stderr
    assert "+ Deny" in done.stdout


def test_demo_works_with_the_subcommands_on_the_demos_own_tenant_and_journal(tmp_path):
    env = {"XDG_STATE_HOME": str(tmp_path)}  # no ACRFENCE_* at all: real Azure otherwise
    inventory = acrfence(env, "--demo", "inventory", "--json")
    assert inventory.returncode == 0, inventory.stderr
    assert "mycontainerregistry" in {r["name"] for r in json.loads(inventory.stdout)["registries"]}
    locked = acrfence(
        env, "--demo", "lockdown", "mycontainerregistry", "--subnet",
        "myDockerVMVNET/myDockerVMSubnet", "--yes",
    )  # fmt: skip
    assert locked.returncode == 0, locked.stdout + locked.stderr
    demo_runs = json.loads(acrfence(env, "--demo", "journal", "--json").stdout)
    assert [(r["registry"], r["state"]) for r in demo_runs] == [(MYREGISTRY, "done")]
    # The operator's real journal is untouched; the demo's tenant remembers the lockdown.
    assert json.loads(acrfence(env, "journal", "--json").stdout) == []
    probe = acrfence(env, "--demo", "probe", "mycontainerregistry", "--expect", "denied")
    assert probe.returncode == 0, probe.stdout + probe.stderr
    restored = acrfence(env, "--demo", "restore", "mycontainerregistry", "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    # Nothing in the demo's saved tenant is left mid-operation.
    saved = (tmp_path / "acrfence" / "demo" / "tenant.json").read_text()
    assert '"Updating"' not in saved


def _twin_vnet(emulator, resource_group: str) -> str:
    """A second myDockerVMVNET/myDockerVMSubnet, in another resource group."""
    import copy

    from acrfence.services.models import subnet_id

    vnet_id = DOCKER_SUBNET.rsplit("/subnets/", 1)[0]
    vnet = copy.deepcopy(emulator.state.get_vnet(vnet_id))
    twin_vnet = vnet_id.replace("/myResourceGroup/", f"/{resource_group}/")
    twin_subnet = subnet_id(
        subscription_of(DOCKER_SUBNET), resource_group, "myDockerVMVNET", "myDockerVMSubnet"
    )
    vnet["id"] = twin_vnet
    subnet = copy.deepcopy(emulator.state.get_subnet(DOCKER_SUBNET))
    subnet["id"] = twin_subnet
    vnet["properties"]["subnets"] = [subnet]
    emulator.state.add_vnet(vnet)
    return twin_subnet


def test_subnet_as_vnet_slash_subnet_when_it_names_one_subnet(emulator, env):
    done = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", "myDockerVMVNET/myDockerVMSubnet",
        "--plan", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert DOCKER_SUBNET.lower() in json.dumps(plan).lower()
    typo = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", "myDockerVMVNET/myDockerVMSubnt",
        "--plan",
    )  # fmt: skip
    assert typo.returncode == 2 and typo.stderr.count("\n") == 1
    assert "did you mean myDockerVMVNET/myDockerVMSubnet?" in typo.stderr
    twin = _twin_vnet(emulator, "other-rg")
    both = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", "myDockerVMVNET/myDockerVMSubnet",
        "--plan",
    )  # fmt: skip
    assert both.returncode == 2 and both.stderr.count("\n") == 1, both.stderr
    assert DOCKER_SUBNET in both.stderr and twin in both.stderr
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Allow"


# ---- "Applied and verified" must mean it works ------------------------------------------------


def _stuck_updating(raw: dict) -> None:
    """The ACR endpoint configured but never finished: what the killed demo left behind."""
    endpoints = raw["properties"].setdefault("serviceEndpoints", [])
    endpoints.append(
        {
            "service": "Microsoft.ContainerRegistry",
            "locations": ["*"],
            "provisioningState": "Updating",
        }
    )


def test_an_endpoint_stuck_updating_is_not_verified_and_shows_as_updating(emulator, env):
    emulator.state.update_subnet(DOCKER_SUBNET, _stuck_updating)
    shown = acrfence(env, "inventory")
    assert "Microsoft.ContainerRegistry (Updating)" in shown.stdout
    done = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes", "--wait", "0"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "applied and verified" not in done.stdout
    assert "Microsoft.ContainerRegistry is Updating" in done.stderr
    # The registry's detail words: the rule does nothing yet.
    listing = json.loads(acrfence(env, "inventory", "--json").stdout)
    registry = next(r for r in listing["registries"] if r["name"] == "mycontainerregistry")
    assert [r["endpoint_status"] for r in registry["virtual_network_rules"]] == ["updating"]


def test_verified_only_when_the_data_plane_agrees(emulator, env):
    # Rules reach the data plane late: the configuration reads right, the internet still gets in.
    emulator.faults.set_propagation_delay(3600)
    done = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes", "--wait", "0"
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "applied and verified" not in done.stdout
    assert "applied, not yet effective" in done.stderr
    assert "from this machine: reachable (login required), expected denied" in done.stderr
    as_json = acrfence(
        env, "restore", "mycontainerregistry", "--open", "--yes", "--wait", "0", "--json"
    )
    document = json.loads(as_json.stdout)
    assert document["state"] == "done" and document["verified"] is True  # open: still open
    emulator.faults.set_propagation_delay(0)


def test_a_killed_demo_lockdown_then_a_fresh_one_is_verified_from_the_subnet(tmp_path):
    """The issue's scenario: the demo killed mid-write (its in-process emulator with it), then
    later a fresh lockdown of the same registry. It said "applied and verified" while the probe
    from the locked-in subnet was denied and the endpoint stayed Updating for good."""
    env = {"XDG_STATE_HOME": str(tmp_path)}
    killed = acrfence(
        {**env, "ACRFENCE_TEST_CRASH_AT": "mid-write:endpoint"},
        "--demo", "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes",
    )  # fmt: skip
    assert killed.returncode == -9
    saved = tmp_path / "acrfence" / "demo" / "tenant.json"
    assert '"Updating"' in saved.read_text()  # the kill landed mid-operation
    fresh = acrfence(
        env, "--demo", "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes",
        "--wait", "5",
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "applied and verified" in fresh.stdout
    assert "from myDockerVMVNET/myDockerVMSubnet" in fresh.stdout
    assert '"Updating"' not in saved.read_text()
    from acrfence.emulator.seeds import build_tenant

    vantage = build_tenant("demo").vantages[DOCKER_SUBNET.lower()]
    from_subnet = acrfence(
        env, "--demo", "probe", "mycontainerregistry", "--source-address", vantage,
        "--expect", "reachable",
    )  # fmt: skip
    assert from_subnet.returncode == 0, from_subnet.stdout + from_subnet.stderr


# ---- probe: one vocabulary, one verdict per line, advice that follows intent ------------------


def _row(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(f"{name} "))


def test_expect_denied_on_an_open_registry_reads_as_one_verdict(emulator, env):
    done = acrfence(env, "probe", "mycontainerregistry", "--expect", "denied")
    assert done.returncode == 1
    row = _row(done.stdout, "mycontainerregistry")
    assert "reachable (login required)" in row and "NOT MET" in row
    assert "auth-required" not in done.stdout and " OK " not in done.stdout
    assert "as expected" not in done.stdout
    assert "mycontainerregistry: reachable, as the rules say: default action Allow" in done.stdout


def test_an_expectation_the_rules_contradict_is_reported_not_waved_through(emulator, env):
    from acrfence.emulator.seeds import build_tenant

    locked = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes", "--wait", "0"
    )
    assert locked.returncode == 0, locked.stderr
    # Without the demo's vantages the subnet can't be probed from here: said, not hidden.
    assert "myDockerVMVNET/myDockerVMSubnet not probed" in locked.stdout
    vantage = build_tenant("demo").vantages[DOCKER_SUBNET.lower()]
    blind = acrfence(
        env, "probe", "mycontainerregistry", "--source-address", vantage, "--expect", "reachable"
    )
    assert blind.returncode == 1, blind.stdout
    row = _row(blind.stdout, "mycontainerregistry")
    assert "RULES DISAGREE" in row and " met " not in row
    assert "reachable but the rules say it should not be" in blind.stdout
    # Told where that address stands (the demo's vantages), the rules and the probe agree.
    vantages = {k: v for k, v in emulator.info["vantages"].items() if k.startswith("/")}
    seen = acrfence(
        {**env, "ACRFENCE_VANTAGES": json.dumps(vantages)},
        "probe", "mycontainerregistry", "--source-address", vantage, "--expect", "reachable",
    )  # fmt: skip
    assert seen.returncode == 0, seen.stdout
    assert " met " in _row(seen.stdout, "mycontainerregistry")


def test_after_a_lockdown_the_probe_calls_denied_success_and_offers_no_ip_rule(emulator, env):
    before = acrfence(env, "probe", "contosolocked")  # nobody's lockdown in the journal
    assert "next: add an IP rule for" in before.stdout
    locked = acrfence(
        env, "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes", "--wait", "0"
    )
    assert locked.returncode in (0, 4), locked.stderr
    run_id = journal_runs(Path(env["XDG_STATE_HOME"]))[0]["id"]
    after = acrfence(env, "probe", "mycontainerregistry")
    assert after.returncode == 0
    assert "add an IP rule" not in after.stdout
    assert f"denied from the internet: the lockdown (run {run_id}) is working" in after.stdout


def test_a_run_made_on_the_emulator_is_never_resumed_or_undone_against_azure(emulator, env):
    # Gap: the journal kept no endpoint. A lockdown interrupted while rehearsing on the
    # emulator serving a snapshot of the tenant (real resource IDs) was offered, and resumed,
    # against Azure itself.
    crashed = acrfence(
        {**env, "ACRFENCE_TEST_CRASH_AT": "after-step:1"},
        "lockdown", "mycontainerregistry", "--subnet", DOCKER_SUBNET, "--yes",
    )  # fmt: skip
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    [run] = journal_runs(Path(env["XDG_STATE_HOME"]))
    assert run["state"] == "applying" and run["arm_endpoint"] == emulator.arm_endpoint
    tenant = tenant_snapshot(emulator)

    azure = {**env, "ACRFENCE_ARM_ENDPOINT": AZURE}
    for command in ("resume", "rollback"):
        refused = acrfence(azure, command, run["id"], "--yes")
        assert refused.returncode == 2
        assert refused.stderr.splitlines() == [
            f"acrfence {command}: run {run['id']} was made against {emulator.arm_endpoint}, "
            f"not {AZURE}: finish or undo it with ACRFENCE_ARM_ENDPOINT={emulator.arm_endpoint}"
        ]
    listing = acrfence(azure, "journal")
    assert listing.returncode == 0 and run["id"] not in listing.stdout
    assert f"not listed: 1 run(s) made against {emulator.arm_endpoint}" in listing.stdout
    assert journal_runs(Path(env["XDG_STATE_HOME"])) == [run]
    assert tenant_snapshot(emulator) == tenant

    # Where it was made, it is finished as before.
    resumed = acrfence(env, "resume", run["id"], "--yes")
    assert resumed.returncode == 0, resumed.stderr
    assert registry_view(emulator, MYREGISTRY)["default_action"] == "Deny"
