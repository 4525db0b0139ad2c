"""The probe wizard driven end to end with Pilot against the emulator: choose, run, watch the
stages tick, read the verdict beside the rules, act on it; plus a snapshot of the result."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from textual.app import App
from textual.notifications import Notify
from textual.widgets import DataTable, RadioButton, Select, Static

from acrfence.emulator.runner import EmulatorHandle
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.services.models import Inventory, Stage
from acrfence.tui.screens.probe_wizard import ProbeSetup, ProbeWizardScreen, Vantage
from helpers import inventory_loaded, until


def setup_for(handle: EmulatorHandle, clients: AzureClients | None = None) -> ProbeSetup:
    target = Target.from_env(handle.env)
    vantages = [
        Vantage(f"subnet {subnet.rsplit('/', 1)[1]} ({address})", address, subnet)
        for subnet, address in handle.info["vantages"].items()
        if subnet != "internet"
    ]
    return ProbeSetup(
        connect_to=target.connect_to,
        ca_cert=target.ca_cert,
        token_provider=clients.arm_token if clients is not None else None,
        public_ip=handle.info["public_ip"],
        vantages=tuple(vantages),
    )


async def load_inventory(handle: EmulatorHandle) -> Inventory:
    async with AzureClients(Target.from_env(handle.env)) as clients:
        return await InventoryService(clients).load()


class WizardHost(App[None]):
    """A bare app that shows the wizard and keeps the messages it posts for the app."""

    def __init__(self, screen: ProbeWizardScreen) -> None:
        super().__init__()
        self.wizard = screen
        self.requests: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.wizard)

    def on_probe_wizard_screen_lockdown_requested(self, message) -> None:
        self.requests.append(message)

    def on_probe_wizard_screen_ip_rule_requested(self, message) -> None:
        self.requests.append(message)


async def until_done(pilot, screen: ProbeWizardScreen, count: int) -> None:
    await until(
        pilot,
        lambda: len(screen.results) == count and not screen.workers,
        f"{count} probes to finish",
    )


def inventory_of(handle: EmulatorHandle) -> Inventory:
    return asyncio.run(load_inventory(handle))


@pytest.fixture
def demo_inventory(emulator: EmulatorHandle) -> Inventory:
    # A synchronous fixture: the emulator answers from its own thread.
    import threading

    box: list[Inventory] = []
    thread = threading.Thread(target=lambda: box.append(inventory_of(emulator)))
    thread.start()
    thread.join()
    return box[0]


async def test_probe_all_from_a_subnet_vantage_ticks_and_explains(emulator, demo_inventory):
    screen = ProbeWizardScreen(demo_inventory, setup=setup_for(emulator))
    ticks = []
    app = WizardHost(screen)
    async with app.run_test(size=(120, 40), message_hook=ticks.append) as pilot:
        await pilot.pause()
        assert screen.query_one("#scope-all", RadioButton).value
        build_agents = next(
            i for i, v in enumerate(screen.setup.vantages) if "build-agents" in v.label
        )
        screen.query_one("#probe-from", Select).value = f"vantage:{build_agents}"
        await pilot.press("ctrl+r")
        await until_done(pilot, screen, len(demo_inventory.registries))

        stage_ticks = [m for m in ticks if isinstance(m, ProbeWizardScreen.StageTicked)]
        started = {
            (m.event.registry_name, m.event.stage) for m in stage_ticks if not m.event.result
        }
        assert ("contosodangling", Stage.TLS) in started
        table = screen.query_one("#probe-results", DataTable)
        assert table.row_count == len(demo_inventory.registries)
        verdicts = {name: str(screen.results[name].verdict) for name in screen.results}
        assert verdicts["contosodangling"] == "auth-required"  # build-agents has a rule
        assert verdicts["contosolocked"] == "denied"
        assert table.get_cell("contosodangling", "verdict") == "reachable (login required)"
        assert table.get_cell("contosodangling", str(Stage.TLS)).startswith("✓")

        # Read the explanation of a denied registry, then take the IP rule offer.
        table.move_cursor(row=screen._order.index("contosolocked"))
        await pilot.pause()
        explain = str(screen.query_one("#probe-explain", Static).render())
        assert "denied, as the rules say" in explain
        client_ip = screen.results["contosolocked"].client_ip
        assert client_ip and client_ip != emulator.info["public_ip"]  # the subnet's NAT IP
        assert f"add an IP rule for {client_ip}" in explain
        await pilot.press("i")
        await pilot.pause()
    [request] = app.requests
    assert isinstance(request, ProbeWizardScreen.IpRuleRequested)
    assert request.client_ip == client_ip
    assert request.registry_id.endswith("/registries/contosolocked")


async def test_open_against_the_rules_offers_the_lockdown(emulator, demo_inventory):
    # The rules say Deny, but the data plane still answers from the old, open rules.
    from acrfence.services.registry_rules import NetworkEdit, RegistryRuleService

    emulator.faults.set_propagation_delay(60)
    target_id = next(r.id for r in demo_inventory.registries if r.name == "mycontainerregistry")
    async with AzureClients(Target.from_env(emulator.env)) as clients:
        await RegistryRuleService(clients).apply(target_id, NetworkEdit(default_action="Deny"))
        inventory = await InventoryService(clients).load()
    registry = inventory.registry(target_id)
    screen = ProbeWizardScreen(inventory, registries=[registry], setup=setup_for(emulator))
    app = WizardHost(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert screen.query_one("#scope-selected", RadioButton).value
        await pilot.click("#probe-run")
        await until_done(pilot, screen, 1)
        explain = str(screen.query_one("#probe-explain", Static).render())
        assert "reachable but the rules say it should not be" in explain
        assert "lock it down" in explain
        await pilot.press("l")
        await pilot.pause()
    [request] = app.requests
    assert isinstance(request, ProbeWizardScreen.LockdownRequested)
    assert request.registry_id == target_id


async def test_a_bad_connect_to_address_is_one_notification_and_no_probe(emulator, demo_inventory):
    screen = ProbeWizardScreen(demo_inventory, setup=setup_for(emulator))
    app = WizardHost(screen)
    messages: list[object] = []
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        await pilot.pause()
        screen.query_one("#probe-from", Select).value = "connect-to"
        await pilot.pause()
        screen.query_one("#probe-address").value = "not an address"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not screen.results and not screen.workers
        [note] = [m.notification for m in messages if isinstance(m, Notify)]
        assert note.severity == "error"


async def test_the_filter_chooses_matching_registries(emulator, demo_inventory):
    screen = ProbeWizardScreen(demo_inventory, setup=setup_for(emulator))
    app = WizardHost(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.click("#probe-filter")
        await pilot.press(*"contoso")
        await pilot.pause()
        chosen = [r.name for r in screen.chosen_registries()]
        assert chosen and all("contoso" in name for name in chosen)
        assert chosen == sorted(chosen)
        assert screen.query_one("#scope-filter", RadioButton).value


async def test_every_choice_is_read_whole_at_80_columns(emulator, demo_inventory):
    from textual.widgets import Checkbox

    screen = ProbeWizardScreen(demo_inventory, setup=setup_for(emulator))
    async with WizardHost(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for box in screen.query(Checkbox):
            # The label was cut at 80 columns ("Signed-in identity (token, catal…").
            wanted = box.get_content_width(screen.size, screen.size)
            assert box.content_region.width >= wanted, str(box.label)


def test_probe_result_screen_snapshot(snap_compare, emulator, demo_inventory):
    names = ("contosolocked", "contosodangling", "mycontainerregistry")
    selected = tuple(r for r in demo_inventory.registries if r.name in names)
    # Only these three, so the picture doesn't change when the demo tenant grows.
    inventory = replace(demo_inventory, registries=selected)
    screen = ProbeWizardScreen(
        inventory, registries=selected, setup=setup_for(emulator), show_timings=False
    )

    async def run(pilot):
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until_done(pilot, screen, len(selected))
        screen.query_one("#probe-results", DataTable).move_cursor(row=1)
        screen.set_focus(None)
        await pilot.pause()

    assert snap_compare(WizardHost(screen), terminal_size=(100, 30), run_before=run)


async def test_the_dashboard_probe_key_opens_the_wizard_on_the_selected_registry(emulator):
    from acrfence.tui.app import AcrFenceApp
    from acrfence.tui.launch import build_services
    from acrfence.widgets.registry_table import RegistryTable

    services = build_services(emulator.env, "demo tenant")
    services.vantages = emulator.info["vantages"]
    services.public_ip = "203.0.113.10"
    app = AcrFenceApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await inventory_loaded(pilot)
        await pilot.press("2")
        locked = next(r for r in app.data.inventory.registries if r.name == "contosolocked")
        app.screen.query_one(RegistryTable).select_key(locked.key)
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ProbeWizardScreen)
        assert [r.name for r in screen.selected] == ["contosolocked"]
        assert any("build-agents" in v.label for v in screen.setup.vantages)
        assert screen.setup.token_provider is not None  # the signed-in identity is offered
        await pilot.press("ctrl+r")
        await until_done(pilot, screen, 1)
        assert str(screen.results["contosolocked"].verdict) == "denied"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ProbeWizardScreen)


async def test_a_quick_probe_starts_at_once(emulator, demo_inventory):
    selected = [r for r in demo_inventory.registries if r.name == "contosolocked"]
    screen = ProbeWizardScreen(
        demo_inventory, registries=selected, setup=setup_for(emulator), autostart=True
    )
    async with WizardHost(screen).run_test(size=(100, 30)) as pilot:
        await until_done(pilot, screen, 1)
        assert str(screen.results["contosolocked"].verdict) == "denied"


async def test_after_a_lockdown_denied_is_success_and_no_ip_rule_is_offered(
    emulator, demo_inventory, tmp_path
):
    """The advice follows the journal: a registry the operator locked down is meant to refuse
    the internet, so the probe says so and doesn't offer to undo it with an IP rule."""
    from acrfence.services.models import Plan, RunState
    from acrfence.services.plans.journal import Journal
    from acrfence.tui.actions import WizardContext

    registry = next(r for r in demo_inventory.registries if r.name == "contosolocked")
    journal = Journal(tmp_path / "journal")
    run = journal.new_run(Plan(kind="lockdown", registry_id=registry.id, registry_name="x"))
    journal.save(replace(run, state=RunState.DONE))

    class Services:
        def journal(self) -> Journal:
            return journal

    screen = ProbeWizardScreen(demo_inventory, registries=[registry], setup=setup_for(emulator))
    app = WizardHost(screen)
    app.services = Services()
    screen.context = WizardContext(app, demo_inventory, registry, None, False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#probe-run")
        await until_done(pilot, screen, 1)
        explain = str(screen.query_one("#probe-explain", Static).render())
        assert f"denied from the internet: the lockdown (run {run.id}) is working" in explain
        assert "add an IP rule" not in explain and "Next:" not in explain
        await pilot.press("i")
        await pilot.pause()
    assert app.requests == []
