"""The subscriptions pane: "All subscriptions" first, then each subscription and its load state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from acrfence.services.models import Inventory
from acrfence.widgets.keyed_table import Cell, KeyedTable, Row
from acrfence.widgets.palette import ERROR, OK
from acrfence.widgets.row_store import Rank, cell_text, styled

__all__ = ["ALL_SUBSCRIPTIONS", "SubscriptionTable"]

ALL_SUBSCRIPTIONS = "*"


class SubscriptionTable(KeyedTable):
    # Every layout gives this pane the full width, so the state is spelled out.
    COLUMNS = (
        ("name", "Subscription"),
        ("registries", "Reg"),
        ("networks", "VNets"),
        ("state", "State"),
    )

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # Each row's cells as last shown: an unchanged subscription hands the store the very
        # same tuple (a pointer check), a thousand of them once a second while a fleet loads.
        self._rows: dict[str, tuple[Cell, ...]] = {}
        self._loading = False  # as last shown
        self._drawn_from: _Shown | None = None  # what the rows were drawn from

    def natural_rank(self) -> Callable[[str, tuple[Cell, ...]], Rank]:
        # The order show() gives, kept by the store: a redraw with the same rows then costs
        # a pointer check per row instead of numbering and sorting a thousand rows again.
        return _by_name

    def show(self, inventory: Inventory, loading: bool) -> None:
        registries, networks = inventory.counts_by_subscription()
        failed = {f.subscription_id.casefold(): f.code for f in inventory.failures}
        names = {s.subscription_id.casefold(): s.display_name for s in inventory.subscriptions}
        # A subscription asked for by ID that the identity can't list still gets its row: the
        # failure is the thing to see.
        for key in failed:
            names.setdefault(key, key)
        total = self._row(
            ALL_SUBSCRIPTIONS,
            "All subscriptions",
            str(len(inventory.registries)),
            str(len(inventory.virtual_networks)),
            _state(loading, "some failed" if failed else None),
        )
        shown = _Shown(names, failed, loading, registries, networks)
        before = self._drawn_from
        if before is not None and before.same_rows_as(shown):
            # Only counts changed: those rows alone. A fleet's thousand rows, built and
            # handed to the table once a second while it streams in, cost 10-20 ms a time.
            changed = [
                self._subscription_row(shown, key)
                for key in names
                if registries.get(key, 0) != before.registries.get(key, 0)
                or networks.get(key, 0) != before.networks.get(key, 0)
            ]
            self._rows.update([total, *changed])
            self.add_rows([total, *changed])
        else:
            ordered = sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
            rows = [total, *(self._subscription_row(shown, key) for key, _ in ordered)]
            self._rows = dict(rows)
            self.set_rows(rows)
        self._drawn_from = shown
        if loading != self._loading:
            # "… loading" goes: the state column narrows to what it says now.
            self._loading = loading
            self.fit_columns()

    def _subscription_row(self, shown: _Shown, key: str) -> Row:
        return self._row(
            key,
            shown.names[key],  # a display name is free text, drawn as it is (never markup)
            str(shown.registries.get(key, 0)),
            str(shown.networks.get(key, 0)),
            _state(shown.loading, shown.failed.get(key)),
        )

    def _row(self, key: str, *cells: Cell) -> Row:
        before = self._rows.get(key)
        return (key, before if before == cells else cells)


@dataclass(frozen=True)
class _Shown:
    """What the rows were drawn from: with the same subscriptions, names, failures and load
    state, only the rows whose counts changed are drawn again."""

    names: dict[str, str]
    failed: dict[str, str]
    loading: bool
    registries: Mapping[str, int]
    networks: Mapping[str, int]

    def same_rows_as(self, other: _Shown) -> bool:
        return (self.loading, self.names, self.failed) == (
            other.loading,
            other.names,
            other.failed,
        )


def _by_name(key: str, cells: tuple[Cell, ...]) -> Rank:
    """ "All subscriptions" first, then by display name (case-free), then by ID."""
    if key == ALL_SUBSCRIPTIONS:
        return (0, "", "")
    return (1, cell_text(cells[0]).casefold(), key)


def _state(loading: bool, failure: str | None) -> Cell:
    """A symbol and a word, readable without colour."""
    if failure:
        return styled(f"✗ {failure}", ERROR)
    if loading:
        return styled("… loading", "italic")
    return styled("✓ read", OK)
