"""What the lockdown and restore wizards share: the plan as a diff, typing the registry's name
to confirm, live progress per step, the verification result, and a probe that keeps trying
(with a countdown) while a new rule reaches the data plane.

Subclasses compose their "choose" step and build the plan; all Azure work runs in workers
through a ``PlanSession`` over the app's clients, and results come back as messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    DataTable,
    Footer,
    Header,
    Input,
    Static,
)
from textual.worker import Worker, WorkerState

from services.models import Plan, Registry, RunRecord, RunState, StepStatus
from services.plans.render import render_plan
from tui.actions import WizardContext

__all__ = ["PlanWizardScreen", "PROBE_WAIT_SECONDS"]

# New rules can take minutes to reach ACR's data plane: keep probing this long.
PROBE_WAIT_SECONDS = 300.0
PROBE_INTERVAL_SECONDS = 3.0


class PlanWizardScreen(Screen[RunRecord | None]):
    """Choose → review (diff + type the name) → apply (progress) → verify → probe."""

    DEFAULT_CSS = """
    PlanWizardScreen #body { padding: 0 1; }
    PlanWizardScreen .stage { height: auto; }
    PlanWizardScreen #plan-text { height: auto; }
    PlanWizardScreen #buttons { height: auto; margin-top: 1; }
    PlanWizardScreen #buttons Button { margin-right: 1; }
    PlanWizardScreen #steps { height: auto; max-height: 12; }
    PlanWizardScreen .hint { color: $text-muted; }
    PlanWizardScreen SelectionList { height: auto; max-height: 8; }
    PlanWizardScreen .error { color: $error; }
    """
    BINDINGS = [Binding("escape", "close", "Back", id="wizard.close")]
    TITLE = "Change"

    @dataclass
    class PlanReady(Message):
        plan: Plan

    @dataclass
    class StepProgress(Message):
        run: RunRecord

    @dataclass
    class ProbeRound(Message):
        text: str
        done: bool = False

    def __init__(self, context: WizardContext, session: Any = None) -> None:
        super().__init__()
        self.context = context
        self._session = session
        self.plan: Plan | None = None
        self.run: RunRecord | None = None

    # ---- to override -------------------------------------------------------------------------

    def compose_choose(self) -> ComposeResult:
        yield from ()

    async def build_plan(self, session: Any) -> Plan:
        raise NotImplementedError

    def probe_target(self) -> tuple[Registry | None, str | None, bool]:
        """(registry, source address or None for this machine, expect reachable?)."""
        return None, None, False

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body"), ContentSwitcher(initial="choose", id="stages"):
            with Vertical(id="choose", classes="stage"):
                yield from self.compose_choose()
                yield Static("", id="choose-error", classes="error")
                with Horizontal(id="buttons"):
                    yield Button("Plan", id="make-plan", variant="primary")
                    yield Button("Cancel", id="cancel")
            with Vertical(id="review", classes="stage"):
                yield Static("", id="plan-text", markup=False)
                yield Static("", id="confirm-hint", classes="hint")
                yield Input(id="confirm", placeholder="registry name")
                with Horizontal(id="buttons-review"):
                    yield Button("Apply", id="apply", variant="error", disabled=True)
                    yield Button("Back", id="back")
            with Vertical(id="apply-stage", classes="stage"):
                yield DataTable(id="steps", cursor_type="none")
                yield Static("", id="outcome", markup=False)
                yield Static("", id="probe", markup=False)
                yield Button("Close", id="done")
        yield Footer()

    def on_mount(self) -> None:
        if self.context.read_only:
            self.app.notify("Read-only mode: changes are switched off.", severity="warning")
            self.dismiss(None)
            return
        table = self.query_one("#steps", DataTable)
        table.add_columns("#", "step", "status")

    # ---- session -----------------------------------------------------------------------------

    def session(self) -> Any:
        if self._session is None:
            from services.plans.journal import Journal
            from services.plans.session import PlanSession

            services = self.context.app.services
            self._session = PlanSession.for_clients(
                services.clients, services.target, Journal(), self.context.inventory
            )
        return self._session

    # ---- choose → review ---------------------------------------------------------------------

    @on(Button.Pressed, "#make-plan")
    def _make_plan(self) -> None:
        self.query_one("#choose-error", Static).update("Reading the current state…")
        self._plan_worker()

    @work(exclusive=True, group="wizard-plan", exit_on_error=False)
    async def _plan_worker(self) -> None:
        plan = await self.build_plan(self.session())
        self.post_message(self.PlanReady(plan))

    @on(PlanReady)
    def _show_plan(self, message: PlanReady) -> None:
        self.plan = message.plan
        self.query_one("#choose-error", Static).update("")
        self.query_one("#plan-text", Static).update(render_plan(message.plan))
        hint = self.query_one("#confirm-hint", Static)
        confirm = self.query_one("#confirm", Input)
        if message.plan.blocked:
            hint.update("Blocked: nothing can be applied. Go back and change the choice.")
            confirm.display = False
        elif not message.plan.changes_anything:
            hint.update("Nothing to change.")
            confirm.display = False
        else:
            hint.update(f"Type the registry's name ({message.plan.registry_name}) to apply:")
            confirm.display = True
            confirm.value = ""
        self.query_one("#stages", ContentSwitcher).current = "review"
        if confirm.display:
            confirm.focus()

    @on(Input.Changed, "#confirm")
    def _confirm_changed(self, event: Input.Changed) -> None:
        ok = self.plan is not None and event.value.strip() == self.plan.registry_name
        self.query_one("#apply", Button).disabled = not ok

    @on(Input.Submitted, "#confirm")
    def _confirm_submitted(self) -> None:
        if not self.query_one("#apply", Button).disabled:
            self._start_apply()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.query_one("#stages", ContentSwitcher).current = "choose"

    # ---- apply -------------------------------------------------------------------------------

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self._start_apply()

    def _start_apply(self) -> None:
        if self.plan is None or self.plan.blocked:
            return
        table = self.query_one("#steps", DataTable)
        table.clear()
        for step in self.plan.steps:
            table.add_row(str(step.index), step.title, "pending", key=str(step.index))
        self.query_one("#stages", ContentSwitcher).current = "apply-stage"
        self.query_one("#outcome", Static).update("Applying…")
        self.query_one("#done", Button).disabled = True
        self._apply_worker(self.plan)

    async def execute(self, session: Any, plan: Plan, progress: Any) -> RunRecord:
        return await session.execute(plan, progress)

    @work(exclusive=True, group="wizard-apply", exit_on_error=False)
    async def _apply_worker(self, plan: Plan) -> None:
        def progress(run: RunRecord, _index: int) -> None:
            self.post_message(self.StepProgress(run))

        run = await self.execute(self.session(), plan, progress)
        self.post_message(self.StepProgress(run))

    @on(StepProgress)
    def _progress(self, message: StepProgress) -> None:
        run = message.run
        self.run = run
        table = self.query_one("#steps", DataTable)
        column = list(table.columns)[2]
        for record in run.records:
            text = str(record.status)
            if record.note:
                text += f" ({record.note})"
            if record.status is StepStatus.FAILED and record.error:
                text = f"failed: {record.error}"
            try:
                table.update_cell(str(record.index), column, text, update_width=True)
            except Exception:  # a row from another plan (a resumed run): nothing to update
                continue
        if run.state in (RunState.DONE, RunState.FAILED):
            self._finished(run)

    def _finished(self, run: RunRecord) -> None:
        outcome = self.query_one("#outcome", Static)
        self.query_one("#done", Button).disabled = False
        if run.state is RunState.DONE:
            outcome.update(f"Applied and verified (run {run.id}).")
            self._start_probe()
        else:
            outcome.update(
                f"Run {run.id} failed: {run.error}. Resume or roll it back from the journal "
                f"(acrfence resume {run.id} / acrfence rollback {run.id})."
            )

    # ---- probe with countdown ----------------------------------------------------------------

    def _start_probe(self) -> None:
        registry, source, expect_reachable = self.probe_target()
        if registry is None:
            return
        self._probe_worker(registry, source, expect_reachable)

    @work(exclusive=True, group="wizard-probe", exit_on_error=False)
    async def _probe_worker(
        self, registry: Registry, source: str | None, expect_reachable: bool
    ) -> None:
        from services.models import ProbeExpectation
        from services.probe.options import ProbeOptions, StageTimeouts
        from services.probe.runner import ProbeRunner
        from services.probe.watch import probe_until

        target = getattr(self.context.app.services, "target", None)
        options = ProbeOptions(
            timeouts=StageTimeouts.uniform(5.0),
            connect_to=tuple(getattr(target, "connect_to", None) or ()),
            ca_cert=getattr(target, "ca_cert", None),
            source_address=source,
        )
        expectation = ProbeExpectation.REACHABLE if expect_reachable else ProbeExpectation.DENIED
        where = f"from {source}" if source else "from this machine"
        started = time.monotonic()

        def on_round(results: list[Any], left: float) -> None:
            verdict = results[0].verdict if results else "?"
            minutes, seconds = divmod(int(left), 60)
            self.post_message(
                self.ProbeRound(
                    f"Probe {where}, expecting {expectation}: {verdict} "
                    f"({int(time.monotonic() - started)} s in, {minutes}:{seconds:02d} left)"
                )
            )

        results = await probe_until(
            ProbeRunner(options),
            [registry],
            expectation,
            PROBE_WAIT_SECONDS,
            interval=PROBE_INTERVAL_SECONDS,
            on_round=on_round,
        )
        final = results[0] if results else None
        if final is not None and final.matches(expectation):
            text = f"Probe {where}: {final.verdict}, as expected. {final.detail}"
        else:
            verdict = final.verdict if final else "no answer"
            text = f"Probe {where}: still {verdict} after {int(PROBE_WAIT_SECONDS)} s."
        self.post_message(self.ProbeRound(text, done=True))

    @on(ProbeRound)
    def _probe_round(self, message: ProbeRound) -> None:
        self.query_one("#probe", Static).update(message.text)

    # ---- errors and closing ------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        from services.errors import describe_error
        from services.plans.inputs import PlanInputError

        error = event.worker.error
        # Bad input is already one plain line; Azure errors become a sentence with the code.
        text = str(error) if isinstance(error, PlanInputError) else describe_error(error)
        if event.worker.group == "wizard-plan":
            self.query_one("#choose-error", Static).update(text)
        elif event.worker.group == "wizard-apply":
            self.query_one("#outcome", Static).update(f"Failed: {text}")
            self.query_one("#done", Button).disabled = False
        elif event.worker.group == "wizard-probe":
            self.query_one("#probe", Static).update(f"Probe failed: {text}")
        else:
            self.app.notify(text, title="Wizard", severity="error")

    @on(Button.Pressed, "#cancel")
    @on(Button.Pressed, "#done")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        if self.workers and any(w.group == "wizard-apply" and w.is_running for w in self.workers):
            self.app.notify("A change is being applied; wait for it to finish.")
            return
        self.dismiss(self.run)
