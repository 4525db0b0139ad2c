"""The main screen: subscriptions, registries and networks; tabs instead of panes when narrow."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, Tab, Tabs

from acrfence.services.graph_coverage import unread_rules_count, unread_rules_status
from acrfence.services.models import Registry, Subnet, VirtualNetwork
from acrfence.tui.actions import bindings_for
from acrfence.tui.screens import acrfence_app
from acrfence.widgets.filter_input import FilterInput
from acrfence.widgets.keyed_table import KeyedTable
from acrfence.widgets.load_status import LoadStatus, age_text
from acrfence.widgets.registry_table import RegistryTable
from acrfence.widgets.subnet_table import SubnetTable
from acrfence.widgets.subscription_table import ALL_SUBSCRIPTIONS, SubscriptionTable

if TYPE_CHECKING:
    from acrfence.tui.app import DashboardData

__all__ = ["DashboardScreen", "PANES"]

PANES = ("subscriptions", "registries", "networks")
# Registries counted for the Resource Graph coverage note per turn of the loop: ~1 ms.
COUNTED_PER_TURN = 5000
# While the inventory streams in, the subscriptions pane is redrawn at most this often (s).
SUBSCRIPTIONS_EVERY = 1.0
# Streamed rows are added in batches of about this much work, this far apart (s). The
# parsing and findings threads share the interpreter meanwhile, so a batch takes two to three
# times its CPU on the clock: 8 ms keeps it well under the 50 ms stall the fleet tenant is
# held to (benchmarks/dashboard.py --fleet).
ROWS_TICK_SECONDS = 0.008
ROWS_TICK_PAUSE = 0.01
# While the inventory streams in, the status line is redrawn at most this often (s).
STATUS_EVERY = 0.5
# How long the demo's welcome stays under the panes (it also goes once another view opens).
WELCOME_SECONDS = 20
PANE_TITLES = {
    "subscriptions": "Subscriptions [1]",
    "registries": "Registries [2]",
    "networks": "Networks [3]",
}


class DashboardScreen(Screen[None]):
    BINDINGS = bindings_for("dashboard")
    # Below 100 columns the three panes become tabs (80x24 over SSH).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    AUTO_FOCUS = "#registries"

    def __init__(self, welcome: str | None = None) -> None:
        super().__init__()
        # In the layout, not a toast: a toast covered the wizard's buttons at 80x24.
        self.welcome = welcome
        self.subscription_id: str | None = None  # None: all subscriptions
        self._drawn_version: int | None = None  # the app.data version the panes show
        self._subscriptions_drawn_at = float("-inf")
        self._subscriptions_timer: Timer | None = None
        # Rows of a streaming tenant waiting to be added, a batch per tick (newest object wins).
        self._queued_registries: dict[str, Registry] = {}
        self._queued_networks: dict[str, VirtualNetwork] = {}
        self._rows_per_tick = 200
        self._rows_timer: Timer | None = None
        self._subnets_counted: tuple[Sequence[VirtualNetwork], int] | None = None
        self._coverage_counted: tuple[Sequence[Registry], str | None] | None = None
        self._coverage_counting: Sequence[Registry] | None = None
        self._status_timer: Timer | None = None
        self._status_shown_at = float("-inf")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tabs(
            *(Tab(PANE_TITLES[pane], id=f"tab-{pane}") for pane in PANES),
            active="tab-registries",
            id="pane-tabs",
        )
        with Container(id="panes"):
            yield SubscriptionTable(id="subscriptions", classes="pane")
            yield RegistryTable(id="registries", classes="pane -active")
            yield SubnetTable(id="networks", classes="pane")
        yield Static(self.welcome or "", id="welcome", markup=False)
        yield FilterInput(id="filter")
        yield LoadStatus(id="load-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for pane in PANES:
            self.query_one(f"#{pane}", KeyedTable).border_title = PANE_TITLES[pane]
        self.watch(self.app, "data", self._data_changed)
        # The status line says how old the data is: keep that true as time passes.
        self.set_interval(1.0, self._show_status)
        self.query_one("#welcome").display = bool(self.welcome)
        if self.welcome:
            self.query_one("#welcome").border_title = "Demo tenant"
            self.set_timer(WELCOME_SECONDS, self.hide_welcome)

    def on_screen_suspend(self) -> None:
        self.hide_welcome()

    def hide_welcome(self) -> None:
        self.query_one("#welcome").display = False

    # ---- drawing ---------------------------------------------------------------------------

    def _in_scope(self, items: tuple[Any, ...]) -> Sequence[Any]:
        """The registries or networks of the chosen subscription (all when none is)."""
        chosen = self.subscription_id
        if chosen is None:
            return items
        return [i for i in items if i.subscription_id.casefold() == chosen]

    def _data_changed(self) -> None:
        self._redraw()

    def _redraw(self, *, whole: bool = False) -> None:
        """Draw the panes from ``app.data``: only the rows its delta names when the panes show
        the version before it (a streaming tenant's pieces), every row otherwise."""
        data = acrfence_app(self).data
        inventory = data.inventory
        drawn, self._drawn_version = self._drawn_version, data.version
        if not whole and drawn == data.version:
            self._status_soon()  # the same data again (the watch toggled, say)
            return
        self._show_subscriptions()
        delta = data.delta
        if not whole and delta is not None and delta.since == drawn:
            # Queued, then added a bounded batch per tick (_add_queued_rows).
            self._queued_registries.update((r.key, r) for r in self._in_scope(delta.registries))
            vnets = self._in_scope(delta.virtual_networks)
            self._queued_networks.update((v.key, v) for v in vnets)
            if self._rows_timer is None:  # in a turn of its own, not the publish's
                self._rows_timer = self.set_timer(ROWS_TICK_PAUSE, self._add_queued_rows)
        else:
            self._queued_registries.clear()
            self._queued_networks.clear()
            self.query_one(RegistryTable).show(
                self._in_scope(inventory.registries), data.findings_by_registry
            )
            self.query_one(SubnetTable).show(self._in_scope(inventory.virtual_networks))
        self._status_soon()

    @property
    def rows_pending(self) -> bool:
        """Streamed rows are still waiting to be added to the panes."""
        return bool(self._queued_registries or self._queued_networks)

    def _add_queued_rows(self) -> None:
        """Add a batch of the queued rows, sized to take about ``ROWS_TICK_SECONDS``; the
        rest on the next tick, so keys, redraws and the inventory's own reads go on between.

        A piece of the fleet tenant is thousands of rows at ~70 µs each (row store, cells):
        added all at once they stalled the screen for seconds."""
        if self._rows_timer is not None:
            self._rows_timer.stop()
            self._rows_timer = None
        if not (self._queued_registries or self._queued_networks):
            return
        started = time.perf_counter()
        budget = self._rows_per_tick
        registries = _take(self._queued_registries, budget)
        networks = _take(self._queued_networks, max(1, (budget - len(registries)) // 50))
        findings = acrfence_app(self).data.findings_by_registry
        if registries:
            table = self.query_one(RegistryTable)
            with _top_stays_top(table):
                table.add_registries(registries, findings)
        if networks:
            table = self.query_one(SubnetTable)
            with _top_stays_top(table):
                table.add_networks(networks)
        rows = len(registries) + sum(max(1, len(v.subnets)) for v in networks)
        per_row = (time.perf_counter() - started) / max(1, rows)
        self._rows_per_tick = max(20, min(5000, int(ROWS_TICK_SECONDS / max(per_row, 1e-6))))
        if self._queued_registries or self._queued_networks:
            self._rows_timer = self.set_timer(ROWS_TICK_PAUSE, self._add_queued_rows)

    def _show_subscriptions(self) -> None:
        """The subscriptions pane counts every registry: while a big tenant streams in, at
        most once a second and in a turn of the event loop of its own (a timer), not inside
        the publish that asked (together they stalled the screen for 60-80 ms)."""
        if not _streaming(acrfence_app(self).data):
            # Settled: drawn in the next turn, not in the publish that settled the tenant
            # (which redraws the other panes and is ~40 ms on the fleet tenant with it).
            if self._subscriptions_timer is not None:
                self._subscriptions_timer.stop()
            self._subscriptions_timer = self.set_timer(0.001, self._draw_subscriptions)
        elif self._subscriptions_timer is None:
            elapsed = time.monotonic() - self._subscriptions_drawn_at
            wait = max(0.01, SUBSCRIPTIONS_EVERY - elapsed)
            self._subscriptions_timer = self.set_timer(wait, self._draw_subscriptions)

    def _draw_subscriptions(self) -> None:
        if self._subscriptions_timer is not None:
            self._subscriptions_timer.stop()
            self._subscriptions_timer = None
        self._subscriptions_drawn_at = time.monotonic()
        data = acrfence_app(self).data
        self.query_one(SubscriptionTable).show(data.inventory, data.loading)

    def _status_soon(self) -> None:
        """The status line now, or while the inventory streams in at most every
        ``STATUS_EVERY`` (a timer catches up): each change of it lays out and paints the
        screen from the panes down to it, some 10-20 ms at every publish."""
        if not _streaming(acrfence_app(self).data):
            self._show_status()
        elif self._status_timer is None:
            elapsed = time.monotonic() - self._status_shown_at
            wait = max(0.01, STATUS_EVERY - elapsed)
            self._status_timer = self.set_timer(wait, self._show_status)

    def _show_status(self) -> None:
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None
        self._status_shown_at = time.monotonic()
        app = acrfence_app(self)
        data = app.data
        inventory = data.inventory
        chosen = self.subscription_id
        registries = self._in_scope(inventory.registries)
        networks = self._in_scope(inventory.virtual_networks)
        names = {s.subscription_id.casefold(): s.display_name for s in inventory.subscriptions}
        subnets = self._subnet_count(networks)
        counts = (
            f"{len(registries)} registries · {len(networks)} vnets · {subnets} subnets · "
            f"{len(data.findings)} findings{'…' if data.findings_pending else ''}"
        )
        if chosen:
            counts += f" · in {names.get(chosen, chosen)}"
        self.query_one(LoadStatus).show(
            loading=data.loading,
            done=data.listings_done,
            total=data.listings_total,
            counts=counts,
            failures=inventory.failures,
            names=names,
            error=data.error,
            age=self._age(),
            watch_seconds=app.watch_seconds if app.watching else None,
            unfinished=app.unfinished_run_ids,
            subscriptions=(data.subscriptions_read, len(inventory.subscriptions)),
            waiting=app.services.inventory.pacing().describe() if data.loading else None,
            coverage=self._coverage(inventory.registries)
            if not data.loading
            and getattr(app.services.inventory, "reads_through_resource_graph", False)
            else None,
        )

    def _coverage(self, registries: Sequence[Registry]) -> str | None:
        """What the fleet pass over Resource Graph didn't read (services.graph_coverage),
        counted once per inventory read (not at every publish while it streams in), a slice
        per turn of the loop: in one go, 50,000 registries held the UI loop 20-30 ms (sampled
        at the end of the fleet pass), and counted on a thread, it shared the interpreter
        with the redraw that followed and doubled it (the threads defer to the loop only
        while a tenant streams in). The note as last counted meanwhile."""
        counted = self._coverage_counted
        if counted is not None and counted[0] is registries:
            return counted[1]
        if self._coverage_counting is not registries:
            self._coverage_counting = registries
            self.run_worker(self._count_coverage(registries), group="coverage", exclusive=True)
        return counted[1] if counted is not None else None

    async def _count_coverage(self, registries: Sequence[Registry]) -> None:
        count = 0
        for start in range(0, len(registries), COUNTED_PER_TURN):
            count += unread_rules_count(registries[start : start + COUNTED_PER_TURN])
            await asyncio.sleep(0)  # a redraw or a key in between
        self._coverage_counted = (registries, unread_rules_status(count))
        self._show_status()

    def _subnet_count(self, networks: Sequence[VirtualNetwork]) -> int:
        """Subnets in ``networks``, counted once per inventory (50,000 networks in the fleet
        tenant, and the status is shown at every publish and every second)."""
        if self._subnets_counted is None or self._subnets_counted[0] is not networks:
            self._subnets_counted = (networks, sum(len(v.subnets) for v in networks))
        return self._subnets_counted[1]

    def _age(self) -> str | None:
        """How old the data is; a registry re-read after our change since then is named."""
        app = acrfence_app(self)
        read_at = app.data.read_at
        if read_at is None:
            return None
        age = age_text(app.clock() - read_at)
        note = app.reread_note
        if note is not None and note[1] > read_at:
            age += f" ({note[0]} {age_text(app.clock() - note[1])})"
        return age

    # ---- navigation ------------------------------------------------------------------------

    def action_pane(self, pane: str) -> None:
        self.query_one(Tabs).active = f"tab-{pane}"
        self.query_one(f"#{pane}", KeyedTable).focus()

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        pane = (event.tab.id or "").removeprefix("tab-")
        for name in PANES:
            self.query_one(f"#{name}").set_class(name == pane, "-active")
        if self.focused is None or self.focused.id != pane:
            self.query_one(f"#{pane}", KeyedTable).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Keep the tab bar in step when focus moves between panes with Tab / Shift+Tab.
        widget_id = event.widget.id
        if widget_id in PANES:
            self.query_one(Tabs).active = f"tab-{widget_id}"

    @on(KeyedTable.RowHighlighted, "#subscriptions")
    def _subscription_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        key = event.key
        chosen = None if key in (None, ALL_SUBSCRIPTIONS) else key
        if chosen != self.subscription_id:
            self.subscription_id = chosen
            self._redraw(whole=True)

    @on(KeyedTable.RowSelected, "#subscriptions")
    def _subscription_selected(self) -> None:
        self.action_pane("registries")

    @on(KeyedTable.RowSelected, "#registries")
    def _registry_selected(self, event: KeyedTable.RowSelected) -> None:
        registry = acrfence_app(self).data.inventory.registry(event.key or "")
        if registry is not None:
            acrfence_app(self).show_registry(registry.id)

    @on(KeyedTable.RowSelected, "#networks")
    def _subnet_selected(self, event: KeyedTable.RowSelected) -> None:
        subnet = acrfence_app(self).data.inventory.subnet(event.key or "")
        if subnet is not None:
            acrfence_app(self).show_subnet(subnet.id)

    def choose_subscription(self, subscription_id: str) -> None:
        self.query_one(SubscriptionTable).select_key(subscription_id.casefold())
        self.action_pane("subscriptions")

    def action_filter(self) -> None:
        focused = self.focused
        table = focused if isinstance(focused, KeyedTable) else self.query_one(RegistryTable)
        self.query_one(FilterInput).open_for(table)

    def action_clear_filter(self) -> None:
        focused = self.focused
        if isinstance(focused, KeyedTable) and focused.filter_text:
            focused.set_filter("")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter":
            # `/` is a priority key (it must beat the keys queued after it): in an input it
            # is a character, so that `vnet/subnet` can be typed into the filter.
            return not isinstance(self.focused, Input)
        if action == "clear_filter":
            # Only when there is a kept filter: Escape stays free otherwise.
            focused = self.focused
            return isinstance(focused, KeyedTable) and bool(focused.filter_text)
        return True

    def resource_under_cursor(self) -> object | None:
        """The subscription, registry, subnet or (subnet-less) network under the cursor of the
        focused pane (the registries pane when focus is elsewhere)."""
        focused = self.focused
        table = focused if isinstance(focused, KeyedTable) else self.query_one(RegistryTable)
        key = table.selected_key
        if key is None or key == ALL_SUBSCRIPTIONS:
            return None
        inventory = acrfence_app(self).data.inventory
        if isinstance(table, SubscriptionTable):
            return next(
                (s for s in inventory.subscriptions if s.subscription_id.casefold() == key), None
            )
        if isinstance(table, SubnetTable):
            subnet = inventory.subnet(key)
            return subnet or next((v for v in inventory.virtual_networks if v.key == key), None)
        return inventory.registry(key)

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        inventory = acrfence_app(self).data.inventory
        registry_key = self.query_one(RegistryTable).selected_key
        # A wizard gets the highlighted subnet only when opened from the networks pane: that
        # cursor stays where it was (row 0 after any visit) while the user works elsewhere,
        # and a subnet nobody pointed at must not be ticked for them.
        in_networks = self.query_one(Tabs).active == "tab-networks"
        subnet_key = self.query_one(SubnetTable).selected_key if in_networks else None
        registry = inventory.registry(registry_key) if registry_key else None
        subnet = inventory.subnet(subnet_key) if subnet_key else None
        return registry, subnet


def _streaming(data: DashboardData) -> bool:
    """The inventory is still read, or its findings still worked out (publishes come
    several times a second): the panes that count everything are redrawn on timers."""
    return data.loading or data.findings_pending


def _take(queue: dict[str, Any], count: int) -> list[Any]:
    """Up to ``count`` of the queue's values, first queued first, removed from it."""
    taken = []
    for key in list(itertools.islice(queue, count)):
        taken.append(queue.pop(key))
    return taken


@contextmanager
def _top_stays_top(table: KeyedTable) -> Iterator[None]:
    """A cursor on the first row stays on the first row as rows stream in above it (the
    tables keep the cursor on its row otherwise): the view a tenant opens on doesn't depend
    on which subscription answered first."""
    at_top = table.cursor_row <= 0
    yield
    if at_top and table.cursor_row > 0:
        table.move_cursor(row=0)
