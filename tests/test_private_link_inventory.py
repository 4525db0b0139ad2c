"""The inventory knows private link: endpoints (with zone groups), ACR's private DNS zones
(records, links) and replications, through ARM and through Resource Graph, and
`acrfence inventory --json` shows them. The situation is built with Microsoft's SDKs."""

from __future__ import annotations

import asyncio
import json

from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.services.resource_graph import ResourceGraphInventory
from acrfence.tui.cli import main
from helpers import PRIVATE_LINK_ZONE, build_private_link


def _clients(handle) -> AzureClients:
    return AzureClients(Target.from_env(handle.env), polling_interval=0.02)


async def test_the_arm_inventory_reads_private_link_per_subscription(emulator) -> None:
    made = await build_private_link(emulator)
    async with _clients(emulator) as clients:
        inventory = await InventoryService(clients).load()
    assert inventory.private_link_known(SUB_PRODUCTION)
    registry = inventory.registry(made["registry"])
    endpoints = inventory.private_endpoints_of(registry)
    assert [e.name for e in endpoints] == ["myacr-pe"]
    assert endpoints[0].has_zone_group
    zone = inventory.private_dns_zone(made["zone"])
    assert zone is not None and zone.name == PRIVATE_LINK_ZONE
    assert zone.addresses_of(registry.login_server) == endpoints[0].addresses_of(
        registry.login_server
    )
    assert [r.region for r in inventory.replications_of(registry)] == ["westus", "eastus"]
    assert [r.data_endpoint_host for r in inventory.replications_of(registry)] == [
        "mycontainerregistry.westus.data.azurecr.io",
        "mycontainerregistry.eastus.data.azurecr.io",
    ]
    # The demo's platformacr: private link in another subscription, read there.
    platform = next(r for r in inventory.registries if r.name == "platformacr")
    assert [e.name for e in inventory.private_endpoints_of(platform)] == ["platformacr-pe"]


async def test_the_fleet_pass_reads_endpoints_through_resource_graph(emulator) -> None:
    made = await build_private_link(emulator)
    async with _clients(emulator) as clients:
        inventory = await ResourceGraphInventory(InventoryService(clients)).load()
    registry = inventory.registry(made["registry"])
    endpoint = inventory.private_endpoints_of(registry)[0]
    assert endpoint.id == made["endpoint"] and endpoint.has_zone_group
    assert endpoint.addresses_of(registry.login_server)
    zone = inventory.private_dns_zone(made["zone"])
    assert zone is not None and zone.linked_to(made["vnet"])


def test_inventory_json_lists_private_link(emulator, monkeypatch, capsys) -> None:
    made = asyncio.run(build_private_link(emulator))
    for name, value in emulator.env.items():
        monkeypatch.setenv(name, value)
    assert main(["inventory", "--json", "--subscription", SUB_PRODUCTION]) == 0
    document = json.loads(capsys.readouterr().out)
    registry = next(r for r in document["registries"] if r["name"] == "mycontainerregistry")
    assert registry["private_endpoints"] == [made["endpoint"]]
    assert registry["public_network_access"] == "Enabled"
    assert registry["data_endpoint_enabled"] is True
    assert [r["region"] for r in registry["replications"]] == ["westus", "eastus"]
    endpoint = next(e for e in document["private_endpoints"] if e["id"] == made["endpoint"])
    assert set(endpoint["addresses"]) == {
        "mycontainerregistry.azurecr.io",
        "mycontainerregistry.westus.data.azurecr.io",
        "mycontainerregistry.eastus.data.azurecr.io",
    }
    assert endpoint["zone_groups"][0]["zone_ids"] == [made["zone"]]
    zone = next(z for z in document["private_dns_zones"] if z["id"] == made["zone"])
    assert set(zone["a_records"]) == {
        "mycontainerregistry",
        "mycontainerregistry.westus.data",
        "mycontainerregistry.eastus.data",
    }
    assert [link["virtual_network_id"] for link in zone["virtual_network_links"]] == [made["vnet"]]
