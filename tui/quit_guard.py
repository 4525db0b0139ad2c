"""Quitting while a change is being applied: ask first; if the operator insists, stop the
change where it is, journal the run as interrupted, and say on exit how to finish it.

Leaving a run at `applying` with exit status 0 would hide a half-made change: the next
start would offer it, but a script or a hurried operator would not know.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from textual.app import App

    from acrfence.tui.screens.plan_wizard import PlanWizardScreen

__all__ = [
    "INTERRUPTED_EXIT",
    "QuitWhileApplyingScreen",
    "applying_wizard",
    "guard_quit",
    "interrupted_line",
]

# The dashboard's exit status when the operator quit in the middle of a change.
INTERRUPTED_EXIT = 1


def applying_wizard(app: App[Any]) -> PlanWizardScreen | None:
    """The screen whose change is being applied right now, if any."""
    from acrfence.tui.screens.plan_wizard import PlanWizardScreen

    for screen in app.screen_stack:
        if isinstance(screen, PlanWizardScreen) and screen.applying:
            return screen
    return None


class QuitWhileApplyingScreen(ModalScreen[bool]):
    """Keep applying (the default, and Escape) or quit anyway."""

    BINDINGS = [Binding("escape", "keep", "Keep applying", id="quit.keep")]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Static(
                f"{self.what} is being applied. Quitting now stops it halfway: the run is "
                "journaled as interrupted, and `acrfence resume` or `acrfence rollback` "
                "finishes it later.",
                markup=False,
            )
            with Horizontal(id="quit-choices"):
                yield Button("Keep applying", id="keep", variant="primary")
                yield Button("Quit anyway", id="quit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.dismiss(True)


def guard_quit(app: App[Any]) -> None:
    """Quit, unless a change is being applied: then ask, and on insistence interrupt it."""
    wizard = applying_wizard(app)
    if wizard is None:
        app.exit()
        return
    if isinstance(app.screen, QuitWhileApplyingScreen):
        return  # already asking
    plan = wizard.plan
    what = f"A {plan.kind} of {plan.registry_name}" if plan is not None else "A change"

    async def answered(insist: bool | None) -> None:
        if not insist:
            return
        if not wizard.applying:  # it finished while the question was on screen
            app.exit()
            return
        run = await wizard.abandon_apply()
        if run is None:
            line = "acrfence: quit before the change began; nothing was changed."
        else:
            line = interrupted_line(run.id, f"{run.plan.kind} of {run.plan.registry_name}", app)
        app.exit_line = line  # type: ignore[attr-defined]  # kept for whoever checks the exit
        # Text, not markup: the line is printed as it is, brackets and all.
        app.exit(return_code=INTERRUPTED_EXIT, message=Text(line))

    app.push_screen(QuitWhileApplyingScreen(what), answered)


def interrupted_line(run_id: str, what: str, app: App[Any]) -> str:
    """The line printed on exit: which run, and the command that finishes it."""
    services = getattr(app, "services", None)
    if getattr(services, "journal_directory", None) is not None:
        # The demo keeps its own journal, which the next `acrfence --demo` offers.
        return (
            f"acrfence: run {run_id} ({what}) was interrupted; start `acrfence --demo` again "
            "to resume it or roll it back."
        )
    return (
        f"acrfence: run {run_id} ({what}) was interrupted; finish it with "
        f"`acrfence resume {run_id}` or undo it with `acrfence rollback {run_id}`."
    )
