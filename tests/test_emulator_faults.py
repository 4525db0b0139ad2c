"""Fault injection, in-process and over the admin route, seen through the real SDK clients."""

from __future__ import annotations

import ssl

import httpx
import pytest
from azure.core.exceptions import HttpResponseError

from acrfence.emulator.faults import matches
from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import RG, SUBNET_ID, acr, network

REGISTRY = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/{RG}/providers/"
    "Microsoft.ContainerRegistry/registries/mycontainerregistry"
)


async def test_sdk_rides_out_throttling_and_server_errors(emulator) -> None:
    emulator.faults.throttle(count=1, retry_after=0, match="GET /registries/mycontainerregistry")
    emulator.faults.server_error(count=2, status=503, match="GET /registries/mycontainerregistry")
    # Three faulted answers in a row: within the SDK's default three status retries.
    async with acr(emulator) as client:
        registry = await client.registries.get(RG, "mycontainerregistry")
    assert registry.name == "mycontainerregistry"
    assert emulator.faults.take_counted("GET", REGISTRY) is None  # all used up


async def test_throttle_answer_carries_retry_after(emulator) -> None:
    emulator.faults.throttle(count=1, retry_after=7, match="/subscriptions")
    context = ssl.create_default_context(cafile=emulator.ca_cert)
    async with httpx.AsyncClient(verify=context) as client:
        response = await client.get(
            f"{emulator.arm_endpoint}/subscriptions",
            params={"api-version": "2022-12-01"},
            headers={"Authorization": f"Bearer {emulator.token}"},
        )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "TooManyRequests"


async def test_failed_lro_is_surfaced_and_changes_nothing(emulator) -> None:
    before = emulator.state.get_subnet(SUBNET_ID)
    emulator.faults.fail_next_lro(code="InternalServerError")
    async with network(emulator) as client:
        subnet = await client.subnets.get(RG, "myDockerVMVNET", "myDockerVMSubnet")
        subnet.service_endpoints = [{"service": "Microsoft.ContainerRegistry"}]
        poller = await client.subnets.begin_create_or_update(
            RG, "myDockerVMVNET", "myDockerVMSubnet", subnet
        )
        with pytest.raises(HttpResponseError) as failure:
            await poller.result()
    assert "InternalServerError" in str(failure.value)
    assert emulator.state.get_subnet(SUBNET_ID) == before


async def test_conflict_is_a_409(emulator) -> None:
    emulator.faults.conflict(count=1, match="PATCH /registries/")
    body = {"properties": {"networkRuleSet": {"defaultAction": "Deny"}}}
    async with acr(emulator) as client:
        with pytest.raises(HttpResponseError) as failure:
            await (await client.registries.begin_update(RG, "mycontainerregistry", body)).result()
    assert failure.value.status_code == 409
    assert failure.value.error.code == "AnotherOperationInProgress"
    assert (
        emulator.state.get_registry(REGISTRY)["properties"]["networkRuleSet"]["defaultAction"]
        == "Allow"
    )


async def test_concurrent_writer_changes_the_subnet_right_after_a_get(emulator) -> None:
    emulator.faults.concurrent_writer(
        SUBNET_ID,
        {"op": "add_service_endpoint", "subnet": SUBNET_ID, "service": "Microsoft.Storage"},
    )
    async with network(emulator) as client:
        read = await client.subnets.get(RG, "myDockerVMVNET", "myDockerVMSubnet")
        reread = await client.subnets.get(RG, "myDockerVMVNET", "myDockerVMSubnet")
    assert not read.service_endpoints
    assert [e.service for e in reread.service_endpoints] == ["Microsoft.Storage"]
    assert reread.etag != read.etag


async def test_admin_route_switches_faults_on_and_needs_the_token(emulator) -> None:
    context = ssl.create_default_context(cafile=emulator.ca_cert)
    spec = {
        "fault": "concurrent_writer",
        "resource_id": REGISTRY,
        "mutation": {"op": "add_ip_rule", "registry": REGISTRY, "value": "198.51.100.7"},
    }
    async with httpx.AsyncClient(verify=context, base_url=emulator.arm_endpoint) as client:
        anonymous = await client.post("/_emulator/faults", json=spec)
        applied = await client.post(
            "/_emulator/faults", json=spec, headers={"Authorization": f"Bearer {emulator.token}"}
        )
        bad = await client.post(
            "/_emulator/faults",
            json={"fault": "earthquake"},
            headers={"Authorization": f"Bearer {emulator.token}"},
        )
    assert anonymous.status_code == 401
    assert applied.status_code == 200
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidFault"
    async with acr(emulator) as client:
        first = await client.registries.get(RG, "mycontainerregistry")
        second = await client.registries.get(RG, "mycontainerregistry")
    assert first.network_rule_set.ip_rules == []
    assert [r.ip_address_or_range for r in second.network_rule_set.ip_rules] == ["198.51.100.7"]


def test_match_filters_by_method_and_path_fragment() -> None:
    assert matches(None, "GET", "/anything")
    assert matches("PUT /subnets/", "put", "/x/SUBNETS/y")
    assert not matches("PUT /subnets/", "GET", "/x/subnets/y")
    assert matches("/registries", "PATCH", "/a/registries/b")
    assert not matches("/registries", "GET", "/a/virtualNetworks")


def test_latency_sums_matching_rules(emulator) -> None:
    emulator.faults.set_latency(20)
    emulator.faults.set_latency(30, match="GET /subnets")
    assert emulator.faults.latency_ms("GET", "/v/subnets/s") == 50
    assert emulator.faults.latency_ms("PUT", "/v/subnets/s") == 20
    emulator.faults.clear()
    assert emulator.faults.latency_ms("GET", "/v/subnets/s") == 0
