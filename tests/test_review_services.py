"""Review findings: defects in services/ and emulator/ that earlier tests let through."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from acrfence.services.models import parse_resource_id
from helpers import RG, SUBNET_ID, network, patch_error


@pytest.mark.parametrize(
    ("rule_set", "code"),
    [
        ({"virtualNetworkRules": [{"action": "Allow"}]}, "InvalidVirtualNetworkRule"),
        ({"virtualNetworkRules": [{"id": 5}]}, "InvalidVirtualNetworkRule"),
        ([{"defaultAction": "Deny"}], "InvalidRequestContent"),
    ],
)
async def test_malformed_rule_set_is_an_arm_400_not_a_server_crash(emulator, rule_set, code):
    # These used to raise inside the handler: aiohttp answered a bare 500 with no ARM body.
    error, before, after = await patch_error(emulator, "mycontainerregistry", rule_set, rg=RG)
    assert error.status_code == 400
    assert error.error.code == code
    assert after == before


async def test_ipv6_subnet_prefix_outside_an_ipv4_vnet_is_refused_not_a_crash(emulator):
    # subnet_of() between an IPv6 prefix and the IPv4 address space raised TypeError: a 500.
    parsed = parse_resource_id(SUBNET_ID)
    subscription, rg, vnet = parsed.subscription_id, parsed.resource_group, parsed.names[0]
    body = {"properties": {"addressPrefixes": ["fd00::/64"]}}
    async with network(emulator, subscription) as client:
        with pytest.raises(HttpResponseError) as failure:
            await (await client.subnets.begin_create_or_update(rg, vnet, "v6", body)).result()
    assert failure.value.status_code == 400
    assert failure.value.error.code == "NetcfgSubnetRangeOutsideVnet"
    assert emulator.state.get_subnet(f"{SUBNET_ID.rsplit('/', 1)[0]}/v6") is None


def test_rule_set_body_reads_id_and_writes_virtual_network_subnet_resource_id() -> None:
    from acrfence.services.registry_rules import NetworkEdit, _edited_rule_set

    other = SUBNET_ID.rsplit("/", 1)[0] + "/other"
    raw = {"properties": {"networkRuleSet": {"virtualNetworkRules": [{"id": SUBNET_ID}]}}}
    # The same subnet in another case is the same rule (ARM compares IDs case-insensitively).
    edit = NetworkEdit(add_virtual_network_rules=(SUBNET_ID.upper(), other)).validated()
    body = _edited_rule_set(raw, edit)
    assert body["virtualNetworkRules"] == [
        {"action": "Allow", "virtualNetworkSubnetResourceId": SUBNET_ID},
        {"action": "Allow", "virtualNetworkSubnetResourceId": other},
    ]
