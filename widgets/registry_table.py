"""The registries pane: one row per registry with its firewall at a glance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.text import Text

from services.models import Finding, Registry
from widgets.keyed_table import KeyedTable
from widgets.markers import findings_marker

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

    def show(
        self, registries: Iterable[Registry], findings: Mapping[str, Sequence[Finding]]
    ) -> None:
        ordered = sorted(registries, key=lambda r: (r.name.casefold(), r.key))
        self.set_rows(
            (registry.key, _cells(registry, findings.get(registry.key, ()))) for registry in ordered
        )


def _cells(registry: Registry, findings: Sequence[Finding]) -> tuple[str | Text, ...]:
    rules = registry.rules
    deny = rules.denies_by_default
    default = Text("■ Deny", style="yellow") if deny else Text("□ Allow")
    public = Text("on") if registry.public_access_enabled else Text("✗ off", style="yellow")
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
