"""One registry in full: each rule beside its subnet's endpoint status, access in words."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from services.analysis import effective_access
from services.analysis.context import subnet_label
from services.models import Registry, Subnet
from tui.actions import bindings_for
from tui.screens import acrfence_app
from widgets.registry_detail import RegistryDetail

__all__ = ["RegistryDetailScreen"]


class RegistryDetailScreen(Screen[None]):
    BINDINGS = bindings_for("detail")
    AUTO_FOCUS = "#detail-scroll"

    def __init__(self, registry_id: str) -> None:
        super().__init__()
        self.registry_id = registry_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-scroll", can_focus=True):
            yield RegistryDetail(id="registry-detail")
            yield Static(id="gone")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(acrfence_app(self), "data", self._redraw)

    def _redraw(self) -> None:
        data = acrfence_app(self).data
        inventory = data.inventory
        registry = inventory.registry(self.registry_id)
        gone = self.query_one("#gone", Static)
        detail = self.query_one(RegistryDetail)
        if registry is None:
            gone.update("This registry is no longer in the inventory.")
            detail.display = False
            return
        gone.display = False
        detail.display = True
        self.sub_title = registry.name
        statuses = [
            (
                subnet_label(rule.subnet_id, inventory.subnet(rule.subnet_id)),
                inventory.endpoint_status(rule.subnet_id),
            )
            for rule in registry.rules.virtual_network_rules
        ]
        detail.show(
            registry,
            statuses,
            effective_access(registry, inventory),
            data.findings_by_registry.get(registry.key, ()),
        )

    def action_close(self) -> None:
        self.dismiss()

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        return acrfence_app(self).data.inventory.registry(self.registry_id), None
