"""A table of keyed rows that holds every row: 100,000 subnets scroll, filter and sort.

A line-API widget (a ScrollView drawing only the lines on screen, as Textual's own Log does)
over a ``RowStore`` of compact tuples. Chosen over Textual's DataTable, which measured every
cell of every row it was given (a 10,000-subnet tenant froze the screen for seconds, so the old
table showed at most 1,000 rows), and over textual-fastdatatable, which re-measures every row
after each batch appended (a 424 ms stall at 50,000 rows against 166), rebuilds a whole column
for one changed cell and has no row keys: benchmarks/table_choice.py has the figures.

Rows are updated by key, so the cursor stays on its row across refreshes and sorts. ``add_rows``
merges a batch in at O(batch · log rows) and redraws only the lines on screen; ``set_rows``
replaces everything (rows whose cells tuple is the very one already held cost a pointer check).

Keys: arrows or j/k, PgUp/PgDn, Home/End or g/G; ←/→ choose a column and ``s`` sorts by it
(again reverses; the header shows ▲ or ▼ beside the column, in any colour mode); Enter selects.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from acrfence.widgets.row_store import (
    Cell,
    Rank,
    Row,
    RowStore,
    cell_text,
    number_or_text,
    text_width,
)

__all__ = ["Cell", "KeyedTable", "Row"]

ASCENDING, DESCENDING = " ▲", " ▼"
LINES_KEPT = 1000  # drawn lines kept: a few screens' worth, of every table scrolled through
_COLUMN_META = [Style.from_meta({"column": index}) for index in range(64)]


class KeyedTable(ScrollView, can_focus=True):
    """Rows given as (key, cells); ``filter_text`` narrows what is shown; ``s`` sorts."""

    COLUMNS: Sequence[tuple[str, str]] = ()  # (column key, label)
    # The component classes and look of Textual's DataTable, so the panes look as before.
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "datatable--header",
        "datatable--header-cursor",
        "datatable--cursor",
        "datatable--even-row",
        "datatable--odd-row",
    }
    # The widget's default look lives in keyed_table.tcss beside it (CSS goes in .tcss files);
    # read as DEFAULT_CSS, not an app's CSS_PATH, so it keeps default-rule precedence (the
    # app's stylesheet still wins) and the widget looks the same in any app.
    DEFAULT_CSS = (Path(__file__).with_name("keyed_table.tcss")).read_text(encoding="utf-8")
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        # Home/End go to the first/last row; g/G as in vi, less and k9s.
        Binding("home,g", "first_row", "First row", show=False),
        Binding("end,G", "last_row", "Last row", show=False),
        Binding("left", "column(-1)", "Column left", show=False),
        Binding("right", "column(1)", "Column right", show=False),
        Binding("s", "sort", "Sort", show=False, id="acrfence.table_sort"),
        Binding("enter", "select", "Open", show=False),
    ]

    @dataclass
    class Filtered(Message):
        """The filter changed what is shown; the row under the cursor may be another one."""

        table: KeyedTable

    @dataclass
    class RowHighlighted(Message):
        """The cursor is on another row (``key`` None: no row)."""

        table: KeyedTable
        cursor_row: int
        key: str | None

        @property
        def control(self) -> KeyedTable:
            return self.table

    @dataclass
    class RowSelected(Message):
        """Enter (or a click) on the row under the cursor."""

        table: KeyedTable
        cursor_row: int
        key: str

        @property
        def control(self) -> KeyedTable:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._store = RowStore(
            len(self.COLUMNS), self.natural_rank(), self.sort_value, self.search_text()
        )
        self._cursor = 0
        self._announced: str | None = None  # the key the last RowHighlighted named
        self._column = 0  # the column ←/→ chose; `s` sorts by it
        self._column_chosen = False  # its header is marked once the user moves to a column
        self._filter_text = ""
        # Drawn lines by what they show (the row's key, its cells object, zebra, cursor, focus,
        # scroll, widths), not by position: rows streaming in above the view shift the lines
        # on screen, and each is drawn again only if its own content changed (a redraw per
        # streamed batch drew every line on screen: ~40 ms a frame in the fleet tenant).
        self._lines: OrderedDict[tuple[object, ...], tuple[object, Strip]] = OrderedDict()
        self._widths_version = 0  # bumped whenever the column widths on screen change
        self._shown: tuple[object, ...] | None = None  # what the last repaint showed
        self._styles: dict[str, Style] = {}  # the palette's styles by name
        # The widget's own styles, read once per look: reading them from the CSS cost more
        # than drawing the line (0.2 ms each, several per line).
        self._looks: dict[str, Style] = {}
        # A row's styles by (odd row, cursor): its base and each column's (with the column's
        # number), read once per look like ``_looks`` and cleared with it. Adding the styles
        # up per cell was half the cost of drawing a row that came on screen (a page down).
        self._row_looks: dict[tuple[bool, bool], _RowLook] = {}
        self._widths_now: list[int] | None = None  # column widths on screen until a change

    # ---- what subclasses say -----------------------------------------------------------------

    def natural_rank(self) -> Callable[[str, tuple[Cell, ...]], Rank] | None:
        """How rows are ordered before any sort (None: in the order they were given)."""
        return None

    def search_text(self) -> Callable[[Sequence[str]], str] | None:
        """How a row's cell texts read to the `/` filter (None: joined by spaces)."""
        return None

    def sort_value(self, column: int, text: str) -> Any:
        """What a cell sorts by: counts as numbers, the rest as case-free text."""
        return number_or_text(column, text)

    # ---- reading ------------------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def row_count(self) -> int:
        """Rows shown (those the filter lets through)."""
        return len(self._store)

    @property
    def total_rows(self) -> int:
        return self._store.total

    @property
    def row_keys(self) -> list[str]:
        """Keys of the rows shown, in display order."""
        return self._store.keys()

    @property
    def cursor_row(self) -> int:
        return self._cursor if len(self._store) else -1

    @property
    def selected_key(self) -> str | None:
        if not len(self._store):
            return None
        return self._store.key_at(min(self._cursor, len(self._store) - 1))

    @property
    def sort_column(self) -> str | None:
        column = self._store.sort_column
        return None if column is None else self.COLUMNS[column][0]

    @property
    def sort_descending(self) -> bool:
        return self._store.descending

    def row_cells(self, key: str) -> tuple[Cell, ...] | None:
        """The cells held for ``key`` (shown or filtered out); None when there is no such row."""
        return self._store.cells.get(key)

    def get_cell(self, key: str, column: str) -> Text:
        index = [name for name, _ in self.COLUMNS].index(column)
        return self._as_text(self._store.cells[key][index])

    def get_row(self, key: str) -> list[Text]:
        return [self._as_text(cell) for cell in self._store.cells[key]]

    def column_render_widths(self) -> list[tuple[str, int]]:
        """Each column's key and width on screen (padding included), left to right."""
        return [
            (key, width)
            for (key, _), width in zip(self.COLUMNS, self._render_widths(), strict=True)
        ]

    # ---- changing -----------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[Row], also_search: Mapping[str, str] | None = None) -> None:
        """Show exactly ``rows``; ``also_search`` adds text the filter matches beyond the cells.

        Subclasses hand back the very same cells tuple for an unchanged row, so it costs a
        pointer check on every refresh.
        """
        with self._keeping_cursor():
            self._store.replace(rows, also_search)

    def add_rows(self, rows: Iterable[Row], also_search: Mapping[str, str] | None = None) -> None:
        """Add rows, or change those whose key is shown already, where the order puts them.

        O(batch · log rows) plus a shift inside one block of keys per row (1,000 rows into
        50,000: 39 ms at worst on a loaded 2-core machine, benchmarks/table_choice.py); only
        the lines on screen are drawn again. The cursor stays on its row.
        """
        with self._keeping_cursor():
            self._store.upsert(rows, also_search)

    def fit_columns(self) -> None:
        """Columns as wide as the rows held now need (they only widen as rows change)."""
        self._store.remeasure()
        self._redraw()

    def update_row(self, key: str, cells: tuple[Cell, ...]) -> None:
        self.add_rows([(key, cells)])

    def remove_rows(self, keys: Iterable[str]) -> None:
        with self._keeping_cursor():
            self._store.remove(keys)

    def set_filter(self, text: str) -> None:
        self._filter_text = text.strip()
        with self._keeping_cursor():
            self._store.set_filter(self._filter_text)
        self.border_subtitle = f"filter: {self._filter_text}" if self._filter_text else ""
        self.post_message(self.Filtered(self))

    def sort_by(self, column: str | None, descending: bool = False) -> None:
        """Order the rows by ``column`` (None: the table's own order)."""
        index = None if column is None else [name for name, _ in self.COLUMNS].index(column)
        with self._keeping_cursor(follow=True):
            self._store.sort(index, descending)

    def select_key(self, key: str) -> bool:
        """Move the cursor to the row ``key``; False when it isn't shown."""
        position = self._store.position(key)
        if position is None:
            return False
        self.move_cursor(row=position)
        return True

    def move_cursor(self, *, row: int) -> None:
        rows = len(self._store)
        if not rows:
            return
        before = self._cursor
        self._cursor = max(0, min(row, rows - 1))
        self._refresh_row(before)
        self._refresh_row(self._cursor)
        self._scroll_to_cursor()
        self._announce()

    # ---- actions ------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_down(self) -> None:
        page = self._page()
        self.scroll_to(y=self.scroll_offset.y + page, animate=False, immediate=True)
        self.move_cursor(row=self._cursor + page)

    def action_page_up(self) -> None:
        page = self._page()
        self.scroll_to(y=max(0, self.scroll_offset.y - page), animate=False, immediate=True)
        self.move_cursor(row=self._cursor - page)

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._store) - 1)

    def action_column(self, step: int) -> None:
        self._column = max(0, min(self._column + step, len(self.COLUMNS) - 1))
        self._column_chosen = True
        self._redraw()
        self._scroll_to_column()

    def action_sort(self) -> None:
        """Sort by the chosen column; again on the same column reverses."""
        column = self.COLUMNS[self._column][0]
        descending = self.sort_column == column and not self.sort_descending
        self._column_chosen = True
        self.sort_by(column, descending)

    def action_select(self) -> None:
        key = self.selected_key
        if key is not None:
            self.post_message(self.RowSelected(self, self._cursor, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:  # the header: choose that column, and sort by it
            x = offset.x + int(self.scroll_offset.x)
            for index, width in enumerate(self._render_widths()):
                if x < width:
                    self._column = index
                    self.action_sort()
                    return
                x -= width
            return
        row = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= row < len(self._store):
            was_cursor = row == self._cursor
            self.move_cursor(row=row)
            if was_cursor:
                self.action_select()

    # ---- keeping the cursor and the screen in step --------------------------------------------

    def _keeping_cursor(self, follow: bool = False) -> _CursorKeeper:
        return _CursorKeeper(self, follow)

    def _after_change(self, key: str | None, before: int, follow: bool) -> None:
        """The rows changed: put the cursor back on ``key`` and redraw the lines on screen."""
        rows = len(self._store)
        position = self._store.position(key) if key is not None else None
        if position is None:
            self._cursor = max(0, min(before, rows - 1))
        else:
            self._cursor = position
            if not follow and position != before:
                # Rows came in above: scroll with them, so the cursor's row stays put on screen.
                self.scroll_to(
                    y=self.scroll_offset.y + position - before, animate=False, immediate=True
                )
        self._redraw()
        self._scroll_to_cursor()
        self._announce()

    def _announce(self) -> None:
        key = self.selected_key
        if key != self._announced:
            self._announced = key
            self.post_message(self.RowHighlighted(self, self.cursor_row, key))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # the header stays

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        visible = self._page()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True)

    def _scroll_to_column(self) -> None:
        widths = self._render_widths()
        start = sum(widths[: self._column])
        end = start + widths[self._column]
        left = int(self.scroll_offset.x)
        width = self.scrollable_content_region.width
        if start < left:
            self.scroll_to(x=start, animate=False, immediate=True)
        elif end > left + width:
            self.scroll_to(x=min(start, end - width), animate=False, immediate=True)

    def _redraw(self) -> None:
        """The rows changed: resize, and repaint only if a line on screen shows something
        else (most rows of a streaming tenant land off screen)."""
        before = self._widths_now
        self._widths_now = None
        if self._render_widths() != before:
            self._widths_version += 1
            self._lines.clear()
        self._resize_content(Size(sum(self._render_widths()), len(self._store) + 1))
        shown = self._on_screen()
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def _resize_content(self, size: Size) -> None:
        """Set the scrollable size. Setting ``virtual_size`` lays the whole screen out again
        (the pane's height is auto); once the rows overflow the pane and go on growing, as a
        streaming tenant's do, the layout can't change: only the scrollbars are told (a
        layout and a repaint of every pane per batch of rows were most of the stall)."""
        old = self.virtual_size
        if size == old:
            return
        view = self.scrollable_content_region.size
        settled = (
            self.show_vertical_scrollbar
            and old.height > view.height
            and size.height >= old.height
            and (size.width > view.width) == (old.width > view.width)
        )
        if not settled:
            self.virtual_size = size
            return
        self.set_reactive(KeyedTable.virtual_size, size)
        self.vertical_scrollbar.window_virtual_size = size.height
        if self.show_horizontal_scrollbar:
            self.horizontal_scrollbar.window_virtual_size = size.width

    def _on_screen(self) -> tuple[object, ...]:
        """What the lines on screen show: rows (key and cells), cursor, scroll, header."""
        top = int(self.scroll_offset.y)
        store = self._store
        rows = tuple(
            (store.key_at(row), store.cells[store.key_at(row)])
            for row in range(top, min(len(store), top + self.size.height))
        )
        header = (tuple(self._labels()), self._column_chosen, self._column)
        return (rows, self._cursor, top, self._widths_version, header, self.has_focus)

    def _refresh_row(self, row: int) -> None:
        """Draw ``row`` again if it is on screen. A row scrolled off (the cursor's old row
        after a page down) would mark a line outside the table, over the pane above it, and
        the screen would draw that line again for nothing."""
        line = row + 1 - int(self.scroll_offset.y)  # the header is line 0
        if 0 < line < self.size.height:
            self.refresh_line(row + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()
        self._shown = None
        self._styles.clear()
        self._looks.clear()
        self._row_looks.clear()

    def on_focus(self) -> None:
        self._looks.clear()  # :focus styles differ
        self._row_looks.clear()
        self._shown = None
        self._redraw()

    def on_blur(self) -> None:
        self._looks.clear()
        self._row_looks.clear()
        self._shown = None
        self._redraw()

    def on_resize(self) -> None:
        self._shown = None  # more or fewer lines on screen: drawn by Textual, noted here

    def on_mount(self) -> None:
        self._redraw()

    # ---- drawing ------------------------------------------------------------------------------

    def _labels(self) -> list[str]:
        labels = [label for _, label in self.COLUMNS]
        column = self._store.sort_column
        if column is not None:
            labels[column] += DESCENDING if self._store.descending else ASCENDING
        return labels

    def _render_widths(self) -> list[int]:
        if self._widths_now is None:
            self._widths_now = self._measure_widths()
        return self._widths_now

    def _measure_widths(self) -> list[int]:
        return [
            max(len(label), content) + 2
            for label, content in zip(self._labels(), self._store.widths(), strict=True)
        ]

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.app.console.get_style(name, default=Style.null()) if name else Style.null()
            self._styles[name] = style
        return style

    def _look(self, name: str) -> Style:
        style = self._looks.get(name)
        if style is None:
            if name == "base":
                style = self.rich_style
            elif name.startswith("datatable--cursor") or name == "datatable--header-cursor":
                style = self.get_component_rich_style(name)
            else:
                style = self.get_component_styles(name).rich_style
            self._looks[name] = style
        return style

    def _as_text(self, cell: Cell) -> Text:
        return Text(cell) if isinstance(cell, str) else Text(cell[0], style=cell[1])

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = (int(v) for v in self.scroll_offset)
        row = -1 if y == 0 else scroll_y + y - 1
        if row >= len(self._store):
            return Strip.blank(width, self._look("base"))
        key = None if row < 0 else self._store.key_at(row)
        cursor = row == self._cursor
        if key is None:  # the header
            content: object = (tuple(self._labels()), self._column_chosen, self._column)
            cache_key: tuple[object, ...] = (None, self.has_focus, scroll_x, width)
        else:
            content = self._store.cells[key]
            cache_key = (key, row & 1, cursor, self.has_focus, scroll_x, width)
        cached = self._lines.get(cache_key)
        if cached is not None and (cached[0] is content or cached[0] == content):
            return cached[1]
        if row < 0:
            strip = Strip(self._header_segments())
            strip = strip.crop_extend(scroll_x, scroll_x + width, self._look("base")).simplify()
        else:
            strip = self._row_strip(row, key, cursor, scroll_x, width)
        if cached is None and len(self._lines) >= LINES_KEPT:
            # The oldest goes, one per line drawn: emptied at once, the thousand lines' strips
            # took 5-9 ms to free, on whichever key drew the line after them.
            self._lines.popitem(last=False)
        self._lines[cache_key] = (content, strip)
        return strip

    def _header_segments(self) -> list[Segment]:
        header = self._look("datatable--header")
        chosen = self._look("datatable--header-cursor")
        segments = []
        for index, (label, width) in enumerate(
            zip(self._labels(), self._render_widths(), strict=True)
        ):
            style = header + chosen if self._column_chosen and index == self._column else header
            text = " " + set_cell_size(label, width - 2) + " "
            segments.append(Segment(text, style + _COLUMN_META[index]))
        segments.append(Segment(" " * self.size.width, header))
        return segments

    def _row_look(self, odd: bool, cursor: bool) -> _RowLook:
        look = self._row_looks.get((odd, cursor))
        if look is None:
            base = self._look("datatable--odd-row" if odd else "datatable--even-row")
            after = Style.null()
            if cursor:
                cursor_style = self._look("datatable--cursor")
                base += cursor_style
                # The cursor's foreground wins over a cell's colour, as in Textual's DataTable.
                after = Style.from_color(color=cursor_style.color)
            look = self._row_looks[odd, cursor] = _RowLook(base, after)
        return look

    def _row_strip(
        self, row: int, key: str | None, cursor: bool, scroll_x: int, line_width: int
    ) -> Strip:
        """The row's line as seen from ``scroll_x``, ``line_width`` cells wide."""
        look = self._row_look(bool(row % 2), cursor)
        segments = []
        used_total = 0
        cells = self._store.cells[key] if key is not None else ()
        for column, (cell, width) in enumerate(zip(cells, self._render_widths(), strict=False)):
            # Each column's segments carry its number (as Textual's DataTable's do), so
            # neighbouring cells stay apart in exports and screenshots.
            own = look.column(column)
            room = width - 2
            text = cell_text(cell)
            used = text_width(text)
            if used > room:
                text, used = set_cell_size(text, room), room
            pad = " " * (room - used + 1)
            used_total += width
            if isinstance(cell, str):
                segments.append(Segment(f" {text}{pad}", own))
            else:
                # The cell's style on its words only, as Textual's DataTable draws a Text.
                style = look.styled(column, cell[1], self._style)
                if style is None:  # it adds nothing to the column's: one segment
                    segments.append(Segment(f" {text}{pad}", own))
                else:
                    segments.append(Segment(" ", own))
                    segments.append(Segment(text, style))
                    segments.append(Segment(pad, own))
        if scroll_x == 0 and used_total <= line_width:
            # It fits: padded to the width here, as the crop below would, and its length
            # said, so the strip needn't measure every segment again.
            # Neighbouring segments never share a style (each carries its column's number,
            # and a cell's words are one segment with its padding when their style adds
            # nothing), so there is nothing for ``simplify`` to join.
            if used_total < line_width:
                segments.append(Segment(" " * (line_width - used_total), look.base))
            return Strip(segments, line_width)
        segments.append(Segment(" " * line_width, look.base))
        end = scroll_x + line_width
        return Strip(segments).crop_extend(scroll_x, end, self._look("base")).simplify()


class _RowLook:
    """The styles of one look of row (odd or even, under the cursor or not), added up once
    per column and per cell style rather than for every cell drawn."""

    def __init__(self, base: Style, after: Style) -> None:
        self.base = base
        self.after = after  # over a styled cell's own style (the cursor's foreground)
        self._columns: list[Style] = []
        self._styled: dict[tuple[int, str], Style | None] = {}

    def column(self, index: int) -> Style:
        columns = self._columns
        while len(columns) <= index:
            columns.append(self.base + _COLUMN_META[len(columns)])
        return columns[index]

    def styled(self, index: int, name: str, style_of: Callable[[str], Style]) -> Style | None:
        """A styled cell's words' style; None when it is the column's own."""
        key = (index, name)
        if key not in self._styled:
            own = self.column(index)
            style = own + style_of(name) + self.after
            self._styled[key] = None if style == own else style
        return self._styled[key]


class _CursorKeeper:
    """Around a change of rows: the cursor stays on its row (``follow``: and the screen with
    it, for a sort, which moves every row)."""

    def __init__(self, table: KeyedTable, follow: bool) -> None:
        self.table = table
        self.follow = follow

    def __enter__(self) -> None:
        self.key = self.table.selected_key
        self.before = self.table._cursor

    def __exit__(self, *exc: object) -> None:
        self.table._after_change(self.key, self.before, self.follow)
