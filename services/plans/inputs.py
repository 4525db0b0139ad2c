"""Validation of what an operator asks for, before anything is read or written.

Each failure is one line (``PlanInputError``), so the command line can print it and exit 2.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.analysis import IpRuleError, parse_ip_rule
from services.models import SUBNET_TYPE, ResourceIdError, normalize_resource_id, parse_resource_id

__all__ = [
    "PlanInputError",
    "check_subnet_ids",
    "check_ip_ranges",
    "check_public_access",
    "check_bypass",
    "check_tasks_bypass",
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
