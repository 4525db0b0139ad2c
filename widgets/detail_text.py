"""Building blocks for the detail views: headings and symbol-led lines as Rich Text."""

from __future__ import annotations

from rich.text import Text

__all__ = ["DetailText"]

# Textual's wrapping drops ordinary leading spaces on some lines; no-break spaces survive.
INDENT = "\u00a0"


class DetailText:
    """Accumulates a detail view's sections; every state keeps its word beside its colour."""

    def __init__(self) -> None:
        self.text = Text()

    def title(self, text: str, subtitle: str = "") -> None:
        # The subtitle gets its own line: run together, a terminal without bold shows
        # "lockedregistryPremium".
        self.text.append(text, style="bold")
        if subtitle:
            self.text.append(f"\n{subtitle}", style="dim")
        self.text.append("\n")

    def heading(self, text: str, note: str = "") -> None:
        self.text.append(f"\n{text}", style="bold underline")
        if note:
            self.text.append(f"  {note}", style="italic")
        self.text.append("\n")

    def line(self, *parts: str | Text, indent: int = 2) -> None:
        self.text.append(INDENT * indent)
        for part in parts:
            self.text.append(part)
        self.text.append("\n")

    def field(self, label: str, value: str | Text) -> None:
        self.line(Text(f"{label}: ", style="dim"), value)

    def none(self, what: str) -> None:
        self.line(Text(f"(no {what})", style="dim"))
