"""The emulator's answers checked against Azure's own REST description: the spec definitions'
required properties, types and enums (tests/spec/*_definitions.json), and the shapes of the
spec examples and recorded CLI traffic (every key they show, with the same JSON type)."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
import pytest

from acrfence.emulator.seeds import SUB_PLATFORM, SUB_PRODUCTION

SPEC = Path(__file__).parent / "spec"
RG = f"/subscriptions/{SUB_PRODUCTION}/resourceGroups"
REGISTRY = (
    f"{RG}/myResourceGroup/providers/Microsoft.ContainerRegistry/registries/mycontainerregistry"
)
PLATFORM = (
    f"/subscriptions/{SUB_PLATFORM}/resourceGroups/platform-rg/providers/"
    "Microsoft.ContainerRegistry/registries/platformacr"
)
VNET = f"{RG}/app-rg/providers/Microsoft.Network/virtualNetworks/app-vnet"
_TYPES = {"string": str, "boolean": bool, "array": list, "object": dict, "integer": int}


def _load(name: str) -> dict:
    return json.loads((SPEC / name).read_text())


class SchemaChecker:
    """Checks a JSON value against a swagger definition: required, type, enum, items, $ref,
    allOf, nested properties. Returns a list of problems (paths)."""

    def __init__(self, document: dict, tolerated: dict[str, set[str]] | None = None) -> None:
        self.definitions = document["definitions"]
        self.tolerated = tolerated or {}

    def _resolve(self, schema: dict) -> tuple[str | None, dict]:
        name = None
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = {**self.definitions[name], **{k: v for k, v in schema.items() if k != "$ref"}}
        properties = dict(schema.get("properties", {}))
        required = list(schema.get("required", []))
        for parent in schema.get("allOf", []):
            _, resolved = self._resolve(parent)
            properties = {**resolved.get("properties", {}), **properties}
            required += resolved.get("required", [])
        return name, {**schema, "properties": properties, "required": required}

    def check(self, value: object, schema: dict, path: str = "$") -> list[str]:
        name, schema = self._resolve(schema)
        problems = []
        expected = schema.get("type")
        if value is None:
            return problems  # ARM sends null for unset optional values (e.g. "status")
        if expected in _TYPES and not isinstance(value, _TYPES[expected]):
            return [f"{path}: expected {expected}, got {type(value).__name__}"]
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{path}: {value!r} not in {schema['enum']}")
        if isinstance(value, dict):
            for key in schema["required"]:
                if key not in value and key not in self.tolerated.get(name or "", set()):
                    problems.append(f"{path}: required '{key}' missing")
            for key, sub in schema["properties"].items():
                if key in value:
                    problems += self.check(value[key], sub, f"{path}.{key}")
        if isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                problems += self.check(item, schema["items"], f"{path}[{index}]")
        return problems


def shape_problems(example: object, ours: object, path: str = "$") -> list[str]:
    """Every key the example shows is in ours with the same JSON type (tags' keys excepted)."""
    if example is None or ours is None:
        return []
    if type(example) is not type(ours) and not (
        isinstance(example, int | float) and isinstance(ours, int | float)
    ):
        return [f"{path}: example has {type(example).__name__}, ours {type(ours).__name__}"]
    problems = []
    if isinstance(example, dict):
        for key, value in example.items():
            if key not in ours:
                problems.append(f"{path}: missing '{key}'")
            elif key != "tags":
                problems += shape_problems(value, ours[key], f"{path}.{key}")
    if isinstance(example, list) and example and ours:
        problems += shape_problems(example[0], ours[0], f"{path}[0]")
    return problems


async def arm_get(handle, path: str, version: str) -> dict:
    context = ssl.create_default_context(cafile=handle.ca_cert)
    async with httpx.AsyncClient(verify=context) as client:
        response = await client.get(
            f"{handle.arm_endpoint}{path}",
            params={"api-version": version},
            headers={"Authorization": f"Bearer {handle.token}"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


ACR_DEFS = "containerregistry_2021-08-01-preview_definitions.json"
NET_DEFS = "network_2024-05-01_virtualNetwork_definitions.json"
SUB_DEFS = "resources_2022-12-01_subscriptions_definitions.json"


@pytest.mark.parametrize(
    ("definitions", "definition", "path", "version"),
    [
        (ACR_DEFS, "RegistryListResult",
         f"/subscriptions/{SUB_PRODUCTION}/providers/Microsoft.ContainerRegistry/registries",
         "2021-08-01-preview"),
        (ACR_DEFS, "Registry", REGISTRY, "2021-08-01-preview"),
        (ACR_DEFS, "Registry", PLATFORM, "2025-11-01"),
        (ACR_DEFS, "PrivateEndpointConnectionListResult",
         f"{PLATFORM}/privateEndpointConnections", "2025-11-01"),
        (NET_DEFS, "VirtualNetworkListResult",
         f"/subscriptions/{SUB_PRODUCTION}/providers/Microsoft.Network/virtualNetworks",
         "2024-05-01"),
        (NET_DEFS, "VirtualNetwork", VNET, "2026-03-01"),
        (NET_DEFS, "SubnetListResult", f"{VNET}/subnets", "2024-05-01"),
        (NET_DEFS, "Subnet", f"{VNET}/subnets/workers", "2024-05-01"),
        (SUB_DEFS, "SubscriptionListResult", "/subscriptions", "2022-12-01"),
    ],
)  # fmt: skip
async def test_responses_match_the_spec_definitions(
    emulator, definitions, definition, path, version
) -> None:
    # The live service answers virtualNetworkSubnetResourceId where the 2021 spec says id.
    checker = SchemaChecker(_load(definitions), tolerated={"VirtualNetworkRule": {"id"}})
    body = await arm_get(emulator, path, version)
    problems = checker.check(body, {"$ref": f"#/definitions/{definition}"})
    assert problems == []


async def test_vnet_rules_carry_a_subnet_id_under_either_name(emulator) -> None:
    body = await arm_get(emulator, PLATFORM, "2021-08-01-preview")
    for rule in body["properties"]["networkRuleSet"]["virtualNetworkRules"]:
        assert isinstance(rule.get("virtualNetworkSubnetResourceId") or rule.get("id"), str)


@pytest.mark.parametrize(
    ("example", "path", "version", "pick"),
    [
        ("acr_2025-11-01_RegistryList.json",
         f"/subscriptions/{SUB_PRODUCTION}/providers/Microsoft.ContainerRegistry/registries",
         "2025-11-01", lambda e: e["responses"]["200"]["body"]),
        ("acr_2025-11-01_RegistryUpdate.json", REGISTRY, "2025-11-01",
         lambda e: e["responses"]["200"]["body"]),
        ("acr_2026-09-01-preview_RegistryGet.json", REGISTRY, "2026-09-01-preview",
         lambda e: e["responses"]["200"]["body"]),
        ("acr_2025-11-01_PrivateEndpointConnectionGet.json",
         f"{PLATFORM}/privateEndpointConnections/platformacr-pe.conn", "2025-11-01",
         lambda e: e["responses"]["200"]["body"]),
        ("network_2024-05-01_VirtualNetworkList.json",
         f"{RG}/app-rg/providers/Microsoft.Network/virtualNetworks", "2024-05-01",
         lambda e: e["responses"]["200"]["body"]),
        ("network_2024-05-01_SubnetCreateServiceEndpoint.json", f"{VNET}/subnets/workers",
         "2024-05-01", lambda e: e["responses"]["200"]["body"]),
        ("resources_2022-12-01_GetSubscriptions.json", "/subscriptions", "2022-12-01",
         lambda e: {k: v for k, v in e["responses"]["200"]["body"].items() if k != "nextLink"}),
        ("cli_recording_acr_network_rule_2021-08-01-preview.json", REGISTRY,
         "2021-08-01-preview", lambda e: e["interactions"][2]["response"]["body"]),
        ("cli_recording_network_subnet_service_endpoint_2021-08-01.json",
         f"{VNET}/subnets/build-agents", "2021-08-01",
         lambda e: e["interactions"][6]["response"]["body"]),
    ],
)  # fmt: skip
async def test_responses_have_the_examples_shape(emulator, example, path, version, pick) -> None:
    expected = pick(_load(example))
    ours = await arm_get(emulator, path, version)
    if "value" in expected and "value" not in ours:
        ours = {"value": [ours]}
    assert shape_problems(expected, ours) == []


def test_checker_catches_what_it_should() -> None:
    checker = SchemaChecker(_load(ACR_DEFS))
    bad = {"location": "westus", "sku": {"name": "Gold"},
           "properties": {"networkRuleSet": {"ipRules": [{"action": "Allow"}]},
                          "adminUserEnabled": "no"}}  # fmt: skip
    problems = checker.check(bad, {"$ref": "#/definitions/Registry"})
    assert any("'Gold'" in p for p in problems)
    assert any("required 'defaultAction'" in p for p in problems)
    assert any("required 'value'" in p for p in problems)
    assert any("adminUserEnabled: expected boolean" in p for p in problems)
    assert shape_problems({"a": {"b": 1}}, {"a": {}}) == ["$.a: missing 'b'"]
