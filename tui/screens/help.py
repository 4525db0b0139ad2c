"""The `?` screen: every key binding, derived from the one action list."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.actions import ACTIONS

__all__ = ["HelpScreen"]

SCOPES = {
    "app": "Everywhere",
    "dashboard": "Main screen",
    "findings": "Findings",
    "detail": "Registry and subnet details",
}

# Keys Textual itself provides, listed so the screen really shows every binding.
BUILT_IN = (
    ("Everywhere", "ctrl+p", "Command palette: jump to a registry, subnet or subscription"),
    ("Everywhere", "tab / shift+tab", "Move focus to the next / previous pane"),
    ("Tables", "↑ ↓ PgUp PgDn Home End", "Move the cursor"),
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
            yield Static(
                "acrfence keys  (remap with App.set_keymap by binding id)", id="help-title"
            )
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static("Escape closes this help.", id="help-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Key", "What it does")
        table.add_rows(self.rows())
        table.focus()

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
