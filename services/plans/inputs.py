"""Validation of what an operator asks for, before anything is read or written.

Each failure is one line (``PlanInputError``), so the command line can print it and exit 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acrfence.services.models import Inventory

from acrfence.services.analysis import IpRuleError, parse_ip_rule
from acrfence.services.models import (
    SUBNET_TYPE,
    ResourceIdError,
    normalize_resource_id,
    parse_resource_id,
)

__all__ = [
    "PlanInputError",
    "check_subnet_ids",
    "split_subnet_args",
    "resolve_subnet_name",
    "check_ip_ranges",
    "check_public_access",
    "check_bypass",
    "check_tasks_bypass",
    "check_vnet_ids",
    "check_resource_group",
]


class PlanInputError(ValueError):
    """Bad input: one clear line, nothing changed."""


def check_subnet_ids(values: Iterable[str]) -> tuple[str, ...]:
    """The subnet IDs, validated and de-duplicated (case-insensitively, as ARM compares)."""
    seen: dict[str, str] = {}
    for value in values:
        try:
            parse_resource_id(value, SUBNET_TYPE)
        except ResourceIdError as exc:
            raise PlanInputError(f"malformed subnet ID: {exc}") from None
        seen.setdefault(normalize_resource_id(value), value.strip())
    return tuple(seen.values())


# VNET/SUBNET, the form every screen shows a subnet in.
_SUBNET_NAME = re.compile(r"^[^/\s]+/[^/\s]+$")


def split_subnet_args(
    values: Iterable[str], option: str = "--subnet"
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(resource IDs, VNET/SUBNET names) from ``option``'s values; PlanInputError for neither."""
    ids: list[str] = []
    names: list[str] = []
    for value in values:
        text = value.strip()
        if _SUBNET_NAME.match(text):
            names.append(text)
        elif text.startswith("/"):
            ids.append(text)
        else:
            raise PlanInputError(f"{option} {value!r}: give a subnet resource ID or VNET/SUBNET")
    return check_subnet_ids(ids), tuple(names)


def resolve_subnet_name(name: str, inventory: Inventory | None, option: str = "--subnet") -> str:
    """The ID of the one visible subnet ``name`` (VNET/SUBNET) names; one line otherwise."""
    if inventory is None:
        raise PlanInputError(f"{option} {name}: the subnets couldn't be listed; give its ID")
    vnet, _, subnet = name.partition("/")
    matches = [
        s
        for s in inventory.subnets
        if s.virtual_network_name.casefold() == vnet.casefold()
        and s.name.casefold() == subnet.casefold()
    ]
    if len(matches) == 1:
        return matches[0].id
    if matches:
        ids = ", ".join(s.id for s in matches)
        raise PlanInputError(f"{option} {name} names {len(matches)} subnets; give one ID: {ids}")
    from acrfence.services.lookup import did_you_mean

    hint = did_you_mean(name, (s.label for s in inventory.subnets))
    raise PlanInputError(f"{option} {name}: no such subnet in the visible subscriptions{hint}")


def check_ip_ranges(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        try:
            network = parse_ip_rule(value)
        except IpRuleError as exc:
            raise PlanInputError(f"malformed IP range: {exc}") from None
        # ACR stores a single address without its /32.
        text = str(network.network_address) if network.prefixlen == 32 else str(network)
        seen.setdefault(text, text)
    return tuple(seen.values())


def check_public_access(value: str | None) -> str | None:
    if value is None:
        return None
    choices = {"enabled": "Enabled", "disabled": "Disabled"}
    if value.casefold() not in choices:
        raise PlanInputError(f"public access must be enabled or disabled, not {value!r}")
    return choices[value.casefold()]


def check_tasks_bypass(value: str | None) -> bool | None:
    """`allow` / `deny` for networkRuleBypassAllowedForTasks; None keeps it."""
    if value is None:
        return None
    choices = {"allow": True, "deny": False}
    if value.casefold() not in choices:
        raise PlanInputError(f"tasks bypass must be allow or deny, not {value!r}")
    return choices[value.casefold()]


def check_bypass(value: str | None) -> str | None:
    if value is None:
        return None
    choices = {"azure-services": "AzureServices", "azureservices": "AzureServices", "none": "None"}
    if value.casefold() not in choices:
        raise PlanInputError(f"bypass must be azure-services or none, not {value!r}")
    return choices[value.casefold()]


def check_vnet_ids(values: Iterable[str]) -> tuple[str, ...]:
    """Virtual network IDs (--link-vnet), validated and de-duplicated as ARM compares them."""
    from acrfence.services.models.resource_id import VIRTUAL_NETWORK_TYPE

    seen: dict[str, str] = {}
    for value in values:
        try:
            parse_resource_id(value, VIRTUAL_NETWORK_TYPE)
        except ResourceIdError as exc:
            raise PlanInputError(f"malformed virtual network ID: {exc}") from None
        seen.setdefault(normalize_resource_id(value), value.strip().rstrip("/"))
    return tuple(seen.values())


# ARM's rule for resource group names: 1-90 letters, digits, _ - . ( ), not ending in a dot.
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")


def check_resource_group(value: str | None) -> str | None:
    if value is None:
        return None
    if not _RESOURCE_GROUP.fullmatch(value.strip()):
        raise PlanInputError(f"{value!r} is not a resource group name")
    return value.strip()
