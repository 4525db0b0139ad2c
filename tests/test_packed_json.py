"""The JSON every inventory model keeps for the raw view is packed per listing
(services/packed_json.py) and still reads back as ARM returned it, for each resource."""

from __future__ import annotations

import json

from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.services.packed_json import PackedJson
from acrfence.services.raw_json import raw_json_text


async def test_each_resource_reads_back_its_own_json(emulator):
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        inventory = await InventoryService(clients).load()
    resources = [*inventory.registries, *inventory.virtual_networks, *inventory.subnets]
    assert inventory.registries and inventory.subnets
    for resource in resources:
        assert resource.raw is not None
        assert resource.raw["id"] == resource.id
        assert json.loads(raw_json_text(resource.raw))["name"] == resource.name
    with emulator.state.lock:
        stored = {r["id"].casefold(): r for r in emulator.state.registries.values()}
    for registry in inventory.registries:
        rules = dict(registry.raw.items())["properties"]["networkRuleSet"]
        stored_rules = stored[registry.key]["properties"]["networkRuleSet"]
        assert rules["defaultAction"] == stored_rules["defaultAction"]
        assert len(rules.get("ipRules") or ()) == len(stored_rules.get("ipRules") or ())


async def test_a_registry_read_on_its_own_keeps_its_json_packed(emulator):
    """The Resource Graph path reads its Premium registries again one by one (a quarter of a
    fleet): each keeps its JSON packed too, and it reads back whole."""
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        service = InventoryService(clients)
        listed = await service.list_registries(SUB_PRODUCTION)
        read = await service.read_registry(listed[0].id)
    assert isinstance(read.raw, PackedJson)
    assert read.raw["id"] == read.id == listed[0].id
    assert dict(read.raw.items()) == dict(listed[0].raw.items())
