"""Helpers shared by the plan tests (no tests here): demo IDs, running the command line
in-process against an emulator, and reading the emulator's state for assertions."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION
from services.models import registry_id as registry
from services.models import subnet_id as subnet

ACR = "Microsoft.ContainerRegistry"


DOCKER_SUBNET = subnet(SUB_PRODUCTION, "myResourceGroup", "myDockerVMVNET", "myDockerVMSubnet")
WORKERS = subnet(SUB_PRODUCTION, "app-rg", "app-vnet", "workers")
AKS = subnet(SUB_PRODUCTION, "app-rg", "app-vnet", "aks-nodes")
HUB_SPARE = subnet(SUB_NETWORKING, "network-rg", "hub-vnet", "hub-spare")
PLATFORM_CI = subnet(SUB_PLATFORM, "platform-rg", "platform-vnet", "ci")
MYREGISTRY = registry(SUB_PRODUCTION, "myResourceGroup", "mycontainerregistry")
CROSSSUB = registry(SUB_PRODUCTION, "app-rg", "contosocrosssub")


def cli_env(handle, state_dir: Path) -> dict[str, str]:
    return {**handle.env, "XDG_STATE_HOME": str(state_dir)}


def run_cli(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *argv: str) -> int:
    """`acrfence ARGV` in this process, with ``env`` as its environment additions."""
    from tui.cli import main

    with monkeypatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("ACRFENCE_TEST_CRASH_AT", raising=False)
        return main(list(argv))


def registry_view(handle, registry_id: str) -> dict:
    raw = copy.deepcopy(handle.state.get_registry(registry_id))
    props = raw["properties"]
    rules = props.get("networkRuleSet") or {}
    return {
        "default_action": rules.get("defaultAction"),
        "vnet_rules": sorted(
            (r.get("virtualNetworkSubnetResourceId") or r.get("id")).lower()
            for r in rules.get("virtualNetworkRules") or ()
        ),
        "ip_rules": sorted(r["value"] for r in rules.get("ipRules") or ()),
        "public": props.get("publicNetworkAccess"),
        "bypass": props.get("networkRuleBypassOptions"),
    }


def subnet_view(handle, subnet_id: str) -> dict:
    raw = copy.deepcopy(handle.state.get_subnet(subnet_id))
    props = raw["properties"]
    return {
        "endpoints": sorted(e["service"] for e in props.get("serviceEndpoints") or ()),
        "delegations": sorted(
            (d.get("properties") or {}).get("serviceName", d.get("name"))
            for d in props.get("delegations") or ()
        ),
        "nsg": (props.get("networkSecurityGroup") or {}).get("id"),
        "route_table": (props.get("routeTable") or {}).get("id"),
    }


def journal_runs(state_dir: Path) -> list[dict]:
    directory = state_dir / "acrfence"
    if not directory.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
