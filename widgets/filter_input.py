"""The `/` filter line: narrows one table as you type; Enter keeps the filter, Escape clears it."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from acrfence.widgets.keyed_table import KeyedTable

__all__ = ["FilterInput"]


class FilterInput(Input):
    DEFAULT_CSS = """
    FilterInput { display: none; height: 1; border: none; padding: 0 1; }
    FilterInput.-open { display: block; }
    """
    BINDINGS = [
        Binding("escape", "clear_and_close", "Clear filter", id="acrfence.filter_clear"),
        Binding("enter", "close", "Keep filter", id="acrfence.filter_keep"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        # Compact: one line with no border, so what is typed shows (a focused Input's "tall"
        # border would take the only line and hide the text). Not docked: docked at the
        # bottom, the footer was drawn over it.
        super().__init__(
            placeholder="filter: type to narrow, Enter keeps, Escape clears", id=id, compact=True
        )
        self._target: KeyedTable | None = None

    def open_for(self, table: KeyedTable) -> None:
        self._target = table
        # Say which table is filtered: focus has left it, so its border no longer shows it.
        name = str(table.border_title or "").split(" [")[0].split(":")[0].strip().casefold()
        self.placeholder = f"filter {name or 'rows'}: type to narrow, Enter keeps, Escape clears"
        self.value = table.filter_text
        self.add_class("-open")
        # Focused now, not after the queued keys (Widget.focus waits its turn): keys typed or
        # pasted right after `/` are already queued, and the app hands each to whatever is
        # focused when it gets to it; they must reach this input, not the table (c, o, s...).
        self.screen.set_focus(self)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._target is not None:
            self._target.set_filter(event.value)

    def action_close(self) -> None:
        self.remove_class("-open")
        if self._target is not None:
            self._target.focus()

    def action_clear_and_close(self) -> None:
        self.value = ""
        if self._target is not None:
            self._target.set_filter("")
        self.action_close()
