"""What the lockdown and restore wizards share: the plan as a diff, typing the registry's name
to confirm, live progress per step, the verification result, and a probe that keeps trying
(with a countdown) while a new rule reaches the data plane.

Subclasses compose their "choose" step and build the plan; all Azure work runs in workers
through a ``PlanSession`` over the app's clients, and results come back as messages.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Static,
)
from textual.worker import Worker, WorkerState

from acrfence.services.models import Plan, RunRecord, RunState, StepStatus
from acrfence.services.plans.render import render_plan
from acrfence.tui.actions import WizardContext
from acrfence.tui.plan_text import PlanText
from acrfence.tui.screens.wizard_probe import (
    PROBE_WAIT_SECONDS,
    ProbeTarget,
    probe_targets_until,
)
from acrfence.tui.screens.wizard_widgets import shadow_dashboard_keys
from acrfence.widgets.step_list import StepList

if TYPE_CHECKING:
    from acrfence.services.plans.executor import ProgressCallback
    from acrfence.services.plans.session import PlanSession

__all__ = ["PlanWizardScreen", "PROBE_WAIT_SECONDS", "ProbeTarget"]

# What the keys do where focus is: the hint line names the focused field in words, so focus is
# visible without colour (a monochrome terminal over SSH), and says which keys act there.
FIELD_HINTS: dict[str, str] = {
    "make-plan": "Plan: enter shows the plan (nothing changes yet)",
    "cancel": "Cancel: enter leaves without changing anything",
    "confirm": "Confirm: type the name, enter applies · ↑↓ pgup pgdn scroll",
    "apply": "Apply: enter applies the plan",
    "back": "Back: enter returns to the choices",
    "done": "Close: enter returns to the dashboard",
}


class PlanWizardScreen(Screen[RunRecord | None]):
    """Choose → review (diff + type the name) → apply (progress) → verify → probe."""

    CSS_PATH = "plan_wizard.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back", id="wizard.close"),
        Binding("ctrl+s", "make_plan", "Plan", id="wizard.plan"),
        Binding("pageup", "scroll_plan(-1)", "Plan ↑", show=False),
        Binding("pagedown", "scroll_plan(1)", "Plan ↓", show=False),
        Binding("up", "scroll_plan(-0.1)", show=False),
        Binding("down", "scroll_plan(0.1)", show=False),
        *shadow_dashboard_keys(),
    ]
    TITLE = "Change"
    # What the hint line says on each field of the choose step (by widget id).
    CHOOSE_HINTS: dict[str, str] = {}

    @dataclass
    class PlanReady(Message):
        plan: Plan

    @dataclass
    class StepProgress(Message):
        run: RunRecord

    @dataclass
    class ProbeRound(Message):
        key: str
        text: str
        done: bool = False

    def __init__(self, context: WizardContext, session: PlanSession | None = None) -> None:
        super().__init__()
        self.context = context
        self._session = session
        self.plan: Plan | None = None
        self.run: RunRecord | None = None
        self.probe_wait_seconds = PROBE_WAIT_SECONDS
        self._probe_lines: dict[str, str] = {}
        self._probe_agrees: dict[str, bool] = {}
        self._choose_focus: Widget | None = None
        # The run being applied, known from its first journal save (before any Azure call):
        # quitting mid-apply journals it as interrupted and says how to resume it.
        self.applying_run_id: str | None = None
        self._ended: tuple[str, RunState] | None = None

    # ---- to override -------------------------------------------------------------------------

    def compose_choose(self) -> ComposeResult:
        yield from ()

    async def build_plan(self, session: PlanSession) -> Plan:
        raise NotImplementedError

    def probe_targets(self) -> list[ProbeTarget]:
        """Where to probe from once the change is verified, and what to expect there."""
        return []

    def plan_applies(self, plan: Plan) -> bool:
        """Whether there is anything to apply (and so a name to type)."""
        return plan.changes_anything

    def plan_text(self, plan: Plan) -> str:
        """The plan as the review step shows it."""
        return render_plan(plan)

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"), ContentSwitcher(initial="choose", id="stages"):
            with VerticalScroll(id="choose", classes="stage"):
                yield from self.compose_choose()
                yield Static("", id="choose-error", classes="error", markup=False)
                with Horizontal(classes="buttons"):
                    yield Button("Plan ▸", id="make-plan", variant="primary", compact=True)
                    yield Button("Cancel", id="cancel", compact=True)
            with Vertical(id="review", classes="stage"):
                # The plan scrolls on its own, so the name to type stays on screen below it.
                with VerticalScroll(id="plan-scroll"):
                    yield PlanText(id="plan-text")
                yield Static("", id="confirm-hint", classes="hint")
                yield Input(id="confirm", placeholder="registry name", compact=True)
                with Horizontal(classes="buttons"):
                    yield Button("Apply", id="apply", variant="error", disabled=True, compact=True)
                    yield Button("◂ Back", id="back", compact=True)
            with VerticalScroll(id="apply-stage", classes="stage"):
                yield StepList(id="steps")
                yield Static("", id="outcome", markup=False)
                yield PlanText(id="probe")
                yield Button("Close", id="done", compact=True)
        yield Static("", id="keys", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        if self.context.read_only:
            self.app.notify("Read-only mode: changes are switched off.", severity="warning")
            self.dismiss(None)
            return
        self.call_after_refresh(lambda: self._show_keys(self.focused))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer asks before the stages are mounted (and after they are gone).
        switchers = self.query("#stages").results(ContentSwitcher)
        stage = next(switchers, None)
        stage = stage.current if stage is not None else None
        if action == "make_plan":
            return stage == "choose"
        if action == "scroll_plan":
            return stage == "review"
        return True

    def action_scroll_plan(self, pages: float) -> None:
        scroll = self.query_one("#plan-scroll", VerticalScroll)
        step = max(1, int(scroll.size.height * abs(pages)))
        scroll.scroll_relative(y=step if pages > 0 else -step, animate=False)

    def action_ignore_key(self) -> None:
        """A dashboard key pressed on a wizard: nothing to do here."""

    # ---- where focus is, and what the keys do there --------------------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_keys(event.widget)

    def _show_keys(self, widget: Widget | None) -> None:
        hints = {**FIELD_HINTS, **self.CHOOSE_HINTS}
        text = hints.get(widget.id or "", "") if widget is not None else ""
        switcher = next(self.query("#stages").results(ContentSwitcher), None)
        stage = switcher.current if switcher is not None else None
        # Every line fits in 80 columns (78 inside the padding): choosing, esc is left to
        # the footer, which always shows it first ("esc Back").
        tail = {
            "choose": "tab next · ^s plan",
            "review": "esc back",
        }.get(stage or "", "esc close")
        for keys in self.query("#keys").results(Static):
            keys.update(f"» {text} · {tail}" if text else f"» {tail}")

    def _switch(self, stage: str) -> None:
        self.query_one("#stages", ContentSwitcher).current = stage
        self._show_keys(self.focused)
        self.refresh_bindings()

    # ---- session -----------------------------------------------------------------------------

    def session(self) -> PlanSession:
        if self._session is None:
            from acrfence.services.plans.session import PlanSession

            services = self.context.app.services
            # Where this machine can stand in subnets (the demo's vantages), a migration's
            # verification resolves and probes from each network that pulls.
            self._session = PlanSession.for_clients(
                services.clients,
                services.target,
                services.journal(),
                self.context.inventory,
                vantages=services.vantages or None,
            )
        return self._session

    # ---- choose → review ---------------------------------------------------------------------

    @on(Button.Pressed, "#make-plan")
    def action_make_plan(self) -> None:
        if self.query_one("#stages", ContentSwitcher).current != "choose":
            return
        self._choose_focus = self.focused
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
        self.query_one("#plan-text", PlanText).show(self.plan_text(message.plan))
        hint = self.query_one("#confirm-hint", Static)
        confirm = self.query_one("#confirm", Input)
        if message.plan.blocked:
            hint.update("Blocked: nothing can be applied. Go back and change the choice.")
            confirm.display = False
        elif not self.plan_applies(message.plan):
            hint.update("Nothing to change.")
            confirm.display = False
        else:
            hint.update(f"Type the registry's name ({message.plan.registry_name}) to apply:")
            confirm.display = True
            confirm.value = ""
        self._switch("review")
        if confirm.display:
            confirm.focus()
        else:
            self.query_one("#back", Button).focus()
        self.query_one("#plan-scroll", VerticalScroll).scroll_home(animate=False)

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
        self._switch("choose")
        field = self._choose_focus
        (field if field is not None and field.is_attached else self.query_one("#make-plan")).focus()

    # ---- apply -------------------------------------------------------------------------------

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self._start_apply()

    def _start_apply(self) -> None:
        if self.plan is None or self.plan.blocked:
            return
        self.query_one("#steps", StepList).start(self.plan.steps)
        self._switch("apply-stage")
        self.query_one("#outcome", Static).update("Applying…")
        self.query_one("#done", Button).disabled = True
        self._apply_worker(self.plan)

    async def execute(
        self, session: PlanSession, plan: Plan, progress: ProgressCallback
    ) -> RunRecord:
        return await session.execute(plan, progress)

    @work(exclusive=True, group="wizard-apply", exit_on_error=False)
    async def _apply_worker(self, plan: Plan) -> None:
        def progress(run: RunRecord, _index: int) -> None:
            self.applying_run_id = run.id
            self.post_message(self.StepProgress(run))

        run = await self.execute(self.session(), plan, progress)
        self.post_message(self.StepProgress(run))

    @on(StepProgress)
    def _progress(self, message: StepProgress) -> None:
        run = message.run
        self.run = run
        self.query_one("#steps", StepList).progress(run)
        # The executor's last save and the worker's return both report the end: act once.
        if run.state in (RunState.DONE, RunState.FAILED) and self._ended != (run.id, run.state):
            self._ended = (run.id, run.state)
            self._reread(run.plan)
            self._finished(run)

    def _finished(self, run: RunRecord) -> None:
        outcome = self.query_one("#outcome", Static)
        self.query_one("#done", Button).disabled = False
        self.query_one("#done", Button).focus()
        if run.state is RunState.DONE:
            # Verified means the data plane agrees, not only the configuration: say so once
            # every probe has its answer.
            if self._start_probe():
                outcome.update(f"Applied (run {run.id}); checking the data plane…")
            else:
                outcome.update(f"Applied and verified (run {run.id}).")
        else:
            # The demo and a rehearsal keep their own journal, where a plain `acrfence resume`
            # doesn't look ("no run"): there only the runs view (R) finds the run.
            own_journal = self.context.app.services.journal_directory is not None
            elsewhere = "" if own_journal else f" or acrfence resume / rollback {run.id}"
            outcome.update(
                f"Run {run.id} failed: {run.error}. Resume or roll it back from the runs view "
                f"(R){elsewhere}."
            )

    # ---- probe with countdown ----------------------------------------------------------------

    def _start_probe(self) -> bool:
        targets = self.probe_targets()
        if not targets:
            return False
        self._probe_lines = {t.key: f"from {t.where}: waiting…" for t in targets}
        self._probe_agrees = {}
        self._probe_worker(targets)
        return True

    @work(exclusive=True, group="wizard-probe", exit_on_error=False)
    async def _probe_worker(self, targets: list[ProbeTarget]) -> None:
        def report(target: ProbeTarget, line: str, done: bool) -> None:
            self.post_message(self.ProbeRound(target.key, line, done))

        await probe_targets_until(
            self.context.app.services, targets, report, self.probe_wait_seconds
        )

    @on(ProbeRound)
    def _probe_round(self, message: ProbeRound) -> None:
        self._probe_lines[message.key] = message.text
        if message.done:
            self._probe_agrees[message.key] = message.text.startswith("✓")
            if self.run is not None and len(self._probe_agrees) == len(self._probe_lines):
                verdict = (
                    f"Applied and verified (run {self.run.id}): the data plane agrees."
                    if all(self._probe_agrees.values())
                    else f"Applied, not yet effective (run {self.run.id}): see the probe below."
                )
                self.query_one("#outcome", Static).update(verdict)
        self.query_one("#probe", PlanText).show(
            "Probe (a new rule can take minutes to reach the data plane):\n"
            + "\n".join(f"  {line}" for line in self._probe_lines.values())
        )

    # ---- errors and closing ------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        from acrfence.services.errors import describe_error
        from acrfence.services.plans.inputs import PlanInputError

        error = event.worker.error
        # Bad input is already one plain line; Azure errors become a sentence with the code.
        text = str(error) if isinstance(error, PlanInputError) else describe_error(error)
        if event.worker.group == "wizard-plan":
            self.query_one("#choose-error", Static).update(text)
        elif event.worker.group == "wizard-apply":
            self.query_one("#outcome", Static).update(f"Failed: {text}")
            self.query_one("#done", Button).disabled = False
            if self.plan is not None:  # some steps may have been written before it failed
                self._reread(self.plan)
        elif event.worker.group == "wizard-probe":
            self.query_one("#probe", PlanText).show(f"Probe failed: {text}")
        else:
            self.app.notify(text, title="Wizard", severity="error", markup=False)

    @on(Button.Pressed, "#cancel")
    @on(Button.Pressed, "#done")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        stage = self.query_one("#stages", ContentSwitcher).current
        if stage == "review":  # escape steps back, as the Back button does
            self._back()
            return
        if self.applying:
            self.app.notify("A change is being applied; wait for it to finish.")
            return
        self.dismiss(self.run)

    # ---- after the change, and quitting during it ----------------------------------------------

    def _reread(self, plan: Plan) -> None:
        """Have the app read again what the change touched, so every pane shows it now."""
        reread = getattr(self.app, "refresh_after_change", None)
        if reread is not None:
            reread(plan)

    def _apply_workers(self) -> list[Worker[Any]]:
        # app.workers holds every node's workers: only this screen's apply counts.
        return [w for w in self.workers if w.node is self and w.group == "wizard-apply"]

    @property
    def applying(self) -> bool:
        return any(w.is_running for w in self._apply_workers())

    async def abandon_apply(self) -> RunRecord | None:
        """Stop the apply where it is and journal the run as interrupted (resume and rollback
        finish it from any point); the run as journaled, None when none was started."""
        for worker in self._apply_workers():
            worker.cancel()
            # WorkerCancelled / WorkerFailed: it has stopped, which is all that matters here.
            with contextlib.suppress(Exception):
                await worker.wait()
        if self.applying_run_id is None:
            return None
        journal = self.session().journal
        run = journal.load(self.applying_run_id)
        if run.state in (RunState.APPLYING, RunState.PLANNED):
            where = next((r.index for r in run.records if r.status is not StepStatus.DONE), None)
            at = f" at step {where} of {len(run.records)}" if where else ""
            run = journal.save(
                replace(
                    run,
                    state=RunState.FAILED,
                    error=f"interrupted{at}: acrfence was quit while it was being applied",
                )
            )
        return run
