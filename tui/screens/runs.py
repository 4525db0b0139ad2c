"""The journal as a view: every run, its state and its steps; from here a run is resumed or
rolled back, each shown as a plan and confirmed by typing the registry's name first.

Reads the journal when it opens and whenever it comes back on top (after a resume or rollback
it started), so it never shows a state the journal has left behind.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from acrfence.services.models import Registry, RunRecord, RunState, StepStatus, Subnet
from acrfence.tui.actions import bindings_for
from acrfence.tui.screens import acrfence_app
from acrfence.tui.screens.run_wizard import (
    RESUME,
    ROLLBACK,
    open_run_plan,
    run_state_text,
    steps_done,
)

__all__ = ["RunsScreen"]

_STEP_WORDS = {
    StepStatus.PENDING: "not started",
    StepStatus.APPLYING: "applying when it stopped: the write may or may not have happened",
    StepStatus.DONE: "done",
    StepStatus.FAILED: "failed",
}


class RunsScreen(Screen[None]):
    BINDINGS = bindings_for("runs")
    AUTO_FOCUS = "#runs"

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunRecord] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=False)
        yield Static(id="run-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "Runs"
        self.query_one("#runs", DataTable).add_columns(
            "run", "state", "registry", "kind", "steps", "started"
        )
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the journal again, keeping the cursor on the same run."""
        table = self.query_one("#runs", DataTable)
        current = self._selected()
        try:
            runs, elsewhere = acrfence_app(self).services.journal().here_and_elsewhere()
        except OSError as error:
            runs, elsewhere = [], []
            self.notify(f"The journal can't be read: {error}", severity="error", markup=False)
        self.runs = list(reversed(runs))  # newest first
        table.clear()
        for run in self.runs:
            table.add_row(
                run.id,
                run_state_text(run),  # before the rest: never the column cut at 80 columns
                run.plan.registry_name,
                run.plan.kind,
                steps_done(run),
                run.created_at[:16].replace("T", " "),
                key=run.id,
            )
        table.border_title = f"Journal: {len(self.runs)} run{'' if len(self.runs) == 1 else 's'}"
        if elsewhere:  # made against another ARM endpoint: theirs to finish, not ours
            table.border_title += f" · {len(elsewhere)} made elsewhere not shown"
        if current is not None and current.id in {r.id for r in self.runs}:
            table.move_cursor(row=table.get_row_index(current.id))
        self._show_detail()

    def _selected(self) -> RunRecord | None:
        table = self.query_one("#runs", DataTable)
        if not self.runs or table.cursor_row < 0:
            return None
        return self.runs[min(table.cursor_row, len(self.runs) - 1)]

    @on(DataTable.RowHighlighted, "#runs")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#run-detail", Static)
        run = self._selected()
        if run is None:
            detail.update("No run in the journal yet: a lockdown or restore writes one.")
            return
        text = Text()
        text.append(f"{run.plan.kind} of {run.plan.registry_name}", style="bold")
        text.append(f" · {run_state_text(run)}")
        if run.rolled_back_by:
            text.append(f" · rolled back by {run.rolled_back_by}")
        if run.plan.source_run_id:
            text.append(f" · undoes {run.plan.source_run_id}")
        if run.error and run.state is not RunState.DONE:
            text.append(f"\n{run.error}")
        for step in run.plan.steps:
            record = run.record(step.index)
            text.append(f"\n  {step.index}. {_STEP_WORDS.get(record.status, record.status)}: ")
            text.append(step.title)
            if record.error:
                text.append(f" ({record.error})")
        if not acrfence_app(self).read_only:
            if run.unfinished:
                text.append("\nc resumes it · u rolls it back (each shows its plan first)")
            elif run.state is RunState.DONE and not run.rolled_back_by:
                text.append("\nu rolls it back (shows the plan first)")
        detail.update(text)

    # ---- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("resume_run", "rollback_run"):
            return not acrfence_app(self).read_only
        return True

    def action_resume_run(self) -> None:
        run = self._selected()
        if run is None:
            return
        if not run.unfinished:
            self.notify(f"Run {run.id} is {run_state_text(run)}: nothing to resume.")
            return
        self._open(run, RESUME)

    def action_rollback_run(self) -> None:
        run = self._selected()
        if run is None:
            return
        if run.state is RunState.ROLLED_BACK:
            self.notify(f"Run {run.id} is already rolled back.")
            return
        self._open(run, ROLLBACK)

    def _open(self, run: RunRecord, how: str) -> None:
        open_run_plan(self.app, run, how)

    def action_close(self) -> None:
        acrfence_app(self).note_unfinished_runs()
        self.dismiss()

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        """The selected run's registry, for the probe and the other registry keys."""
        run = self._selected()
        if run is None:
            return None, None
        return acrfence_app(self).data.inventory.registry(run.plan.registry_id), None
