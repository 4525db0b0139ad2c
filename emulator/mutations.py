"""Named changes someone else might make to the tenant, for the concurrent-writer fault.

Each spec is JSON so it can be sent over the admin route: {"op": ..., ...}.
"""

from __future__ import annotations

from collections.abc import Callable

from acrfence.emulator.state import Tenant

Mutation = Callable[[Tenant], None]


def _add_service_endpoint(spec: dict) -> Mutation:
    def apply(tenant: Tenant) -> None:
        def change(subnet: dict) -> None:
            endpoints = subnet["properties"].setdefault("serviceEndpoints", [])
            if not any(e["service"].lower() == spec["service"].lower() for e in endpoints):
                endpoints.append(
                    {
                        "provisioningState": "Succeeded",
                        "service": spec["service"],
                        "locations": ["*"],
                    }
                )

        tenant.update_subnet(spec["subnet"], change)

    return apply


def _remove_service_endpoint(spec: dict) -> Mutation:
    def apply(tenant: Tenant) -> None:
        def change(subnet: dict) -> None:
            endpoints = subnet["properties"].get("serviceEndpoints", [])
            subnet["properties"]["serviceEndpoints"] = [
                e for e in endpoints if e["service"].lower() != spec["service"].lower()
            ]

        tenant.update_subnet(spec["subnet"], change)

    return apply


def _add_ip_rule(spec: dict) -> Mutation:
    def apply(tenant: Tenant) -> None:
        def change(registry: dict) -> None:
            rules = registry["properties"]["networkRuleSet"].setdefault("ipRules", [])
            rules.append({"action": "Allow", "value": spec["value"]})

        tenant.update_registry(spec["registry"], change)

    return apply


def _add_vnet_rule(spec: dict) -> Mutation:
    def apply(tenant: Tenant) -> None:
        def change(registry: dict) -> None:
            rules = registry["properties"]["networkRuleSet"].setdefault("virtualNetworkRules", [])
            rules.append({"action": "Allow", "virtualNetworkSubnetResourceId": spec["subnet"]})

        tenant.update_registry(spec["registry"], change)

    return apply


def _set_default_action(spec: dict) -> Mutation:
    def apply(tenant: Tenant) -> None:
        def change(registry: dict) -> None:
            registry["properties"]["networkRuleSet"]["defaultAction"] = spec["value"]

        tenant.update_registry(spec["registry"], change)

    return apply


BUILDERS: dict[str, Callable[[dict], Mutation]] = {
    "add_service_endpoint": _add_service_endpoint,
    "remove_service_endpoint": _remove_service_endpoint,
    "add_ip_rule": _add_ip_rule,
    "add_vnet_rule": _add_vnet_rule,
    "set_default_action": _set_default_action,
}


def mutation_from_spec(spec: dict) -> Mutation:
    """Build a mutation from its JSON spec; raise ValueError for an unknown or short spec."""
    builder = BUILDERS.get(spec.get("op", ""))
    if builder is None:
        raise ValueError(f"unknown mutation op {spec.get('op')!r}; known: {sorted(BUILDERS)}")
    return builder(spec)
