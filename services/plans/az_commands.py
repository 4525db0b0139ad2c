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


# -- the migration to a private endpoint ------------------------------------------------------


def _group_and_name(resource_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of a resource ID, for az's flags."""
    parts = resource_id.split("/")
    return parts[2], parts[4], parts[-1]


def private_dns_zone_create(zone_id: str) -> str:
    sub, group, name = _group_and_name(zone_id)
    return (
        f"az network private-dns zone create --resource-group {shlex.quote(group)} "
        f"--name {name} --subscription {sub}"
    )


def private_dns_link_create(zone_id: str, link_name: str, vnet_id: str) -> str:
    sub, group, zone = _group_and_name(zone_id)
    return (
        f"az network private-dns link vnet create --resource-group {shlex.quote(group)} "
        f"--zone-name {zone} --name {shlex.quote(link_name)} "
        f"--virtual-network {shlex.quote(vnet_id)} --registration-enabled false "
        f"--subscription {sub}"
    )


def private_endpoint_create(
    endpoint_id: str, subnet_id: str, registry_id: str, location: str
) -> str:
    sub, group, name = _group_and_name(endpoint_id)
    where = f" --location {location}" if location else ""
    return (
        f"az network private-endpoint create --name {shlex.quote(name)} "
        f"--resource-group {shlex.quote(group)} --subnet {shlex.quote(subnet_id)} "
        f"--private-connection-resource-id {shlex.quote(registry_id)} --group-id registry "
        f"--connection-name {shlex.quote(name + '-connection')}{where} --subscription {sub}"
    )


def private_endpoint_zone_group_create(endpoint_id: str, group_name: str, zone_id: str) -> str:
    sub, group, name = _group_and_name(endpoint_id)
    zone = zone_id.rsplit("/", 1)[-1]
    return (
        f"az network private-endpoint dns-zone-group create --resource-group "
        f"{shlex.quote(group)} --endpoint-name {shlex.quote(name)} --name {group_name} "
        f"--private-dns-zone {shlex.quote(zone_id)} --zone-name {zone.replace('.', '-')} "
        f"--subscription {sub}"
    )


def private_endpoint_connection_approve(registry_name: str) -> str:
    return (
        f"az acr private-endpoint-connection approve --registry-name {shlex.quote(registry_name)} "
        "--name CONNECTION  # only if the connection is Pending"
    )


def private_dns_zone_delete(zone_id: str) -> str:
    sub, group, name = _group_and_name(zone_id)
    return (
        f"az network private-dns zone delete --resource-group {shlex.quote(group)} "
        f"--name {name} --subscription {sub} --yes"
    )


def private_dns_link_delete(zone_id: str, link_name: str) -> str:
    sub, group, zone = _group_and_name(zone_id)
    return (
        f"az network private-dns link vnet delete --resource-group {shlex.quote(group)} "
        f"--zone-name {zone} --name {shlex.quote(link_name)} --subscription {sub} --yes"
    )


def private_endpoint_delete(endpoint_id: str) -> str:
    sub, group, name = _group_and_name(endpoint_id)
    return (
        f"az network private-endpoint delete --name {shlex.quote(name)} "
        f"--resource-group {shlex.quote(group)} --subscription {sub}"
    )


def private_dns_records_show(zone_id: str) -> str:
    sub, group, zone = _group_and_name(zone_id)
    return (
        f"az network private-dns record-set a list --resource-group {shlex.quote(group)} "
        f"--zone-name {zone} --subscription {sub}"
    )
