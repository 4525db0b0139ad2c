"""The emulator's DNS server answers per vantage over real UDP and TCP sockets, and the data
plane tells the private endpoint path from the public one."""

from __future__ import annotations

import dns.asyncquery
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from acrfence.emulator.dns_answers import public_frontend_address
from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.probe.dns_server import dns_server_resolver
from helpers import dataplane_client, private_link_for

APP_VNET = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg/providers/Microsoft.Network"
    "/virtualNetworks/app-vnet"
)
WORKERS = f"{APP_VNET}/subnets/workers"
TUTORIAL_SUBNET = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers/"
    "Microsoft.Network/virtualNetworks/myDockerVMVNET/subnets/myDockerVMSubnet"
)
LOGIN = "mycontainerregistry.azurecr.io"
REGISTRY_ID = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers/"
    "Microsoft.ContainerRegistry/registries/mycontainerregistry"
)


def _chain(response: dns.message.Message) -> list[str]:
    return [
        f"{dns.rdatatype.to_text(rrset.rdtype)} {rdata.to_text().rstrip('.')}"
        for rrset in response.answer
        for rdata in rrset
    ]


async def test_a_linked_vantage_gets_the_private_ip_over_udp_and_tcp(emulator) -> None:
    addresses = await private_link_for(emulator)
    private_ip = addresses[LOGIN]
    host, port = emulator.dns_server
    query = dns.message.make_query(LOGIN, "A")
    linked = emulator.vantage(WORKERS)  # app-vnet: linked to the zone
    over_udp = await dns.asyncquery.udp(query, host, port=port, source=linked, timeout=5)
    over_tcp = await dns.asyncquery.tcp(query, host, port=port, source=linked, timeout=5)
    expected = ["CNAME mycontainerregistry.privatelink.azurecr.io", f"A {private_ip}"]
    assert _chain(over_udp) == expected
    assert _chain(over_tcp) == expected

    # Not linked (the tutorial's network) and the internet: public DNS, still via the CNAME
    # because the registry has a private endpoint now.
    public = f"A {public_frontend_address('westus')}"
    for vantage in (TUTORIAL_SUBNET, "internet"):
        source = emulator.vantage(vantage)
        answer = await dns.asyncquery.udp(query, host, port=port, source=source, timeout=5)
        assert _chain(answer) == ["CNAME mycontainerregistry.privatelink.azurecr.io", public]

    # The data endpoint has its own record and address.
    data = await dns_server_resolver(emulator.dns_server, linked).chain(
        "mycontainerregistry.westus.data.azurecr.io"
    )
    assert data.addresses == (addresses["mycontainerregistry.westus.data.azurecr.io"],)
    assert emulator.private_addresses()[private_ip] == emulator.private_address(private_ip)


async def test_unknown_and_foreign_names(emulator) -> None:
    host, port = emulator.dns_server
    source = emulator.vantage(WORKERS)
    for name, rcode in (
        ("nosuchregistry.azurecr.io", dns.rcode.NXDOMAIN),
        ("example.com", dns.rcode.REFUSED),
    ):
        query = dns.message.make_query(name, "A")
        for ask in (dns.asyncquery.udp, dns.asyncquery.tcp):
            response = await ask(query, host, port=port, source=source, timeout=5)
            assert response.rcode() == rcode
            assert response.answer == []
    # No private endpoint: public DNS answers the login server directly, no CNAME.
    chain = await dns_server_resolver(emulator.dns_server, source).chain("contosolocked.azurecr.io")
    assert [str(link) for link in chain.links] == [f"A {public_frontend_address('westus')}"]


async def test_a_linked_zone_without_the_record_is_nxdomain(emulator) -> None:
    await private_link_for(emulator)
    # contosoiprules has no endpoint: public DNS, even from the linked network.
    resolver = dns_server_resolver(emulator.dns_server, emulator.vantage(WORKERS))
    assert (await resolver.chain("contosoiprules.azurecr.io")).rcode == "NOERROR"
    # A name under privatelink.azurecr.io the zone doesn't hold: the zone is authoritative.
    missing = await resolver.chain("contosoiprules.privatelink.azurecr.io")
    assert missing.rcode == "NXDOMAIN"


async def test_private_endpoint_path_ignores_public_access_and_firewall(emulator) -> None:
    addresses = await private_link_for(emulator)
    loopback = emulator.private_address(addresses[LOGIN])
    assert loopback in emulator.listening_private_addresses()

    def lock(registry: dict) -> None:
        registry["properties"]["publicNetworkAccess"] = "Disabled"
        registry["properties"]["networkRuleSet"] = {"defaultAction": "Deny", "ipRules": []}

    emulator.state.update_registry(REGISTRY_ID, lock)
    url = f"https://{LOGIN}/v2/"
    async with dataplane_client(emulator, WORKERS, address=loopback) as client:
        private = await client.get(url)
    async with dataplane_client(emulator, WORKERS) as client:
        public = await client.get(url)
    assert private.status_code == 401  # let in: ACR's challenge
    assert public.status_code == 403
    assert public.json()["errors"][0]["code"] == "DENIED"

    # Deny with an IP rule that doesn't match: still in through the endpoint.
    def open_public(registry: dict) -> None:
        registry["properties"]["publicNetworkAccess"] = "Enabled"
        registry["properties"]["networkRuleSet"]["ipRules"] = [
            {"action": "Allow", "value": "192.0.2.99"}
        ]

    emulator.state.update_registry(REGISTRY_ID, open_public)
    async with dataplane_client(emulator, TUTORIAL_SUBNET, address=loopback) as client:
        assert (await client.get(url)).status_code == 401
    async with dataplane_client(emulator, TUTORIAL_SUBNET) as client:
        assert (await client.get(url)).status_code == 403

    # Another registry's name at this endpoint's address: refused, naming the private IP.
    async with dataplane_client(emulator, WORKERS, address=loopback) as client:
        other = await client.get("https://contosolocked.azurecr.io/v2/")
    assert other.status_code == 403
    assert "10.1." in other.json()["errors"][0]["message"]


async def test_a_large_answer_is_truncated_over_udp_and_the_resolver_retries_over_tcp(
    emulator,
) -> None:
    from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

    from helpers import PRIVATE_LINK_ZONE, StaticTokenCredential, sdk_kwargs

    await private_link_for(emulator)
    many = [f"10.1.8.{i}" for i in range(100, 160)]
    client = PrivateDnsManagementClient(
        StaticTokenCredential(emulator.token), SUB_PRODUCTION, **sdk_kwargs(emulator)
    )
    async with client:
        await client.record_sets.create_or_update(
            "app-rg", PRIVATE_LINK_ZONE, "A", "mycontainerregistry",
            {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": ip} for ip in many]}},
        )  # fmt: skip
    host, port = emulator.dns_server
    source = emulator.vantage(WORKERS)
    query = dns.message.make_query(LOGIN, "A")
    over_udp = await dns.asyncquery.udp(query, host, port=port, source=source, timeout=5)
    assert over_udp.flags & dns.flags.TC and over_udp.answer == []
    chain = await dns_server_resolver(emulator.dns_server, source).chain(LOGIN)
    assert sorted(chain.addresses) == sorted(many)  # an RRset has no order
    assert emulator.info["dns"] == f"{host}:{port}"
