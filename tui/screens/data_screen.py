"""Screens pushed over the dashboard that follow the app's data: the findings list and the
registry/subnet detail views share how they redraw, close and scroll."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from acrfence.services.models import Inventory, Registry, Subnet
from acrfence.tui.actions import bindings_for
from acrfence.tui.screens import acrfence_app

if TYPE_CHECKING:
    from acrfence.tui.app import DashboardData

__all__ = ["DataScreen", "DetailScreen"]

SubjectT = TypeVar("SubjectT", Registry, Subnet)


class DataScreen(Screen[None]):
    """Redraws whenever the app publishes new data (and once on mount); `close` dismisses."""

    def on_mount(self) -> None:
        self.watch(acrfence_app(self), "data", self._redraw)

    def _redraw(self) -> None:
        raise NotImplementedError

    def action_close(self) -> None:
        self.dismiss()

    def selection(self) -> tuple[Registry | None, Subnet | None]:
        """What the app's lockdown/restore/probe actions apply to while this screen is on top."""
        raise NotImplementedError

    def resource_under_cursor(self) -> object | None:
        """What `c` copies the ID of and `y` shows the JSON of: the registry, else the subnet."""
        registry, subnet = self.selection()
        return registry or subnet


class DetailScreen(DataScreen, Generic[SubjectT]):
    """One registry or subnet in a scrollable detail widget; says so when it has disappeared
    from the inventory instead of showing stale facts."""

    BINDINGS = bindings_for("detail")
    AUTO_FOCUS = "#detail-scroll"
    GONE_TEXT = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-scroll", can_focus=True):
            self._detail = self._detail_widget()
            yield self._detail
            yield Static(id="gone")
        yield Footer(compact=True)

    def _detail_widget(self) -> Widget:
        """The widget that shows the subject, made once in compose."""
        raise NotImplementedError

    def _find(self, inventory: Inventory) -> SubjectT | None:
        raise NotImplementedError

    def _show(self, subject: SubjectT, data: DashboardData) -> None:
        """Fill the detail widget (and the sub-title) for a subject that still exists."""
        raise NotImplementedError

    def _redraw(self) -> None:
        data = acrfence_app(self).data
        subject = self._find(data.inventory)
        gone = self.query_one("#gone", Static)
        detail = self._detail
        if subject is None:
            gone.update(self.GONE_TEXT)
            detail.display = False
            return
        gone.display = False
        detail.display = True
        self._show(subject, data)
