"""The real Azure CLI (pinned, see dev.py's AZURE_CLI_VERSION) runs Microsoft's tutorial
against the emulator, then acrfence must see what az did, and az what acrfence did.

az finds the emulator as an operator's az would (README, "Rehearse a script with your own
az"): a custom cloud registered from the ARM endpoint's metadata, `az login --identity`
through the emulator's managed-identity endpoint, the emulator's CA in REQUESTS_CA_BUNDLE,
and HTTPS_PROXY routing `*.azurecr.io` to the data plane. Each az command costs a second or
two of start-up, so the suite is two walks over one emulator, with its own az config dir.

az is found through ACRFENCE_AZ (set by `python3 dev.py test`, which installs it once) or in
its cached venv; without it these tests are skipped, saying how to install it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from acrfence.emulator.arm.context import Settings
from acrfence.emulator.runner import EmulatorHandle, start_emulator
from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import DOCKER_SUBNET, cli_env, run_cli

AZURE_CLI_VERSION = "2.91.0"  # dev.py's AZURE_CLI_VERSION
BUILD_AGENTS = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg/providers/Microsoft.Network/"
    "virtualNetworks/app-vnet/subnets/build-agents"
)


def _az_path() -> Path:
    if os.environ.get("ACRFENCE_AZ"):
        return Path(os.environ["ACRFENCE_AZ"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = Path(os.environ.get("ACRFENCE_AZ_VENV") or cache / "acrfence-az" / AZURE_CLI_VERSION)
    return venv / "bin" / "az"


AZ = _az_path()
# In CI (and through `python3 dev.py test`, which installs it) az must be there: a missing az
# fails these tests there instead of quietly skipping the checks against Azure's own client.
pytestmark = pytest.mark.skipif(
    not AZ.exists() and not os.environ.get("CI"),
    reason=f"Azure CLI {AZURE_CLI_VERSION} not installed at {AZ}: run `python3 dev.py az`",
)


class AzFailed(AssertionError):
    """An az command that exited non-zero; carries its stderr for the assertion message."""

    def __init__(self, args: tuple[str, ...], result: subprocess.CompletedProcess) -> None:
        super().__init__(f"az {' '.join(args)} exited {result.returncode}: {result.stderr}")
        self.stderr = result.stderr


Az = Callable[..., object]


@pytest.fixture(scope="module")
def emulator_for_az() -> Iterator[EmulatorHandle]:
    # Retry-After: 1 on long-running operations: az waits 30 s between polls when it's 0.
    handle = start_emulator(seed="demo", settings=Settings(lro_retry_after=1))
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def az(emulator_for_az: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> Az:
    """Run az against the emulator: a logged-in session, as the tutorial's reader has."""
    handle = emulator_for_az
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(handle.az_env)
    env.update(
        AZURE_CONFIG_DIR=str(tmp_path_factory.mktemp("azure-config")),
        AZURE_CORE_COLLECT_TELEMETRY="false",
        AZURE_CORE_NO_COLOR="true",
        AZURE_CORE_SURVEY_MESSAGE="false",
    )

    def run(*args: str, output: bool = True) -> object:
        argv = [str(AZ), *args, *(["--output", "json"] if output else [])]
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            raise AzFailed(args, result)
        return json.loads(result.stdout) if output and result.stdout.strip() else None

    # The operator's set-up, from the README.
    run("cloud", "register", "--name", "acrfence-emu",
        "--endpoint-resource-manager", handle.arm_endpoint, output=False)  # fmt: skip
    run("cloud", "set", "--name", "acrfence-emu", output=False)
    accounts = run("login", "--identity")
    assert {a["user"]["name"] for a in accounts} == {"systemAssignedIdentity"}
    assert SUB_PRODUCTION in {a["id"] for a in accounts}
    run("account", "set", "--subscription", SUB_PRODUCTION, output=False)
    return run


def _inventory(monkeypatch, handle: EmulatorHandle, state: Path, capsys) -> dict:
    """What acrfence sees: `acrfence inventory --json`, by registry name."""
    capsys.readouterr()
    assert run_cli(monkeypatch, cli_env(handle, state), "inventory", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    return {r["name"]: r for r in document["registries"]} | {
        "subnets": {s["id"].lower(): s for v in document["virtual_networks"] for s in v["subnets"]}
    }


def _dataplane_serves_catalog(handle: EmulatorHandle) -> bool:
    """Whether the emulator's data plane serves the catalog az 2.91's `acr repository list`
    reads (`/v2/_catalog`, through the token flow). Told by a 401 challenge, not a 404."""
    import ssl
    import urllib.error
    import urllib.request

    host, port = handle.registry_endpoint.rsplit(":", 1)
    request = urllib.request.Request(
        f"https://{host}:{port}/v2/_catalog",
        headers={"Host": "mycontainerregistry.azurecr.io"},
    )
    context = ssl.create_default_context(cafile=handle.ca_cert)
    context.check_hostname = False
    try:
        urllib.request.urlopen(request, context=context, timeout=10)
    except urllib.error.HTTPError as error:
        return error.code != 404
    return True


def test_the_tutorial_with_az_then_acrfence_sees_it(
    az: Az, emulator_for_az: EmulatorHandle, monkeypatch, tmp_path: Path, capsys
) -> None:
    handle = emulator_for_az
    name = "mycontainerregistry"

    vnets = az("network", "vnet", "list")
    assert "myDockerVMVNET" in {v["name"] for v in vnets}
    az("network", "vnet", "subnet", "update", "--resource-group", "myResourceGroup",
       "--vnet-name", "myDockerVMVNET", "--name", "myDockerVMSubnet",
       "--service-endpoints", "Microsoft.ContainerRegistry")  # fmt: skip
    subnet = az("network", "vnet", "subnet", "show", "--resource-group", "myResourceGroup",
                "--vnet-name", "myDockerVMVNET", "--name", "myDockerVMSubnet")  # fmt: skip
    assert subnet["id"].lower() == DOCKER_SUBNET.lower()
    assert [e["service"] for e in subnet["serviceEndpoints"]] == ["Microsoft.ContainerRegistry"]

    # The tutorial's order: the rule first, then Deny (no --resource-group anywhere).
    az("acr", "network-rule", "add", "--name", name, "--subnet", subnet["id"])
    az("acr", "update", "--name", name, "--default-action", "Deny")
    shown = az("acr", "show", "--name", name)
    rule_set = shown["networkRuleSet"]
    assert rule_set["defaultAction"] == "Deny"
    assert [r["virtualNetworkSubnetResourceId"].lower() for r in rule_set["virtualNetworkRules"]] \
        == [DOCKER_SUBNET.lower()]  # fmt: skip
    assert shown["networkRuleBypassAllowedForTasks"] is False
    listed = az("acr", "network-rule", "list", "--name", name)
    assert [r["virtualNetworkSubnetResourceId"].lower() for r in listed["virtualNetworkRules"]] \
        == [DOCKER_SUBNET.lower()]  # fmt: skip

    # acrfence sees what az did: the rule beside its subnet's endpoint, and Deny.
    seen = _inventory(monkeypatch, handle, tmp_path, capsys)
    assert seen[name]["default_action"] == "Deny"
    assert [(r["subnet_id"].lower(), r["endpoint_status"])
            for r in seen[name]["virtual_network_rules"]] \
        == [(DOCKER_SUBNET.lower(), "enabled")]  # fmt: skip
    assert seen["subnets"][DOCKER_SUBNET.lower()]["service_endpoints"] == [
        "Microsoft.ContainerRegistry"
    ]
    # ... and the data plane now refuses the internet, az included (the proxy leaves from it).
    with pytest.raises(AzFailed) as refused:
        az("acr", "login", "--name", name, "--expose-token")
    assert "don't have access to registry" in refused.value.stderr

    # Open it again, as the tutorial's clean-up does.
    az("acr", "network-rule", "remove", "--name", name, "--subnet", subnet["id"])
    az("acr", "update", "--name", name, "--default-action", "Allow")
    seen = _inventory(monkeypatch, handle, tmp_path, capsys)
    assert (seen[name]["default_action"], seen[name]["virtual_network_rules"]) == ("Allow", [])
    token = az("acr", "login", "--name", name, "--expose-token")
    assert token["loginServer"] == f"{name}.azurecr.io" and token["refreshToken"]
    # Guarded: the catalog belongs to the data-plane work (issue 10's other half).
    assert _dataplane_serves_catalog(handle), "the data plane doesn't serve /v2/_catalog"
    assert "hello-world" in az("acr", "repository", "list", "--name", name)


def test_az_sees_acrfence_lockdown_and_its_default_action_patch_keeps_the_rules(
    az: Az, emulator_for_az: EmulatorHandle, monkeypatch, tmp_path: Path, capsys
) -> None:
    handle = emulator_for_az
    name = "contosohalfdone"  # rules written, default action left at Allow
    env = cli_env(handle, tmp_path)
    assert run_cli(monkeypatch, env, "lockdown", name, "--subnet", BUILD_AGENTS, "--yes") == 0

    shown = az("acr", "show", "--name", name)
    assert shown["networkRuleSet"]["defaultAction"] == "Deny"
    listed = az("acr", "network-rule", "list", "--name", name)
    assert [r["virtualNetworkSubnetResourceId"].lower() for r in listed["virtualNetworkRules"]] \
        == [BUILD_AGENTS.lower()]  # fmt: skip
    assert [r["ipAddressOrRange"] for r in listed["ipRules"]] == ["198.51.100.24/32"]

    # az update --default-action PATCHes only {"networkRuleSet": {"defaultAction": ...}}: ARM
    # merges, so every rule must survive, and acrfence must see them.
    az("acr", "update", "--name", name, "--default-action", "Allow")
    seen = _inventory(monkeypatch, handle, tmp_path, capsys)[name]
    assert seen["default_action"] == "Allow"
    assert [r["subnet_id"].lower() for r in seen["virtual_network_rules"]] == [BUILD_AGENTS.lower()]
    assert seen["ip_rules"] == ["198.51.100.24/32"]
