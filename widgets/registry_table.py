"""The registries pane: one row per registry with its firewall at a glance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.text import Text

from acrfence.services.models import Finding, Registry
from acrfence.widgets.keyed_table import KeyedTable
from acrfence.widgets.markers import findings_marker
from acrfence.widgets.palette import WARNING

__all__ = ["RegistryTable"]


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
        # Cells of each registry object, reused while it and its findings stay the same: a
        # big tenant is redrawn many times while it streams in.
        self._cells_of: dict[int, tuple[Registry, Sequence[Finding], tuple[str | Text, ...]]] = {}

    def show(
        self, registries: Iterable[Registry], findings: Mapping[str, Sequence[Finding]]
    ) -> None:
        ordered = sorted(registries, key=lambda r: (r.name.casefold(), r.key))
        cache: dict[int, tuple[Registry, Sequence[Finding], tuple[str | Text, ...]]] = {}
        rows = []
        for registry in ordered:
            found = findings.get(registry.key, ())
            cached = self._cells_of.get(id(registry))
            if cached is not None and cached[0] is registry and cached[1] == found:
                cells = cached[2]
            else:
                cells = _cells(registry, found)
            cache[id(registry)] = (registry, found, cells)
            rows.append((registry.key, cells))
        self._cells_of = cache
        self.set_rows(rows)


def _cells(registry: Registry, findings: Sequence[Finding]) -> tuple[str | Text, ...]:
    rules = registry.rules
    deny = rules.denies_by_default
    default = Text("■ Deny", style=WARNING) if deny else Text("□ Allow")
    public = Text("on") if registry.public_access_enabled else Text("✗ off", style=WARNING)
    return (
        registry.name,
        findings_marker(findings),
        registry.sku,
        default,
        public,
        str(len(rules.virtual_network_rules)),
        str(len(rules.ip_rules)),
        registry.resource_group,
    )
