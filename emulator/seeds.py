"""Seeds: `demo`, a JSON file (format in tenant_json.py), or `generate:SxRxVxN`.

`generate:SxRxVxN` builds S subscriptions, each with R registries, V virtual networks and N
subnets per virtual network (so generate:50x10x4x5 is 500 registries and 1,000 subnets).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from acrfence.emulator.arm.private_dns import new_link, new_zone
from acrfence.emulator.arm.private_endpoints import create_endpoint, set_zone_group
from acrfence.emulator.arm.replications import add_replication
from acrfence.emulator.resources import (
    make_registry,
    make_subnet,
    make_vnet,
)
from acrfence.emulator.state import CONTAINER_REGISTRY, Subscription, Tenant
from acrfence.emulator.tenant_json import tenant_from_json

# Fixed GUIDs so resource IDs are stable across runs.
SUB_PRODUCTION = "6f1e2c43-8a7b-4d0e-9c15-2b3a4d5e6f70"
SUB_NETWORKING = "0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e"
SUB_PLATFORM = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
SUB_RESTRICTED = "9e8d7c6b-5a49-4382-9716-05f4e3d2c1b0"

REGISTERED = {CONTAINER_REGISTRY: "Registered", "Microsoft.Network": "Registered"}
UNREGISTERED = {CONTAINER_REGISTRY: "NotRegistered", "Microsoft.Network": "Registered"}

PRIVATE_LINK_ZONE = "privatelink.azurecr.io"

_GENERATE = re.compile(r"^generate:(\d+)x(\d+)x(\d+)x(\d+)$")


class SeedError(ValueError):
    """A seed name, file or generator spec that can't be used."""


def build_tenant(seed: str) -> Tenant:
    if seed == "demo":
        return demo_tenant()
    match = _GENERATE.match(seed)
    if match:
        return generated_tenant(*(int(g) for g in match.groups()))
    if seed.startswith("generate:"):
        raise SeedError(f"bad generator spec {seed!r}: expected generate:SUBSxREGSxVNETSxSUBNETS")
    path = Path(seed)
    if not path.is_file():
        raise SeedError(f"unknown seed {seed!r}: use demo, a JSON file, or generate:SxRxVxN")
    try:
        return tenant_from_json(json.loads(path.read_text()))
    except json.JSONDecodeError as exc:
        raise SeedError(f"seed file {seed} is not valid JSON: {exc}") from exc
    except ValueError as exc:
        raise SeedError(f"seed file {seed}: {exc}") from exc


def _network_id(sub: str, rg: str, kind: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{kind}/{name}"


def _nsg(sub: str, rg: str, name: str) -> str:
    return _network_id(sub, rg, "networkSecurityGroups", name)


def _route_table(sub: str, rg: str, name: str) -> str:
    return _network_id(sub, rg, "routeTables", name)


def _private_endpoint_id(sub: str, rg: str, name: str) -> str:
    return _network_id(sub, rg, "privateEndpoints", name)


def demo_tenant() -> Tenant:
    """The walk-through's tenant plus the awkward cases the app must handle."""
    t = Tenant()
    t.add_subscription(
        Subscription(SUB_PRODUCTION, "Contoso Production", providers=dict(REGISTERED))
    )
    t.add_subscription(
        Subscription(SUB_NETWORKING, "Contoso Shared Networking", providers=dict(UNREGISTERED))
    )
    t.add_subscription(Subscription(SUB_PLATFORM, "Contoso Platform", providers=dict(REGISTERED)))
    t.add_subscription(
        Subscription(
            SUB_RESTRICTED, "Contoso Restricted", accessible=False, providers=dict(REGISTERED)
        )
    )

    # The scenario, verbatim.
    docker_vnet = make_vnet(SUB_PRODUCTION, "myResourceGroup", "myDockerVMVNET", ["10.0.0.0/16"])
    docker_subnet = make_subnet(docker_vnet, "myDockerVMSubnet", "10.0.0.0/24")
    docker_vnet["properties"]["subnets"] = [docker_subnet]
    t.add_vnet(docker_vnet)
    t.add_registry(make_registry(SUB_PRODUCTION, "myResourceGroup", "mycontainerregistry"))

    # An application vnet: a subnet with other endpoints, a delegation, an NSG and a route
    # table to keep; a subnet with the registry endpoint that no rule names; a subnet
    # whose rule exists but whose endpoint is missing; a private-endpoint subnet.
    app_vnet = make_vnet(SUB_PRODUCTION, "app-rg", "app-vnet", ["10.1.0.0/16"])
    workers = make_subnet(
        app_vnet,
        "workers",
        "10.1.4.0/24",
        service_endpoints=["Microsoft.Storage", "Microsoft.KeyVault"],
        delegations=["Microsoft.ContainerInstance/containerGroups"],
        nsg_id=_nsg(SUB_PRODUCTION, "app-rg", "workers-nsg"),
        route_table_id=_route_table(SUB_PRODUCTION, "app-rg", "workers-rt"),
    )
    aks_nodes = make_subnet(app_vnet, "aks-nodes", "10.1.0.0/22")
    build_agents = make_subnet(
        app_vnet, "build-agents", "10.1.5.0/24", service_endpoints=[CONTAINER_REGISTRY]
    )
    pe_subnet = make_subnet(app_vnet, "private-endpoints", "10.1.8.0/24")
    app_vnet["properties"]["subnets"] = [workers, aks_nodes, build_agents, pe_subnet]
    t.add_vnet(app_vnet)

    t.add_registry(make_registry(SUB_PRODUCTION, "basic-rg", "contosobasic", sku="Basic"))
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosolocked", default_action="Deny", bypass="None"
        )
    )
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosonoendpoint", default_action="Deny",
            subnet_rules=[aks_nodes["id"]],
        )
    )  # fmt: skip
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosoiprules", default_action="Deny",
            ip_rules=["10.20.0.0/16", "198.51.100.200/32"],
        )
    )  # fmt: skip
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosodangling", default_action="Deny",
            subnet_rules=[f"{app_vnet['id']}/subnets/decommissioned", build_agents["id"]],
        )
    )  # fmt: skip
    # Reached only through its private endpoint (set up in _add_private_link, below).
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosoprivate", public_network_access="Disabled",
            default_action="Deny",
        )
    )  # fmt: skip

    # A subnet in another subscription whose Microsoft.ContainerRegistry provider is not
    # registered, and a registry rule pointing at it.
    hub_vnet = make_vnet(SUB_NETWORKING, "network-rg", "hub-vnet", ["10.50.0.0/16"])
    hub_agents = make_subnet(
        hub_vnet, "hub-agents", "10.50.1.0/24", service_endpoints=[CONTAINER_REGISTRY]
    )
    hub_spare = make_subnet(hub_vnet, "hub-spare", "10.50.2.0/24")
    hub_vnet["properties"]["subnets"] = [hub_agents, hub_spare]
    t.add_vnet(hub_vnet)
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosocrosssub", default_action="Deny",
            subnet_rules=[hub_agents["id"]],
        )
    )  # fmt: skip

    # Private link AND a service-endpoint rule from the same virtual network; data endpoints
    # on, in another region.
    platform_vnet = make_vnet(
        SUB_PLATFORM, "platform-rg", "platform-vnet", ["10.60.0.0/16"], "eastus"
    )
    ci = make_subnet(platform_vnet, "ci", "10.60.1.0/24", service_endpoints=[CONTAINER_REGISTRY])
    platform_pe_subnet = make_subnet(platform_vnet, "private-endpoints", "10.60.2.0/24")
    platform_vnet["properties"]["subnets"] = [ci, platform_pe_subnet]
    t.add_vnet(platform_vnet)
    platform = make_registry(
        SUB_PLATFORM, "platform-rg", "platformacr", location="eastus", default_action="Deny",
        subnet_rules=[ci["id"]], data_endpoint=True,
    )  # fmt: skip
    t.add_registry(platform)
    # Its private endpoint was made without a DNS zone group and no zone is linked to
    # platform-vnet: the names resolve publicly, and the findings say why (kept broken on
    # purpose, beside contosoprivate's correct setup).
    with t.lock:
        create_endpoint(
            t,
            endpoint_id=_private_endpoint_id(SUB_PLATFORM, "platform-rg", "platformacr-pe"),
            subnet=t.subnets[platform_pe_subnet["id"].lower()],
            registry=t.registries[platform["id"].lower()],
            location="eastus",
            provisioning_state="Succeeded",
            unique="0f6c2b9e-3d41-4a7e-9b58-6e2d1c0a9f31",
            connection_name="platformacr-pe.conn",
        )

    # A subscription the identity can't read, holding a subnet a rule names.
    secret_vnet = make_vnet(SUB_RESTRICTED, "secret-rg", "secret-vnet", ["10.70.0.0/16"])
    secret_subnet = make_subnet(
        secret_vnet, "secret-subnet", "10.70.1.0/24", service_endpoints=[CONTAINER_REGISTRY]
    )
    secret_vnet["properties"]["subnets"] = [secret_subnet]
    t.add_vnet(secret_vnet)
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contososecretrule", default_action="Deny",
            subnet_rules=[secret_subnet["id"]],
        )
    )  # fmt: skip

    # A subnet with the registry endpoint that no rule names (added last so the vantage
    # addresses of the subnets above stay as they were).
    t.add_subnet(
        make_subnet(app_vnet, "batch-jobs", "10.1.6.0/24", service_endpoints=[CONTAINER_REGISTRY])
    )
    _add_demo_drift(t, build_agents["id"])
    _add_private_link(t, hub_vnet)
    _let_tasks_through(t, but="contosoiprules")
    return t


def _add_private_link(t: Tenant, hub_vnet: dict) -> None:
    """contosoprivate as Azure has it after a correct private link setup, made by the same
    code the Network API's handlers use: replicated to eastus, a private endpoint in the hub's
    endpoint subnet with one address per name (login server, one data endpoint per region), a
    DNS zone group writing the A records into the hub's privatelink.azurecr.io zone, and that
    zone linked to hub-vnet, whose build agents pull. The zone lives in the networking
    subscription, as a hub holds it, linked to the hub alone: the migration's main scenario
    (mycontainerregistry, app-vnet, another subscription) doesn't see it and makes its own.
    Added last so every other subnet keeps its vantage address.
    """
    endpoints = make_subnet(hub_vnet, "private-endpoints", "10.50.3.0/24")
    t.add_subnet(endpoints)
    registry_id = (
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg/providers"
        "/Microsoft.ContainerRegistry/registries/contosoprivate"
    )
    add_replication(t, registry_id, "eastus")
    zone_id = _network_id(SUB_NETWORKING, "network-rg", "privateDnsZones", PRIVATE_LINK_ZONE)
    with t.lock:
        zone = new_zone(zone_id)
        link = new_link(zone, "hub-vnet-link", hub_vnet["id"], done=True)
        zone["links"][link["name"].lower()] = link
        t.private_dns_zones[zone_id.lower()] = zone
        endpoint = create_endpoint(
            t,
            endpoint_id=_private_endpoint_id(SUB_NETWORKING, "network-rg", "contosoprivate-pe"),
            subnet=t.subnets[endpoints["id"].lower()],
            registry=t.registries[registry_id.lower()],
            location="westus",
            provisioning_state="Succeeded",
            unique="7b3e9d14-52c8-4f0a-a6d1-3c9e8b2f7a05",
            connection_name="contosoprivate-pe.conn",
        )
        config = {"name": "privatelink-azurecr-io", "properties": {"privateDnsZoneId": zone_id}}
        set_zone_group(t, endpoint, "default", [config])


def _let_tasks_through(t: Tenant, but: str) -> None:
    """Turn the Tasks bypass on for the demo's Deny registries except `but`, which shows the
    tasks-bypass-disabled finding alone (on every other one it would drown their own finding;
    Azure's default is off, so a real tenant shows it on each Deny registry)."""
    for registry in t.registries.values():
        rules = registry["properties"].get("networkRuleSet") or {}
        if rules.get("defaultAction") == "Deny" and registry["name"] != but:
            registry["properties"]["networkRuleBypassAllowedForTasks"] = True


def _add_demo_drift(t: Tenant, build_agents_id: str) -> None:
    """States real tenants drift into, so the demo shows every finding the app knows.

    Added after every other subnet so the vantage addresses above keep their numbers.
    """
    # A lockdown left half done: rules written, default action never switched to Deny.
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosohalfdone", default_action="Allow",
            subnet_rules=[build_agents_id], ip_rules=["198.51.100.24/32"],
        )
    )  # fmt: skip
    # Public access switched off with no private endpoint: nothing reaches the data plane.
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "app-rg", "contosodark", public_network_access="Disabled",
            default_action="Deny",
        )
    )  # fmt: skip
    # Downgraded from Premium after rules were set: the rules no longer apply.
    t.add_registry(
        make_registry(
            SUB_PRODUCTION, "legacy-rg", "contosolegacy", sku="Standard", default_action="Deny",
            ip_rules=["203.0.113.77"],
        )
    )  # fmt: skip
    # A build fleet with one subnet per runner pool, close to Azure's 100-rule limit.
    fleet_vnet = make_vnet(SUB_PLATFORM, "fleet-rg", "fleet-vnet", ["10.80.0.0/16"], "eastus")
    runners = [
        make_subnet(
            fleet_vnet, f"runners-{n:02d}", f"10.80.{n}.0/24",
            service_endpoints=[CONTAINER_REGISTRY],
        )
        for n in range(93)
    ]  # fmt: skip
    fleet_vnet["properties"]["subnets"] = runners
    t.add_vnet(fleet_vnet)
    t.add_registry(
        make_registry(
            SUB_PLATFORM, "fleet-rg", "contosofleet", location="eastus", default_action="Deny",
            subnet_rules=[subnet["id"] for subnet in runners],
        )
    )  # fmt: skip


def generated_tenant(subscriptions: int, registries: int, vnets: int, subnets: int) -> Tenant:
    """A large, regular tenant for benchmarks (counts per subscription / per vnet)."""
    t = Tenant()
    for s in range(subscriptions):
        sub = f"{s:08x}-0000-4000-8000-{s:012x}"
        t.add_subscription(Subscription(sub, f"Generated {s:04d}", providers=dict(REGISTERED)))
        subnet_ids = []
        for v in range(vnets):
            vnet = make_vnet(sub, f"net-rg-{v % 4}", f"vnet-{v:03d}", [f"10.{v % 256}.0.0/16"])
            vnet["properties"]["subnets"] = [
                make_subnet(vnet, f"subnet-{n:03d}", f"10.{v % 256}.{n % 256}.0/24",
                            service_endpoints=[CONTAINER_REGISTRY] if n % 3 == 0 else None)
                for n in range(subnets)
            ]  # fmt: skip
            subnet_ids.extend(x["id"] for x in vnet["properties"]["subnets"])
            t.add_vnet(vnet)
        for r in range(registries):
            premium = r % 2 == 0
            rules = [subnet_ids[(r * 7) % len(subnet_ids)]] if premium and subnet_ids else []
            t.add_registry(
                make_registry(
                    sub, f"acr-rg-{r % 5}", f"gen{s:04d}acr{r:04d}",
                    sku="Premium" if premium else "Standard",
                    default_action="Deny" if premium and r % 4 == 0 else "Allow",
                    subnet_rules=rules,
                )
            )  # fmt: skip
    return t
