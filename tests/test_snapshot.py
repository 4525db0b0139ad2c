"""`acrfence snapshot` and `acrfence --rehearse`: copy the demo tenant into a seed file, seed an
emulator with it, and the inventory, findings and dashboard match the original; with --redact,
they match once the same renaming is applied to the original."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from acrfence.emulator.seeds import SUB_PLATFORM, SUB_PRODUCTION, SUB_RESTRICTED
from acrfence.services.analysis import find_findings
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.services.models import EndpointStatus, Inventory
from acrfence.services.models.resource_id import id_segment, resource_group_of
from acrfence.services.snapshot_redact import Redactor, redact_snapshot
from acrfence.tui.commands import snapshot
from acrfence.tui.launch import start_local_emulator
from helpers import demo_app, inventory_loaded, open_registry, registry_names


def run_snapshot(monkeypatch, handle, *argv: str) -> int:
    if handle is not None:
        for key, value in handle.env.items():
            monkeypatch.setenv(key, value)
    parser = argparse.ArgumentParser(prog="acrfence snapshot")
    snapshot.configure(parser)
    return snapshot.run(parser.parse_args(list(argv)))


async def snapshot_of(monkeypatch, handle, *argv: str) -> int:
    """The command, as from a shell: it runs its own event loop, so not on the test's."""
    return await asyncio.to_thread(run_snapshot, monkeypatch, handle, *argv)


async def inventory_of(handle) -> Inventory:
    async with AzureClients(Target.from_env(handle.env)) as clients:
        return await InventoryService(clients).load()


async def test_a_snapshot_rehearses_to_the_same_inventory_and_findings(
    emulator, make_emulator, monkeypatch, tmp_path, capsys
) -> None:
    path = tmp_path / "tenant.json"
    assert await snapshot_of(monkeypatch, emulator, "--output", str(path)) == 0
    assert "14 registries" in capsys.readouterr().err
    document = json.loads(path.read_text())
    restricted = next(s for s in document["subscriptions"] if s["subscriptionId"] == SUB_RESTRICTED)
    assert restricted["accessible"] is False  # a rule points into it; we can't read it
    assert emulator.token not in path.read_text()

    rehearsal = make_emulator(seed=str(path))
    original, copied = await inventory_of(emulator), await inventory_of(rehearsal)
    assert copied.subscriptions == original.subscriptions
    assert copied.registries == original.registries
    assert copied.virtual_networks == original.virtual_networks
    assert copied.failures == original.failures == ()
    assert find_findings(copied) == find_findings(original)
    crosssub = next(r for r in copied.registries if r.name == "contososecretrule")
    rule = crosssub.rules.virtual_network_rules[0]
    assert copied.endpoint_status(rule.subnet_id) is EndpointStatus.UNREADABLE
    with rehearsal.state.lock:
        providers = {
            s.subscription_id: dict(s.providers) for s in rehearsal.state.subscriptions.values()
        }
    with emulator.state.lock:
        for subscription in emulator.state.subscriptions.values():
            if subscription.accessible:
                assert providers[subscription.subscription_id] == {
                    ns: subscription.provider_state(ns) for ns in subscription.providers
                }


async def test_the_dashboard_on_a_rehearsal_matches_the_original(
    emulator, monkeypatch, tmp_path
) -> None:
    path = tmp_path / "tenant.json"
    assert await snapshot_of(monkeypatch, emulator, "--output", str(path)) == 0
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    rehearse = argparse.Namespace(rehearse=str(path), reset_demo=False, demo=False)
    handle, directory, description, welcome = start_local_emulator(rehearse)
    try:
        assert directory.parent == tmp_path / "state" / "acrfence" / "rehearsals"
        assert (directory / "tenant.json").is_file()  # its own state, apart from the demo's
        assert description == "rehearsal of tenant.json (local emulator)"
        assert "14 registries" in welcome
        seen = []
        for target in (emulator, handle):
            app = demo_app(target)
            async with app.run_test(size=(120, 40)) as pilot:
                await inventory_loaded(pilot)
                details = []
                for name in ("contosocrosssub", "contosoprivate", "contosofleet"):
                    details.append(await open_registry(pilot, name))
                    await pilot.press("escape")
                    await pilot.pause()
                seen.append((registry_names(app), app.data.findings, details))
        assert seen[0] == seen[1]
    finally:
        handle.stop()


def _without_raw(value):
    """The models' data without ``raw`` (ARM's JSON as read, kept for the JSON view only)."""
    if isinstance(value, dict):
        return {k: _without_raw(v) for k, v in value.items() if k != "raw"}
    if isinstance(value, list | tuple):
        return [_without_raw(v) for v in value]
    return value


def _renamed_inventory(inventory: Inventory, redactor: Redactor) -> dict:
    """The original inventory as the redacted copy should show it."""

    def walk(value, key=""):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            if value.startswith("/subscriptions/"):
                return redactor.resource_id(value)
            if key in ("login_server", "data_endpoint_host_names"):
                return redactor.host_name(value)
            if key == "subscription_id":
                return redactor.subscription(value)
            if key == "tenant_id":
                return "00000000-0000-4000-8000-000000000000"
            if key == "description":
                return None
        return value

    data = walk(_without_raw(dataclasses.asdict(inventory)))
    for number, subscription in enumerate(data["subscriptions"], start=1):
        subscription["display_name"] = f"Subscription {number}"
    # Names and groups follow from the (renamed) IDs.
    for registry in data["registries"]:
        registry["name"] = id_segment(registry["id"], "registries")
        registry["resource_group"] = resource_group_of(registry["id"])
        for connection in registry["private_endpoint_connections"]:
            connection["name"] = id_segment(connection["id"], "privateEndpointConnections")
    for vnet in data["virtual_networks"]:
        vnet["name"] = id_segment(vnet["id"], "virtualNetworks")
        vnet["resource_group"] = resource_group_of(vnet["id"])
        for subnet in vnet["subnets"]:
            subnet.update(
                name=id_segment(subnet["id"], "subnets"),
                virtual_network_name=id_segment(subnet["id"], "virtualNetworks"),
                resource_group=resource_group_of(subnet["id"]),
            )
    return data


async def test_a_redacted_snapshot_matches_modulo_the_renaming(
    emulator, make_emulator, monkeypatch, tmp_path
) -> None:
    plain, redacted = tmp_path / "plain.json", tmp_path / "redacted.json"
    assert await snapshot_of(monkeypatch, emulator, "--output", str(plain)) == 0
    assert await snapshot_of(monkeypatch, emulator, "--redact", "--output", str(redacted)) == 0
    expected, redactor = redact_snapshot(json.loads(plain.read_text()))
    assert json.loads(redacted.read_text()) == expected  # the same renaming every time
    text = redacted.read_text()
    secrets = ("contoso", "Contoso", "myDockerVM", "app-rg", "platformacr", "runners-", "hub-")
    for secret in (*secrets, "workers-nsg", SUB_PRODUCTION, SUB_PLATFORM, SUB_RESTRICTED):
        assert secret not in text
    assert "10.0.0.0/24" in text and "198.51.100.200/32" in text  # the address plan stays

    original = await inventory_of(emulator)
    copied = await inventory_of(make_emulator(seed=str(redacted)))
    renamed = json.loads(json.dumps(_renamed_inventory(original, redactor)))
    actual = json.loads(json.dumps(_without_raw(dataclasses.asdict(copied))))
    for part in ("subscriptions", "registries", "virtual_networks", "failures"):
        # In one order: the inventory sorts by name, and the names changed.
        assert sorted(actual[part], key=str) == sorted(renamed[part], key=str), part

    def keyed(findings):
        return sorted((f.code, f.severity, f.registry_id, f.subnet_id) for f in findings)

    renamed_findings = [
        dataclasses.replace(
            f,
            registry_id=f.registry_id and redactor.resource_id(f.registry_id),
            subnet_id=f.subnet_id and redactor.resource_id(f.subnet_id),
        )
        for f in find_findings(original)
    ]
    assert keyed(find_findings(copied)) == keyed(renamed_findings)


async def test_snapshot_of_chosen_subscriptions(emulator, monkeypatch, tmp_path) -> None:
    path = tmp_path / "tenant.json"
    argv = ["--subscription", SUB_PLATFORM, "--output", str(path)]
    assert await snapshot_of(monkeypatch, emulator, *argv) == 0
    document = json.loads(path.read_text())
    assert [s["subscriptionId"] for s in document["subscriptions"]] == [SUB_PLATFORM]
    assert {r["name"] for r in document["registries"]} == {"platformacr", "contosofleet"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--subscription", "nope", "--output", "x.json"], "is not a subscription ID"),
        (["--output", "/no/such/dir/x.json"], "not a file in an existing directory"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(monkeypatch, capsys, argv, message) -> None:
    assert run_snapshot(monkeypatch, None, *argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not Path("x.json").exists()


def test_rehearse_with_a_missing_file_is_one_line(monkeypatch, capsys, tmp_path) -> None:
    from acrfence.tui.cli import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert main(["--rehearse", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["--demo", "--rehearse", str(tmp_path / "missing.json")]) == 2
    assert "not both" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["--rehearse", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "is not valid JSON" in err and len(err.strip().splitlines()) == 1


async def test_an_unreadable_subscription_is_named_and_the_exit_is_1(
    emulator, monkeypatch, tmp_path, capsys
) -> None:
    path = tmp_path / "tenant.json"
    argv = ["--subscription", SUB_RESTRICTED, "--subscription", SUB_PLATFORM, "--output", str(path)]
    assert await snapshot_of(monkeypatch, emulator, *argv) == 1
    err = capsys.readouterr().err
    assert f"not copied: registries of subscription {SUB_RESTRICTED}" in err
    assert "AuthorizationFailed" in err
    document = json.loads(path.read_text())
    assert [s["subscriptionId"] for s in document["subscriptions"]] == [SUB_PLATFORM]


def test_acrfence_emulator_serves_a_redacted_snapshot(emulator, monkeypatch, tmp_path) -> None:
    """`acrfence emulator --seed tenant.json`: the copy, served to any client."""
    import signal
    import ssl
    import subprocess
    import sys

    import httpx

    path = tmp_path / "tenant.json"
    assert run_snapshot(monkeypatch, emulator, "--redact", "--output", str(path)) == 0
    document = json.loads(path.read_text())
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "acrfence.tui.cli", "emulator", "--seed", str(path)]
    process = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(process.stdout.readline())
        response = httpx.get(
            f"{info['arm_endpoint']}/subscriptions",
            params={"api-version": "2022-12-01"},
            headers={"Authorization": f"Bearer {info['token']}"},
            verify=ssl.create_default_context(cafile=info["ca_cert"]),
        )
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    listed = sorted(s["displayName"] for s in response.json()["value"])
    readable = [s for s in document["subscriptions"] if s.get("accessible", True)]
    assert listed == sorted(s["displayName"] for s in readable)
    subnets = {s["id"] for v in document["virtualNetworks"] for s in v["properties"]["subnets"]}
    assert set(info["vantages"]) == {"internet", *subnets}
