"""The probe wizard's address field: errors speak of what was typed."""

from __future__ import annotations

import pytest

from acrfence.tui.screens.probe_setup import address_rule


def test_an_ip_and_port_become_a_rule_for_every_registry_host() -> None:
    rule = address_rule("127.0.0.1:8443")
    assert rule.apply("myregistry.azurecr.io", 443) == ("127.0.0.1", 8443)


def test_a_bad_address_is_named_as_typed() -> None:
    with pytest.raises(ValueError, match=r"^'1\.2\.3\.4:99999' is not an address"):
        address_rule("1.2.3.4:99999")
