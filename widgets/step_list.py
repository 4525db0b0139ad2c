"""The steps of a change being applied: number, status, title; long titles wrap, never cut.

A Rich table in a Static rather than a DataTable: a DataTable row is one line, so at 80
columns a step's title ran off the edge (and a long failure pushed it further off).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from acrfence.services.models import RunRecord, Step, StepStatus
from acrfence.widgets.palette import ERROR, OK

__all__ = ["StepList", "status_text"]


def status_text(status: StepStatus | str, note: str | None, error: str | None) -> Text:
    """A step's status in words, with the note or the error that goes with it."""
    status = StepStatus(status)
    if status is StepStatus.FAILED and error:
        return Text(f"✖ failed: {error}", style=ERROR)
    text = str(status)
    if note:
        text += f" ({note})"
    style = OK if status is StepStatus.DONE else ""
    return Text(("✓ " if status is StepStatus.DONE else "") + text, style=style)


class StepList(Static):
    plain = ""  # the rows as text, without styles (tests, copying)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: dict[int, tuple[str, Text]] = {}

    def start(self, steps: Sequence[Step]) -> None:
        self._rows = {step.index: (step.title, Text("pending")) for step in steps}
        self._draw()

    def progress(self, run: RunRecord) -> None:
        for record in run.records:
            if record.index in self._rows:  # a resumed run may carry steps of another plan
                title = self._rows[record.index][0]
                status = status_text(record.status, record.note, record.error)
                self._rows[record.index] = (title, status)
        self._draw()

    def _draw(self) -> None:
        table = Table(box=None, expand=True, pad_edge=False, header_style="bold")
        table.add_column("#", no_wrap=True)
        table.add_column("status", max_width=32, overflow="fold")
        table.add_column("step", ratio=1, overflow="fold")
        for index, (title, status) in self._rows.items():
            table.add_row(str(index), status, title)
        self.plain = "\n".join(
            f"{index} {status.plain} {title}" for index, (title, status) in self._rows.items()
        )
        self.update(table)
