"""Microsoft.ContainerRegistry/registries/{r}/replications: list and get.

A geo-replicated registry has one replication per region (its home region included, as ACR
shows it) and, with dedicated data endpoints on, one data endpoint per region
(``{registry}.{region}.data.azurecr.io``). Shapes per the registry API's Replication
examples (ReplicationGet, ReplicationList).
"""

from __future__ import annotations

import copy

from acrfence.emulator.arm.context import ArmContext, Reply
from acrfence.emulator.arm.registries import READ, registry_for
from acrfence.emulator.errors import not_found_resource
from acrfence.emulator.state import Tenant

REPLICATION_TYPE = "Microsoft.ContainerRegistry/registries/replications"


def replication_json(registry: dict, region: str) -> dict:
    return {
        "id": f"{registry['id']}/replications/{region}",
        "name": region,
        "type": REPLICATION_TYPE,
        "location": region,
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "status": {"displayStatus": "Ready", "message": None, "timestamp": None},
            "regionEndpointEnabled": True,
            "zoneRedundancy": "Disabled",
        },
    }


def add_replication(tenant: Tenant, registry_id: str, region: str) -> dict:
    """Replicate a registry to `region` (seeds and tests); its data endpoint follows."""
    with tenant.changing():
        registry = tenant.registries[registry_id.lower()]
        regions = tenant.replications.setdefault(registry_id.lower(), [registry["location"]])
        if region.lower() not in (r.lower() for r in regions):
            regions.append(region.lower())
        props = registry["properties"]
        name = registry["name"].lower()
        props["dataEndpointHostNames"] = [f"{name}.{r}.data.azurecr.io" for r in regions]
        return replication_json(registry, region.lower())


def _regions(ctx: ArmContext, registry: dict) -> list[str]:
    return ctx.tenant.replications.get(registry["id"].lower(), [registry["location"]])


def list_replications(ctx: ArmContext) -> Reply:
    ctx.require_version("registries")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        registry = registry_for(ctx)
        items = [replication_json(registry, region) for region in _regions(ctx, registry)]
    return Reply(200, ctx.page(items, copy.deepcopy))


def get_replication(ctx: ArmContext) -> Reply:
    ctx.require_version("registries")
    ctx.subscription(READ)
    with ctx.tenant.lock:
        registry = registry_for(ctx)
        wanted = ctx.params["replication"].lower()
        if wanted not in (r.lower() for r in _regions(ctx, registry)):
            raise not_found_resource(
                REPLICATION_TYPE, ctx.params["replication"], ctx.params["resource_group"]
            )
        return Reply(200, replication_json(registry, wanted))
