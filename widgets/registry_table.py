"""The registries pane: one row per registry with its firewall at a glance."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from acrfence.services.graph_coverage import virtual_network_rules_unread
from acrfence.services.models import Finding, Registry, Severity
from acrfence.widgets.keyed_table import KeyedTable
from acrfence.widgets.markers import findings_marker, marker_rank
from acrfence.widgets.palette import WARNING
from acrfence.widgets.row_store import Cell, Rank, cell_text, compact, number_or_text, styled

__all__ = ["RegistryTable"]

DENY = styled("■ Deny", WARNING)
ALLOW = "□ Allow"
PUBLIC_ON = "on"
PUBLIC_OFF = styled("✗ off", WARNING)


class RegistryTable(KeyedTable):
    # Most telling first: at 80 columns the resource group is the one that may scroll off.
    COLUMNS = (
        ("name", "Registry"),
        ("findings", "Findings"),
        ("sku", "SKU"),
        ("default", "Default"),
        ("public", "Public"),
        ("vnet_rules", "VNet"),
        ("ip_rules", "IP"),
        ("group", "Resource group"),
    )

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # The registry object each row was drawn from: while the inventory keeps handing the
        # same object (and its findings still give the same marker) the row's cells are
        # reused, so a big tenant published many times while it streams is not redrawn.
        self._source: dict[str, Registry] = {}

    def natural_rank(self) -> Callable[[str, tuple[Cell, ...]], Rank]:
        return _by_name

    def sort_value(self, column: int, text: str) -> Any:
        if self.COLUMNS[column][0] == "findings":
            count = text.split(" ")[1] if text.count(" ") >= 2 else ""
            return (marker_rank(text), -int(count) if count.isdigit() else 0)
        return number_or_text(column, text)

    def show(
        self, registries: Iterable[Registry], findings: Mapping[str, Sequence[Finding]]
    ) -> None:
        """Show exactly ``registries`` (the table orders them)."""
        rows = self._rows(registries, findings)
        if len(rows) != len(self._source):
            shown = {key for key, _ in rows}
            for key in [key for key in self._source if key not in shown]:
                del self._source[key]
        self.set_rows(rows)

    def add_registries(
        self, registries: Iterable[Registry], findings: Mapping[str, Sequence[Finding]]
    ) -> None:
        """Add (or change, by key) a batch of registries: O(batch), for a streaming tenant."""
        self.add_rows(self._rows(registries, findings))

    def _rows(
        self, registries: Iterable[Registry], findings: Mapping[str, Sequence[Finding]]
    ) -> list[tuple[str, tuple[Cell, ...]]]:
        rows = []
        source = self._source
        for registry in registries:
            key = registry.key  # computed once: each call builds a new string
            marker = _findings_cell(findings.get(key, ()))
            old = self.row_cells(key) if source.get(key) is registry else None
            cells = old if old is not None and old[1] is marker else _cells(registry, marker)
            source[key] = registry  # an existing entry keeps its key: one string per row
            rows.append((key, cells))
        return rows


def _by_name(key: str, cells: tuple[Cell, ...]) -> Rank:
    name = cell_text(cells[0])
    folded = name.casefold()
    # Registry names are lower case: share the cell's string rather than keep a copy per row.
    return (name if folded == name else folded, key)


_COUNTS = tuple(str(n) for n in range(201))  # one string per count, shared by every row
UNREAD = "?"  # virtual network rules the fleet pass over Resource Graph did not read


def _count(n: int) -> str:
    return _COUNTS[n] if n < len(_COUNTS) else str(n)


_MARKERS: dict[tuple[int, int], Cell] = {}


def _findings_cell(findings: Sequence[Finding]) -> Cell:
    """The findings marker as a shared cell: one per (count, worst severity)."""
    worst = min((Severity(f.severity).rank for f in findings), default=-1)
    cell = _MARKERS.get((len(findings), worst))
    if cell is None:
        cell = _MARKERS[len(findings), worst] = compact(findings_marker(findings))
    return cell


def _cells(registry: Registry, marker: Cell) -> tuple[Cell, ...]:
    rules = registry.rules
    return (
        registry.name,
        marker,
        registry.sku,
        DENY if rules.denies_by_default else ALLOW,
        PUBLIC_ON if registry.public_access_enabled else PUBLIC_OFF,
        # "?" rather than a count of rules the fleet pass over Resource Graph didn't read
        UNREAD
        if virtual_network_rules_unread(registry)
        else _count(len(rules.virtual_network_rules)),
        _count(len(rules.ip_rules)),
        registry.resource_group,
    )
