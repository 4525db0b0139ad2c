"""The probe resolves through the vantage's DNS server and says which path it took: through a
private endpoint from a network linked to the privatelink zone, the public endpoint from
anywhere else; headless (`--dns-server`, JSON) and in the TUI's probe wizard."""

from __future__ import annotations

import argparse
import asyncio
import json

import pytest
from textual.app import App
from textual.widgets import Select, Static

from acrfence.emulator.dns_answers import public_frontend_address
from acrfence.emulator.runner import EmulatorHandle
from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.tui.commands import probe
from acrfence.tui.launch import build_services
from acrfence.tui.screens.probe_setup import setup_from_services
from acrfence.tui.screens.probe_wizard import ProbeWizardScreen
from helpers import private_link_for, until

WORKERS = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/app-rg/providers/Microsoft.Network"
    "/virtualNetworks/app-vnet/subnets/workers"
)
TUTORIAL_SUBNET = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers/"
    "Microsoft.Network/virtualNetworks/myDockerVMVNET/subnets/myDockerVMSubnet"
)
REGISTRY_ID = (
    f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/myResourceGroup/providers/"
    "Microsoft.ContainerRegistry/registries/mycontainerregistry"
)
LOGIN = "mycontainerregistry.azurecr.io"
CNAME = "CNAME mycontainerregistry.privatelink.azurecr.io"


def run_probe(monkeypatch: pytest.MonkeyPatch, handle: EmulatorHandle | None, *argv: str) -> int:
    if handle is not None:
        for key, value in handle.env.items():
            monkeypatch.setenv(key, value)
    parser = argparse.ArgumentParser(prog="acrfence probe")
    probe.configure(parser)
    return probe.run(parser.parse_args(list(argv)))


def probe_json(monkeypatch, capsys, handle, vantage: str, *extra: str) -> dict:
    argv = ["mycontainerregistry", "--json", "--source-address", handle.vantage(vantage)]
    if vantage != "internet":
        argv += ["--from-subnet", vantage]
    run_probe(monkeypatch, handle, *argv, *extra)
    [entry] = json.loads(capsys.readouterr().out)
    return entry


def disable_public_access(handle: EmulatorHandle) -> None:
    def change(registry: dict) -> None:
        registry["properties"]["publicNetworkAccess"] = "Disabled"
        registry["properties"]["networkRuleSet"] = {"defaultAction": "Deny", "ipRules": []}

    handle.state.update_registry(REGISTRY_ID, change)


def private_link(handle: EmulatorHandle) -> dict[str, str]:
    # The SDK calls run on their own loop: the CLI under test runs asyncio.run itself.
    return asyncio.run(private_link_for(handle))


def test_a_linked_vantage_goes_through_the_private_endpoint(emulator, monkeypatch, capsys):
    addresses = private_link(emulator)
    disable_public_access(emulator)
    linked = probe_json(monkeypatch, capsys, emulator, WORKERS)
    login = linked["hosts"][0]
    assert login["dns_chain"] == [CNAME, f"A {addresses[LOGIN]}"]
    assert login["path"] == linked["path"] == "private endpoint"
    assert linked["verdict"] == "auth-required"  # let in with public access Disabled
    dns_detail = login["stages"][0]["detail"]
    assert f"reached at {emulator.private_address(addresses[LOGIN])}" in dns_detail
    data = linked["hosts"][1]
    assert data["host"] == "mycontainerregistry.westus.data.azurecr.io"
    assert data["path"] == "private endpoint"

    # The tutorial's network isn't linked: public DNS, the public endpoint, refused.
    unlinked = probe_json(monkeypatch, capsys, emulator, TUTORIAL_SUBNET)
    assert unlinked["hosts"][0]["dns_chain"] == [
        CNAME,
        f"A {public_frontend_address('westus')}",
    ]
    assert unlinked["path"] in ("public", "service endpoint")
    assert unlinked["verdict"] == "denied"


def test_the_table_names_the_path_and_chain(emulator, monkeypatch, capsys) -> None:
    addresses = private_link(emulator)
    argv = ["mycontainerregistry", "--source-address", emulator.vantage(WORKERS)]
    assert run_probe(monkeypatch, emulator, *argv) == 0
    out = capsys.readouterr().out
    assert f"mycontainerregistry: path: private endpoint ({CNAME}, A {addresses[LOGIN]})" in out
    assert run_probe(monkeypatch, emulator, "mycontainerregistry") == 0
    out = capsys.readouterr().out
    assert "mycontainerregistry: path: public (" in out


def test_dns_server_flag_and_a_bad_value(emulator, monkeypatch, capsys) -> None:
    private_link(emulator)
    monkeypatch.delenv("ACRFENCE_DNS_SERVER", raising=False)
    env = {k: v for k, v in emulator.env.items() if k != "ACRFENCE_DNS_SERVER"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    host, port = emulator.dns_server
    argv = ["mycontainerregistry", "--json", "--source-address", emulator.vantage(WORKERS)]
    assert run_probe(monkeypatch, None, *argv, "--dns-server", f"{host}:{port}") == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["hosts"][0]["dns_chain"][0] == CNAME
    assert entry["path"] == "private endpoint"

    for bad in ("nohost", "127.0.0.1:99999", "dns.example:53"):
        assert run_probe(monkeypatch, None, "mycontainerregistry", "--dns-server", bad) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("acrfence probe: --dns-server") and "\n" not in err


class ProbeHost(App[None]):
    def __init__(self, screen: ProbeWizardScreen) -> None:
        super().__init__()
        self.wizard = screen

    def on_mount(self) -> None:
        self.push_screen(self.wizard)


async def test_the_tui_probe_uses_the_emulators_dns(emulator) -> None:
    addresses = await private_link_for(emulator)
    services = build_services(emulator.env, "emulator")
    services.vantages = emulator.info["vantages"]
    services.public_ip = emulator.info["public_ip"]
    setup = setup_from_services(services)
    assert setup.options().dns_server == emulator.dns_server
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        inventory = await InventoryService(clients).load()
    registry = inventory.registry(REGISTRY_ID.lower())
    assert registry is not None
    screen = ProbeWizardScreen(inventory, setup=setup, registries=(registry,))
    app = ProbeHost(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        workers = next(i for i, v in enumerate(setup.vantages) if v.subnet_id == WORKERS)
        screen.query_one("#probe-from", Select).value = f"vantage:{workers}"
        await pilot.press("ctrl+r")
        await until(
            pilot,
            lambda: "mycontainerregistry" in screen.results and not screen.workers,
            "the probe to finish",
        )
        await pilot.pause()
        explain = str(screen.query_one("#probe-explain", Static).render())
    assert f"path: private endpoint ({CNAME}, A {addresses[LOGIN]})" in explain
    await services.clients.close()
