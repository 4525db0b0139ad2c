"""The parts of a registry and a subnet a plan changes, as plain JSON dicts.

These are what the plan shows as "before" and "after", what the journal records as the state
a step replaced, and what rollback compares against the current state.
"""

from __future__ import annotations

from typing import Any

from services.models import Registry, Subnet, normalize_resource_id

__all__ = ["registry_state", "subnet_state", "vnet_rule_keys", "ip_values", "same_ip"]


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


def _ip_key(value: str) -> str:
    # ACR stores a bare address and its /32 form as the same rule.
    text = value.strip()
    return text[:-3] if text.endswith("/32") else text


def same_ip(a: str, b: str) -> bool:
    return _ip_key(a) == _ip_key(b)


def ip_values(state: dict[str, Any]) -> set[str]:
    return {_ip_key(v) for v in state.get("ip_rules") or ()}
