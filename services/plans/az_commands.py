"""The Azure CLI commands equivalent to each step, for review, change tickets and audit.

acrfence writes the registry's rule set in one update; the CLI needs one command per rule,
so a step may list several commands.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from acrfence.services.models import ACR_SERVICE_ENDPOINT

__all__ = [
    "register_provider",
    "subnet_service_endpoints",
    "registry_rule_changes",
]


def register_provider(subscription_id: str) -> str:
    return f"az provider register -n {ACR_SERVICE_ENDPOINT} --subscription {subscription_id} --wait"


def subnet_service_endpoints(subnet_id: str, services: Iterable[str]) -> str:
    """The CLI replaces the whole list, so every endpoint to keep is named."""
    names = list(services)
    listed = " ".join(shlex.quote(name) for name in names) if names else '""'
    return (
        f"az network vnet subnet update --ids {shlex.quote(subnet_id)} --service-endpoints {listed}"
    )


def registry_rule_changes(
    registry_name: str,
    *,
    add_subnets: Iterable[str] = (),
    remove_subnets: Iterable[str] = (),
    add_ips: Iterable[str] = (),
    remove_ips: Iterable[str] = (),
    default_action: str | None = None,
    public_network_access: str | None = None,
    bypass: str | None = None,
    tasks_bypass: bool | None = None,
) -> tuple[str, ...]:
    name = shlex.quote(registry_name)
    commands = [
        f"az acr network-rule add --name {name} --subnet {shlex.quote(s)}" for s in add_subnets
    ]
    commands += [
        f"az acr network-rule remove --name {name} --subnet {shlex.quote(s)}"
        for s in remove_subnets
    ]
    commands += [f"az acr network-rule add --name {name} --ip-address {ip}" for ip in add_ips]
    commands += [f"az acr network-rule remove --name {name} --ip-address {ip}" for ip in remove_ips]
    options = []
    if default_action:
        options.append(f"--default-action {default_action}")
    if public_network_access:
        enabled = "true" if public_network_access.casefold() == "enabled" else "false"
        options.append(f"--public-network-enabled {enabled}")
    if bypass:
        trusted = "true" if bypass.casefold() == "azureservices" else "false"
        options.append(f"--allow-trusted-services {trusted}")
    if tasks_bypass is not None:
        # az 2.91 has no flag for it; the generic --set reaches the 2026-09-01-preview field.
        options.append(f"--set networkRuleBypassAllowedForTasks={str(tasks_bypass).lower()}")
    if options:
        commands.append(f"az acr update --name {name} " + " ".join(options))
    return tuple(commands)
