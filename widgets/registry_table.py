"""The registries pane: one row per registry with its firewall at a glance."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from acrfence.services.models import Finding, Registry
from acrfence.widgets.keyed_table import KeyedTable
from acrfence.widgets.markers import findings_marker
from acrfence.widgets.palette import WARNING
from acrfence.widgets.row_store import Cell, Rank, compact, number_or_text, styled

__all__ = ["RegistryTable"]

DENY = styled("■ Deny", WARNING)
ALLOW = "□ Allow"
PUBLIC_ON = "on"
PUBLIC_OFF = styled("✗ off", WARNING)
# The findings marker's symbol, worst first: sorting by the column puts errors on top.
_SEVERITY_ORDER = {"✖": 0, "▲": 1, "●": 2, "✓": 3}


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
        # Cells of each registry, reused while its object and findings stay the same: a big
        # tenant is published many times while it streams in.
        self._cells_of: dict[str, tuple[Registry, Sequence[Finding], tuple[Cell, ...]]] = {}

    def natural_rank(self) -> Callable[[str, tuple[Cell, ...]], Rank]:
        return _by_name

    def sort_value(self, column: int, text: str) -> Any:
        if self.COLUMNS[column][0] == "findings":
            symbol, _, rest = text.partition(" ")
            count = rest.split(" ", 1)[0]
            return (_SEVERITY_ORDER.get(symbol, 4), -int(count) if count.isdigit() else 0)
        return number_or_text(column, text)

    def show(
        self, registries: Iterable[Registry], findings: Mapping[str, Sequence[Finding]]
    ) -> None:
        """Show exactly ``registries`` (the table orders them)."""
        previous, self._cells_of = self._cells_of, {}
        self.set_rows(self._rows(registries, findings, previous))

    def add_registries(
        self, registries: Iterable[Registry], findings: Mapping[str, Sequence[Finding]]
    ) -> None:
        """Add (or change, by key) a batch of registries: O(batch), for a streaming tenant."""
        self.add_rows(self._rows(registries, findings, self._cells_of))

    def _rows(
        self,
        registries: Iterable[Registry],
        findings: Mapping[str, Sequence[Finding]],
        previous: Mapping[str, tuple[Registry, Sequence[Finding], tuple[Cell, ...]]],
    ) -> list[tuple[str, tuple[Cell, ...]]]:
        rows = []
        for registry in registries:
            found = findings.get(registry.key, ())
            cached = previous.get(registry.key)
            if cached is not None and cached[0] is registry and cached[1] == found:
                cells = cached[2]
            else:
                cells = _cells(registry, found)
            self._cells_of[registry.key] = (registry, found, cells)
            rows.append((registry.key, cells))
        return rows


def _by_name(key: str, cells: tuple[Cell, ...]) -> Rank:
    name = cells[0]
    return ((name if isinstance(name, str) else name[0]).casefold(), key)


_COUNTS = tuple(str(n) for n in range(201))  # one string per count, shared by every row


def _count(n: int) -> str:
    return _COUNTS[n] if n < len(_COUNTS) else str(n)


def _cells(registry: Registry, findings: Sequence[Finding]) -> tuple[Cell, ...]:
    rules = registry.rules
    return (
        registry.name,
        compact(findings_marker(findings)),
        registry.sku,
        DENY if rules.denies_by_default else ALLOW,
        PUBLIC_ON if registry.public_access_enabled else PUBLIC_OFF,
        _count(len(rules.virtual_network_rules)),
        _count(len(rules.ip_rules)),
        registry.resource_group,
    )
