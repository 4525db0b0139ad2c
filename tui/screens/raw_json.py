"""The raw view (`y`): a resource's JSON as ARM last returned it, scrollable, secrets hidden.

k9s shows a resource's YAML on `y`; this is the same for the registry, subnet, virtual network
or subscription under the cursor. The text is the inventory's last read (``raw`` on the
models), not a new request: what the other views were drawn from.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from acrfence.services.raw_json import raw_json_text

__all__ = ["RawJsonScreen"]


class RawJsonScreen(Screen[None]):
    AUTO_FOCUS = "#raw-scroll"
    BINDINGS = [
        Binding("escape,q,y", "dismiss", "Back", id="acrfence.raw_close"),
        Binding("j", "scroll('down')", show=False),
        Binding("k", "scroll('up')", show=False),
        Binding("g", "scroll('home')", show=False),
        Binding("G", "scroll('end')", show=False),
    ]

    def __init__(self, title: str, resource_id: str, raw: object) -> None:
        super().__init__()
        self._title = title
        self._resource_id = resource_id
        self.text = raw_json_text(raw)  # type: ignore[arg-type]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="raw-scroll", can_focus=True):
            yield Static(self._resource_id, id="raw-id", markup=False)
            yield Static(self.text, id="raw-json", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"{self._title} · JSON as last read"

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#raw-scroll", VerticalScroll)
        {
            "down": scroll.scroll_down,
            "up": scroll.scroll_up,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
        }[where](animate=False)
