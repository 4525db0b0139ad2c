"""Microsoft.Network/privateDnsZones: zones, virtual network links, and record sets of every
type the API has (A, AAAA, CNAME, MX, PTR, SRV, TXT; SOA read and listed).

Per Azure/azure-rest-api-specs ``specification/privatedns`` (stable 2024-06-01 and the
versions before it; azure-mgmt-privatedns speaks them): zones are global; a zone PUT and a
link PUT are long-running (202 with ``Azure-AsyncOperation`` on
``privateDnsOperationStatuses``, then the resource with ``provisioningState: Succeeded``);
record sets answer at once (200 or 201) with an etag, ``fqdn`` and ``isAutoRegistered``.
Record set names are case-insensitive and answered lower-cased, as the examples show. Each
zone has its SOA record set, counted in ``numberOfRecordSets``.
"""

from __future__ import annotations

import asyncio
import copy
import uuid

from acrfence.emulator.arm.context import ArmContext, Reply
from acrfence.emulator.arm.network import operation_status
from acrfence.emulator.errors import ArmError, not_found_resource, resource_group_not_found

ZONE_TYPE = "Microsoft.Network/privateDnsZones"
LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT")
# The list-valued record types: their properties field, and each record's fields with types
# (RecordSetProperties in the privatedns spec; azure-mgmt-privatedns names them the same).
_RECORD_LISTS: dict[str, tuple[str, dict[str, type]]] = {
    "A": ("aRecords", {"ipv4Address": str}),
    "AAAA": ("aaaaRecords", {"ipv6Address": str}),
    "MX": ("mxRecords", {"preference": int, "exchange": str}),
    "PTR": ("ptrRecords", {"ptrdname": str}),
    "SRV": ("srvRecords", {"priority": int, "weight": int, "port": int, "target": str}),
    "TXT": ("txtRecords", {"value": list}),
}
READ = "Microsoft.Network/privateDnsZones/read"
WRITE = "Microsoft.Network/privateDnsZones/write"
MAX_RECORD_SETS = 25000
MAX_LINKS = 1000
MAX_LINKS_WITH_REGISTRATION = 100
# The SOA record set every zone is created with (PrivateZoneGet / RecordSetSOAGet examples).
_SOA = {
    "ttl": 3600,
    "soaRecord": {
        "host": "azureprivatedns.net",
        "email": "azureprivatedns-host.microsoft.com",
        "serialNumber": 1,
        "refreshTime": 3600,
        "retryTime": 300,
        "expireTime": 2419200,
        "minimumTtl": 10,
    },
}


def _etag() -> str:
    return str(uuid.uuid4())


def _zone_id(ctx: ArmContext) -> str:
    return (
        f"/subscriptions/{ctx.params['subscription']}/resourceGroups/"
        f"{_group_name(ctx)}/providers/{ZONE_TYPE}/{ctx.params['zone'].lower()}"
    )


def _group_name(ctx: ArmContext) -> str:
    key = (ctx.params["subscription"].lower(), ctx.params["resource_group"].lower())
    name = ctx.tenant.resource_groups.get(key)
    if name is None:
        raise resource_group_not_found(ctx.params["resource_group"])
    return name


def _zone(ctx: ArmContext) -> dict:
    zone = ctx.tenant.private_dns_zones.get(_zone_id(ctx).lower())
    if zone is None:
        raise not_found_resource(ZONE_TYPE, ctx.params["zone"], ctx.params["resource_group"])
    return zone


def _render_zone(zone: dict) -> dict:
    body = copy.deepcopy({k: v for k, v in zone.items() if k not in ("links", "records")})
    body["properties"].update(
        {
            "maxNumberOfRecordSets": MAX_RECORD_SETS,
            "numberOfRecordSets": len(zone["records"]),
            "maxNumberOfVirtualNetworkLinks": MAX_LINKS,
            "numberOfVirtualNetworkLinks": len(zone["links"]),
            "maxNumberOfVirtualNetworkLinksWithRegistration": MAX_LINKS_WITH_REGISTRATION,
            "numberOfVirtualNetworkLinksWithRegistration": sum(
                1 for link in zone["links"].values() if link["properties"]["registrationEnabled"]
            ),
        }
    )
    return body


def _lro(
    ctx: ArmContext, finish, status: int = 202, failure: tuple[str, str] | None = None
) -> Reply:
    """Start a long-running operation that `finish` completes (failure: (code, message)),
    or that ends Failed with `failure` as Azure decides some requests only once accepted."""
    failure = ctx.faults.take_lro_failure() or failure
    operation = ctx.operations.start(finish, failure)
    asyncio.get_running_loop().call_later(ctx.settings.lro_auto_finish_s, operation.complete)
    base = (
        f"{ctx.base_url}/subscriptions/{ctx.params['subscription']}/resourceGroups/"
        f"{ctx.params['resource_group']}/providers/Microsoft.Network"
    )
    version = ctx.api_version
    return Reply(
        status,
        None,
        {
            "Azure-AsyncOperation": f"{base}/privateDnsOperationStatuses/"
            f"{operation.operation_id}?api-version={version}",
            "Location": f"{base}/privateDnsOperationResults/"
            f"{operation.operation_id}?api-version={version}",
            "Retry-After": str(ctx.settings.lro_retry_after),
        },
    )


# ---- zones ---------------------------------------------------------------------------------


def new_zone(zone_id: str) -> dict:
    """A zone as Azure creates it (with its SOA record set), stored form: the API and the demo
    seed both make zones here."""
    name = zone_id.rsplit("/", 1)[-1].lower()
    return {
        "id": zone_id,
        "name": name,
        "type": ZONE_TYPE,
        "location": "global",
        "etag": _etag(),
        "tags": {},
        "properties": {"provisioningState": "Succeeded"},
        "links": {},
        "records": {"soa/@": record_set_json(zone_id, name, "SOA", "@", copy.deepcopy(_SOA))},
    }


def new_link(
    zone: dict,
    name: str,
    vnet_id: str,
    *,
    registration: bool = False,
    resolution_policy: str = "Default",
    tags: dict | None = None,
    done: bool = False,
) -> dict:
    """A virtual network link as Azure stores it: in progress while its PUT runs, Completed
    once done (the demo seed makes finished ones)."""
    return {
        "id": f"{zone['id']}/virtualNetworkLinks/{name}",
        "name": name,
        "type": LINK_TYPE,
        "location": "global",
        "etag": _etag(),
        "tags": copy.deepcopy(tags or {}),
        "properties": {
            "virtualNetwork": {"id": vnet_id},
            "registrationEnabled": registration,
            "resolutionPolicy": resolution_policy,
            "virtualNetworkLinkState": "Completed" if done else "InProgress",
            "provisioningState": "Succeeded" if done else "Updating",
        },
    }


def put_zone(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(WRITE)
    body = ctx.json_body()
    location = str(body.get("location", "global"))
    if location.lower() != "global":
        raise ArmError(
            400, "InvalidLocation", "The location of a private DNS zone must be 'global'."
        )
    zone_id = _zone_id(ctx)
    tags = body.get("tags") or {}

    def finish(failure: tuple[str, str] | None) -> None:
        if failure is not None:
            return
        with ctx.tenant.changing():
            zone = ctx.tenant.private_dns_zones.get(zone_id.lower())
            if zone is None:
                zone = new_zone(zone_id)
                ctx.tenant.private_dns_zones[zone_id.lower()] = zone
            zone["tags"] = copy.deepcopy(tags)
            zone["etag"] = _etag()

    with ctx.tenant.lock:
        exists = zone_id.lower() in ctx.tenant.private_dns_zones
    if not exists:
        # Creating a zone is long-running; the resource appears when it has finished.
        return _lro(ctx, finish)
    finish(None)
    with ctx.tenant.lock:
        return Reply(200, _render_zone(ctx.tenant.private_dns_zones[zone_id.lower()]))


def get_zone(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        return Reply(200, _render_zone(_zone(ctx)))


def delete_zone(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(WRITE)
    with ctx.tenant.lock:
        zone_key = _zone_id(ctx).lower()
        zone = ctx.tenant.private_dns_zones.get(zone_key)
        if zone is None:
            return Reply(204)
        if zone["links"]:
            raise ArmError(
                409,
                "CannotDeleteResource",
                "Can not delete resource before nested resources are deleted.",
            )

    def finish(failure: tuple[str, str] | None) -> None:
        if failure is None:
            with ctx.tenant.changing():
                ctx.tenant.private_dns_zones.pop(zone_key, None)

    return _lro(ctx, finish)


def list_zones_by_subscription(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(READ)
    prefix = f"/subscriptions/{ctx.params['subscription']}/".lower()
    with ctx.tenant.lock:
        zones = [z for k, z in ctx.tenant.private_dns_zones.items() if k.startswith(prefix)]
        return Reply(200, ctx.page(zones, _render_zone))


def list_zones_by_resource_group(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(READ)
    group = _group_name(ctx)
    prefix = f"/subscriptions/{ctx.params['subscription']}/resourcegroups/{group}/".lower()
    with ctx.tenant.lock:
        zones = [z for k, z in ctx.tenant.private_dns_zones.items() if k.startswith(prefix)]
        return Reply(200, ctx.page(zones, _render_zone))


# ---- virtual network links -----------------------------------------------------------------


def put_link(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(WRITE)
    body = ctx.json_body()
    properties = body.get("properties") or {}
    vnet_id = str((properties.get("virtualNetwork") or {}).get("id") or "")
    registration = bool(properties.get("registrationEnabled", False))
    with ctx.tenant.lock:
        zone = _zone(ctx)
        vnet = ctx.tenant.vnets.get(vnet_id.lower())
        if vnet is None:
            raise ArmError(
                400,
                "BadRequest",
                f"Virtual network resource not found for '{vnet_id}'.",
            )
        name = ctx.params["link"]
        for other_name, other in zone["links"].items():
            same_vnet = other["properties"]["virtualNetwork"]["id"].lower() == vnet_id.lower()
            if same_vnet and other_name.lower() != name.lower():
                raise ArmError(
                    409,
                    "Conflict",
                    f"A virtual network cannot be linked to the same zone more than once: "
                    f"'{vnet_id}' is already linked as '{other_name}'.",
                )
        existing = zone["links"].get(name.lower())
        overlapping = _same_name_zone_linked(ctx, zone, vnet_id)
    link = new_link(
        zone, name, vnet["id"], registration=registration,
        resolution_policy=properties.get("resolutionPolicy", "Default"), tags=body.get("tags"),
    )  # fmt: skip
    zone_key = zone["id"].lower()

    def finish(failure: tuple[str, str] | None) -> None:
        with ctx.tenant.changing():
            target = ctx.tenant.private_dns_zones.get(zone_key)
            if target is None:
                return
            if failure is not None:
                if existing is None:
                    target["links"].pop(name.lower(), None)
                else:
                    target["links"][name.lower()] = existing
                return
            done = target["links"].get(name.lower())
            if done is not None:
                done["properties"]["virtualNetworkLinkState"] = "Completed"
                done["properties"]["provisioningState"] = "Succeeded"
                done["etag"] = _etag()

    with ctx.tenant.changing():
        zone["links"][name.lower()] = link
    refused = None
    if overlapping is not None:
        # Azure accepts the PUT and fails the operation (its deployments show the link ending
        # Failed with this BadRequest): one network resolves a namespace through one zone.
        refused = (
            "BadRequest",
            "A virtual network cannot be linked to multiple zones with overlapping namespaces. "
            f"You tried to link virtual network with '{overlapping}' and '{zone['name']}' zones.",
        )
    return _lro(ctx, finish, 202, failure=refused)


def _same_name_zone_linked(ctx: ArmContext, zone: dict, vnet_id: str) -> str | None:
    """The name of another zone of the same name already linked to the network, if any."""
    for other in ctx.tenant.private_dns_zones.values():
        if other is zone or other["name"].lower() != zone["name"].lower():
            continue
        for link in other["links"].values():
            if link["properties"]["virtualNetwork"]["id"].lower() == vnet_id.lower():
                return str(other["name"])
    return None


def _link(ctx: ArmContext) -> dict:
    zone = _zone(ctx)
    link = zone["links"].get(ctx.params["link"].lower())
    if link is None:
        raise not_found_resource(LINK_TYPE, ctx.params["link"], ctx.params["resource_group"])
    return link


def get_link(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        return Reply(200, copy.deepcopy(_link(ctx)))


def list_links(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        links = list(_zone(ctx)["links"].values())
        return Reply(200, ctx.page(links, copy.deepcopy))


def delete_link(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(WRITE)
    with ctx.tenant.lock:
        zone = _zone(ctx)
        name = ctx.params["link"].lower()
        if name not in zone["links"]:
            return Reply(204)
        zone_key = zone["id"].lower()

    def finish(failure: tuple[str, str] | None) -> None:
        if failure is None:
            with ctx.tenant.changing():
                target = ctx.tenant.private_dns_zones.get(zone_key)
                if target is not None:
                    target["links"].pop(name, None)

    return _lro(ctx, finish)


# ---- record sets ---------------------------------------------------------------------------


def record_set_json(zone_id: str, zone_name: str, kind: str, name: str, properties: dict) -> dict:
    relative = name.lower()
    fqdn = f"{zone_name}." if relative == "@" else f"{relative}.{zone_name}."
    return {
        "id": f"{zone_id}/{kind}/{relative}",
        "name": relative,
        "type": f"{ZONE_TYPE}/{kind}",
        "etag": _etag(),
        "properties": {**properties, "fqdn": fqdn, "isAutoRegistered": False},
    }


def _record_kind(ctx: ArmContext) -> str:
    kind = ctx.params["record_type"].upper()
    if kind not in RECORD_TYPES:
        raise ArmError(
            400,
            "BadRequest",
            f"The record type '{ctx.params['record_type']}' is not served by this emulator "
            f"(it serves {', '.join(RECORD_TYPES)}).",
        )
    return kind


def _record_properties(kind: str, body: dict) -> dict:
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ArmError(400, "BadRequest", "The record set has no properties.")
    ttl = properties.get("ttl", 3600)
    if not isinstance(ttl, int) or not 0 <= ttl <= 2147483647:
        raise ArmError(400, "BadRequest", "The TTL must be a whole number of seconds.")
    result: dict = {"ttl": ttl, "metadata": properties.get("metadata") or {}}
    if kind in _RECORD_LISTS:
        field, shape = _RECORD_LISTS[kind]
        records = properties.get(field) or []
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and all(isinstance(r.get(k), t) for k, t in shape.items())
            for r in records
        ):
            raise ArmError(400, "BadRequest", f"{field} must be a list of {{{', '.join(shape)}}}.")
        result[field] = [{k: r[k] for k in shape} for r in records]
    elif kind == "CNAME":
        cname = (properties.get("cnameRecord") or {}).get("cname")
        if not isinstance(cname, str) or not cname:
            raise ArmError(400, "BadRequest", "cnameRecord.cname is required.")
        result["cnameRecord"] = {"cname": cname}
    else:
        raise ArmError(400, "BadRequest", "The SOA record set can't be replaced here.")
    return result


def put_record(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(WRITE)
    kind = _record_kind(ctx)
    properties = _record_properties(kind, ctx.json_body())
    if_match = ctx.header("If-Match")
    if_none_match = ctx.header("If-None-Match")
    with ctx.tenant.changing():
        zone = _zone(ctx)
        key = f"{kind.lower()}/{ctx.params['name'].lower()}"
        existing = zone["records"].get(key)
        if if_none_match == "*" and existing is not None:
            raise ArmError(412, "PreconditionFailed", "The record set already exists.")
        if if_match and if_match != "*" and (existing is None or existing["etag"] != if_match):
            raise ArmError(412, "PreconditionFailed", "The record set has been changed.")
        record = record_set_json(zone["id"], zone["name"], kind, ctx.params["name"], properties)
        zone["records"][key] = record
        return Reply(201 if existing is None else 200, copy.deepcopy(record))


def get_record(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(READ)
    kind = _record_kind(ctx)
    with ctx.tenant.lock:
        zone = _zone(ctx)
        record = zone["records"].get(f"{kind.lower()}/{ctx.params['name'].lower()}")
        if record is None:
            raise not_found_resource(
                f"{ZONE_TYPE}/{kind}", ctx.params["name"], ctx.params["resource_group"]
            )
        return Reply(200, copy.deepcopy(record))


def delete_record(ctx: ArmContext) -> Reply:
    ctx.require_version("privateDnsZones")
    ctx.subscription(WRITE)
    kind = _record_kind(ctx)
    with ctx.tenant.changing():
        zone = _zone(ctx)
        removed = zone["records"].pop(f"{kind.lower()}/{ctx.params['name'].lower()}", None)
    return Reply(200 if removed is not None else 204)


def list_records(ctx: ArmContext) -> Reply:
    """``.../privateDnsZones/{zone}/ALL`` or ``.../{recordType}``: the zone's record sets."""
    ctx.require_version("privateDnsZones")
    ctx.subscription(READ)
    wanted = ctx.params["record_type"].upper()
    if wanted != "ALL":
        wanted = _record_kind(ctx)
    with ctx.tenant.lock:
        records = [
            record
            for key, record in _zone(ctx)["records"].items()
            if wanted == "ALL" or key.startswith(f"{wanted.lower()}/")
        ]
        return Reply(200, ctx.page(records, copy.deepcopy))


def get_operation(ctx: ArmContext) -> Reply:
    """``privateDnsOperationStatuses/{id}``: InProgress, then Succeeded or Failed."""
    return operation_status(ctx, READ)


def get_operation_result(ctx: ArmContext) -> Reply:
    """``privateDnsOperationResults/{id}`` (the Location header): 202 until done, then 204."""
    operation = ctx.operations.get(ctx.params["operation"])
    if operation is None:
        raise ArmError(
            404, "OperationNotFound", f"Operation {ctx.params['operation']} was not found."
        )
    body = operation.poll()
    if body["status"] == "InProgress":
        return Reply(202, None, {"Retry-After": str(ctx.settings.lro_retry_after)})
    if body["status"] == "Failed":
        error = body.get("error") or {}
        raise ArmError(400, error.get("code", "Failed"), error.get("message", "Failed."))
    return Reply(204)
