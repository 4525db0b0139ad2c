"""A JSON-seeded tenant where every peer auditor check both passes and fails somewhere, and
every place acrfence knows better shows up (tests/test_findings_parity.py and the report tests).

registry name -> what it is there for.
"""

from __future__ import annotations

import json
from pathlib import Path

from acrfence.emulator.resources import (
    make_private_endpoint_connection,
    make_registry,
    make_subnet,
    make_vnet,
)
from acrfence.emulator.state import CONTAINER_REGISTRY, Subscription, Tenant
from acrfence.emulator.tenant_json import tenant_to_json

SUB = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
RG = "parity-rg"

PARITY_REGISTRIES = {
    "parityopen": "open, bypass off, no private link, no data endpoint: nearly every check fails",
    "paritylocked": "default Deny and no rule: the open-network checks pass, nothing can pull",
    "paritynoendpoint": "a rule for a subnet without the endpoint: c4857be7 passes, no effect",
    "parityprivate": "public access off, approved private endpoint, data endpoint: checks pass",
    "paritypending": "subnet lockdown that works, with only a Pending private endpoint connection",
    "paritydark": "public access off and no private endpoint: public checks pass, nothing pulls",
    "paritypublic": "open on purpose, tagged acrfence-open",
}
OPEN_REASON = "public base images for customers"


def parity_tenant() -> Tenant:
    tenant = Tenant()
    tenant.add_subscription(
        Subscription(SUB, "Parity", providers={CONTAINER_REGISTRY: "Registered"})
    )
    vnet = make_vnet(SUB, RG, "parity-vnet", ["10.90.0.0/16"])
    pulls = make_subnet(vnet, "pulls", "10.90.1.0/24", service_endpoints=[CONTAINER_REGISTRY])
    bare = make_subnet(vnet, "noendpoint", "10.90.2.0/24")
    endpoints = make_subnet(vnet, "private-endpoints", "10.90.3.0/24")
    vnet["properties"]["subnets"] = [pulls, bare, endpoints]
    tenant.add_vnet(vnet)

    def add(name: str, **kwargs) -> dict:
        registry = make_registry(SUB, RG, name, **kwargs)
        # ACR Tasks are let through everywhere: this tenant is about the auditors' checks.
        registry["properties"]["networkRuleBypassAllowedForTasks"] = True
        tenant.add_registry(registry)
        return registry

    zone_id = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/"
        "privateDnsZones/privatelink.azurecr.io"
    )

    def private_endpoint(registry: dict, status: str, zone_group: bool = False) -> None:
        pe_id = (
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/"
            f"privateEndpoints/{registry['name']}-pe"
        )
        registry["properties"]["privateEndpointConnections"] = [
            make_private_endpoint_connection(registry, f"{registry['name']}-pe.conn", pe_id, status)
        ]
        tenant.add_registry(registry)
        endpoint: dict = {"id": pe_id, "location": "westus", "subnetId": endpoints["id"]}
        if zone_group:
            # Azure Policy e9585a95 looks for the zone group only; the zone it names isn't in
            # this tenant, so acrfence has no zone to judge records or links by.
            endpoint["zoneGroups"] = {
                "default": {
                    "id": f"{pe_id}/privateDnsZoneGroups/default",
                    "name": "default",
                    "type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateDnsZoneConfigs": [
                            {"name": "acr", "properties": {"privateDnsZoneId": zone_id}}
                        ],
                    },
                }
            }
        tenant.add_private_endpoint(endpoint)

    add("parityopen", bypass="None")
    add("paritylocked", default_action="Deny")
    add("paritynoendpoint", default_action="Deny", subnet_rules=[bare["id"]])
    private_endpoint(
        add("parityprivate", default_action="Deny", public_network_access="Disabled",
            data_endpoint=True),
        "Approved", zone_group=True,
    )  # fmt: skip
    private_endpoint(
        add("paritypending", default_action="Deny", subnet_rules=[pulls["id"]]), "Pending"
    )
    add("paritydark", default_action="Deny", public_network_access="Disabled")
    public = add("paritypublic")
    public["tags"] = {"acrfence-open": OPEN_REASON}
    tenant.add_registry(public)
    return tenant


def write_parity_seed(directory: Path) -> Path:
    seed = directory / "parity.json"
    seed.write_text(json.dumps(tenant_to_json(parity_tenant())))
    return seed
