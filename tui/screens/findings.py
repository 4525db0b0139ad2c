"""Every finding in the tenant, worst first, filterable; Enter jumps to what it is about."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Header, Input, Static

from acrfence.services.models import Finding, Registry, Subnet
from acrfence.tui.actions import bindings_for
from acrfence.tui.screens import acrfence_app
from acrfence.tui.screens.data_screen import DataScreen
from acrfence.widgets.filter_input import FilterInput
from acrfence.widgets.findings_table import FindingsTable
from acrfence.widgets.keyed_table import KeyedTable
from acrfence.widgets.markers import peer_lines

__all__ = ["FindingsScreen"]


class FindingsScreen(DataScreen):
    BINDINGS = bindings_for("findings")
    AUTO_FOCUS = "#findings"

    def __init__(self) -> None:
        super().__init__()
        self._by_key: dict[str, Finding] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield FindingsTable(id="findings")
        yield Static(id="finding-detail")
        yield FilterInput(id="filter")
        yield Footer(compact=True)

    def _redraw(self) -> None:
        data = acrfence_app(self).data
        inventory = data.inventory
        subjects = {r.key: r.name for r in inventory.registries}
        subjects.update({s.key: s.label for s in inventory.subnets})
        table = self.query_one(FindingsTable)
        self._by_key = table.show(data.findings, subjects)
        if data.loading:
            loading = " (still reading the inventory…)"
        elif data.findings_pending:
            loading = " (still working them out…)"
        else:
            loading = ""
        table.border_title = f"Findings: {len(data.findings)}{loading}"
        self._show_detail(table.selected_key)

    @on(KeyedTable.RowHighlighted, "#findings")
    def _highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        self._show_detail(event.key)

    @on(FindingsTable.Filtered)
    def _filtered(self) -> None:
        self._show_detail(self.query_one(FindingsTable).selected_key)

    def _show_detail(self, key: str | None) -> None:
        finding = self._by_key.get(key or "")
        detail = self.query_one("#finding-detail", Static)
        if finding is None:
            detail.update("")
            return
        text = Text()
        text.append(finding.title, style="bold")
        text.append(f"  [{finding.code}]", style="dim")
        text.append(f"\n{finding.detail}")
        text.append_text(peer_lines(finding))
        text.append("\nEnter: open what this is about", style="dim")
        detail.update(text)

    @on(KeyedTable.RowSelected, "#findings")
    def _selected(self, event: KeyedTable.RowSelected) -> None:
        finding = self._by_key.get(event.key or "")
        if finding is None:
            return
        app = acrfence_app(self)
        if finding.registry_id:
            app.show_registry(finding.registry_id)
        elif finding.subnet_id:
            app.show_subnet(finding.subnet_id)

    def finding(self, key: str | None) -> Finding | None:
        """The finding shown in row ``key`` (None when no such row)."""
        return self._by_key.get(key or "")

    def action_filter(self) -> None:
        self.query_one(FilterInput).open_for(self.query_one(FindingsTable))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `/` is a priority key (it must beat the keys queued after it): in the filter input
        # it is a character.
        return not (action == "filter" and isinstance(self.focused, Input))

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        finding = self._by_key.get(self.query_one(FindingsTable).selected_key or "")
        inventory = acrfence_app(self).data.inventory
        if finding is None:
            return None, None
        registry = inventory.registry(finding.registry_id) if finding.registry_id else None
        subnet = inventory.subnet(finding.subnet_id) if finding.subnet_id else None
        return registry, subnet
