"""A DataTable kept in step with a list of keyed rows, filterable by text.

Rows are updated by key (changed cells only, stale rows removed) so the cursor stays on its row
across refreshes; a full rebuild happens only when new rows would land out of order, and even
then the cursor is put back on the row it was on.

At most ``ROW_LIMIT`` matching rows are put in the table: Textual's DataTable measures every
cell of every row it is given, which for a tenant of 10,000 subnets froze the screen for
seconds (benchmarks/dashboard.py). The border says how many match, and ``/`` narrows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

__all__ = ["KeyedTable", "Row"]

Cell = str | Text
Row = tuple[str, tuple[Cell, ...]]  # (row key, cells)

ROW_LIMIT = 1000


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


class KeyedTable(DataTable):
    """Rows given as (key, cells) in display order; ``filter_text`` narrows what is shown."""

    COLUMNS: Sequence[tuple[str, str]] = ()  # (column key, label)
    # Home/End go to the first/last row (DataTable's own move sideways, which a row cursor
    # doesn't need); j/k/g/G as in vi, less and k9s.
    BINDINGS = [
        Binding("home,g", "scroll_top", "First row", show=False),
        Binding("end,G", "scroll_bottom", "Last row", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    @dataclass
    class Filtered(Message):
        """The filter changed what is shown; the row under the cursor may be another one."""

        table: KeyedTable

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._rows: list[Row] = []
        self._search: dict[str, str] = {}
        self._shown: dict[str, tuple[Cell, ...]] = {}
        self._filter_text = ""
        self._widths: tuple[int, ...] = ()

    def on_idle(self) -> None:
        # DataTable measures columns when idle, but rows it drew before a column grew (the
        # header, the first rows of a streaming inventory) keep their old width in its render
        # caches. Redraw everything once when the widths settle differently.
        widths = tuple(column.content_width for column in self.columns.values())
        if widths != self._widths:
            self._widths = widths
            self.notify_style_update()
            self.refresh()

    def on_mount(self) -> None:
        for key, label in self.COLUMNS:
            self.add_column(label, key=key)

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def row_keys(self) -> list[str]:
        """Keys of the rows shown, in display order."""
        return list(self._shown)

    @property
    def selected_key(self) -> str | None:
        if not self._shown or self.cursor_row < 0:
            return None
        keys = self.row_keys
        return keys[self.cursor_row] if self.cursor_row < len(keys) else None

    def set_rows(self, rows: Iterable[Row], also_search: Mapping[str, str] | None = None) -> None:
        """Show ``rows``; ``also_search`` adds text the filter matches beyond the cells.

        Subclasses hand back the very same cells tuple for an unchanged row, so its search
        text (and the table cells) are not rebuilt on every refresh.
        """
        before = dict(self._rows)
        old_search = self._search
        extra = also_search or {}
        self._rows = list(rows)
        self._search = {
            key: old_search[key]
            if before.get(key) is cells and key not in extra
            else " ".join([*(_plain(cell) for cell in cells), extra.get(key, "")]).casefold()
            for key, cells in self._rows
        }
        self._sync()

    def set_filter(self, text: str) -> None:
        self._filter_text = text.strip()
        self._sync()
        self.post_message(self.Filtered(self))

    def _caption(self, matching: int) -> str:
        parts = [f"filter: {self._filter_text}"] if self._filter_text else []
        if matching > ROW_LIMIT:
            parts.append(f"first {ROW_LIMIT:,} of {matching:,} shown: / narrows")
        return " · ".join(parts)

    def select_key(self, key: str) -> bool:
        """Move the cursor to the row ``key``; False when it isn't shown."""
        if key not in self._shown:
            return False
        self.move_cursor(row=self.get_row_index(key))
        return True

    def _wanted(self) -> dict[str, tuple[Cell, ...]]:
        needle = self._filter_text.casefold()
        matching = [
            (key, cells) for key, cells in self._rows if not needle or needle in self._search[key]
        ]
        self.border_subtitle = self._caption(len(matching))
        return dict(matching[:ROW_LIMIT])

    def _sync(self) -> None:
        current = self.selected_key
        wanted = self._wanted()
        kept = [key for key in self._shown if key in wanted]
        wanted_order = list(wanted)
        # Incremental when the rows we keep are already a prefix, in order, of what we want.
        if kept != wanted_order[: len(kept)]:
            self._rebuild(wanted)
            return
        for key in [key for key in self._shown if key not in wanted]:
            self.remove_row(key)
        for key, cells in wanted.items():
            old = self._shown.get(key)
            if old is None:
                self.add_row(*cells, key=key)
            elif old != cells:
                for (column, _), before, after in zip(self.COLUMNS, old, cells, strict=True):
                    if before != after:
                        self.update_cell(key, column, after)
        self._shown = wanted
        # Removing a row above the cursor shifts it onto another row: put it back.
        if current is not None and self.selected_key != current:
            self.select_key(current)

    def _rebuild(self, wanted: dict[str, tuple[Cell, ...]]) -> None:
        current = self.selected_key
        self.clear()
        for key, cells in wanted.items():
            self.add_row(*cells, key=key)
        self._shown = wanted
        if current is not None:
            self.select_key(current)
