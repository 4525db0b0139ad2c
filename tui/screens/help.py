"""The `?` screen: every key binding, derived from the one action list."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from acrfence.tui.actions import ACTIONS

__all__ = ["HelpScreen"]

SCOPES = {
    "app": "Everywhere",
    "dashboard": "Dashboard",
    "findings": "Findings",
    "detail": "Details",  # short: the "What it does" column needs the width at 80 columns
    "runs": "Runs",
}

# Keys Textual itself provides, listed so the screen really shows every binding.
BUILT_IN = (
    ("Everywhere", "ctrl+p", "Command palette: jump to a registry, subnet or subscription"),
    ("Everywhere", "tab / shift+tab", "Move focus to the next / previous pane"),
    ("Tables", "↑ ↓ j k PgUp PgDn", "Move the cursor"),
    ("Tables", "Home End g G", "First / last row (every row: tables hold the whole tenant)"),
    ("Tables", "← →  s", "Choose a column; s sorts by it, s again reverses (▲ / ▼ in its header)"),
    ("Tables", "enter", "Open the registry, subnet or finding under the cursor"),
)


def _key_label(key: str, display: str | None) -> str:
    return display or key


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="acrfence.help_close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("acrfence keys", id="help-title")
            # A Rich table, not a DataTable: its last column wraps, so every sentence stays
            # whole at 80 columns.
            yield Static(self._table(), id="help-table")
            yield Static("Escape closes this help.", id="help-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def _table(self) -> Table:
        table = Table(box=None, expand=True, pad_edge=False, header_style="bold")
        table.add_column("Where", no_wrap=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("What it does", ratio=1)
        for row in self.rows():
            table.add_row(*row)
        return table

    def rows(self) -> list[tuple[str, str, str]]:
        read_only = getattr(self.app, "read_only", False)
        rows: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for action in ACTIONS:
            if (action.scope, action.key) in seen:
                continue
            seen.add((action.scope, action.key))
            what = action.help
            if action.changes_azure and read_only:
                what += " (off: read-only mode)"
            rows.append((SCOPES[action.scope], _key_label(action.key, action.key_display), what))
        rows.extend(BUILT_IN)
        return rows
