"""The ACR data plane over real HTTPS with httpx, from the internet and from subnet vantages,
after setting up a lockdown through ARM with the real SDK clients."""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path

import pytest

from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION
from acrfence.emulator.state import CLOCK
from helpers import PREVIEW, RG, SUBNET_ID, acr, dataplane_client, lock_down

REFERENCE = Path(__file__).parent / "spec" / "acr_dataplane_auth_and_errors.json"
LOGIN = "https://mycontainerregistry.azurecr.io"
APP_VNET = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg/providers/Microsoft.Network"
    "/virtualNetworks/app-vnet"
)


async def test_open_registry_answers_the_exact_challenge(emulator) -> None:
    reference = json.loads(REFERENCE.read_text())["challenge_v2_unauthenticated"]
    async with dataplane_client(emulator) as client:
        response = await client.get(f"{LOGIN}/v2/")
    assert response.status_code == 401
    assert response.text == reference["body_inferred_from_content_length"]
    assert response.headers["content-length"] == reference["headers"]["Content-Length"]
    expected = reference["headers"]["Www-Authenticate"].replace("<name>", "mycontainerregistry")
    assert response.headers["www-authenticate"] == expected
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"


async def test_lockdown_denies_internet_and_admits_the_subnet(emulator) -> None:
    await lock_down(emulator)
    async with dataplane_client(emulator) as client:
        denied = await client.get(f"{LOGIN}/v2/")
    async with dataplane_client(emulator, SUBNET_ID) as client:
        allowed = await client.get(f"{LOGIN}/v2/")
    assert denied.status_code == 403
    assert "\\u0027203.0.113.10\\u0027" in denied.text
    assert denied.json()["errors"][0] == {
        "code": "DENIED",
        "message": "client with IP '203.0.113.10' is not allowed access. "
        "Refer https://aka.ms/acr/firewall to grant access.",
    }
    assert allowed.status_code == 401


async def test_token_exchange_and_pull_from_the_subnet(emulator) -> None:
    await lock_down(emulator)
    async with dataplane_client(emulator, SUBNET_ID) as client:
        exchange = await client.post(
            f"{LOGIN}/oauth2/exchange",
            data={"grant_type": "access_token", "service": "mycontainerregistry.azurecr.io",
                  "access_token": emulator.token},
        )  # fmt: skip
        refresh = exchange.json()["refresh_token"]
        token = await client.post(
            f"{LOGIN}/oauth2/token",
            data={"grant_type": "refresh_token", "service": "mycontainerregistry.azurecr.io",
                  "scope": "repository:hello-world:pull registry:catalog:*",
                  "refresh_token": refresh},
        )  # fmt: skip
        access = token.json()["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        v2 = await client.get(f"{LOGIN}/v2/", headers=headers)
        catalog = await client.get(f"{LOGIN}/v2/_catalog", headers=headers)
        manifest = await client.get(f"{LOGIN}/v2/hello-world/manifests/latest", headers=headers)
        wrong = await client.post(
            f"{LOGIN}/oauth2/exchange",
            data={"grant_type": "access_token", "access_token": "not-the-token"},
        )
    assert v2.status_code == 200
    assert catalog.json() == {"repositories": ["hello-world", "samples/nginx"]}
    assert manifest.status_code == 200
    assert manifest.json()["schemaVersion"] == 2
    assert manifest.headers["docker-content-digest"].startswith("sha256:")
    assert wrong.status_code == 401


async def test_subnet_without_endpoint_is_denied_by_its_nat_ip(emulator) -> None:
    subnet = f"{APP_VNET}/subnets/aks-nodes"  # has a rule on contosonoendpoint, no endpoint
    async with dataplane_client(emulator, subnet) as client:
        response = await client.get("https://contosonoendpoint.azurecr.io/v2/")
    assert response.status_code == 403
    assert emulator.state.nat_ips[subnet.lower()] in response.json()["errors"][0]["message"]


async def test_private_endpoint_admits_its_vnet_when_public_access_is_disabled(emulator) -> None:
    # The demo's contosoprivate: public access Disabled, in through its private endpoint's
    # address (10.50.3.4, the login server's) from the hub's build agents.
    hub_agents = (
        f"/subscriptions/{SUB_NETWORKING}/resourceGroups/network-rg/providers/Microsoft.Network"
        "/virtualNetworks/hub-vnet/subnets/hub-agents"
    )
    endpoint = emulator.private_address("10.50.3.4")
    async with dataplane_client(emulator, hub_agents, address=endpoint) as client:
        inside = await client.get("https://contosoprivate.azurecr.io/v2/")
    async with dataplane_client(emulator, hub_agents) as client:
        public_path = await client.get("https://contosoprivate.azurecr.io/v2/")
    async with dataplane_client(emulator) as client:
        outside = await client.get("https://contosoprivate.azurecr.io/v2/")
    assert inside.status_code == 401
    assert public_path.status_code == 403  # the same network, but through the public endpoint
    assert outside.status_code == 403


async def test_data_endpoint_host_is_served_and_unknown_hosts_are_404(emulator) -> None:
    ci = (
        f"/subscriptions/{SUB_PLATFORM}/resourceGroups/platform-rg/providers/Microsoft.Network"
        "/virtualNetworks/platform-vnet/subnets/ci"
    )
    async with dataplane_client(emulator, ci) as client:
        data = await client.get("https://platformacr.eastus.data.azurecr.io/v2/")
        unknown = await client.get("https://nosuchregistry.azurecr.io/v2/")
    assert data.status_code == 401
    assert unknown.status_code == 404


async def test_certificate_is_not_valid_for_other_names(emulator) -> None:
    host, port = emulator.registry_endpoint.rsplit(":", 1)
    context = ssl.create_default_context(cafile=emulator.ca_cert)
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncio.open_connection(host, int(port), ssl=context, server_hostname="example.com")
    _, writer = await asyncio.open_connection(
        host, int(port), ssl=context, server_hostname="any.westus.data.azurecr.io"
    )
    writer.close()


async def test_propagation_delay_keeps_the_old_rules_for_a_while(emulator) -> None:
    # The emulator's clock is stepped, not slept past: no race with a busy machine.
    emulator.faults.set_propagation_delay(60)
    await lock_down(emulator)
    async with dataplane_client(emulator) as client:
        early = await client.get(f"{LOGIN}/v2/")
        CLOCK.advance(59)
        still = await client.get(f"{LOGIN}/v2/")
        CLOCK.advance(2)
        late = await client.get(f"{LOGIN}/v2/")
    assert still.status_code == 401
    assert early.status_code == 401
    assert late.status_code == 403


async def test_restore_opens_the_registry_again(emulator) -> None:
    await lock_down(emulator)
    rule_set = {"defaultAction": "Allow", "virtualNetworkRules": [], "ipRules": []}
    body = {"properties": {"networkRuleSet": rule_set}}
    async with acr(emulator, api_version=PREVIEW) as client:
        await (await client.registries.begin_update(RG, "mycontainerregistry", body)).result()
    async with dataplane_client(emulator) as client:
        response = await client.get(f"{LOGIN}/v2/")
    assert response.status_code == 401
