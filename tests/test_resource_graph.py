"""Azure Resource Graph: the emulator's query subset (with Resource Graph's paging, quota
headers and error shape), driven by the real azure-mgmt-resourcegraph client, and the fleet
inventory built from it matching the ARM path's."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resourcegraph.aio import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from acrfence.emulator.resource_graph import GraphQuota, parse_query
from acrfence.services.analysis.findings import find_findings
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.graph_coverage import (
    unread_rules_count,
    unread_rules_note,
    virtual_network_rules_unread,
)
from acrfence.services.inventory import InventoryService
from acrfence.services.resource_graph import (
    GRAPH_SOURCE,
    REGISTRY_QUERY,
    ResourceGraphInventory,
    needs_preview_read,
)
from helpers import StaticTokenCredential, rule_under_default_allow, sdk_kwargs

ROOT = Path(__file__).resolve().parent.parent


def clients_for(handle) -> AzureClients:
    return AzureClients(Target.from_env(handle.env), polling_interval=0.02)


async def _query(handle, query: str, subscriptions: list[str], **options):
    """Through Microsoft's own Resource Graph client, unchanged."""
    credential = StaticTokenCredential(handle.token)
    async with ResourceGraphClient(credential, **sdk_kwargs(handle)) as client:
        return await client.resources(
            QueryRequest(
                subscriptions=subscriptions,
                query=query,
                options=QueryRequestOptions(**options),
            ),
            cls=lambda pipeline, body, _: (body, dict(pipeline.http_response.headers)),
        )


def _subscriptions(handle) -> list[str]:
    with handle.state.lock:
        return [s.subscription_id for s in handle.state.subscriptions.values() if s.accessible]


async def test_registries_come_back_as_resource_graph_rows_without_vnet_rules(emulator) -> None:
    body, headers = await _query(
        emulator,
        "Resources | where type =~ 'Microsoft.ContainerRegistry/registries' "
        "and name == 'mycontainerregistry' | project id, name, type, sku, properties",
        _subscriptions(emulator),
    )
    assert body.total_records == 1 and body.count == 1
    (row,) = body.data
    assert set(row) == {"id", "name", "type", "sku", "properties"}
    assert row["type"] == "microsoft.containerregistry/registries"
    # The stable API's view: Resource Graph never shows virtual network rules.
    assert "virtualNetworkRules" not in (row["properties"].get("networkRuleSet") or {})
    assert int(headers["x-ms-user-quota-remaining"]) == 14
    assert headers["x-ms-user-quota-resets-after"].count(":") == 2


async def test_rows_page_with_a_skip_token_until_the_last(make_emulator) -> None:
    handle = make_emulator(seed="generate:3x40x1x1")
    subscriptions = _subscriptions(handle)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        body, _ = await _query(
            handle,
            "Resources | where type =~ 'microsoft.containerregistry/registries' | project id",
            subscriptions,
            top=50,
            skip_token=token,
        )
        pages += 1
        seen += [row["id"] for row in body.data]
        token = body.skip_token
        if not token:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert body.total_records == 120


@pytest.mark.parametrize(
    "query",
    [
        "Resources | summarize count() by type",
        "Resources | where type contains 'registries'",
        "SecurityResources | where type =~ 'x'",
        "Resources | extend x = 1",
    ],
)
async def test_anything_outside_the_subset_is_refused_in_resource_graphs_words(
    emulator, query
) -> None:
    with pytest.raises(HttpResponseError) as refused:
        await _query(emulator, query, _subscriptions(emulator))
    assert refused.value.status_code == 400
    error = json.loads(refused.value.response.text())["error"]
    assert error["code"] == "BadRequest"
    assert error["details"][0]["code"] == "InvalidQuery"


async def test_the_query_quota_runs_out_with_a_429_and_its_headers(emulator) -> None:
    emulator_quota: GraphQuota = emulator.resource_graph.quota
    emulator_quota.limit = 2
    body = {"subscriptions": _subscriptions(emulator), "query": "Resources | project id"}
    url = (
        f"{emulator.arm_endpoint}/providers/Microsoft.ResourceGraph/resources"
        "?api-version=2021-03-01"
    )
    auth = {"Authorization": f"Bearer {emulator.token}"}
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=emulator.ca_cert)) as c:
        answers = [await c.post(url, json=body, headers=auth) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["x-ms-user-quota-remaining"] for a in answers] == ["1", "0", "0"]
    assert answers[2].json()["error"]["code"] == "RateLimiting"
    assert int(answers[2].headers["Retry-After"]) >= 1


def test_the_subset_parses_and_refuses() -> None:
    parsed = parse_query(REGISTRY_QUERY)
    assert parsed.order == ("id", False)
    assert [name for name, _ in parsed.projection] == [
        "id", "name", "type", "location", "sku", "tags", "properties", "subscriptionId",
        "resourceGroup",
    ]  # fmt: skip


async def test_the_fleet_inventory_matches_the_arm_path(emulator) -> None:
    async with clients_for(emulator) as clients:
        arm = InventoryService(clients)
        by_arm = await arm.load()
        graph = ResourceGraphInventory(arm)
        by_graph = await graph.load()
    assert by_graph.subscriptions == by_arm.subscriptions
    # Registries whose rules don't matter say where they were read; the rest match exactly.
    assert len(by_graph.registries) == len(by_arm.registries)
    for graph_read, arm_read in zip(by_graph.registries, by_arm.registries, strict=True):
        assert replace(graph_read, api_version=None) == replace(arm_read, api_version=None)
        wanted = arm_read.api_version if needs_preview_read(arm_read) else GRAPH_SOURCE
        assert graph_read.api_version == wanted
    # Resource Graph has no etag column; every write reads its resource fresh anyway.
    assert by_graph.virtual_networks == tuple(
        replace(v, etag=None) for v in by_arm.virtual_networks
    )
    # Only the registries whose rules matter were read again through ARM.
    assert 0 < graph.preview_reads < len(by_arm.registries)
    assert graph.preview_reads == sum(needs_preview_read(r) for r in by_arm.registries)


async def test_the_fleet_inventory_waits_for_the_quota_instead_of_failing(make_emulator) -> None:
    handle = make_emulator(seed="generate:2x30x1x1")
    quota: GraphQuota = handle.resource_graph.quota
    quota.limit, quota.window_s = 3, 1.0
    async with clients_for(handle) as clients:
        arm = InventoryService(clients)
        graph = ResourceGraphInventory(arm)
        # Pages of 1000 rows: 3 queries (registries, networks, private endpoints); a fourth
        # would exceed it.
        inventory = await graph.load()
        again = await graph.load()
    assert len(inventory.registries) == len(again.registries) == 60
    assert graph.quota_waits >= 1
    assert quota.throttled == 0


async def test_the_fleet_pass_counts_the_premium_registries_whose_rules_it_did_not_read(
    emulator,
) -> None:
    await rule_under_default_allow(emulator)
    async with clients_for(emulator) as clients:
        by_arm = await InventoryService(clients).load()
        by_graph = await ResourceGraphInventory(InventoryService(clients)).load()
    name = "mycontainerregistry"
    # ARM reads the rule and finds it does nothing; Resource Graph's view has no rules at all.
    arm_read = next(r for r in by_arm.registries if r.name == name)
    graph_read = next(r for r in by_graph.registries if r.name == name)
    assert arm_read.rules.virtual_network_rules and not graph_read.rules.virtual_network_rules
    assert virtual_network_rules_unread(graph_read) and not virtual_network_rules_unread(arm_read)
    missed = {(f.code, f.registry_id) for f in find_findings(by_arm)} - {
        (f.code, f.registry_id) for f in find_findings(by_graph)
    }
    # What only its rules show goes unfound: that they do nothing, that a subnet lacks its
    # endpoint (under default Allow, moot until someone sets Deny).
    assert {code for code, _ in missed} == {
        "default-allow-with-rules",
        "rule-subnet-missing-endpoint",
    }
    assert {registry_id for _, registry_id in missed} == {arm_read.id}
    # Counted: every Premium registry not read again (default Allow, no IP rules), only those.
    unread = [r.name for r in by_arm.registries if r.sku == "Premium" and not needs_preview_read(r)]
    assert unread == [name]
    assert unread_rules_count(by_graph.registries) == 1
    assert unread_rules_count(by_arm.registries) == 0
    note = unread_rules_note(1)
    assert note is not None and "1 Premium registry with default Allow" in note
    assert unread_rules_note(0) is None


def test_inventory_command_via_resource_graph(emulator) -> None:
    asyncio.run(rule_under_default_allow(emulator))
    env = {**os.environ, **emulator.env}
    run = subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", "inventory", "--via", "resource-graph",
         "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["source"] == "resource-graph"
    names = {r["name"] for r in document["registries"]}
    assert "mycontainerregistry" in names
    # What the pass left out, for a script: mycontainerregistry's rule was not read.
    coverage = document["resource_graph"]
    assert coverage["premium_registries_virtual_network_rules_not_read"] == 1
    assert "no virtual network rules" in coverage["why"]
    mine = next(r for r in document["registries"] if r["name"] == "mycontainerregistry")
    assert mine["virtual_network_rules"] == [] and mine["registry_api_version"] == GRAPH_SOURCE
    text = subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", "inventory", "--via", "resource-graph"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "can lag Azure" in text.stdout
    assert "Virtual network rules not read for 1 Premium registry with default Allow" in (
        text.stdout
    )
    by_arm = subprocess.run(
        [sys.executable, "-m", "acrfence.tui.cli", "inventory", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "resource_graph" not in json.loads(by_arm.stdout)


async def test_networks_paged_a_row_at_a_time_still_match_the_arm_path(
    make_emulator, monkeypatch
) -> None:
    """Networks come in smaller pages than registries (a network's row carries its
    subnets); a subscription whose networks span pages is still shown whole."""
    from acrfence.services import resource_graph

    monkeypatch.setattr(resource_graph, "NETWORK_ROWS_PER_PAGE", 1)
    handle = make_emulator(seed="generate:3x2x3x2")
    async with clients_for(handle) as clients:
        arm = InventoryService(clients)
        by_arm = await arm.load()
        by_graph = await ResourceGraphInventory(arm).load()
    assert len(by_graph.virtual_networks) == 9
    assert by_graph.virtual_networks == tuple(
        replace(v, etag=None) for v in by_arm.virtual_networks
    )
