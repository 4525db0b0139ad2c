"""One subnet: its endpoints, and which registries its hosts reach and why (the reverse view)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from services.analysis import subnet_reach
from services.models import Registry, Subnet
from tui.actions import bindings_for
from tui.screens import acrfence_app
from widgets.subnet_detail import SubnetDetail

__all__ = ["SubnetDetailScreen"]


class SubnetDetailScreen(Screen[None]):
    BINDINGS = bindings_for("detail")
    AUTO_FOCUS = "#detail-scroll"

    def __init__(self, subnet_id: str) -> None:
        super().__init__()
        self.subnet_id = subnet_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-scroll", can_focus=True):
            yield SubnetDetail(id="subnet-detail")
            yield Static(id="gone")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(acrfence_app(self), "data", self._redraw)

    def _redraw(self) -> None:
        data = acrfence_app(self).data
        inventory = data.inventory
        subnet = inventory.subnet(self.subnet_id)
        gone = self.query_one("#gone", Static)
        detail = self.query_one(SubnetDetail)
        if subnet is None:
            gone.update("This subnet is no longer in the inventory.")
            detail.display = False
            return
        gone.display = False
        detail.display = True
        self.sub_title = subnet.label
        findings = [
            f for f in data.findings if f.subnet_id and f.subnet_id.casefold() == subnet.key
        ]
        detail.show(subnet, subnet_reach(subnet, inventory), findings)

    def action_close(self) -> None:
        self.dismiss()

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        return None, acrfence_app(self).data.inventory.subnet(self.subnet_id)
