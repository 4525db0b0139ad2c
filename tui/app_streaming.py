"""The app's part in streaming a big tenant in without stalling the screen: which rows each
publish adds (the panes add only those), the findings worked out on a thread as the pieces
arrive, and keeping the immutable inventory out of the garbage collector's full passes.

A mixin of ``AcrFenceApp`` (kept apart so the app module stays small); it uses the app's
builder, inventory, version and ``_publish``/``_publish_soon``. Handlers are named
(``on_findings_worked_out``) rather than ``@on``: Textual collects ``@on`` only from the
message pump classes themselves.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer
from textual.worker import get_current_worker

from acrfence.services.inventory import (
    InventoryEvent,
    RegistriesLoaded,
    SubscriptionsLoaded,
    VirtualNetworksLoaded,
)
from acrfence.services.loop_first import UI_LOOP
from acrfence.services.models import Finding, Inventory, Registry, VirtualNetwork
from acrfence.tui.findings_worker import FindingsFeed, work_out_findings

if TYPE_CHECKING:
    from acrfence.services.inventory import InventoryBuilder
    from acrfence.tui.messages import FindingsWorkedOut

__all__ = [
    "InterpreterShare",
    "InventoryDelta",
    "StreamingMixin",
    "keep_out_of_full_collections",
    "leave_the_interpreter_as_found",
    "share_the_interpreter_finely",
]

# The UI loop waits for the GIL after every socket call while the parsing and findings threads
# compute (the convoy effect): at Python's default 5 ms switch interval those waits added up
# to 0.5-1 s stalls on the fleet tenant; at 1 ms the longest was 173 ms, the load as fast
# (benchmarks/dashboard.py --fleet). Public API, process-wide: the TUI is the process.
UI_SWITCH_INTERVAL = 0.001
# How often the young garbage is collected while a tenant streams in (s); see
# StreamingMixin._keep_out_of_full_collections_soon. Each pass walks what was made since the
# last, so more often is the same work in shorter pauses: every 0.1 s, passes took up to
# 27 ms of the UI loop on the fleet tenant (per-turn accounting); every 0.025 s, under 10.
COLLECT_EVERY = 0.025
# How often the UI loop beats its heartbeat while free (s): services.loop_first.
BEAT_EVERY = 0.004


@dataclass(frozen=True)
class InventoryDelta:
    """What changed since the data of version ``since``: the panes add or update these rows
    instead of redrawing every one (50,000 registries stream in over a thousand pieces)."""

    since: int
    registries: tuple[Registry, ...] = ()  # new, read again, or with changed findings
    virtual_networks: tuple[VirtualNetwork, ...] = ()


class StreamingMixin:
    # Set by AcrFenceApp.__init__.
    _builder: InventoryBuilder
    _inventory: Inventory
    _version: int
    _delta_registries: dict[str, Registry]
    _delta_networks: dict[str, VirtualNetwork]
    _delta_whole: bool
    _findings: tuple[Finding, ...]
    _findings_by_registry: dict[str, tuple[Finding, ...]]
    _findings_pending: bool
    _findings_feed: FindingsFeed
    _findings_generation: int

    # ---- which rows a publish adds ---------------------------------------------------------

    def _note_delta(self, event: InventoryEvent) -> None:
        """Remember the rows ``event`` adds or changes; a piece that drops a row the panes
        show (a refresh after something was deleted) makes the next publish a full redraw."""
        match event:
            case RegistriesLoaded(subscription_id, registries):
                # Their rows come with their findings (on_findings_worked_out): a row drawn
                # before its registry is analysed would say "✓ ok" for a moment.
                before = self._builder.registries_of(subscription_id)
                if before and {r.key for r in before} - {r.key for r in registries}:
                    self._delta_whole = True
            case VirtualNetworksLoaded(subscription_id, vnets):
                before_vnets = self._builder.networks_of(subscription_id)
                if before_vnets and {v.key for v in before_vnets} - {v.key for v in vnets}:
                    self._delta_whole = True
                self._delta_networks.update((v.key, v) for v in vnets)
            case SubscriptionsLoaded(subscriptions):
                listed = {s.subscription_id.casefold() for s in subscriptions}
                shown = {s.subscription_id.casefold() for s in self._inventory.subscriptions}
                if shown - listed:  # a subscription went, and its rows with it
                    self._delta_whole = True
            case _:
                pass  # a failure: the rows stay as they were (the subscriptions pane says it)

    def _take_delta(self) -> InventoryDelta | None:
        delta = (
            None
            if self._delta_whole
            else InventoryDelta(
                self._version,
                tuple(self._delta_registries.values()),
                tuple(self._delta_networks.values()),
            )
        )
        self._delta_registries = {}
        self._delta_networks = {}
        self._delta_whole = False
        return delta

    # ---- findings, off the UI thread ---------------------------------------------------------

    def _start_findings(self, start: Inventory | None, *, ended: bool = False) -> None:
        """A findings thread for the read starting now (from ``start``, an earlier read);
        ``ended``: nothing more will come (a re-read after a change)."""
        self._findings_generation += 1
        self._findings_feed = FindingsFeed()
        self._findings_pending = True
        if ended:
            self._findings_feed.end()
        self.work_out_findings(self._findings_feed, start, self._findings_generation)

    @work(thread=True, exclusive=True, group="findings", exit_on_error=False)
    def work_out_findings(
        self, feed: FindingsFeed, start: Inventory | None, generation: int
    ) -> None:
        worker = get_current_worker()
        app: Any = self
        work_out_findings(feed, start, generation, app.post_message, lambda: worker.is_cancelled)

    # ---- the garbage collector ---------------------------------------------------------------

    # While a tenant streams in, the automatic collector is off and _collect_young runs on
    # this timer instead; None otherwise.
    _collector_timer: Timer | None = None
    _collector_paused = False  # the app switched the automatic collector off

    def _keep_out_of_full_collections_soon(self) -> None:
        """At each publish: while a tenant streams in (the inventory loading, or its
        findings still worked out), the young garbage is collected on a timer, in small turns
        of the event loop of their own, and nothing else; once it has settled, what is alive
        is frozen (``keep_out_of_full_collections``) and the automatic collector is on again.

        Measured on the fleet tenant (thread CPU, gc.callbacks): the automatic collections
        ran ~35 times a second in whichever thread allocated (the parsing thread's models,
        the UI loop's rows), each walking the young big containers of the last publish
        (the inventory's tuples, the subnet index, the findings): up to 200 ms each, some
        10 s of a 100 s load. Collected here every ``COLLECT_EVERY``, each object is walked
        once while young, in pauses of a few milliseconds; the old ones are never walked."""
        app: Any = self
        streaming = bool(app._loading or self._findings_pending)
        if app._interpreter is not None:
            defer_to_the_loop_while_streaming(app._interpreter, streaming)
        if streaming:
            if self._collector_timer is None:
                if gc.isenabled():
                    gc.disable()
                    self._collector_paused = True
                self._collector_timer = app.set_interval(COLLECT_EVERY, self._collect_young)
            return
        if self._collector_timer is not None:
            self._collector_timer.stop()
            self._collector_timer = None
        # In a turn of its own: it walks the young objects (~10 ms on the fleet tenant), and
        # the publish that settled the tenant has just redrawn the panes in this one. A
        # timer: it never runs once the app has stopped (and put the collector back itself).
        app.set_timer(0.001, self._collector_back_on)

    def _collector_back_on(self) -> None:
        """What is alive frozen, then the automatic collector on again: in this order, or
        its first full pass would walk everything the tenant brought (0.55 s measured)."""
        if self._collector_timer is not None:
            return  # streaming again (a refresh): the young are collected on its timer
        keep_out_of_full_collections()
        if self._collector_paused:
            gc.enable()
            self._collector_paused = False

    def _collect_young(self) -> None:
        gc.collect(1)  # survivors go to the oldest generation, which isn't walked meanwhile

    def on_findings_worked_out(self, message: FindingsWorkedOut) -> None:
        if message.generation != self._findings_generation:
            return  # a superseded read's
        self._findings = message.findings
        self._findings_by_registry = message.by_registry
        self._findings_pending = message.pending
        self._delta_registries.update((r.key, r) for r in message.changed)
        app: Any = self
        if message.pending:
            app._publish_soon()
        else:
            app._publish(error=app.data.error)


def keep_out_of_full_collections() -> None:
    """Move what is alive now (the inventory, its findings, the rows) out of the cyclic
    garbage collector's full passes (``gc.freeze``), after collecting the young garbage.

    The inventory is immutable and acyclic (reference counting frees an old one), but the
    collector's full passes walked its millions of objects while a big tenant streamed in:
    a 670 ms stall at 15,000 registries, seconds at 50,000 (benchmarks/dashboard.py --fleet).
    The price: a reference cycle among objects alive now that is dropped later is never
    collected (Textual's screens, say); a few per read, against seconds of frozen screen.
    """
    gc.collect(1)  # the young generations only: little has been made since the last publish
    gc.freeze()


@dataclass
class InterpreterShare:
    """What ``share_the_interpreter_finely`` changed, to undo when the app stops."""

    switch_interval: float
    deferring: bool = False  # the threads defer to the UI loop (watched or beating)
    beat: asyncio.TimerHandle | None = None


def share_the_interpreter_finely() -> InterpreterShare:
    """Let the threads take turns at the GIL every millisecond (see UI_SWITCH_INTERVAL)."""
    share = InterpreterShare(sys.getswitchinterval())
    sys.setswitchinterval(min(share.switch_interval, UI_SWITCH_INTERVAL))
    return share


def defer_to_the_loop_while_streaming(share: InterpreterShare, streaming: bool) -> None:
    """While a tenant streams in, the parsing and findings threads wait while the UI loop
    works (services.loop_first): it is watched, or where it can't be, it beats a heartbeat
    whenever it is free; idle, neither. Runs on the UI loop."""
    if streaming and not share.deferring:
        share.deferring = True
        loop = asyncio.get_running_loop()
        if UI_LOOP.watch(loop):
            return

        def beat() -> None:
            UI_LOOP.beat()
            share.beat = loop.call_later(BEAT_EVERY, beat)

        UI_LOOP.start()
        share.beat = loop.call_later(BEAT_EVERY, beat)
    elif not streaming and share.deferring:
        share.deferring = False
        UI_LOOP.unwatch()
        if share.beat is not None:
            share.beat.cancel()
            share.beat = None
            UI_LOOP.stop()


def leave_the_interpreter_as_found(share: InterpreterShare | None, collector_paused: bool) -> None:
    """When the app stops: the heartbeat stopped, the switch interval as it was, the
    collector on again if the app switched it off, and what was frozen back in its care, so
    none of it outlives the app in a process that goes on (the test suite runs hundreds of
    apps in one process; a frozen cycle would never be freed there)."""
    if share is not None:
        defer_to_the_loop_while_streaming(share, streaming=False)
        sys.setswitchinterval(share.switch_interval)
    if collector_paused:
        gc.enable()
    gc.unfreeze()
