"""One subnet: its endpoints, and which registries its hosts reach and why (the reverse view)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from acrfence.services.analysis import subnet_reach
from acrfence.services.models import Inventory, Registry, Subnet
from acrfence.tui.screens import acrfence_app
from acrfence.tui.screens.data_screen import DetailScreen
from acrfence.widgets.subnet_detail import SubnetDetail

if TYPE_CHECKING:
    from acrfence.tui.app import DashboardData

__all__ = ["SubnetDetailScreen"]


class SubnetDetailScreen(DetailScreen[Subnet]):
    GONE_TEXT = "This subnet is no longer in the inventory."

    def __init__(self, subnet_id: str) -> None:
        super().__init__()
        self.subnet_id = subnet_id

    def _detail_widget(self) -> SubnetDetail:
        return SubnetDetail(id="subnet-detail")

    def _find(self, inventory: Inventory) -> Subnet | None:
        return inventory.subnet(self.subnet_id)

    def _show(self, subnet: Subnet, data: DashboardData) -> None:
        self.sub_title = subnet.label
        findings = [
            f for f in data.findings if f.subnet_id and f.subnet_id.casefold() == subnet.key
        ]
        self.query_one(SubnetDetail).show(subnet, subnet_reach(subnet, data.inventory), findings)

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        return None, self._find(acrfence_app(self).data.inventory)
