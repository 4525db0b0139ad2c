"""acrfence reads and writes registries on 2026-09-01-preview (what the Azure CLI uses), falls
back to 2021-08-01-preview only where Azure refuses the newer one, and says so; the Tasks
bypass (networkRuleBypassAllowedForTasks) is read, written and verified."""

from __future__ import annotations

import pytest

from acrfence.emulator.arm.context import Settings
from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.azure import (
    REGISTRY_API_VERSION,
    REGISTRY_FALLBACK_API_VERSION,
    AzureClients,
)
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.services.registry_rules import InvalidEdit, NetworkEdit, RegistryRuleService

MYREGISTRY = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers/"
    "Microsoft.ContainerRegistry/registries/mycontainerregistry"
)
DOCKER_SUBNET = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers/"
    "Microsoft.Network/virtualNetworks/myDockerVMVNET/subnets/myDockerVMSubnet"
)
NEWER_REFUSED = Settings(refused_api_versions=frozenset({REGISTRY_API_VERSION}))


def clients_for(handle) -> AzureClients:
    return AzureClients(Target.from_env(handle.env), polling_interval=0.02)


def test_the_app_speaks_the_azure_clis_registry_api() -> None:
    assert (REGISTRY_API_VERSION, REGISTRY_FALLBACK_API_VERSION) == (
        "2026-09-01-preview",
        "2021-08-01-preview",
    )


async def test_reads_and_writes_on_the_newest_preview_with_the_tasks_bypass(emulator) -> None:
    async with clients_for(emulator) as clients:
        rules = RegistryRuleService(clients)
        registry = await rules.get(MYREGISTRY)
        before, after = await rules.apply(
            MYREGISTRY, NetworkEdit(add_virtual_network_rules=(DOCKER_SUBNET,), tasks_bypass=True)
        )
        listed = await InventoryService(clients).list_registries(SUB_PRODUCTION)
    assert (registry.api_version, registry.api_version_note) == (REGISTRY_API_VERSION, None)
    assert before.network_rule_bypass_allowed_for_tasks is False  # Azure's default
    assert after.network_rule_bypass_allowed_for_tasks is True
    stored = emulator.state.get_registry(MYREGISTRY)["properties"]
    assert stored["networkRuleBypassAllowedForTasks"] is True
    assert stored["networkRuleSet"]["virtualNetworkRules"] == [
        {"action": "Allow", "virtualNetworkSubnetResourceId": DOCKER_SUBNET}
    ]
    mine = next(r for r in listed if r.name == "mycontainerregistry")
    assert mine.api_version == REGISTRY_API_VERSION and mine.network_rule_bypass_allowed_for_tasks


async def test_falls_back_where_azure_refuses_the_newest_and_says_so(make_emulator) -> None:
    handle = make_emulator(seed="demo", settings=NEWER_REFUSED)
    async with clients_for(handle) as clients:
        listed = await InventoryService(clients).list_registries(SUB_PRODUCTION)
        rules = RegistryRuleService(clients)
        _, after = await rules.apply(MYREGISTRY, NetworkEdit(default_action="Deny"))
        with pytest.raises(InvalidEdit, match="no Tasks bypass setting"):
            await rules.apply(MYREGISTRY, NetworkEdit(tasks_bypass=True))
    assert "mycontainerregistry" in {r.name for r in listed}
    assert {r.api_version for r in listed} == {REGISTRY_FALLBACK_API_VERSION}
    assert all("refused registry API 2026-09-01-preview" in r.api_version_note for r in listed)
    assert after.rules.default_action == "Deny"
    assert after.api_version == REGISTRY_FALLBACK_API_VERSION
    stored = handle.state.get_registry(MYREGISTRY)["properties"]
    assert stored["networkRuleBypassAllowedForTasks"] is False  # untouched


async def test_a_fresh_subscription_fallback_is_found_by_a_single_read_too(make_emulator) -> None:
    handle = make_emulator(seed="demo", settings=NEWER_REFUSED)
    async with clients_for(handle) as clients:
        registry = await RegistryRuleService(clients).get(MYREGISTRY)
    assert registry.api_version == REGISTRY_FALLBACK_API_VERSION
    assert registry.api_version_note


async def test_ip_rule_limit_is_checked_before_writing(emulator) -> None:
    too_many = tuple(f"198.18.{i // 250}.{i % 250 + 1}" for i in range(201))
    async with clients_for(emulator) as clients:
        with pytest.raises(InvalidEdit, match="at most 200 IP rules"):
            await RegistryRuleService(clients).apply(MYREGISTRY, NetworkEdit(add_ip_rules=too_many))
    rules = emulator.state.get_registry(MYREGISTRY)["properties"]["networkRuleSet"]
    assert rules["ipRules"] == []
