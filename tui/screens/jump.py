"""The `:` prompt: type a view's name (or the start of it) and Enter jumps there, as in k9s."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

__all__ = ["JumpScreen", "VIEWS", "find_view"]

# View name -> other words that mean it. The app knows how to show each (AcrFenceApp.go_to).
VIEWS: dict[str, tuple[str, ...]] = {
    "registries": ("acr", "registry"),
    "networks": ("subnets", "vnets", "subnet", "vnet"),
    "subscriptions": ("subs", "subscription"),
    "findings": ("finding",),
    "help": ("keys", "?"),
}


def find_view(typed: str) -> str | None:
    """The view a typed word names: a name, an alias, or the unique start of one."""
    word = typed.strip().lstrip(":").casefold()
    if not word:
        return None
    names = {name: name for name in VIEWS} | {a: n for n, aliases in VIEWS.items() for a in aliases}
    if word in names:
        return names[word]
    starts = {view for name, view in names.items() if name.startswith(word)}
    return starts.pop() if len(starts) == 1 else None


class JumpScreen(ModalScreen[str | None]):
    """One line at the bottom; dismisses with the typed text (None on Escape)."""

    DEFAULT_CSS = """
    JumpScreen { background: $background 0%; }
    JumpScreen > #jump-line { dock: bottom; height: 1; margin-bottom: 1; background: $panel; }
    JumpScreen #jump-line > Static { width: 2; padding-left: 1; text-style: bold; }
    JumpScreen #jump-line > Input { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="acrfence.jump_cancel")]

    def compose(self) -> ComposeResult:
        with Horizontal(id="jump-line"):
            yield Static(":")
            yield Input(
                placeholder=f"{', '.join(VIEWS)} (Enter jumps, Escape cancels)",
                suggester=SuggestFromList([*VIEWS, *(a for v in VIEWS.values() for a in v)]),
                compact=True,
                id="jump",
            )

    def on_mount(self) -> None:
        # Focused now, not when the screen is first shown: keys typed right after `:` are
        # handed to whatever is focused as soon as the app's `:` action returns.
        self.set_focus(self.query_one("#jump", Input))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)
