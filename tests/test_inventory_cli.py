"""`acrfence inventory` against the emulator: table, JSON, and one-line failures for a bad
token, a dead port and the wrong CA."""

from __future__ import annotations

import json
import socket

import pytest

from acrfence.tui.cli import main


def run_cli(monkeypatch, capsys, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    for name in ("ACRFENCE_ARM_ENDPOINT", "ACRFENCE_CA_CERT", "ACRFENCE_TOKEN", "ACRFENCE_CLOUD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["inventory", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_document(emulator, monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, emulator.env, "--json")
    assert code == 0 and err == ""
    document = json.loads(out)
    assert set(document) == {
        "source",
        "subscriptions",
        "registries",
        "virtual_networks",
        "private_endpoints",
        "private_dns_zones",
        "failures",
    }
    assert document["source"] == "arm"
    assert len(document["subscriptions"]) == 3 and document["failures"] == []
    registries = {r["name"]: r for r in document["registries"]}
    dangling = registries["contosodangling"]
    assert dangling["sku"] == "Premium" and dangling["default_action"] == "Deny"
    assert dangling["login_server"] == "contosodangling.azurecr.io"
    rules = dangling["virtual_network_rules"]
    assert {r["subnet_id"].rsplit("/", 1)[-1]: r["endpoint_status"] for r in rules} == {
        "decommissioned": "subnet-not-found",
        "build-agents": "enabled",
    }
    assert registries["contosoiprules"]["ip_rules"] == ["10.20.0.0/16", "198.51.100.200/32"]
    assert registries["contosoprivate"]["public_network_access"] == "Disabled"
    subnets = {s["name"]: s for v in document["virtual_networks"] for s in v["subnets"]}
    assert subnets["myDockerVMSubnet"]["address_prefix"] == "10.0.0.0/24"
    assert subnets["build-agents"]["service_endpoints"] == ["Microsoft.ContainerRegistry"]
    assert emulator.token not in out


def test_table(emulator, monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, emulator.env)
    assert code == 0 and err == ""
    assert "Subscriptions (3)" in out and "Contoso Production" in out
    assert "vnet rule app-vnet/aks-nodes: endpoint missing" in out
    assert "vnet rule secret-vnet/secret-subnet: endpoint unreadable" in out
    assert "myDockerVMSubnet  10.0.0.0/24  no service endpoints" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("contosobasic"))
    assert row.split()[1:3] == ["Basic", "Allow"]


def test_failure_is_listed_and_exits_3(emulator, monkeypatch, capsys) -> None:
    # Partial results: what was read is printed, what wasn't is named on stderr with Azure's
    # code, and the exit status is 3 (README: Azure couldn't be read) so a script notices.
    emulator.faults.server_error(count=20, status=500, match="GET /subscriptions/3c4d5e6f")
    code, out, err = run_cli(monkeypatch, capsys, emulator.env)
    assert code == 3
    assert "Could not read (2)" in out and "InternalServerError" in out
    assert "Registries (" in out and "Contoso Production" in out
    warnings = err.splitlines()
    assert len(warnings) == 2 and all(
        w.startswith("acrfence inventory: warning: 3c4d5e6f") for w in warnings
    )
    assert all("not read (InternalServerError)" in w for w in warnings)


def test_an_unknown_subscription_exits_3_with_the_arm_code(emulator, monkeypatch, capsys):
    unknown = "0badc0de-0000-4000-8000-000000000000"
    code, out, err = run_cli(monkeypatch, capsys, emulator.env, "--json", "--subscription", unknown)
    assert code == 3
    document = json.loads(out)  # still one JSON document on stdout
    assert {f["code"] for f in document["failures"]} == {"SubscriptionNotFound"}
    assert (
        f"acrfence inventory: warning: {unknown} registries not read (SubscriptionNotFound)" in err
    )
    assert "Traceback" not in err and emulator.token not in err


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"ACRFENCE_TOKEN": "not-the-token"}, "(ARM error InvalidAuthenticationToken)"),
        ({"ACRFENCE_ARM_ENDPOINT": "dead"}, "could not reach the ARM endpoint"),
        ({"ACRFENCE_CA_CERT": "system"}, "TLS verification of the ARM endpoint failed"),
        ({"ACRFENCE_ARM_ENDPOINT": "ftp://x"}, "must be an https:// URL"),
    ],
)
def test_cannot_connect_is_one_line_on_stderr(emulator, monkeypatch, capsys, change, fragment):
    env = dict(emulator.env)
    if change.get("ACRFENCE_ARM_ENDPOINT") == "dead":
        change = {"ACRFENCE_ARM_ENDPOINT": f"https://127.0.0.1:{_dead_port()}"}
    if change.get("ACRFENCE_CA_CERT") == "system":
        import certifi

        change = {"ACRFENCE_CA_CERT": certifi.where()}  # a real bundle, not the emulator's CA
    env.update(change)
    code, out, err = run_cli(monkeypatch, capsys, env, "--json")
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and err.startswith("acrfence inventory: ")
    assert fragment in err
    assert "Traceback" not in err and "not-the-token" not in err
