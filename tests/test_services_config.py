"""Target configuration, connect-to rules, one-line errors and edit validation: pure code."""

from __future__ import annotations

import pytest

from acrfence.services.azure import AzureClients, StaticTokenCredential
from acrfence.services.config import ConfigError, Target
from acrfence.services.connect_to import (
    ConnectTo,
    ConnectToError,
    parse_connect_to,
    parse_connect_to_list,
    resolve_connect_to,
)
from acrfence.services.errors import AcrfenceError, describe_error
from acrfence.services.registry_rules import InvalidEdit, NetworkEdit, registry_from_arm


def test_defaults_to_public_azure() -> None:
    target = Target.from_env({})
    assert target.arm_endpoint == "https://management.azure.com"
    assert target.cloud == "AzureCloud" and not target.is_sovereign_cloud
    assert target.credential_scope == "https://management.azure.com/.default"
    assert target.token is None and target.connect_to == ()


@pytest.mark.parametrize(
    ("env", "cloud", "scope"),
    [
        (
            {"ACRFENCE_ARM_ENDPOINT": "https://management.usgovcloudapi.net/"},
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net/.default",
        ),
        ({"ACRFENCE_CLOUD": "azurechinacloud"}, "AzureChinaCloud", None),
        ({"ACRFENCE_ARM_ENDPOINT": "https://127.0.0.1:8443"}, "AzureCloud", None),
    ],
)
def test_cloud_from_endpoint_or_setting(env, cloud, scope) -> None:
    target = Target.from_env(env)
    assert target.cloud == cloud
    assert target.is_sovereign_cloud == (cloud != "AzureCloud")
    if scope:
        assert target.credential_scope == scope


def test_sovereign_cloud_setting_picks_its_endpoint() -> None:
    target = Target.from_env({"ACRFENCE_CLOUD": "AzureChinaCloud"})
    assert target.arm_endpoint == "https://management.chinacloudapi.cn"


def test_token_never_shows_in_repr() -> None:
    target = Target.from_env({"ACRFENCE_TOKEN": "s3cr3t-token"})
    assert target.token == "s3cr3t-token"
    assert "s3cr3t" not in repr(target)
    assert "s3cr3t" not in repr(StaticTokenCredential("s3cr3t-token"))
    assert "s3cr3t" not in repr(AzureClients(target))


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"ACRFENCE_ARM_ENDPOINT": "http://127.0.0.1:1"}, "https://"),
        ({"ACRFENCE_ARM_ENDPOINT": "https://127.0.0.1:port"}, "invalid port"),
        ({"ACRFENCE_CLOUD": "Mars"}, "not a known cloud"),
        ({"ACRFENCE_CA_CERT": "/nonexistent/ca.pem"}, "no readable file"),
        ({"ACRFENCE_CONNECT_TO": "a:b:c"}, "ACRFENCE_CONNECT_TO"),
    ],
)
def test_bad_settings_are_one_line(env, fragment) -> None:
    with pytest.raises(ConfigError) as caught:
        Target.from_env(env)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_connect_to_like_curl() -> None:
    rule = parse_connect_to("acr.azurecr.io:443:127.0.0.1:8443")
    assert rule.apply("acr.azurecr.io", 443) == ("127.0.0.1", 8443)
    assert rule.apply("ACR.azurecr.io", 443) == ("127.0.0.1", 8443)
    assert rule.apply("acr.azurecr.io", 80) is None
    assert rule.apply("other.azurecr.io", 443) is None
    anything = parse_connect_to("::127.0.0.2:")
    assert anything.apply("x.example", 443) == ("127.0.0.2", 443)
    keep_host = parse_connect_to(":443::9443")
    assert keep_host.apply("x.example", 443) == ("x.example", 9443)
    ipv6 = parse_connect_to("[::1]:443:[fe80::1]:8443")
    assert ipv6 == ConnectTo("::1", 443, "fe80::1", 8443)
    assert str(ipv6) == "[::1]:443:[fe80::1]:8443"
    assert ipv6.apply("[::1]", 443) == ("fe80::1", 8443)


def test_first_matching_rule_wins() -> None:
    rules = parse_connect_to_list("a.io:443:127.0.0.3:1, ::127.0.0.4:2\n")
    assert len(rules) == 2
    assert resolve_connect_to(rules, "a.io", 443) == ("127.0.0.3", 1)
    assert resolve_connect_to(rules, "b.io", 443) == ("127.0.0.4", 2)
    assert resolve_connect_to((), "b.io", 443) == ("b.io", 443)
    assert parse_connect_to_list("") == ()


@pytest.mark.parametrize(
    "text", ["", "a:b", "a:443:b", "a:x:b:1", "a:443:b:70000", "a b:1:c:2", "[::1:443:x:1"]
)
def test_bad_connect_to_rules(text) -> None:
    with pytest.raises(ConnectToError) as caught:
        parse_connect_to(text)
    assert "\n" not in str(caught.value)


def test_describe_error_hides_tokens_and_stays_on_one_line() -> None:
    error = AcrfenceError("line one\nAuthorization: Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl")
    text = describe_error(error)
    assert "\n" not in text and "eyJ" not in text and "<redacted>" in text
    assert describe_error(ConnectionRefusedError(111, "refused")).startswith("could not reach")


def test_edit_validation_canonicalises_and_refuses() -> None:
    edit = NetworkEdit(default_action="deny", public_network_access="DISABLED").validated()
    assert edit.default_action == "Deny" and edit.public_network_access == "Disabled"
    with pytest.raises(InvalidEdit):
        NetworkEdit(network_rule_bypass_options="Everything").validated()


def test_registry_rules_read_from_either_subnet_field() -> None:
    raw = {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry"
        "/registries/r",
        "name": "r",
        "sku": {"name": "Premium"},
        "properties": {
            "networkRuleSet": {
                "defaultAction": "Deny",
                "virtualNetworkRules": [
                    {"action": "Allow", "id": "/sub/a"},
                    {"action": "Allow", "virtualNetworkSubnetResourceId": "/sub/b"},
                ],
                "ipRules": [{"action": "Allow", "value": "1.2.3.4"}],
            }
        },
    }
    registry = registry_from_arm(raw)
    assert [r.subnet_id for r in registry.rules.virtual_network_rules] == ["/sub/a", "/sub/b"]
    assert registry.resource_group == "rg" and registry.is_premium
    assert registry.rules.ip_rules[0].value == "1.2.3.4"


async def test_clients_are_cached_per_subscription_and_closed_once() -> None:
    sub = "6f1e2c43-8a7b-4d0e-9c15-2b3a4d5e6f70"
    clients = AzureClients(Target.from_env({"ACRFENCE_TOKEN": "t"}))
    assert clients.registries(sub) is clients.registries(sub.upper())
    assert clients.network(sub) is not clients.network(sub.replace("6f", "7f", 1))
    assert clients.subscriptions() is clients.subscriptions()
    assert await clients.arm_token() == "t"
    await clients.close()
    await clients.close()  # closing again is harmless


def test_the_credential_chain_s_own_report_stays_off_stderr() -> None:
    # DefaultAzureCredential logs thirteen lines on failure (as a warning, from the chain's
    # module); the user gets acrfence's one line instead. In a child: a fresh logging state.
    import subprocess
    import sys

    child = """
import logging
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
AzureClients(Target.from_env({})).credential  # DefaultAzureCredential: no token given
logging.getLogger("azure.identity.aio._credentials.chained").warning(
    "DefaultAzureCredential failed to retrieve a token from the included credentials."
)
"""
    result = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stderr == ""


def test_no_token_is_one_line_that_says_how_to_sign_in() -> None:
    from azure.core.exceptions import ClientAuthenticationError

    chain_failure = ClientAuthenticationError(
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n\tEnvironmentCredential: unavailable."
    )
    text = describe_error(chain_failure)
    assert "\n" not in text and "Attempted" not in text
    assert text.startswith("could not get an Azure token") and "az login" in text
