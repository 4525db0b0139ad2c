"""The parts of a registry and a subnet a plan changes, as plain JSON dicts.

These are what the plan shows as "before" and "after", what the journal records as the state
a step replaced, and what rollback compares against the current state.
"""

from __future__ import annotations

from typing import Any

from acrfence.services.models import (
    Registry,
    Subnet,
    ip_rule_key,
    normalize_resource_id,
    same_ip_rule,
)

__all__ = ["registry_state", "subnet_state", "vnet_rule_keys", "ip_values", "has_ip", "same_ip"]

# IP rules compare as networks, by the one rule in services.models (``ip_rule_key``).
same_ip = same_ip_rule


def registry_state(registry: Registry) -> dict[str, Any]:
    rules = registry.rules
    return {
        "default_action": rules.default_action,
        "public_network_access": registry.public_network_access,
        "network_rule_bypass_options": registry.network_rule_bypass_options,
        "network_rule_bypass_allowed_for_tasks": registry.network_rule_bypass_allowed_for_tasks,
        "ip_rules": [rule.value for rule in rules.ip_rules],
        "virtual_network_rules": [rule.subnet_id for rule in rules.virtual_network_rules],
    }


def subnet_state(subnet: Subnet) -> dict[str, Any]:
    return {
        "service_endpoints": [endpoint.service for endpoint in subnet.service_endpoints],
        "delegations": list(subnet.delegations),
        "network_security_group": subnet.network_security_group_id,
        "route_table": subnet.route_table_id,
        "etag": subnet.etag,
    }


def vnet_rule_keys(state: dict[str, Any]) -> set[str]:
    return {normalize_resource_id(s) for s in state.get("virtual_network_rules") or ()}


def ip_values(state: dict[str, Any]) -> set[str]:
    """The state's IP rules as comparable keys (``ip_rule_key``: compared as networks)."""
    return {ip_rule_key(v) for v in state.get("ip_rules") or ()}


def has_ip(state_keys: set[str], value: str) -> bool:
    return ip_rule_key(value) in state_keys
