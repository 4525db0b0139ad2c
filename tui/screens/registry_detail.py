"""One registry in full: each rule beside its subnet's endpoint status, access in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from acrfence.services.analysis import effective_access
from acrfence.services.analysis.context import subnet_label
from acrfence.services.analysis.private_link import private_endpoint_views
from acrfence.services.models import Inventory, Registry, Subnet
from acrfence.tui.screens import acrfence_app
from acrfence.tui.screens.data_screen import DetailScreen
from acrfence.widgets.registry_detail import RegistryDetail

if TYPE_CHECKING:
    from acrfence.tui.app import DashboardData

__all__ = ["RegistryDetailScreen"]


class RegistryDetailScreen(DetailScreen[Registry]):
    GONE_TEXT = "This registry is no longer in the inventory."

    def __init__(self, registry_id: str) -> None:
        super().__init__()
        self.registry_id = registry_id

    def _detail_widget(self) -> RegistryDetail:
        return RegistryDetail(id="registry-detail")

    def _find(self, inventory: Inventory) -> Registry | None:
        return inventory.registry(self.registry_id)

    def _show(self, registry: Registry, data: DashboardData) -> None:
        inventory = data.inventory
        self.sub_title = registry.name
        statuses = [
            (
                subnet_label(rule.subnet_id, inventory.subnet(rule.subnet_id)),
                inventory.endpoint_status(rule.subnet_id),
            )
            for rule in registry.rules.virtual_network_rules
        ]
        self.query_one(RegistryDetail).show(
            registry,
            statuses,
            effective_access(registry, inventory),
            data.findings_by_registry.get(registry.key, ()),
            private_endpoint_views(registry, inventory),
            [r.region for r in inventory.replications_of(registry)],
        )

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        return self._find(acrfence_app(self).data.inventory), None
