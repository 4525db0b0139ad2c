"""On start: runs a dropped session left halfway, offered as resume or roll back.

The app pushes this (``offer_unfinished_runs``) when the journal has unfinished runs and the
app may change Azure. Each choice runs in a worker; the result is shown before closing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static
from textual.worker import Worker, WorkerState

from services.models import RunRecord, RunState

__all__ = ["ResumePromptScreen", "offer_unfinished_runs"]


def offer_unfinished_runs(app: App[Any]) -> None:
    """Push the prompt when there is something to offer (never in read-only mode)."""
    if getattr(app, "read_only", False):
        return
    try:
        runs = app.services.journal().unfinished()  # type: ignore[attr-defined]
    except OSError:  # an unreadable state directory must not stop the dashboard
        return
    if runs:

        def reread_if_changed(result: RunRecord | None) -> None:
            if result is not None:
                app.load_inventory()  # type: ignore[attr-defined]

        app.push_screen(ResumePromptScreen(runs), reread_if_changed)


class ResumePromptScreen(ModalScreen[RunRecord | None]):
    DEFAULT_CSS = """
    ResumePromptScreen { align: center middle; }
    ResumePromptScreen > Vertical {
        width: 100%; max-width: 110; height: auto; max-height: 90%; border: thick $warning;
        padding: 1 1;
        background: $surface;
    }
    ResumePromptScreen #runs { height: auto; max-height: 10; }
    ResumePromptScreen #choices { height: auto; margin-top: 1; }
    ResumePromptScreen #choices Button { margin-right: 1; }
    """
    BINDINGS = [Binding("escape", "later", "Later", id="resume.later")]

    @dataclass
    class Finished(Message):
        run: RunRecord | None
        text: str
        offered: RunRecord | None = None  # the offered run as the journal has it now

    def __init__(self, runs: list[RunRecord], session: Any = None) -> None:
        super().__init__()
        self.runs = runs
        self._session = session
        self.result: RunRecord | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "These changes were interrupted (a dropped session, Ctrl-C or a failure). "
                "Finish one, or roll it back: both work from any point and keep others' "
                "changes."
            )
            yield DataTable(id="runs", cursor_type="row")
            yield Static("", id="status", markup=False)
            with Horizontal(id="choices"):
                yield Button("Resume", id="resume", variant="primary")
                yield Button("Roll back", id="rollback", variant="warning")
                yield Button("Later", id="later")

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        self._state_column, self._done_column = table.add_columns(
            "run", "kind", "registry", "state", "done"
        )[3:]
        for run in self.runs:
            table.add_row(
                run.id,
                run.plan.kind,
                run.plan.registry_name,
                str(run.state),
                _steps_done(run),
                key=run.id,
            )
        table.focus()

    def _selected(self) -> RunRecord | None:
        table = self.query_one("#runs", DataTable)
        if not self.runs:
            return None
        return self.runs[min(table.cursor_row, len(self.runs) - 1)]

    def session(self) -> Any:
        if self._session is None:
            from services.plans.session import PlanSession

            services = self.app.services  # type: ignore[attr-defined]
            self._session = PlanSession.for_clients(
                services.clients, services.target, services.journal()
            )
        return self._session

    @on(Button.Pressed, "#resume")
    def _resume(self) -> None:
        self._continue("resume")

    @on(Button.Pressed, "#rollback")
    def _rollback(self) -> None:
        self._continue("rollback")

    def _continue(self, how: str) -> None:
        run = self._selected()
        if run is None:
            return
        for button in self.query(Button):
            button.disabled = button.id != "later"
        self.query_one("#status", Static).update(f"{how} {run.id}…")
        self._worker(how, run.id)

    @work(exclusive=True, group="resume-prompt", exit_on_error=False)
    async def _worker(self, how: str, run_id: str) -> None:
        session = self.session()

        def progress(run: RunRecord, index: int) -> None:
            if index:
                status = run.record(index).status
                self.post_message(self.Finished(None, f"{how} {run.id}: step {index} {status}"))

        if how == "resume":
            result = await session.resume(run_id, progress)
        else:
            result = await session.rollback(run_id, progress)
        if result.state is RunState.DONE:
            text = f"{how} of {run_id} applied and verified."
        else:
            text = f"{how} of {run_id} failed: {result.error}"
        # A rollback is a run of its own; the offered run's row shows what became of it.
        self.post_message(self.Finished(result, text, session.journal.load(run_id)))

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.query_one("#status", Static).update(message.text)
        if message.run is not None:
            self.result = message.run
        offered = message.offered
        if offered is not None:
            self.runs = [offered if r.id == offered.id else r for r in self.runs]
            table = self.query_one("#runs", DataTable)
            table.update_cell(offered.id, self._state_column, str(offered.state))
            table.update_cell(offered.id, self._done_column, _steps_done(offered))
            # Other interrupted runs stay on offer in the same prompt.
            still_open = any(run.unfinished for run in self.runs)
            for button in self.query(Button):
                button.disabled = button.id != "later" and not still_open
            self.query_one("#later", Button).label = "Close"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            from services.errors import describe_error

            error = event.worker.error
            self.query_one("#status", Static).update(describe_error(error) if error else "failed")
            self.query_one("#later", Button).disabled = False

    @on(Button.Pressed, "#later")
    def action_later(self) -> None:
        if any(w.is_running for w in self.workers):
            self.app.notify("Wait for the change to finish.")
            return
        self.dismiss(self.result)


def _steps_done(run: RunRecord) -> str:
    done = sum(1 for record in run.records if record.status == "done")
    return f"{done}/{len(run.records)}"
