"""The state file: written atomically after each change, loaded on the next start."""

from __future__ import annotations

import json

from acrfence.emulator.seeds import SeedError, build_tenant
from acrfence.emulator.tenant_json import tenant_to_json
from helpers import PREVIEW, RG, SUBNET_ID, acr

REGISTRY = "mycontainerregistry"


async def test_changes_survive_a_restart(make_emulator, tmp_path) -> None:
    state = tmp_path / "tenant.json"
    first = make_emulator(seed="demo", state_file=state)
    rule_set = {"defaultAction": "Deny", "virtualNetworkRules": [{"id": SUBNET_ID}]}
    body = {"properties": {"networkRuleSet": rule_set}}
    async with acr(first, api_version=PREVIEW) as client:
        await (await client.registries.begin_update(RG, REGISTRY, body)).result()
    first.stop()
    saved = json.loads(state.read_text())
    assert not list(tmp_path.glob(".tenant.json.*"))  # no temp file left behind
    second = make_emulator(seed="generate:1x1x1x1", state_file=state)  # the file wins
    async with acr(second, api_version=PREVIEW) as client:
        registry = await client.registries.get(RG, REGISTRY)
    rule_set = registry.as_dict()["properties"]["networkRuleSet"]
    assert rule_set["defaultAction"] == "Deny"
    assert rule_set["virtualNetworkRules"][0]["virtualNetworkSubnetResourceId"] == SUBNET_ID
    assert len(saved["registries"]) == len(second.state.registries)
    assert second.info["vantages"] == first.info["vantages"]


def test_json_seed_file_round_trips(tmp_path) -> None:
    demo = build_tenant("demo")
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(tenant_to_json(demo)))
    loaded = build_tenant(str(path))
    assert tenant_to_json(loaded) == tenant_to_json(demo)
    assert loaded.vantages == demo.vantages


def test_bad_seeds_get_one_clear_error(tmp_path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for seed, fragment in [
        ("nosuchseed", "unknown seed"),
        ("generate:1x2", "bad generator spec"),
        (str(broken), "not valid JSON"),
    ]:
        try:
            build_tenant(seed)
        except SeedError as exc:
            assert fragment in str(exc)
            assert "\n" not in str(exc)
        else:
            raise AssertionError(f"{seed} was accepted")


def test_generated_tenant_has_the_requested_size() -> None:
    tenant = build_tenant("generate:5x10x2x3")
    assert len(tenant.subscriptions) == 5
    assert len(tenant.registries) == 50
    assert len(tenant.vnets) == 10
    assert len(tenant.subnets) == 30
    assert len(set(tenant.vantages.values())) == 30
