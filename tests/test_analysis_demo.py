"""Analysis on tenants loaded through the real services from the emulator, over HTTPS.

The demo tenant's awkward cases must each produce their finding; a second, JSON-seeded tenant
holds the cases the demo doesn't; and every firewall answer analysis is sure of is checked
against the emulator's data plane, which decides on its own from the REST contract.
"""

from __future__ import annotations

import json
from collections import defaultdict

from demo_tenant import DEMO_FINDINGS

from acrfence.emulator.dns_answers import answer
from acrfence.emulator.resources import (
    make_private_endpoint_connection,
    make_registry,
    make_subnet,
    make_vnet,
)
from acrfence.emulator.state import CONTAINER_REGISTRY, Subscription, Tenant
from acrfence.emulator.tenant_json import tenant_to_json
from acrfence.services.analysis import effective_access, expected_access, find_findings
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from helpers import dataplane_client


async def _load(handle):
    async with AzureClients(Target.from_env(handle.env)) as clients:
        return await InventoryService(clients).load()


def _codes_by_registry(inventory) -> dict[str, set[str]]:
    names = {r.key: r.name for r in inventory.registries}
    found: dict[str, set[str]] = defaultdict(set)
    for finding in find_findings(inventory):
        if finding.registry_id:
            found[names[finding.registry_id.casefold()]].add(finding.code)
    return found


async def test_every_demo_case_produces_its_finding(emulator) -> None:
    inventory = await _load(emulator)
    found = _codes_by_registry(inventory)
    assert {r.name for r in inventory.registries} == set(DEMO_FINDINGS)
    for name, expected in DEMO_FINDINGS.items():
        assert found.get(name, set()) == expected, name

    by_name = {r.name: r for r in inventory.registries}
    scenario = effective_access(by_name["mycontainerregistry"], inventory)
    assert scenario.headline == "Open to the internet (default action Allow)"
    dangling = effective_access(by_name["contosodangling"], inventory)
    assert dangling.headline == "Deny by default; reachable from app-vnet/build-agents"


async def test_expectations_agree_with_the_emulators_data_plane(emulator) -> None:
    inventory = await _load(emulator)
    sure = 0
    for vantage in emulator.info["vantages"]:
        if vantage == "internet":
            public_ip, subnet_id = emulator.info["public_ip"], None
        else:
            public_ip, subnet_id = emulator.state.nat_ips[vantage.casefold()], vantage
        for registry in inventory.registries:
            expectation = expected_access(
                registry, inventory, public_ip=public_ip, subnet_id=subnet_id
            )
            if not expectation.certain:
                continue
            # Connect where the vantage's own DNS sends it: a private endpoint's address when a
            # zone linked to its network holds the name, else the public endpoint.
            async with dataplane_client(
                emulator, vantage, _private_address(emulator, vantage, registry.login_server)
            ) as client:
                response = await client.get(f"https://{registry.login_server}/v2/")
            assert response.status_code in (401, 403), response.text
            seen = response.status_code == 401
            assert seen == expectation.allowed, (registry.name, vantage, expectation)
            sure += 1
    # Nearly every pair is decidable from the configuration; make sure they were compared.
    assert sure >= len(inventory.registries) * (len(emulator.info["vantages"]) - 1)


def _private_address(handle, vantage: str, host: str) -> str | None:
    records = answer(handle.state, handle.vantage(vantage), host).records
    last = records[-1].value if records else ""
    return handle.private_address(last) if last.startswith("10.") else None


def _edge_case_tenant() -> Tenant:
    """What the demo lacks: unused endpoint, rule limits, non-Premium rules, closed registry
    without endpoint, default Allow with rules, malformed and catch-all IP rules."""
    sub = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
    tenant = Tenant()
    tenant.add_subscription(
        Subscription(sub, "Edge cases", providers={CONTAINER_REGISTRY: "Registered"})
    )
    vnet = make_vnet(sub, "edge-rg", "edge-vnet", ["10.0.0.0/8"])
    subnets = [
        make_subnet(vnet, f"s{i:03d}", f"10.{i // 256}.{i % 256}.0/24",
                    service_endpoints=[CONTAINER_REGISTRY])
        for i in range(101)
    ]  # fmt: skip
    vnet["properties"]["subnets"] = subnets
    tenant.add_vnet(vnet)
    ids = [s["id"] for s in subnets]

    def add(name: str, **kwargs) -> dict:
        registry = make_registry(sub, "edge-rg", name, **kwargs)
        tenant.add_registry(registry)
        return registry

    # Tasks let through on the Deny registries: tasks-bypass-disabled has its own case in the demo.
    add("edgefull", default_action="Deny", subnet_rules=ids[:100], tasks_bypass=True)
    add("edgenear", default_action="Deny", subnet_rules=ids[:95], tasks_bypass=True)
    add("edgestandard", sku="Standard", default_action="Deny", ip_rules=["203.0.113.9"])
    add("edgeallow", default_action="Allow", ip_rules=["203.0.113.9"])
    add("edgeips", default_action="Deny", ip_rules=["not-an-ip", "0.0.0.0/0"], tasks_bypass=True)
    closed = add("edgeclosed", public_network_access="Disabled")
    closed["properties"]["privateEndpointConnections"] = [
        make_private_endpoint_connection(
            closed, "edgeclosed-pe.conn", f"{vnet['id']}/../privateEndpoints/pe", "Pending"
        )
    ]
    tenant.add_registry(closed)
    return tenant  # ids[100] has the endpoint and no rule names it


async def test_edge_cases_the_demo_lacks(make_emulator, tmp_path) -> None:
    seed = tmp_path / "edge.json"
    seed.write_text(json.dumps(tenant_to_json(_edge_case_tenant())))
    inventory = await _load(make_emulator(seed=str(seed)))
    found = _codes_by_registry(inventory)
    assert found["edgefull"] == {"vnet-rules-at-limit"}
    assert found["edgenear"] == {"vnet-rules-near-limit"}
    assert found["edgestandard"] == {"rules-on-non-premium"}
    assert found["edgeallow"] == {"default-allow-with-rules"}
    assert found["edgeips"] == {"ip-rule-malformed", "ip-rule-allows-everything"}
    assert found["edgeclosed"] == {"public-access-disabled-no-private-endpoint"}
    unused = [f for f in find_findings(inventory) if f.code == "subnet-endpoint-unused"]
    assert [f.subnet_id.rsplit("/", 1)[1] for f in unused] == ["s100"]
