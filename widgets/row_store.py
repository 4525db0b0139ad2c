"""The rows behind a KeyedTable: compact tuples by key, kept in order, filtered, sorted.

No Textual here: the widget draws only the lines on screen from this store, so a table of
100,000 subnets costs what its rows cost, not a Rich object per cell (benchmarks/table_choice.py).

A row is a key and a tuple of cells; a cell is a ``str`` or a ``(text, style name)`` pair, the
pairs interned so the few distinct styled words ("■ Deny", "✓ enabled") exist once, however many
rows show them. The order is kept sorted by a rank (the table's natural order, or a column then
the natural order as a tie-break, each row's rank kept beside it); a descending sort reads the
same keys backwards. Keys sit in blocks (``SortedKeys``), so a batch of new rows costs
O(batch · log rows) plus a shift inside one block per row, never a re-sort or a copy of
what is already there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from acrfence.widgets.sorted_keys import SortedKeys

__all__ = [
    "Cell",
    "Rank",
    "Row",
    "RowStore",
    "cell_text",
    "compact",
    "number_or_text",
    "styled",
    "text_width",
]

Styled = tuple[str, str]  # (text, style name)
Cell = str | Styled
Row = tuple[str, tuple[Cell, ...]]  # (row key, cells)
Rank = Any  # a tuple the rows sort by; comparable with the other ranks of the same table

_INTERNED: dict[Styled, Styled] = {}


def styled(text: str, style: str) -> Cell:
    """A styled cell, shared with every other cell of the same text and style."""
    if not style:
        return text
    pair = (text, style)
    return _INTERNED.setdefault(pair, pair)


def compact(cell: str | Text | Styled) -> Cell:
    """A cell as the store keeps it; a Rich ``Text`` keeps its text and its base style."""
    if isinstance(cell, Text):
        return styled(cell.plain, str(cell.style) if cell.style else "")
    if isinstance(cell, tuple):
        return styled(*cell)
    return cell


def cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


def text_width(text: str) -> int:
    """Cells on screen; most table text is ASCII, where that is its length."""
    return len(text) if text.isascii() else cell_len(text)


def number_or_text(_column: int, text: str) -> tuple[int, float, str]:
    """Counts sort as numbers, the rest as case-free text."""
    stripped = text.strip()
    if stripped.isdigit():
        return (0, int(stripped), "")
    return (1, 0, stripped.casefold())


class _KeptTracked(dict[str, Any]):
    """A dict the garbage collector never untracks (it untracks only exact dicts whose
    values are all atomic, as these rows' cells and ranks are): an untracked dict is tracked
    again as young by the next row added, and every young collection then walked all of it
    (100,000 entries per table) while a fleet tenant streamed in, a few milliseconds per
    collection. Tracked all along it stays in the oldest generation, walked only by a full
    collection."""

    __slots__ = ()


class RowStore:
    """Rows by key, in display order; ``natural_rank`` gives the order when no column is
    sorted (None: the order rows were given in)."""

    def __init__(
        self,
        columns: int,
        natural_rank: Callable[[str, tuple[Cell, ...]], Rank] | None = None,
        sort_value: Callable[[int, str], Any] = number_or_text,
    ) -> None:
        self.columns = columns
        self.cells: dict[str, tuple[Cell, ...]] = _KeptTracked()
        self._natural = natural_rank
        self._sort_value = sort_value
        self._given: dict[str, int] = {}  # key -> arrival number, for the given order only
        self._arrivals = 0
        # Each row's rank is kept beside it so a binary search reads a dict in C instead of
        # calling back into Python per comparison: merging a batch of 1,000 into 40,000 rows
        # took 77 ms computing ranks, 3 ms reading them.
        self._ranks: dict[str, Rank] = _KeptTracked()  # key -> its rank under the current order
        # key -> the case-free text the filter matches; only while a filter is on (about 240
        # bytes a row: 24 MB for 100,000 subnets otherwise kept for nothing).
        self._search: dict[str, str] | None = None
        rank = self._ranks.__getitem__
        self._order = SortedKeys(rank)  # every key
        self._view: SortedKeys | None = None  # the keys matching the filter; None: no filter
        self._needle = ""
        self._extra: dict[str, str] = {}  # text the filter matches beyond the cells
        self.sort_column: int | None = None
        self.descending = False
        # The widest cell per column so far. A row that shrinks or goes leaves it as it was
        # (as Textual's DataTable does) until the rows are replaced whole: counting widths
        # exactly cost a third of a streamed batch.
        self._widths = [0] * columns
        self._widths_stale = False

    # ---- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def _keys(self) -> SortedKeys:
        return self._order if self._view is None else self._view

    @property
    def total(self) -> int:
        return len(self._order)

    @property
    def needle(self) -> str:
        return self._needle

    def key_at(self, index: int) -> str:
        keys = self._keys
        return keys[len(keys) - 1 - index] if self.descending else keys[index]

    def keys(self) -> list[str]:
        """Keys in display order."""
        keys = self._keys
        return list(reversed(keys)) if self.descending else list(keys)

    def position(self, key: str) -> int | None:
        """Where ``key`` is shown; None when it isn't (unknown, or filtered out)."""
        if key not in self.cells:
            return None
        keys = self._keys
        index = keys.index(key)
        if index is None:
            return None
        return len(keys) - 1 - index if self.descending else index

    def remeasure(self) -> None:
        """Measure the columns again when next drawn (a column's widest cell may be gone)."""
        self._widths_stale = True

    def widths(self) -> list[int]:
        if self._widths_stale:
            self._widths = [0] * self.columns
            for cells in self.cells.values():
                self._widen(cells)
            self._widths_stale = False
        return self._widths

    # ---- ranks ---------------------------------------------------------------------------

    def _natural_rank(self, key: str) -> Rank:
        if self._natural is None:
            return (self._given[key],)
        return self._natural(key, self.cells[key])

    def _compute_rank(self, key: str) -> Rank:
        column = self.sort_column
        if column is None:
            return self._natural_rank(key)
        text = cell_text(self.cells[key][column])
        return (self._sort_value(column, text), self._natural_rank(key))

    # ---- changing ------------------------------------------------------------------------

    def replace(self, rows: Iterable[Row], also_search: Mapping[str, str] | None = None) -> None:
        """Hold exactly ``rows``: stale keys go, changed rows change, new ones come in.

        In the given order (no ``natural_rank``), the rows' order is the order given here.
        """
        rows = list(rows)
        wanted = {key for key, _ in rows}
        stale = [key for key in self.cells if key not in wanted]
        if self._natural is None:
            # The given order is the order: number the rows again and rebuild.
            self.clear()
        elif stale:
            self.remove(stale)
            self._widths_stale = True  # measured again when next drawn
        self.upsert(rows, also_search)

    def clear(self) -> None:
        self.cells.clear()
        self._given.clear()
        self._extra.clear()
        self._search = None if self._search is None else {}
        self._ranks.clear()
        self._order.reset(())
        self._view = None if not self._needle else SortedKeys(self._ranks.__getitem__)
        self._widths = [0] * self.columns

    def upsert(self, rows: Iterable[Row], also_search: Mapping[str, str] | None = None) -> bool:
        """Add new rows and change existing ones by key; True when anything changed."""
        extra = also_search or {}
        new: list[str] = []
        moved: list[str] = []
        changed = False
        for key, given in rows:
            old = self.cells.get(key)
            new_extra = key in extra and extra[key] != self._extra.get(key, "")
            if old is not None and old is given and not new_extra:
                continue  # the very same cells: nothing to do (a refresh of unchanged data)
            cells = (
                given
                if type(given) is tuple and Text not in map(type, given)
                else tuple(map(compact, given))
            )
            if old is not None and old == cells and not new_extra:
                # The same content: keep the caller's tuple, so its next refresh is one `is`.
                self.cells[key] = cells
                continue
            changed = True
            if old is None:
                self.cells[key] = cells
                if self._natural is None:
                    self._given[key] = self._arrivals
                    self._arrivals += 1
                new.append(key)
            else:
                self.cells[key] = cells
                rank = self._compute_rank(key)
                if rank != self._ranks[key]:
                    self._drop_sorted(key)  # found by its old rank
                    self._ranks[key] = rank
                    moved.append(key)
            self._widen(cells)
            if key in extra:
                self._extra[key] = extra[key]
            if self._search is not None:
                self._search[key] = self._search_text(key)
        for key in new:
            self._ranks[key] = self._compute_rank(key)
        added = list(dict.fromkeys(new + moved))
        if len(added) > 64 and 4 * len(added) > len(self._order):
            # Many at once (a first load, a given-order table filled again): one sort in C
            # beats a binary search and a block shift per key.
            rank = self._ranks.__getitem__
            self._order.reset(sorted(chain(self._order, added), key=rank))
            if self._view is not None:
                matching = [key for key in added if self._matches(key)]
                self._view.reset(sorted(chain(self._view, matching), key=rank))
            return changed
        for key in added:
            self._order.add(key)
            if self._view is not None and self._matches(key):
                self._view.add(key)
        return changed

    def remove(self, keys: Iterable[str]) -> None:
        gone = [key for key in keys if key in self.cells]
        if not gone:
            return
        for key in gone:
            self._drop_sorted(key)
            del self.cells[key]
            self._given.pop(key, None)
            self._extra.pop(key, None)
            if self._search is not None:
                self._search.pop(key, None)
            self._ranks.pop(key, None)

    def set_filter(self, needle: str) -> None:
        needle = needle.casefold()
        if needle == self._needle:
            return
        narrower = bool(self._needle) and self._needle in needle
        source = self._keys if narrower else self._order
        self._needle = needle
        if not needle:
            self._view, self._search = None, None
            return
        if self._search is None:
            self._search = {key: self._search_text(key) for key in self.cells}
        search = self._search
        self._view = SortedKeys(
            self._ranks.__getitem__, [key for key in source if needle in search[key]]
        )

    def sort(self, column: int | None, descending: bool = False) -> None:
        """Order by ``column`` (None: the natural order), ascending or descending."""
        same_ranks = column == self.sort_column
        self.sort_column = column
        self.descending = descending and column is not None
        if same_ranks:
            return  # only the reading direction changed
        ranks = {key: self._compute_rank(key) for key in self.cells}
        self._ranks.clear()
        self._ranks.update(ranks)  # in place: the sorted keys read this very dict
        self._order.reset(sorted(self.cells, key=self._ranks.__getitem__))
        if self._view is not None:
            matching = set(self._view)
            self._view.reset(key for key in self._order if key in matching)

    # ---- inside --------------------------------------------------------------------------

    def _widen(self, cells: Sequence[Cell]) -> None:
        widths = self._widths
        for column, cell in enumerate(cells):
            text = cell if type(cell) is str else cell[0]
            width = len(text) if text.isascii() else cell_len(text)
            if width > widths[column]:
                widths[column] = width

    def _search_text(self, key: str) -> str:
        texts = [cell if type(cell) is str else cell[0] for cell in self.cells[key]]
        texts.append(self._extra.get(key, ""))
        return " ".join(texts).casefold()

    def _matches(self, key: str) -> bool:
        return self._search is None or self._needle in self._search[key]

    def _drop_sorted(self, key: str) -> None:
        """Take ``key`` (by its rank as it stands) out of the order and the view."""
        self._order.discard(key)
        if self._view is not None:
            self._view.discard(key)
