"""Resume or roll back a journaled run, through the same review → confirm → apply steps as the
lockdown and restore wizards: the operator reads what will be written and types the registry's
name before anything changes (from the start-up prompt and from the runs view alike).

Resume shows the steps not yet done (each re-reads the live state before it writes); roll back
shows the inverse of what the run did, or the rest of an interrupted earlier rollback.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.widgets import Static

from acrfence.services.models import Plan, RunRecord, RunState, StepStatus
from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.plan_wizard import PlanWizardScreen

if TYPE_CHECKING:
    from textual.app import App

__all__ = [
    "RESUME",
    "ROLLBACK",
    "RunPlanScreen",
    "describe_run",
    "open_run_plan",
    "run_state_text",
    "steps_done",
]

RESUME = "resume"
ROLLBACK = "rollback"


def run_state_text(run: RunRecord) -> str:
    """The state in an operator's words: a run left `applying` by a dead process, or
    failed because acrfence was quit, is interrupted."""
    if run.state is RunState.ROLLED_BACK:
        return "rolled back"
    if run.state is RunState.APPLYING:
        return "interrupted"
    if run.state is RunState.FAILED and (run.error or "").startswith("interrupted"):
        return "interrupted"
    return str(run.state)


def steps_done(run: RunRecord) -> str:
    done = sum(1 for record in run.records if record.status is StepStatus.DONE)
    return f"{done}/{len(run.records)}"


def describe_run(run: RunRecord) -> str:
    """One line: which run, what of which registry, where it stands."""
    text = (
        f"Run {run.id}: {run.plan.kind} of {run.plan.registry_name}, "
        f"{run_state_text(run)}, {steps_done(run)} steps done"
    )
    if run.error and run.state is not RunState.DONE:
        text += f" ({run.error})"
    return text + "."


class RunPlanScreen(PlanWizardScreen):
    """The plan for resuming or rolling back one run; planned as soon as it opens."""

    def __init__(
        self, context: WizardContext, run: RunRecord, how: str, session: Any = None
    ) -> None:
        super().__init__(context, session)
        self.source = run
        self.how = how

    def compose_choose(self) -> ComposeResult:
        verb = "finish" if self.how == RESUME else "undo"
        yield Static(describe_run(self.source), classes="hint", markup=False)
        yield Static(f"Plan ▸ shows what it takes to {verb} it; nothing changes yet.")

    def on_mount(self) -> None:
        super().on_mount()
        self.title = "Resume" if self.how == RESUME else "Roll back"
        if not self.context.read_only:  # refused: already dismissed
            self.action_make_plan()

    def plan_applies(self, plan: Plan) -> bool:
        # A run stopped at its verification step still has that step to run.
        return bool(plan.steps)

    async def build_plan(self, session: Any) -> Plan:
        from acrfence.services.plans.inputs import PlanInputError
        from acrfence.services.plans.restore import NothingToUndo

        journal = session.journal
        run = journal.load(self.source.id)
        if self.how == RESUME:
            if run.state is RunState.DONE:
                raise PlanInputError(f"run {run.id} is already done: nothing to resume")
            if run.state is RunState.ROLLED_BACK or run.rolled_back_by:
                raise PlanInputError(f"run {run.id} was rolled back: it can't be resumed")
            return _remaining(run)
        if run.state is RunState.ROLLED_BACK:
            raise PlanInputError(f"run {run.id} is already rolled back")
        if run.rolled_back_by:
            # An earlier rollback was interrupted: rolling back finishes that one.
            undo = journal.load(run.rolled_back_by)
            if undo.unfinished:
                return _remaining(undo)
        try:
            return session.undo_plan(run.id)
        except NothingToUndo as exc:
            raise PlanInputError(str(exc)) from None

    def plan_text(self, plan: Plan) -> str:
        if self.how == RESUME:
            lead = (
                f"Resuming run {self.source.id}: the steps not done yet. Each reads the live "
                "state again before it writes, and keeps what others changed meanwhile."
            )
        else:
            lead = f"Rolling back run {self.source.id}: back to how it was before the run."
        return f"{lead}\n\n{super().plan_text(plan)}"

    async def execute(self, session: Any, plan: Plan, progress: Any) -> RunRecord:
        if self.how == RESUME:
            return await session.resume(self.source.id, progress)
        return await session.rollback(self.source.id, progress)


def _remaining(run: RunRecord) -> Plan:
    """The run's plan cut to the steps not done yet (their numbers kept, as the journal's).
    Its pre-flight warnings are left out: they described the state before the run began,
    were read when it was confirmed, and each step reads the live state again anyway."""
    steps = tuple(s for s in run.plan.steps if run.record(s.index).status is not StepStatus.DONE)
    return replace(run.plan, steps=steps, checks=())


def open_run_plan(app: App[Any], run: RunRecord, how: str) -> None:
    """The run's resume or rollback plan, on top of whatever is showing."""
    data = app.data  # type: ignore[attr-defined]
    registry = data.inventory.registry(run.plan.registry_id)
    read_only = bool(getattr(app, "read_only", False))
    context = WizardContext(app, data.inventory, registry, None, read_only)
    app.push_screen(RunPlanScreen(context, run, how))
