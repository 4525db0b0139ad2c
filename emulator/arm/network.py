"""Microsoft.Network: virtual networks (list, get) and subnets (list, get, PUT as a
long-running operation with `Azure-AsyncOperation`, a fresh `W/"<guid>"` etag per change).

A subnet PUT replaces the writable properties with the request's (as Azure does: leaving one
out removes it) and keeps the read-only ones (private endpoints, IP configurations...).
Azure's network service ignores If-Match, and so do we.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress

from acrfence.emulator.arm.context import ArmContext, Reply
from acrfence.emulator.errors import ArmError, not_found_resource, resource_group_not_found
from acrfence.emulator.json_copy import copy_json
from acrfence.emulator.resources import SUBNET_TYPE, new_etag, vnet_id

READ = "Microsoft.Network/virtualNetworks/read"
WRITE = "Microsoft.Network/virtualNetworks/subnets/write"
_WRITABLE = {
    "addressPrefix", "addressPrefixes", "networkSecurityGroup", "routeTable", "natGateway",
    "serviceEndpoints", "serviceEndpointPolicies", "delegations",
    "privateEndpointNetworkPolicies", "privateLinkServiceNetworkPolicies",
    "applicationGatewayIPConfigurations", "defaultOutboundAccess", "sharingScope",
    "ipAllocations", "ipamPoolPrefixAllocations",
}  # fmt: skip


def _vnet_key(ctx: ArmContext) -> str:
    return vnet_id(
        ctx.params["subscription"], ctx.params["resource_group"], ctx.params["vnet"]
    ).lower()


def _require_vnet(ctx: ArmContext) -> str:
    ctx.subscription(READ)
    key = _vnet_key(ctx)
    if key not in ctx.tenant.vnets:
        rg_key = (ctx.params["subscription"].lower(), ctx.params["resource_group"].lower())
        if rg_key not in ctx.tenant.resource_groups:
            raise resource_group_not_found(ctx.params["resource_group"])
        raise not_found_resource(
            "Microsoft.Network/virtualNetworks", ctx.params["vnet"], ctx.params["resource_group"]
        )
    return key


def list_vnets_by_subscription(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(READ)
    prefix = f"/subscriptions/{ctx.params['subscription']}/".lower()
    return Reply(200, _vnets_page(ctx, prefix))


def list_vnets_by_resource_group(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(READ)
    rg = ctx.params["resource_group"]
    if (ctx.params["subscription"].lower(), rg.lower()) not in ctx.tenant.resource_groups:
        raise resource_group_not_found(rg)
    prefix = f"/subscriptions/{ctx.params['subscription']}/resourcegroups/{rg}/".lower()
    return Reply(200, _vnets_page(ctx, prefix))


def _vnets_page(ctx: ArmContext, prefix: str) -> dict:
    # Only the page's networks are built (copied with their subnets).
    with ctx.tenant.lock:
        keys = [key for key in ctx.tenant.vnets if key.startswith(prefix)]
        return ctx.page(keys, ctx.tenant.get_vnet)


def get_vnet(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    with ctx.tenant.lock:
        body = ctx.tenant.get_vnet(_require_vnet(ctx))
    return Reply(200, body, {"ETag": body["etag"]})


def list_subnets(ctx: ArmContext) -> Reply:
    ctx.require_version("subnets")
    with ctx.tenant.lock:
        key = _require_vnet(ctx)
        items = [copy_json(ctx.tenant.subnets[s]) for s in ctx.tenant.vnet_subnets[key]]
    return Reply(200, ctx.page(items))


def _subnet_key(ctx: ArmContext) -> str:
    return f"{_vnet_key(ctx)}/subnets/{ctx.params['subnet']}".lower()


def get_subnet(ctx: ArmContext) -> Reply:
    ctx.require_version("subnets")
    with ctx.tenant.lock:
        _require_vnet(ctx)
        subnet = ctx.tenant.subnets.get(_subnet_key(ctx))
        if subnet is None:
            raise not_found_resource(
                SUBNET_TYPE, f"{ctx.params['vnet']}/{ctx.params['subnet']}",
                ctx.params["resource_group"],
            )  # fmt: skip
        body = copy_json(subnet)
    return Reply(200, body, {"ETag": body["etag"]})


def _check_subnet_body(properties: dict, vnet: dict) -> None:
    prefixes = properties.get("addressPrefixes") or (
        [properties["addressPrefix"]] if properties.get("addressPrefix") else []
    )
    if not prefixes:
        raise ArmError(
            400,
            "InvalidRequestFormat",
            "Cannot parse the request: the subnet needs addressPrefix or addressPrefixes.",
        )
    spaces = [
        ipaddress.ip_network(p, strict=False)
        for p in vnet["properties"]["addressSpace"]["addressPrefixes"]
    ]
    for prefix in prefixes:
        try:
            network = ipaddress.ip_network(prefix)
        except ValueError as exc:
            raise ArmError(
                400,
                "InvalidAddressPrefixFormat",
                f"Address prefix {prefix} of subnet has an invalid format.",
            ) from exc
        # A dual-stack virtual network holds IPv4 and IPv6 spaces: compare like with like.
        same_version = (space for space in spaces if space.version == network.version)
        if not any(network.subnet_of(space) for space in same_version):
            raise ArmError(
                400,
                "NetcfgSubnetRangeOutsideVnet",
                f"Subnet address prefix {prefix} is not within the address space of the "
                "virtual network.",
            )
    for endpoint in properties.get("serviceEndpoints") or []:
        if not isinstance(endpoint, dict) or not str(endpoint.get("service", "")).startswith(
            "Microsoft."
        ):
            raise ArmError(
                400,
                "InvalidServiceNameOnSubnet",
                f"Subnet has an invalid service endpoint: {endpoint!r}.",
            )


def put_subnet(ctx: ArmContext) -> Reply:
    version = ctx.require_version("subnets")
    body = ctx.json_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request: no properties.")
    with ctx.tenant.changing():
        vnet_key = _require_vnet(ctx)
        vnet = ctx.tenant.vnets[vnet_key]
        _check_subnet_body(properties, vnet)
        key = _subnet_key(ctx)
        old = ctx.tenant.subnets.get(key)
        subnet_id = f"{vnet['id']}/subnets/{ctx.params['subnet']}"
        if old is None:
            new = {"name": ctx.params["subnet"], "id": subnet_id, "properties": {},
                   "type": SUBNET_TYPE}  # fmt: skip
        else:
            new = copy.deepcopy(old)
            for name in _WRITABLE:
                new["properties"].pop(name, None)
        for name, value in properties.items():
            if name in _WRITABLE:
                new["properties"][name] = copy.deepcopy(value)
        new["properties"].setdefault("delegations", [])
        for endpoint in new["properties"].get("serviceEndpoints") or []:
            endpoint.pop("provisioningState", None)
            endpoint.setdefault("locations", ["*"])
            endpoint["provisioningState"] = "Updating"
        new["properties"]["provisioningState"] = "Updating"
        new["etag"] = new_etag()
        ctx.tenant.add_subnet(new)
        answer = copy.deepcopy(new)
        failure = ctx.faults.take_lro_failure()
        operation = ctx.operations.start(_finisher(ctx, key, old), failure)
    # An operation nobody polls still finishes, so the subnet never sticks in "Updating".
    asyncio.get_running_loop().call_later(ctx.settings.lro_auto_finish_s, operation.complete)
    location = vnet.get("location", "westus")
    async_url = (
        f"{ctx.base_url}/subscriptions/{ctx.params['subscription']}/providers/Microsoft.Network"
        f"/locations/{location}/operations/{operation.operation_id}?api-version={version}"
    )
    headers = {
        "Azure-AsyncOperation": async_url,
        "Retry-After": str(ctx.settings.lro_retry_after),
        "Azure-AsyncNotification": "Enabled",
    }
    return Reply(201 if old is None else 200, answer, headers)


def _finisher(ctx: ArmContext, key: str, old: dict | None):
    tenant = ctx.tenant

    def finish(failure: tuple[str, str] | None) -> None:
        with tenant.changing():
            if failure is not None:
                # The operation failed: the subnet goes back to what it was.
                if old is None:
                    tenant.subnets.pop(key, None)
                    for subnets in tenant.vnet_subnets.values():
                        if key in subnets:
                            subnets.remove(key)
                else:
                    tenant.subnets[key] = copy.deepcopy(old)
                return
            subnet = tenant.subnets.get(key)
            if subnet is None:
                return
            subnet["properties"]["provisioningState"] = "Succeeded"
            for endpoint in subnet["properties"].get("serviceEndpoints") or []:
                endpoint["provisioningState"] = "Succeeded"
            subnet["etag"] = new_etag()

    return finish


def get_operation(ctx: ArmContext) -> Reply:
    ctx.require_version("operations")
    return operation_status(ctx, READ)


def operation_status(ctx: ArmContext, action: str) -> Reply:
    """An ``Azure-AsyncOperation`` poll: InProgress (with Retry-After), then Succeeded/Failed;
    ``action`` is what the caller must be allowed to read."""
    ctx.subscription(action)
    operation = ctx.operations.get(ctx.params["operation"])
    if operation is None:
        raise ArmError(
            404, "OperationNotFound", f"Operation {ctx.params['operation']} was not found."
        )
    body = operation.poll()
    headers = {}
    if body["status"] == "InProgress":
        headers["Retry-After"] = str(ctx.settings.lro_retry_after)
    return Reply(200, body, headers)
