"""The acrfence dashboard app: owns the inventory, its loading worker, and the global actions.

The app receives its services (constructor injection): ``launch_dashboard`` passes services
pointed at Azure or the emulator; tests pass services pointed at the emulator. Screens watch
``app.data`` and redraw from it; no screen or widget calls Azure.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual import on, work
from textual.app import App, SystemCommand
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from acrfence.services.inventory import (
    InventoryBuilder,
    InventoryEvent,
    finished_listings,
)
from acrfence.services.loop_first import UI_LOOP
from acrfence.services.models import Finding, Inventory, Registry, Subnet, VirtualNetwork
from acrfence.services.plans.journal import Journal
from acrfence.services.read_pacing import PacingStatus
from acrfence.tui.actions import ACTIONS, WizardContext, bindings_for, wizard_changes_azure
from acrfence.tui.app_freshness import FreshnessMixin
from acrfence.tui.app_streaming import (
    InterpreterShare,
    InventoryDelta,
    StreamingMixin,
    leave_the_interpreter_as_found,
    share_the_interpreter_finely,
)
from acrfence.tui.findings_worker import FindingsFeed
from acrfence.tui.memory_tuning import return_big_blocks_to_the_system
from acrfence.tui.messages import (
    InventoryEventArrived,
    InventoryLoadFinished,
    InventoryLoadStarted,
    QuickProbeFinished,
)
from acrfence.tui.resource_actions import RESOURCE_ACTIONS, ResourceActions
from acrfence.tui.screens.dashboard import DashboardScreen
from acrfence.tui.screens.help import HelpScreen
from acrfence.tui.screens.palette import InventoryJumpProvider
from acrfence.widgets.palette import colourless, install_palette

if TYPE_CHECKING:
    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target

__all__ = ["AcrFenceApp", "AppServices", "DashboardData", "InventoryDelta"]

# While the inventory streams in, redraw at most this often: a tenant of thousands of
# registries arrives in many pieces, and redrawing per piece would stall the UI.
PUBLISH_INTERVAL = 0.15
# ...and never spend more than about a quarter of the time redrawing: on a big tenant one
# redraw (findings over thousands of registries, table sync) costs a noticeable fraction.
PUBLISH_BUSY_SHARE = 4
QUICK_PROBE = "quick-probe"  # worker group of the one-key probe


class InventorySource(Protocol):
    def stream(
        self, subscription_ids: Iterable[str] | None = None
    ) -> AsyncIterator[InventoryEvent]: ...

    def pacing(self) -> PacingStatus: ...


@dataclass
class AppServices:
    """What the app is given to work with: the inventory's source, and the SDK clients and
    target the wizards and probes use (the app closes the clients when it ends).

    ``subscription_ids`` narrows the inventory to those subscriptions (None: every one the
    identity lists); one the identity can't read shows up as that subscription's failure.
    """

    inventory: InventorySource
    clients: AzureClients
    target: Target
    description: str = "Azure"
    subscription_ids: tuple[str, ...] | None = None
    # What the demo knows that Azure doesn't say: the local address standing in for each
    # subnet (subnet ID -> source address; probes "from" that subnet bind it), the public IP
    # the data plane sees for this machine, and a first-run hint.
    vantages: Mapping[str, str] = field(default_factory=dict)
    public_ip: str | None = None
    welcome: str | None = None
    # None: the user's journal ($XDG_STATE_HOME/acrfence). The demo keeps its own, so its
    # runs never even show in the user's journal.
    journal_directory: Path | None = None

    def journal(self) -> Journal:
        """The runs made against this target's ARM endpoint: those made elsewhere (say
        against the emulator serving a snapshot) are never offered for resume here."""
        return Journal(self.journal_directory, self.target.arm_endpoint)


@dataclass(frozen=True)
class DashboardData:
    """One consistent view of the tenant for the screens: inventory plus what analysis says."""

    inventory: Inventory = field(default_factory=Inventory)
    findings: tuple[Finding, ...] = ()
    findings_by_registry: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    # The findings thread is still at work (the read goes on, or it hasn't caught up yet).
    findings_pending: bool = False
    loading: bool = True
    listings_done: int = 0
    listings_total: int | None = None
    subscriptions_read: int = 0  # both listings in (or failed) while the inventory streams
    error: str | None = None
    read_at: float | None = None  # app.clock() when the inventory was last read in full
    version: int = 0  # one more at each publish
    # Rows to add since the last version; None: anything may have changed (redraw it all).
    delta: InventoryDelta | None = None


class AcrFenceApp(FreshnessMixin, StreamingMixin, ResourceActions):
    CSS_PATH = "acrfence.tcss"
    TITLE = "acrfence"
    BINDINGS = bindings_for("app")
    COMMANDS = App.COMMANDS | {InventoryJumpProvider}

    data: var[DashboardData] = var(DashboardData, always_update=True)

    def __init__(
        self,
        services: AppServices,
        *,
        read_only: bool = False,
        watch_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.services = services
        self.read_only = read_only
        # How old the data is is measured on this clock (tests pass one they move by hand).
        self.clock = clock
        self._read_at: float | None = None
        # --watch: read the inventory again every so many seconds; `w` toggles it.
        self.watch_seconds = watch_seconds
        self._watch_timer: Timer | None = None
        # Runs a dropped session or a failure left halfway; the status line points to them.
        self.unfinished_run_ids: tuple[str, ...] = ()
        self.exit_line: str | None = None  # printed on exit after an interrupted change
        self._inventory = Inventory()
        self._done: set[tuple[str, str]] = set()
        # The read under way: its pieces are folded in as they arrive, built into an
        # Inventory at the next publish (``_unbuilt``: some piece isn't in self._inventory yet).
        self._builder = InventoryBuilder()
        self._unbuilt = False
        self._loading = False
        # Findings come from a thread worker (tui/findings_worker.py), fed piece by piece.
        self._findings: tuple[Finding, ...] = ()
        self._findings_by_registry: dict[str, tuple[Finding, ...]] = {}
        self._findings_pending = False
        self._findings_feed = FindingsFeed()
        self._findings_generation = 0
        # What changed since the last publish, for the panes (DashboardData.delta).
        self._version = 0
        self._delta_registries: dict[str, Registry] = {}
        self._delta_networks: dict[str, VirtualNetwork] = {}
        self._delta_whole = True  # something went away, or nothing is drawn yet
        self._publish_timer: Timer | None = None
        self._publish_interval = PUBLISH_INTERVAL
        self._interpreter: InterpreterShare | None = None  # see on_mount
        self.sub_title = services.description + (" · read-only" if read_only else "")
        # Without colour, states are drawn with bold/reverse/underline (widgets/palette.py).
        colour = not colourless(self.no_color, self.console)
        install_palette(self.console, colour=colour)
        self.set_class(not colour, "-colourless")

    # ---- loading -------------------------------------------------------------------------

    def on_mount(self) -> None:
        # The UI loop, parsing and findings threads take turns; undone in on_unmount.
        self._interpreter = share_the_interpreter_finely()
        # A big tenant's peak memory (tui/memory_tuning.py); process-wide and kept: it only
        # decides where big blocks come from, and glibc has no way to undo it.
        return_big_blocks_to_the_system()
        self.push_screen(DashboardScreen(welcome=self.services.welcome))
        self.load_inventory()
        if self.watch_seconds:
            self._start_watching(self.watch_seconds)
        # Runs a dropped session left halfway are offered as resume / roll back.
        from acrfence.tui.screens.resume_prompt import offer_unfinished_runs

        self.note_unfinished_runs()
        offer_unfinished_runs(self)

    async def on_unmount(self) -> None:
        # The app owns its services' SDK sessions: close them in the loop that opened them.
        # The interpreter is left as found even when closing fails, or the heartbeat, the
        # switch interval and a paused collector would outlive the app in this process.
        try:
            await self.services.clients.close()
        finally:
            leave_the_interpreter_as_found(self._interpreter, self._collector_paused)

    @work(exclusive=True, group="inventory", exit_on_error=False)
    async def load_inventory(self) -> None:
        self.post_message(InventoryLoadStarted())
        await asyncio.to_thread(self.services.clients.import_clients)  # off the UI loop
        async for event in self.services.inventory.stream(self.services.subscription_ids):
            self.post_message(InventoryEventArrived(event))
        self.post_message(InventoryLoadFinished())

    @on(InventoryLoadStarted)
    def _load_started(self) -> None:
        self._loading = True
        self._done = set()
        # The panes keep the earlier read until each piece is replaced (its failures go).
        self._inventory = Inventory(
            subscriptions=self._inventory.subscriptions,
            registries=self._inventory.registries,
            virtual_networks=self._inventory.virtual_networks,
            private_endpoints=self._inventory.private_endpoints,
            private_dns_zones=self._inventory.private_dns_zones,
            replications=self._inventory.replications,
            private_link_read=self._inventory.private_link_read,
        )
        self._builder = InventoryBuilder(self._inventory)  # anything of a cancelled read goes
        self._unbuilt = False
        self._delta_registries, self._delta_networks = {}, {}  # ...and its unshown rows
        self._start_findings(self._inventory if self._inventory.subscriptions else None)
        self._publish()

    @on(InventoryEventArrived)
    async def _event_arrived(self, message: InventoryEventArrived) -> None:
        # O(piece) here; the Inventory is built at the next publish, once for many pieces.
        self._note_delta(message.event)
        self._builder.add(message.event)
        self._unbuilt = True
        self._findings_feed.put(message.event)
        self._done |= finished_listings(message.event)
        self._publish_soon()
        if UI_LOOP.lagging():
            # Textual hands a pump its queued messages in one step of its task: a burst of
            # pieces (answers come back together) held the loop 10-25 ms. The rest wait a
            # turn while a redraw or a key goes first.
            await asyncio.sleep(0)

    @on(InventoryLoadFinished)
    def _load_finished(self, message: InventoryLoadFinished) -> None:
        self._loading = False
        self._findings_feed.end()
        if message.error is None:
            self._read_at = self.clock()
        self._publish(error=message.error)

    def _publish_soon(self) -> None:
        if self._publish_timer is None:
            self._publish_timer = self.set_timer(self._publish_interval, self._publish)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "inventory":
            # Anything else the app starts reports its own results; an error still surfaces.
            if event.state == WorkerState.ERROR and event.worker.group == "findings":
                # Never a finding short without saying so; the panes show every row anyway
                # (streamed rows waited for their findings: draw them all now).
                self._findings_pending = False
                self._delta_whole = True
                self.notify(_describe(event.worker.error), title="Findings not worked out",
                            severity="error", markup=False)  # fmt: skip
                self._publish(error=self.data.error)
            elif event.state == WorkerState.ERROR:
                title = "Probe failed" if event.worker.group == QUICK_PROBE else "Failed"
                self.notify(
                    _describe(event.worker.error), title=title, severity="error", markup=False
                )
            return
        if self._superseded(event.worker):
            # Cancelled by a refresh, it may end after the read that replaced it has begun
            # (reading loop shut down): that read owns the loading flag and the findings feed.
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = _describe(error)
            self.notify(text, title="Inventory failed", severity="error", timeout=10, markup=False)
            self.post_message(InventoryLoadFinished(error=text))
        elif event.state == WorkerState.CANCELLED:
            self._loading = False
            self._findings_feed.end()
        else:
            # PENDING, RUNNING, SUCCESS: the messages from the worker carry the data.
            pass

    def _superseded(self, worker: Worker[Any]) -> bool:
        """Another inventory read has started since `worker`'s."""
        return any(
            other is not worker
            and other.group == "inventory"
            and other.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for other in self.workers
        )

    def _publish(self, error: str | None = None) -> None:
        if self._publish_timer is not None:
            self._publish_timer.stop()
            self._publish_timer = None
        started = time.perf_counter()
        if self._unbuilt:
            self._inventory = self._builder.build()
            self._unbuilt = False
        inventory = self._inventory
        total = 2 * len(inventory.subscriptions) if inventory.subscriptions else None
        previous_failures = {(f.subscription_id, f.what) for f in self.data.inventory.failures}
        delta = self._take_delta()
        self._version += 1
        self.data = DashboardData(
            version=self._version,
            delta=delta,
            inventory=inventory,
            findings=self._findings,
            findings_by_registry=self._findings_by_registry,
            findings_pending=self._findings_pending,
            loading=self._loading,
            listings_done=len(self._done),
            listings_total=total,
            subscriptions_read=sum(
                1 for count in Counter(s for s, _ in self._done).values() if count == 2
            ),
            error=error,
            read_at=self._read_at,
        )
        # The watchers (the screens' redraws) ran inside the assignment above.
        self._keep_out_of_full_collections_soon()
        cost = time.perf_counter() - started
        self._publish_interval = max(PUBLISH_INTERVAL, PUBLISH_BUSY_SHARE * cost)
        names = {s.subscription_id.casefold(): s.display_name for s in inventory.subscriptions}
        for failure in inventory.failures:
            if (failure.subscription_id, failure.what) not in previous_failures:
                name = names.get(failure.subscription_id.casefold(), failure.subscription_id)
                self.notify(
                    f"{name}: {failure.what} not read ({failure.code})",
                    title="Subscription skipped",
                    severity="warning",
                    markup=False,  # a display name is free text
                )

    # ---- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in RESOURCE_ACTIONS:
            return self.resource_action_allowed(action)
        if action == "wizard" and parameters and self.read_only:
            return not wizard_changes_azure(str(parameters[0]))
        if action == "refuse_change":  # the read-only stand-in on every change key
            return self.read_only
        if action == "show_findings":
            # Already there: leave the footer room for the keys that do something.
            from acrfence.tui.screens.findings import FindingsScreen

            return not isinstance(self.screen, FindingsScreen)
        if action == "show_runs":
            from acrfence.tui.screens.runs import RunsScreen

            return not isinstance(self.screen, RunsScreen)
        return True

    def action_refresh(self) -> None:
        self.notify("Reading the inventory again…", timeout=2)
        self.load_inventory()

    def action_refuse_change(self, title: str) -> None:
        self.notify(
            f"{title} is switched off: acrfence was started with --read-only, so it changes "
            "nothing in Azure.",
            title="Read-only mode",
            severity="warning",
            markup=False,
        )

    # ---- quitting ---------------------------------------------------------------------------

    async def action_quit(self) -> None:
        from acrfence.tui.quit_guard import guard_quit

        guard_quit(self)

    def action_help_quit(self) -> None:
        # ctrl+c: during a change it is a quit like q, asked about first; otherwise the hint.
        from acrfence.tui.quit_guard import applying_wizard, guard_quit

        if applying_wizard(self) is not None:
            guard_quit(self)
        else:
            super().action_help_quit()

    def action_show_runs(self) -> None:
        from acrfence.tui.screens.runs import RunsScreen

        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen())

    def action_quick_probe(self) -> None:
        registry, _ = self.selection()
        if registry is None:
            self.notify("Choose a registry first (the registries pane, 2).", severity="warning")
            return
        self.notify(f"Probing {registry.name} from this machine…", timeout=2)
        self.run_quick_probe(registry)

    @work(group=QUICK_PROBE, exit_on_error=False)
    async def run_quick_probe(self, registry: Registry) -> None:
        from acrfence.tui.quick_probe import quick_probe

        result = await quick_probe(self.services, registry, self.data.inventory)
        self.post_message(QuickProbeFinished(result))

    @on(QuickProbeFinished)
    def _quick_probe_finished(self, message: QuickProbeFinished) -> None:
        from acrfence.tui.quick_probe import verdict_toast

        title, text, severity = verdict_toast(message.result)
        self.notify(text, title=title, severity=severity, timeout=12, markup=False)  # type: ignore[arg-type]

    def action_show_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_show_findings(self) -> None:
        from acrfence.tui.screens.findings import FindingsScreen

        if not isinstance(self.screen, FindingsScreen):
            self.push_screen(FindingsScreen())

    def action_wizard(self, name: str) -> None:
        if self.read_only and wizard_changes_azure(name):
            self.notify("Read-only mode: changes are switched off.", severity="warning")
            return
        from acrfence.tui.wizards import find_wizard

        factory = find_wizard(name)
        if factory is None:
            self.notify(f"The {name} wizard is not available yet.", severity="warning")
            return
        registry, subnet = self.selection()
        context = WizardContext(self, self.data.inventory, registry, subnet, self.read_only)
        self.push_screen(factory(context))

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        """The registry and subnet the user is looking at, on whatever screen is on top."""
        chooser = getattr(self.screen, "selection", None)
        return chooser() if callable(chooser) else (None, None)

    def show_registry(self, registry_id: str) -> None:
        from acrfence.tui.screens.registry_detail import RegistryDetailScreen

        self.push_screen(RegistryDetailScreen(registry_id))

    def show_subnet(self, subnet_id: str) -> None:
        from acrfence.tui.screens.subnet_detail import SubnetDetailScreen

        self.push_screen(SubnetDetailScreen(subnet_id))

    def show_subscription(self, subscription_id: str) -> None:
        while len(self.screen_stack) > 2 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()
        if isinstance(self.screen, DashboardScreen):
            self.screen.choose_subscription(subscription_id)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action in ACTIONS:
            if action.scope != "app" or action.name in {"quit"}:
                continue
            name, _, argument = action.name.partition("(")
            parameters = (argument.rstrip(")").strip("'"),) if argument else ()
            if not self.check_action(name, parameters):
                continue
            yield SystemCommand(action.title, action.help, lambda a=action.name: self.run_action(a))


def _describe(error: BaseException | None) -> str:
    """One sentence for a failed inventory read, with the ARM code when there is one."""
    if error is None:
        return "The inventory could not be read."
    from acrfence.services.errors import describe_error

    return describe_error(error)
