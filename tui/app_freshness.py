"""The app's part in keeping the screen true to Azure: after our own change, read again what it
touched; say how old the data is; read the whole inventory again on a timer (`--watch`, `w`);
know which runs the journal holds unfinished (the status line points to them).

A mixin of ``AcrFenceApp`` (kept apart so the app module stays small); it uses the app's
services, inventory and ``_publish``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from acrfence.services.models import Plan
from acrfence.tui.messages import ResourcesReread

if TYPE_CHECKING:
    from textual.timer import Timer

__all__ = ["DEFAULT_WATCH_SECONDS", "FreshnessMixin"]

# `w` without --watch: often enough to notice others' changes, rare enough for ARM's limits.
DEFAULT_WATCH_SECONDS = 30.0


class FreshnessMixin:
    # Set by AcrFenceApp.__init__.
    services: Any
    watch_seconds: float | None
    unfinished_run_ids: tuple[str, ...]
    clock: Any
    # The registry a change re-read last, and when (app.clock()): fresher than the full read.
    reread_note: tuple[str, float] | None = None
    _watch_timer: Timer | None
    _inventory: Any
    _loading: bool

    def note_unfinished_runs(self) -> None:
        """Read which runs the journal holds unfinished (for the status line)."""
        try:
            runs = self.services.journal().unfinished()
        except OSError:  # an unreadable state directory must not stop the dashboard
            runs = []
        self.unfinished_run_ids = tuple(run.id for run in runs)

    # ---- after our own change: show Azure's state without a key press ---------------------

    def refresh_after_change(self, plan: Plan) -> None:
        """Read again what a change touched (its registry, the networks of the subnets it
        wrote or the registry names) and redraw every pane, detail and finding from it."""
        app: Any = self
        if self.services.clients is None:
            app.load_inventory()
            return
        self._reread_touched(plan)

    @work(group="after-change", exit_on_error=False)
    async def _reread_touched(self, plan: Plan) -> None:
        from acrfence.tui.after_change import reread_touched

        reread = await reread_touched(self.services.clients, plan, self._inventory)
        app: Any = self
        app.post_message(ResourcesReread(plan, reread))

    def on_resources_reread(self, message: ResourcesReread) -> None:
        from acrfence.tui.after_change import fold_reread

        app: Any = self
        from acrfence.services.inventory import InventoryBuilder

        if app._unbuilt:  # a read under way: what it brought so far, then the re-read over it
            self._inventory = app._builder.build()
        self._inventory = fold_reread(self._inventory, message.reread)
        app._builder = InventoryBuilder(self._inventory)
        app._unbuilt = False
        app._delta_whole = True  # the panes redraw from the re-read inventory
        if message.reread.registries:
            self.reread_note = (message.plan.registry_name, self.clock())
        self.note_unfinished_runs()
        # The findings follow on their thread; a read under way goes on feeding them.
        app._start_findings(self._inventory, ended=not self._loading)
        app._publish(error=app.data.error)
        for problem in message.reread.problems:
            app.notify(problem, title="Not read again after the change", severity="warning",
                       markup=False)  # fmt: skip

    # ---- reading again on a timer ----------------------------------------------------------

    def action_toggle_watch(self) -> None:
        app: Any = self
        if self._watch_timer is not None:
            self._watch_timer.stop()
            self._watch_timer = None
            app.notify("Stopped reading the inventory on a timer (w starts again).", timeout=4)
        else:
            self._start_watching(self.watch_seconds or DEFAULT_WATCH_SECONDS)
            self._watch_tick()  # watching starts from a fresh read, not one from long ago
            app.notify(
                f"Reading the inventory again every {self.watch_seconds:g} s (w stops).",
                timeout=4,
            )
        app.data = app.data  # the status line says whether it watches

    def _start_watching(self, seconds: float) -> None:
        app: Any = self
        self.watch_seconds = seconds
        self._watch_timer = app.set_interval(seconds, self._watch_tick)

    @property
    def watching(self) -> bool:
        return self._watch_timer is not None

    def _watch_tick(self) -> None:
        if not self._loading:  # a slow tenant: let the read under way finish
            app: Any = self
            app.load_inventory()
