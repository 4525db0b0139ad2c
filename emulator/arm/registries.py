"""Microsoft.ContainerRegistry/registries: list, get, PATCH (merge), private endpoint
connections. `virtualNetworkRules` is shown only under the api-versions that carry it."""

from __future__ import annotations

import copy

from emulator.api_versions import VNET_RULE_VERSIONS
from emulator.arm.context import ArmContext, Reply
from emulator.errors import ArmError, not_found_resource, resource_group_not_found
from emulator.registry_rules import check_enums, validate_network
from emulator.resources import REGISTRY_TYPE, registry_id

READ = "Microsoft.ContainerRegistry/registries/read"
WRITE = "Microsoft.ContainerRegistry/registries/write"
# Properties a client can't set: ACR ignores them in a PATCH.
_READ_ONLY = {
    "loginServer", "creationDate", "provisioningState", "status", "dataEndpointHostNames",
    "privateEndpointConnections", "regionalEndpointHostNames",
}  # fmt: skip


def render(registry: dict, api_version: str) -> dict:
    body = copy.deepcopy(registry)
    rule_set = body["properties"].get("networkRuleSet")
    if rule_set is not None and api_version not in VNET_RULE_VERSIONS:
        rule_set.pop("virtualNetworkRules", None)
    return body


def _in_subscription(ctx: ArmContext, resource_group: str | None = None) -> list[dict]:
    prefix = f"/subscriptions/{ctx.params['subscription']}/".lower()
    if resource_group:
        prefix += f"resourcegroups/{resource_group.lower()}/"
    with ctx.tenant.lock:
        return [r for key, r in ctx.tenant.registries.items() if key.startswith(prefix)]


def list_by_subscription(ctx: ArmContext) -> Reply:
    version = ctx.require_version("registries")
    ctx.subscription(READ)
    return Reply(200, ctx.page([render(r, version) for r in _in_subscription(ctx)]))


def list_by_resource_group(ctx: ArmContext) -> Reply:
    version = ctx.require_version("registries")
    ctx.subscription(READ)
    _require_resource_group(ctx)
    items = _in_subscription(ctx, ctx.params["resource_group"])
    return Reply(200, ctx.page([render(r, version) for r in items]))


def _require_resource_group(ctx: ArmContext) -> None:
    key = (ctx.params["subscription"].lower(), ctx.params["resource_group"].lower())
    if key not in ctx.tenant.resource_groups:
        raise resource_group_not_found(ctx.params["resource_group"])


def _registry(ctx: ArmContext) -> dict:
    """The live registry dict named by the URL (caller holds the tenant lock)."""
    ctx.subscription(READ)
    _require_resource_group(ctx)
    key = registry_id(
        ctx.params["subscription"], ctx.params["resource_group"], ctx.params["name"]
    ).lower()
    registry = ctx.tenant.registries.get(key)
    if registry is None:
        raise not_found_resource(REGISTRY_TYPE, ctx.params["name"], ctx.params["resource_group"])
    return registry


def get_registry(ctx: ArmContext) -> Reply:
    version = ctx.require_version("registries")
    with ctx.tenant.lock:
        return Reply(200, render(_registry(ctx), version))


def _merge(target: dict, patch: dict) -> None:
    """PATCH merge: objects merge key by key; arrays and scalars replace."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _normalise_rules(rules: list, field: str) -> list[dict]:
    if not isinstance(rules, list):
        raise ArmError(400, "InvalidRequestContent", f"'{field}' must be an array.")
    normalised = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise ArmError(400, "InvalidRequestContent", f"Each of '{field}' must be an object.")
        action = rule.get("action") or "Allow"
        if action != "Allow":
            raise ArmError(
                400, "InvalidRequestContent", f"The rule action '{action}' is not 'Allow'."
            )
        if field == "ipRules":
            normalised.append({"action": "Allow", "value": rule.get("value")})
        else:
            subnet = rule.get("virtualNetworkSubnetResourceId") or rule.get("id")
            normalised.append({"action": "Allow", "virtualNetworkSubnetResourceId": subnet})
    return normalised


def update_registry(ctx: ArmContext) -> Reply:
    version = ctx.require_version("registries")
    body = ctx.json_body()
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise ArmError(400, "InvalidRequestContent", "'properties' must be an object.")
    check_enums(properties)
    properties = {k: v for k, v in properties.items() if k not in _READ_ONLY}
    rule_set_patch = properties.get("networkRuleSet")
    if rule_set_patch is not None:
        rule_set_patch = dict(rule_set_patch)
        if "ipRules" in rule_set_patch:
            rule_set_patch["ipRules"] = _normalise_rules(rule_set_patch["ipRules"], "ipRules")
        if version not in VNET_RULE_VERSIONS:
            # This version has no such field: ACR keeps the existing rules.
            rule_set_patch.pop("virtualNetworkRules", None)
        elif "virtualNetworkRules" in rule_set_patch:
            rule_set_patch["virtualNetworkRules"] = _normalise_rules(
                rule_set_patch["virtualNetworkRules"], "virtualNetworkRules"
            )
        properties["networkRuleSet"] = rule_set_patch

    with ctx.tenant.changing():
        registry = _registry(ctx)
        candidate = copy.deepcopy(registry)
        _merge(candidate["properties"], properties)
        if isinstance(body.get("tags"), dict):
            candidate["tags"] = copy.deepcopy(body["tags"])
        sku = (body.get("sku") or {}).get("name")
        if sku:
            if sku not in ("Basic", "Standard", "Premium"):
                raise ArmError(400, "InvalidSku", f"The SKU '{sku}' is not valid.")
            candidate["sku"] = {"name": sku, "tier": sku}
        if rule_set_patch is not None or sku or "publicNetworkAccess" in properties:
            validate_network(registry, candidate, ctx.tenant)
        registry.clear()
        registry.update(candidate)
        ctx.tenant.record_network_change(registry["id"].lower())
        answer = render(registry, version)
    return Reply(200, answer)


def list_private_endpoint_connections(ctx: ArmContext) -> Reply:
    ctx.require_version("privateEndpointConnections")
    with ctx.tenant.lock:
        connections = copy.deepcopy(_registry(ctx)["properties"]["privateEndpointConnections"])
    return Reply(200, ctx.page(connections))


def get_private_endpoint_connection(ctx: ArmContext) -> Reply:
    ctx.require_version("privateEndpointConnections")
    with ctx.tenant.lock:
        for connection in _registry(ctx)["properties"]["privateEndpointConnections"]:
            if connection["name"].lower() == ctx.params["connection"].lower():
                return Reply(200, copy.deepcopy(connection))
    raise not_found_resource(
        "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
        f"{ctx.params['name']}/{ctx.params['connection']}",
        ctx.params["resource_group"],
    )
