"""Microsoft.Network/privateEndpoints (to registries), their DNS zone groups, and the
registry's side: private endpoint connections approved, rejected or deleted through ACR.

Per azure-rest-api-specs ``privateEndpoint.json`` (network 2024-05-01) and the registry API's
PrivateEndpointConnection examples:

- a PUT is long-running (201 + ``Azure-AsyncOperation``) and takes one private IP from the
  subnet for the login server and one per data endpoint (one per region the registry is
  replicated to); Azure keeps 5 addresses of every subnet, and a full subnet answers 400
  ``SubnetIsFull``;
- ``privateLinkServiceConnections`` are approved at once, ``manualPrivateLinkServiceConnections``
  wait as Pending; either way the registry lists a connection, and a private endpoint turns
  the registry's dedicated data endpoints on, as ACR does;
- ``customDnsConfigs`` name each FQDN with its IP; a ``privateDnsZoneGroups`` child writes the
  A records for them into ``privatelink.azurecr.io`` (and takes them out again when deleted).

The stored endpoint keeps ``subnetId`` beside its ARM body, the one field the rest of the
emulator (data plane, rule validation) reads.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import uuid

from acrfence.emulator.arm.context import ArmContext, Reply
from acrfence.emulator.arm.private_dns import record_set_json
from acrfence.emulator.arm.registries import registry_for
from acrfence.emulator.errors import ArmError, not_found_resource, resource_group_not_found
from acrfence.emulator.resources import PEC_TYPE, new_etag
from acrfence.emulator.state import Tenant

PE_TYPE = "Microsoft.Network/privateEndpoints"
ZONE_GROUP_TYPE = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
READ = "Microsoft.Network/privateEndpoints/read"
WRITE = "Microsoft.Network/privateEndpoints/write"
REGISTRY_GROUP = "registry"
RESERVED_PER_SUBNET = 5  # network, broadcast, and Azure's first three host addresses
# ACR's documented limit of private endpoints per registry (Premium).
MAX_PRIVATE_ENDPOINTS = 200
_INTERNAL = ("subnetId", "zoneGroups", "ipAddresses")


def _group(ctx: ArmContext) -> str:
    key = (ctx.params["subscription"].lower(), ctx.params["resource_group"].lower())
    name = ctx.tenant.resource_groups.get(key)
    if name is None:
        raise resource_group_not_found(ctx.params["resource_group"])
    return name


def _endpoint_id(ctx: ArmContext) -> str:
    return (
        f"/subscriptions/{ctx.params['subscription']}/resourceGroups/{_group(ctx)}"
        f"/providers/{PE_TYPE}/{ctx.params['endpoint']}"
    )


def render(endpoint: dict) -> dict:
    """The endpoint as the Network API answers it (without the emulator's own keys)."""
    body = copy.deepcopy({k: v for k, v in endpoint.items() if k not in _INTERNAL})
    # A seeded endpoint may be just {id, location, subnetId}: answer what Azure would at least.
    body.setdefault("name", endpoint["id"].rsplit("/", 1)[-1])
    body.setdefault("type", PE_TYPE)
    body.setdefault(
        "properties",
        {"provisioningState": "Succeeded", "subnet": {"id": endpoint["subnetId"]}},
    )
    return body


def _fqdns(registry: dict) -> list[str]:
    """The names a registry's private endpoint answers for: login server, data endpoints."""
    props = registry["properties"]
    name = registry["name"].lower()
    regions = props.get("dataEndpointHostNames") or [
        f"{name}.{registry['location']}.data.azurecr.io"
    ]
    return [props["loginServer"].lower(), *(host.lower() for host in regions)]


def _used_addresses(tenant: Tenant, subnet_key: str) -> set[str]:
    used: set[str] = set()
    for endpoint in tenant.private_endpoints.values():
        if endpoint.get("subnetId", "").lower() == subnet_key:
            used.update(endpoint.get("ipAddresses") or ())
    return used


def _allocate(tenant: Tenant, subnet: dict, count: int) -> list[str]:
    """`count` free addresses of the subnet, or ArmError SubnetIsFull as Azure answers."""
    prefixes = subnet["properties"].get("addressPrefixes") or [
        subnet["properties"].get("addressPrefix")
    ]
    network = ipaddress.ip_network(prefixes[0], strict=False)
    used = _used_addresses(tenant, subnet["id"].lower())
    hosts = list(network.hosts())[3:]  # Azure keeps x.x.x.1-3 (and the network, broadcast)
    free = [str(ip) for ip in hosts if str(ip) not in used]
    if len(free) < count:
        raise ArmError(
            400,
            "SubnetIsFull",
            f"Subnet {subnet['name']} with address prefix {network} does not have enough "
            f"capacity for {count} IP addresses.",
        )
    return free[:count]


def subnet_capacity(tenant: Tenant, subnet_id: str) -> int:
    """How many more addresses a subnet can hand out (tests and seeds)."""
    with tenant.lock:
        subnet = tenant.subnets[subnet_id.lower()]
        prefix = (subnet["properties"].get("addressPrefixes") or [
            subnet["properties"].get("addressPrefix")
        ])[0]  # fmt: skip
        size = ipaddress.ip_network(prefix, strict=False).num_addresses
        return max(0, size - RESERVED_PER_SUBNET - len(_used_addresses(tenant, subnet_id.lower())))


def _connection_state(status: str) -> dict:
    return {
        "status": status,
        "description": "Auto-Approved" if status == "Approved" else "Awaiting approval",
        "actionsRequired": "None",
    }


def _lro(ctx: ArmContext, finish, status: int, body: dict | None, location: str) -> Reply:
    failure = ctx.faults.take_lro_failure()
    operation = ctx.operations.start(finish, failure)
    asyncio.get_running_loop().call_later(ctx.settings.lro_auto_finish_s, operation.complete)
    async_url = (
        f"{ctx.base_url}/subscriptions/{ctx.params['subscription']}/providers/Microsoft.Network"
        f"/locations/{location}/operations/{operation.operation_id}?api-version={ctx.api_version}"
    )
    headers = {
        "Azure-AsyncOperation": async_url,
        "Retry-After": str(ctx.settings.lro_retry_after),
    }
    return Reply(status, body, headers)


# ---- private endpoints ---------------------------------------------------------------------


def put_endpoint(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(WRITE)
    body = ctx.json_body()
    properties = body.get("properties") or {}
    subnet_id = str((properties.get("subnet") or {}).get("id") or "")
    automatic = properties.get("privateLinkServiceConnections") or []
    manual = properties.get("manualPrivateLinkServiceConnections") or []
    if len(automatic) + len(manual) != 1:
        raise ArmError(
            400,
            "InvalidPrivateEndpoint",
            "A private endpoint needs exactly one private link service connection.",
        )
    request = (automatic or manual)[0]
    target_id = str((request.get("properties") or {}).get("privateLinkServiceId") or "")
    groups = [g.lower() for g in (request.get("properties") or {}).get("groupIds") or []]
    with ctx.tenant.changing():
        endpoint_id = _endpoint_id(ctx)
        key = endpoint_id.lower()
        if key in ctx.tenant.private_endpoints:
            raise ArmError(
                409,
                "PrivateEndpointCannotBeUpdated",
                "Changing an existing private endpoint's connection or subnet is not served "
                "by this emulator; delete it and create it again.",
            )
        subnet = ctx.tenant.subnets.get(subnet_id.lower())
        if subnet is None:
            raise ArmError(400, "InvalidResourceReference", f"Resource {subnet_id} not found.")
        registry = ctx.tenant.registries.get(target_id.lower())
        if registry is None:
            raise ArmError(
                400,
                "PrivateLinkServiceNotFound",
                f"The private link resource {target_id} was not found.",
            )
        if groups != [REGISTRY_GROUP]:
            raise ArmError(
                400,
                "InvalidGroupId",
                f"Group IDs {groups} are not valid for a container registry; use 'registry'.",
            )
        if registry["sku"]["name"] != "Premium":
            raise ArmError(
                400,
                "PrivateEndpointNotSupportedForSku",
                "Private endpoints need a Premium registry.",
            )
        if len(registry["properties"].get("privateEndpointConnections") or []) >= (
            MAX_PRIVATE_ENDPOINTS
        ):
            raise ArmError(
                400,
                "PrivateEndpointLimitReached",
                f"The registry {registry['name']} already has {MAX_PRIVATE_ENDPOINTS} private "
                "endpoint connections, the most a registry takes.",
            )
        endpoint = create_endpoint(
            ctx.tenant,
            endpoint_id=endpoint_id,
            subnet=subnet,
            registry=registry,
            location=body.get("location") or subnet_location(ctx.tenant, subnet),
            manual=not automatic,
            request_name=request.get("name", ctx.params["endpoint"]),
            request_message=(request.get("properties") or {}).get("requestMessage"),
            tags=body.get("tags") or {},
        )
        answer = render(endpoint)

    def finish(failure: tuple[str, str] | None) -> None:
        with ctx.tenant.changing():
            if failure is not None:
                _remove_endpoint(ctx.tenant, key)
                return
            stored = ctx.tenant.private_endpoints.get(key)
            if stored is not None:
                stored["properties"]["provisioningState"] = "Succeeded"
                stored["etag"] = new_etag()

    return _lro(ctx, finish, 201, answer, answer["location"])


def create_endpoint(
    tenant: Tenant,
    *,
    endpoint_id: str,
    subnet: dict,
    registry: dict,
    location: str,
    manual: bool = False,
    request_name: str | None = None,
    request_message: str | None = None,
    tags: dict | None = None,
    provisioning_state: str = "Updating",
    unique: str | None = None,
    connection_name: str | None = None,
) -> dict:
    """What Azure does when a private endpoint to a registry is created, in the tenant: its
    addresses taken from the subnet (login server, then one per data endpoint), the registry's
    dedicated data endpoints on, the subnet listing it, the registry's connection (Approved,
    or Pending when `manual`). The caller holds the lock and has validated the request. The
    demo seed calls it too (`unique` and `connection_name` fixed so its IDs are stable): a
    seeded endpoint is exactly what the API would have made. Raises ArmError SubnetIsFull."""
    fqdns = _fqdns(registry)
    addresses = _allocate(tenant, subnet, len(fqdns))
    registry["properties"]["dataEndpointEnabled"] = True
    # The data endpoint hosts exist from now on (DNS and the data plane look them up).
    registry["properties"]["dataEndpointHostNames"] = fqdns[1:]
    status = "Pending" if manual else "Approved"
    name = endpoint_id.rsplit("/", 1)[-1]
    unique = unique or str(uuid.uuid4())
    nic_id = (
        f"{endpoint_id.split('/providers/', 1)[0]}"
        f"/providers/Microsoft.Network/networkInterfaces/{name}.nic.{unique}"
    )
    kind = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    request_name = request_name or name
    endpoint = {
        "id": endpoint_id,
        "name": name,
        "type": PE_TYPE,
        "location": location,
        "etag": new_etag(),
        "tags": copy.deepcopy(tags or {}),
        "properties": {
            "provisioningState": provisioning_state,
            "subnet": {"id": subnet["id"]},
            "networkInterfaces": [{"id": nic_id}],
            "customDnsConfigs": [
                {"fqdn": fqdn, "ipAddresses": [ip]}
                for fqdn, ip in zip(fqdns, addresses, strict=True)
            ],
            "privateLinkServiceConnections": [],
            "manualPrivateLinkServiceConnections": [],
            kind: [
                {
                    "id": f"{endpoint_id}/{kind}/{request_name}",
                    "name": request_name,
                    "type": f"{PE_TYPE}/privateLinkServiceConnections",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateLinkServiceId": registry["id"],
                        "groupIds": [REGISTRY_GROUP],
                        "requestMessage": request_message,
                        "privateLinkServiceConnectionState": _connection_state(status),
                    },
                }
            ],
        },
        "subnetId": subnet["id"],
        "ipAddresses": addresses,
        "zoneGroups": {},
    }
    tenant.private_endpoints[endpoint_id.lower()] = endpoint
    subnet["properties"].setdefault("privateEndpoints", []).append({"id": endpoint_id})
    connection_name = connection_name or f"{name}.{unique}"
    registry["properties"].setdefault("privateEndpointConnections", []).append(
        {
            "id": f"{registry['id']}/privateEndpointConnections/{connection_name}",
            "name": connection_name,
            "type": PEC_TYPE,
            "properties": {
                "provisioningState": "Succeeded",
                "privateEndpoint": {"id": endpoint_id},
                "groupIds": [REGISTRY_GROUP],
                "privateLinkServiceConnectionState": _connection_state(status),
            },
        }
    )
    tenant.record_network_change(registry["id"].lower())
    return endpoint


def subnet_location(tenant: Tenant, subnet: dict) -> str:
    vnet = tenant.vnets.get(subnet["id"].lower().rsplit("/subnets/", 1)[0])
    return (vnet or {}).get("location", "westus")


def _remove_endpoint(tenant: Tenant, key: str) -> None:
    """Take an endpoint out: its addresses, its zone groups' records, the registry's connection."""
    endpoint = tenant.private_endpoints.pop(key, None)
    if endpoint is None:
        return
    for group in endpoint.get("zoneGroups", {}).values():
        _write_records(tenant, endpoint, group, remove=True)
    subnet = tenant.subnets.get(endpoint["subnetId"].lower())
    if subnet is not None:
        subnet["properties"]["privateEndpoints"] = [
            e for e in subnet["properties"].get("privateEndpoints") or [] if e["id"].lower() != key
        ]
    for registry in tenant.registries.values():
        connections = registry["properties"].get("privateEndpointConnections") or []
        kept = [c for c in connections if c["properties"]["privateEndpoint"]["id"].lower() != key]
        if len(kept) != len(connections):
            registry["properties"]["privateEndpointConnections"] = kept
            tenant.record_network_change(registry["id"].lower())


def _endpoint(ctx: ArmContext) -> dict:
    endpoint = ctx.tenant.private_endpoints.get(_endpoint_id(ctx).lower())
    if endpoint is None:
        raise not_found_resource(PE_TYPE, ctx.params["endpoint"], ctx.params["resource_group"])
    # A seeded endpoint may be just {id, location, subnetId}: it has no zone groups yet.
    endpoint.setdefault("zoneGroups", {})
    return endpoint


def get_endpoint(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        return Reply(200, render(_endpoint(ctx)))


def delete_endpoint(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(WRITE)
    with ctx.tenant.lock:
        key = _endpoint_id(ctx).lower()
        endpoint = ctx.tenant.private_endpoints.get(key)
        if endpoint is None:
            return Reply(204)
        location = endpoint.get("location", "westus")

    def finish(failure: tuple[str, str] | None) -> None:
        if failure is None:
            with ctx.tenant.changing():
                _remove_endpoint(ctx.tenant, key)

    return _lro(ctx, finish, 202, None, location)


def _list(ctx: ArmContext, prefix: str) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        items = [e for k, e in ctx.tenant.private_endpoints.items() if k.startswith(prefix)]
        return Reply(200, ctx.page(items, render))


def list_by_subscription(ctx: ArmContext) -> Reply:
    return _list(ctx, f"/subscriptions/{ctx.params['subscription']}/".lower())


def list_by_resource_group(ctx: ArmContext) -> Reply:
    with ctx.tenant.lock:
        group = _group(ctx)
    return _list(
        ctx, f"/subscriptions/{ctx.params['subscription']}/resourcegroups/{group}/".lower()
    )


# ---- DNS zone groups -----------------------------------------------------------------------


def _relative_name(fqdn: str, zone_name: str) -> str | None:
    """`x.azurecr.io` in `privatelink.azurecr.io` is `x`, as Azure's zone groups name it."""
    public_suffix = zone_name.lower().removeprefix("privatelink.")
    fqdn = fqdn.lower().rstrip(".")
    if fqdn.endswith("." + public_suffix):
        return fqdn[: -len(public_suffix) - 1]
    return None


def _write_records(tenant: Tenant, endpoint: dict, group: dict, *, remove: bool = False) -> None:
    for config in group["properties"]["privateDnsZoneConfigs"]:
        zone = tenant.private_dns_zones.get(config["properties"]["privateDnsZoneId"].lower())
        if zone is None:
            continue
        record_sets = []
        for dns in endpoint["properties"]["customDnsConfigs"]:
            relative = _relative_name(dns["fqdn"], zone["name"])
            if relative is None:
                continue
            key = f"a/{relative}"
            if remove:
                zone["records"].pop(key, None)
                continue
            a_records = [{"ipv4Address": ip} for ip in dns["ipAddresses"]]
            properties = {"ttl": 10, "metadata": {}, "aRecords": a_records}
            record = record_set_json(zone["id"], zone["name"], "A", relative, properties)
            zone["records"][key] = record
            record_sets.append(
                {
                    "recordType": "A",
                    "recordSetName": relative,
                    "fqdn": f"{relative}.{zone['name']}",
                    "provisioningState": "Succeeded",
                    "ttl": 10,
                    "ipAddresses": list(dns["ipAddresses"]),
                }
            )
        if not remove:
            config["properties"]["recordSets"] = record_sets


def set_zone_group(tenant: Tenant, endpoint: dict, name: str, zone_configs: list[dict]) -> dict:
    """Put the endpoint's zone group `name` (configs ``{"name", "properties":
    {"privateDnsZoneId"}}`` of zones that exist): the records of a group it replaces go, the A
    records for its names are written, as Azure's zone group does. Caller holds the lock (the
    demo seed calls it too)."""
    endpoint.setdefault("zoneGroups", {})
    old = endpoint["zoneGroups"].get(name.lower())
    if old is not None:
        _write_records(tenant, endpoint, old, remove=True)
    group = {
        "id": f"{endpoint['id']}/privateDnsZoneGroups/{name}",
        "name": name,
        "type": ZONE_GROUP_TYPE,
        "etag": new_etag(),
        "properties": {"provisioningState": "Succeeded", "privateDnsZoneConfigs": zone_configs},
    }
    _write_records(tenant, endpoint, group)
    endpoint["zoneGroups"][name.lower()] = group
    return group


def put_zone_group(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(WRITE)
    body = ctx.json_body()
    configs = (body.get("properties") or {}).get("privateDnsZoneConfigs") or []
    with ctx.tenant.changing():
        endpoint = _endpoint(ctx)
        zones = []
        for config in configs:
            zone_id = str((config.get("properties") or {}).get("privateDnsZoneId") or "")
            if zone_id.lower() not in ctx.tenant.private_dns_zones:
                raise ArmError(
                    400,
                    "InvalidResourceReference",
                    f"Resource {zone_id} referenced by resource {endpoint['id']} was not found.",
                )
            stored_zone = ctx.tenant.private_dns_zones[zone_id.lower()]
            zones.append(
                {
                    "name": config.get("name") or stored_zone["name"],
                    "properties": {"privateDnsZoneId": stored_zone["id"]},
                }
            )
        name = ctx.params["group"]
        old = endpoint["zoneGroups"].get(name.lower())
        group = set_zone_group(ctx.tenant, endpoint, name, zones)
        answer = copy.deepcopy(group)

    def finish(failure: tuple[str, str] | None) -> None:
        if failure is not None:
            with ctx.tenant.changing():
                stored = ctx.tenant.private_endpoints.get(endpoint["id"].lower())
                if stored is not None and name.lower() in stored["zoneGroups"]:
                    dropped = stored["zoneGroups"].pop(name.lower())
                    _write_records(ctx.tenant, stored, dropped, remove=True)

    return _lro(ctx, finish, 200 if old else 201, answer, endpoint.get("location", "westus"))


def _zone_group(ctx: ArmContext) -> dict:
    # A seeded endpoint may carry no zone groups at all.
    group = _endpoint(ctx).get("zoneGroups", {}).get(ctx.params["group"].lower())
    if group is None:
        raise not_found_resource(ZONE_GROUP_TYPE, ctx.params["group"], ctx.params["resource_group"])
    return group


def get_zone_group(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        return Reply(200, copy.deepcopy(_zone_group(ctx)))


def list_zone_groups(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        groups = _endpoint(ctx).get("zoneGroups", {})  # a seeded endpoint may carry none
        return Reply(200, ctx.page(list(groups.values()), copy.deepcopy))


def delete_zone_group(ctx: ArmContext) -> Reply:
    ctx.require_version("virtualNetworks")
    ctx.subscription(WRITE)
    with ctx.tenant.lock:
        endpoint = _endpoint(ctx)
        name = ctx.params["group"].lower()
        if name not in endpoint["zoneGroups"]:
            return Reply(204)
        key = endpoint["id"].lower()
        location = endpoint.get("location", "westus")

    def finish(failure: tuple[str, str] | None) -> None:
        if failure is None:
            with ctx.tenant.changing():
                stored = ctx.tenant.private_endpoints.get(key)
                if stored is not None and name in stored["zoneGroups"]:
                    _write_records(ctx.tenant, stored, stored["zoneGroups"].pop(name), remove=True)

    return _lro(ctx, finish, 202, None, location)


# ---- the registry's side -------------------------------------------------------------------


def _set_link_state(endpoint: dict, state: dict) -> None:
    """The endpoint's side of a connection follows what the registry decided."""
    for kind in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        for link in endpoint.get("properties", {}).get(kind) or []:
            link["properties"]["privateLinkServiceConnectionState"] = copy.deepcopy(state)


def put_registry_connection(ctx: ArmContext) -> Reply:
    """Approve or reject a connection through ACR (its PUT answers 200 with the connection)."""
    ctx.require_version("privateEndpointConnections")
    body = ctx.json_body()
    state = (body.get("properties") or {}).get("privateLinkServiceConnectionState") or {}
    status = state.get("status")
    if status not in ("Approved", "Rejected", "Pending", "Disconnected"):
        raise ArmError(
            400,
            "InvalidPrivateLinkServiceConnectionState",
            f"The status '{status}' is not valid: Approved, Rejected, Pending or Disconnected.",
        )
    with ctx.tenant.changing():
        registry = registry_for(ctx)
        for connection in registry["properties"].get("privateEndpointConnections") or []:
            if connection["name"].lower() == ctx.params["connection"].lower():
                connection["properties"]["privateLinkServiceConnectionState"] = {
                    "status": status,
                    "description": state.get("description") or status,
                    "actionsRequired": state.get("actionsRequired") or "None",
                }
                endpoint = ctx.tenant.private_endpoints.get(
                    connection["properties"]["privateEndpoint"]["id"].lower()
                )
                if endpoint is not None:
                    _set_link_state(
                        endpoint, connection["properties"]["privateLinkServiceConnectionState"]
                    )
                ctx.tenant.record_network_change(registry["id"].lower())
                return Reply(200, copy.deepcopy(connection))
    raise not_found_resource(
        PEC_TYPE, f"{ctx.params['name']}/{ctx.params['connection']}", ctx.params["resource_group"]
    )


def delete_registry_connection(ctx: ArmContext) -> Reply:
    """ACR disconnects the endpoint: the connection goes, the endpoint stays (Disconnected)."""
    ctx.require_version("privateEndpointConnections")
    with ctx.tenant.changing():
        registry = registry_for(ctx)
        connections = registry["properties"].get("privateEndpointConnections") or []
        for connection in connections:
            if connection["name"].lower() == ctx.params["connection"].lower():
                connections.remove(connection)
                endpoint = ctx.tenant.private_endpoints.get(
                    connection["properties"]["privateEndpoint"]["id"].lower()
                )
                if endpoint is not None:
                    _set_link_state(endpoint, _connection_state("Disconnected"))
                ctx.tenant.record_network_change(registry["id"].lower())
                return Reply(200)
    return Reply(204)
