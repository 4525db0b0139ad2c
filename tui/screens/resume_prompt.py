"""On start: runs a dropped session left halfway, offered as resume or roll back.

The app pushes this (``offer_unfinished_runs``) when the journal has unfinished runs. Resume
and Roll back open the run's plan (``RunPlanScreen``: review, type the registry's name, apply),
as the runs view does; Later closes it, and the runs view (R) leads back. In read-only mode
the runs are mentioned, not offered.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static

from acrfence.services.models import RunRecord
from acrfence.tui.screens.run_wizard import (
    RESUME,
    ROLLBACK,
    open_run_plan,
    run_state_text,
    steps_done,
)

__all__ = ["ResumePromptScreen", "offer_unfinished_runs"]


def offer_unfinished_runs(app: App[Any]) -> None:
    """Push the prompt when there is something to offer; in read-only mode, say so only."""
    try:
        runs = app.services.journal().unfinished()  # type: ignore[attr-defined]
    except OSError:  # an unreadable state directory must not stop the dashboard
        return
    if not runs:
        return
    if getattr(app, "read_only", False):
        names = ", ".join(f"{r.plan.kind} of {r.plan.registry_name} ({r.id})" for r in runs[:3])
        app.notify(
            f"Interrupted: {names}. Read-only mode can't finish or undo it; R lists the runs.",
            title="Unfinished runs in the journal",
            severity="warning",
            timeout=15,
            markup=False,
        )
        return

    def chosen(choice: tuple[str, RunRecord] | None) -> None:
        if choice is None:
            app.notify("R opens the runs view, to resume or roll back later.", timeout=8)
            return
        how, run = choice
        open_run_plan(app, run, how)

    app.push_screen(ResumePromptScreen(runs), chosen)


class ResumePromptScreen(ModalScreen[tuple[str, RunRecord] | None]):
    """Which run, and what to do with it; the plan comes next, nothing runs from here."""

    BINDINGS = [Binding("escape", "later", "Later", id="resume.later")]

    def __init__(self, runs: list[RunRecord]) -> None:
        super().__init__()
        self.runs = runs

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-box"):
            yield Static(
                "These changes were interrupted (a dropped session, Ctrl-C or a failure). "
                "Finish one, or roll it back: each shows its plan first, and both work from "
                "any point and keep others' changes."
            )
            yield DataTable(id="runs", cursor_type="row")
            with Horizontal(id="choices"):
                yield Button("Resume…", id="resume", variant="primary")
                yield Button("Roll back…", id="rollback", variant="warning")
                yield Button("Later", id="later")

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        # The state before the rest: at 80 columns the last column is the one cut.
        table.add_columns("run", "state", "registry", "kind", "done")
        for run in self.runs:
            table.add_row(
                run.id,
                run_state_text(run),
                run.plan.registry_name,
                run.plan.kind,
                steps_done(run),
                key=run.id,
            )
        table.focus()

    def _selected(self) -> RunRecord | None:
        table = self.query_one("#runs", DataTable)
        if not self.runs:
            return None
        return self.runs[min(max(table.cursor_row, 0), len(self.runs) - 1)]

    @on(DataTable.RowSelected, "#runs")
    def _run_chosen(self) -> None:
        # Enter on a run did nothing; it now goes to Resume (Enter again shows its plan; tab or
        # the arrows reach Roll back and Later).
        self.query_one("#resume", Button).focus()

    @on(Button.Pressed, "#resume")
    def _resume(self) -> None:
        self._choose(RESUME)

    @on(Button.Pressed, "#rollback")
    def _rollback(self) -> None:
        self._choose(ROLLBACK)

    def _choose(self, how: str) -> None:
        run = self._selected()
        if run is not None:
            self.dismiss((how, run))

    @on(Button.Pressed, "#later")
    def action_later(self) -> None:
        self.dismiss(None)
