"""Review findings: defects in services/ and emulator/ that earlier tests let through."""

from __future__ import annotations

import pytest
from test_emulator_validation import RG, patch_error


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
