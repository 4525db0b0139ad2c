"""The strip under the panes: loading progress, then one line per subscription that failed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from services.models import SubscriptionFailure
from widgets.palette import ERROR

__all__ = ["LoadStatus"]


class LoadStatus(Vertical):
    DEFAULT_CSS = """
    LoadStatus { height: auto; max-height: 6; }
    LoadStatus > #load-line { height: auto; max-height: 2; }
    LoadStatus > ProgressBar { height: 1; }
    LoadStatus > #failures { height: auto; max-height: 4; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="load-line")
        yield ProgressBar(total=None, show_eta=False, id="load-progress")
        yield Static(id="failures")

    def show(
        self,
        *,
        loading: bool,
        done: int,
        total: int | None,
        counts: str,
        failures: Sequence[SubscriptionFailure],
        names: dict[str, str],
        error: str | None = None,
    ) -> None:
        line = self.query_one("#load-line", Static)
        bar = self.query_one("#load-progress", ProgressBar)
        if loading:
            line.update(Text(f"… Reading the inventory: {counts}", style="italic"))
            bar.display = True
            bar.update(total=total, progress=done)
        elif error:
            # Nothing (or only part) was read: never claim "read" over an empty screen.
            line.update(Text(f"✗ Inventory not read (r retries): {error}", style=ERROR))
            bar.display = False
        else:
            line.update(Text(f"✓ Inventory read: {counts}"))
            bar.display = False
        failure_lines = Text()
        for failure in failures:
            name = names.get(failure.subscription_id.casefold(), failure.subscription_id)
            if failure_lines:
                failure_lines.append("\n")
            failure_lines.append("✗ ", style=ERROR)
            failure_lines.append(f"{name}: could not read {failure.what} ({failure.code}) ")
            failure_lines.append(failure.message, style="dim")
        failures_widget = self.query_one("#failures", Static)
        failures_widget.update(failure_lines)
        failures_widget.display = bool(failures)
