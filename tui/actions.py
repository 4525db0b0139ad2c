"""Every user action of the dashboard, defined once.

Key bindings, command-palette entries and the `?` help screen are all derived from ``ACTIONS``
so they can never disagree. Each binding carries an id (``acrfence.<action>``) so a keymap can
be applied with ``App.set_keymap({"acrfence.refresh": "f5"})``.

Change actions (lockdown, restore, open, probe) are run by wizard screens (``tui.wizards``); the
app hides and refuses every change action in read-only mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from acrfence.services.models import Inventory, Registry, Subnet
    from acrfence.tui.app import AcrFenceApp

__all__ = [
    "ACTIONS",
    "AppAction",
    "WizardContext",
    "action_by_name",
    "bindings_for",
]

BINDING_ID_PREFIX = "acrfence."


@dataclass(frozen=True)
class AppAction:
    """One thing a user can do: the single source of its key, title and help."""

    name: str  # the Textual action name, without the "action_" prefix
    key: str
    title: str  # short, for the footer
    help: str  # a sentence, for the help screen and the command palette
    scope: str = "app"  # "app", "dashboard", "findings", "detail": where the binding lives
    changes_azure: bool = False  # hidden and refused in read-only mode
    show: bool = True  # shown in the footer
    key_display: str | None = None
    # Handled by the app as the key arrives, before it hands the next keys to the focused
    # widget: `/` and `:`, so keys typed or pasted right after them reach their input.
    priority: bool = False

    @property
    def binding_id(self) -> str:
        return f"{BINDING_ID_PREFIX}{self.name}"

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.name,
            self.title,
            show=self.show,
            key_display=self.key_display,
            id=self.binding_id,
            priority=self.priority,
        )


ACTIONS: tuple[AppAction, ...] = (
    AppAction("quit", "q", "Quit", "Leave acrfence."),
    AppAction("refresh", "r", "Refresh", "Read the whole inventory from Azure again."),
    AppAction("show_help", "question_mark", "Help", "List every key binding.", key_display="?"),
    AppAction("show_findings", "f", "Findings", "List every finding across the tenant."),
    AppAction(
        "copy_id",
        "c",
        "Copy ID",
        "Copy the full ID of the resource under the cursor (also shown in a note).",
        show=False,
    ),
    AppAction(
        "show_json",
        "y",
        "JSON",
        "Show the JSON of the resource under the cursor, as last read from Azure.",
        show=False,
    ),
    AppAction(
        "jump",
        "colon",
        "View",
        "Jump to a view by name: registries, networks, subscriptions, findings, help.",
        show=False,
        key_display=":",
        priority=True,  # `:findings` typed at once: the prompt gets every letter
    ),
    AppAction(
        "show_runs",
        "R",
        "Runs",
        "List every journaled change, its state and steps; resume or roll one back.",
        show=False,  # the footer is full at 80 columns; the status line points here when needed
        key_display="R",
    ),
    AppAction(
        "toggle_watch",
        "w",
        "Watch",
        "Read the inventory again every 30 s (or --watch SECONDS) until w is pressed again.",
        show=False,
    ),
    AppAction(
        "filter",
        "slash",
        "Filter",
        "Filter the focused table by text.",
        "dashboard",
        key_display="/",
        priority=True,
    ),
    AppAction(
        "clear_filter",
        "escape",
        "Clear filter",
        "Clear the filter kept on the focused table.",
        "dashboard",
        show=False,
    ),
    AppAction(
        "pane('subscriptions')", "1", "Subs", "Go to subscriptions.", "dashboard", show=False
    ),
    AppAction(
        "pane('registries')", "2", "Registries", "Go to registries.", "dashboard", show=False
    ),
    AppAction(
        "pane('networks')", "3", "Networks", "Go to networks and subnets.", "dashboard", show=False
    ),
    AppAction(
        "filter",
        "slash",
        "Filter",
        "Filter the findings by text.",
        "findings",
        key_display="/",
        priority=True,
    ),
    AppAction("close", "escape", "Back", "Close this view.", "findings"),
    AppAction("close", "escape", "Back", "Close this view.", "detail"),
    AppAction(
        "resume_run",
        "c",
        "Resume",
        "Finish the selected run: its remaining steps as a plan, confirmed by typing the name.",
        "runs",
        changes_azure=True,
    ),
    AppAction(
        "rollback_run",
        "u",
        "Roll back",
        "Undo the selected run: the inverse plan, confirmed by typing the registry's name.",
        "runs",
        changes_azure=True,
    ),
    AppAction("close", "escape", "Back", "Close this view.", "runs"),
    AppAction(
        "wizard('lockdown')",
        "l",
        "Lock",  # short: at 80 columns the footer holds l, m and p only so
        "Lock the selected registry down to a subnet (service endpoint route, preview).",
        changes_azure=True,
    ),
    AppAction(
        "wizard('migrate')",
        "m",
        "Migrate",
        "Move the selected registry to a private endpoint: DNS zone and links, the endpoint, "
        "verify from every network that pulls, then remove the service endpoint rules.",
        changes_azure=True,
    ),
    AppAction(
        "wizard('restore')",
        "u",
        "Restore",
        "Undo a lockdown of the selected registry from its journal.",
        changes_azure=True,
        show=False,
    ),
    AppAction(
        "wizard('open')",
        "o",
        "Open",
        "Open the selected registry again: default action Allow.",
        changes_azure=True,
        show=False,
    ),
    AppAction(
        "wizard('probe')",
        "p",
        "Probe",
        "Probe whether the selected registry answers from a subnet or the internet.",
    ),
    AppAction(
        "quick_probe",
        "P",
        "Quick probe",
        "Probe the selected registry from this machine now; the verdict pops up.",
        show=False,
        key_display="P",
    ),
)


def bindings_for(scope: str) -> list[Binding]:
    actions = [action for action in ACTIONS if action.scope == scope]
    # A change key in read-only mode must say why it does nothing: the change action itself is
    # hidden there (check_action), so Textual tries the next binding on the key, this one,
    # which only the read-only app lets run.
    refusals = [
        Binding(
            action.key,
            f"app.refuse_change({action.title!r})",
            show=False,
            id=f"{action.binding_id}.read_only",
        )
        for action in actions
        if action.changes_azure
    ]
    return [action.binding() for action in actions] + refusals


def action_by_name(name: str) -> AppAction | None:
    """The action for a Textual action name; ``wizard`` and ``pane`` match any argument."""
    return next(
        (a for a in ACTIONS if a.name == name or a.name.split("(")[0] == name),
        None,
    )


def change_action_names() -> frozenset[str]:
    return frozenset(a.name.split("(")[0] for a in ACTIONS if a.changes_azure)


def wizard_shadowed_keys() -> tuple[str, ...]:
    """The dashboard's keys a wizard must swallow: the app's one-letter keys would fire on a
    wizard too (``o`` opening a second wizard over a lockdown half typed), and the dashboard's
    own keys mean nothing there. Quit and help keep working everywhere."""
    keys = (a.key for a in ACTIONS if a.scope in ("app", "dashboard"))
    return tuple(dict.fromkeys(k for k in keys if k not in ("q", "question_mark")))


def wizard_changes_azure(wizard: str) -> bool:
    return any(a.changes_azure and a.name == f"wizard('{wizard}')" for a in ACTIONS)


@dataclass(frozen=True)
class WizardContext:
    """What a wizard starts from: the app (its services and inventory) and the selection."""

    app: AcrFenceApp
    inventory: Inventory
    registry: Registry | None
    subnet: Subnet | None
    read_only: bool
