"""Building blocks for the detail views: headings and symbol-led lines as Rich renderables.

Each line is its own padded block, so a sentence that wraps at 80 columns keeps its indent
instead of falling back to the left edge.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

__all__ = ["DetailText"]


class DetailText:
    """Accumulates a detail view's sections; every state keeps its word beside its colour."""

    def __init__(self) -> None:
        self._blocks: list[RenderableType] = []
        self._plain: list[str] = []

    @property
    def plain(self) -> str:
        """The text without styles or wrapping: what tests and copy-paste read."""
        return "\n".join(self._plain)

    def renderable(self) -> RenderableType:
        return Group(*self._blocks)

    def _add(self, text: Text, indent: int = 0) -> None:
        self._blocks.append(Padding(text, (0, 0, 0, indent)) if indent else text)
        self._plain.append(" " * indent + text.plain)

    def title(self, text: str, subtitle: str = "") -> None:
        # The subtitle gets its own line: run together, a terminal without bold shows
        # "lockedregistryPremium".
        self._add(Text(text, style="bold"))
        if subtitle:
            self._add(Text(subtitle, style="dim"))

    def heading(self, text: str, note: str = "") -> None:
        self._add(Text(""))
        heading = Text(text, style="bold underline")
        if note:
            heading.append(f"  {note}", style="italic")
        self._add(heading)

    def line(self, *parts: str | Text, indent: int = 2) -> None:
        text = Text()
        for part in parts:
            text.append(part)
        self._add(text, indent)

    def field(self, label: str, value: str | Text) -> None:
        self.line(Text(f"{label}: ", style="dim"), value)

    def none(self, what: str) -> None:
        self.line(Text(f"(no {what})", style="dim"))
