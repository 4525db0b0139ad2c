"""The strip under the panes: loading progress, then one line per subscription that failed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from acrfence.services.models import SubscriptionFailure
from acrfence.widgets.palette import ERROR, WARNING

__all__ = ["LoadStatus", "age_text"]


def age_text(seconds: float) -> str:
    """How long ago, in words an operator reads at a glance: "just now", "40 s ago"."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"


class LoadStatus(Vertical):
    DEFAULT_CSS = """
    LoadStatus { height: auto; max-height: 6; }
    LoadStatus > #load-line { height: auto; max-height: 2; }
    LoadStatus > ProgressBar { height: 1; }
    LoadStatus > #failures { height: auto; max-height: 4; }
    """

    _shown: tuple[object, ...] | None = None
    _failures_shown: str | None = None
    _lines_shown = 0  # lines the load line took (0: not yet drawn)

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
        age: str | None = None,
        watch_seconds: float | None = None,
        unfinished: Sequence[str] = (),
        subscriptions: tuple[int, int] = (0, 0),
        waiting: str | None = None,
        coverage: str | None = None,
    ) -> None:
        """``coverage``: what the read left out (the fleet pass over Resource Graph), shown
        under the load line until the next read."""
        # Called every second to keep the age true: redraw only when something changed.
        shown = (loading, done, total, counts, tuple(failures), tuple(names.items()), error,
                 age, watch_seconds, tuple(unfinished), subscriptions, waiting,
                 coverage)  # fmt: skip
        if shown == self._shown:
            return
        self._shown = shown
        line = self.query_one("#load-line", Static)
        bar = self.query_one("#load-progress", ProgressBar)
        if loading:
            read, of = subscriptions
            progress = f"{read:,}/{of:,} subscriptions · " if of else ""
            text = Text(f"… Reading the inventory: {progress}{counts}", style="italic")
            if waiting:
                # Slower on purpose: say so, so nobody takes it for a hang.
                text.append(f" · {waiting}", style=WARNING)
            self._update(line, text)
            bar.display = True
            bar.update(total=total, progress=done)
        elif error:
            # Nothing (or only part) was read: never claim "read" over an empty screen.
            self._update(line, Text(f"✗ Inventory not read (r retries): {error}", style=ERROR))
            bar.display = False
        else:
            # How old the data is, so nobody takes a stale screen for Azure's state.
            read = f"Read {age}" if age else "Inventory read"
            if watch_seconds:
                read += f", again every {watch_seconds:g} s"
            self._update(line, Text(f"✓ {read}: {counts}"))
            bar.display = False
        failure_lines = Text()
        if unfinished:
            # A run left halfway: the runs view (R) leads back to it.
            runs = "run" if len(unfinished) == 1 else "runs"
            failure_lines.append("⚠ ", style="bold")
            failure_lines.append(
                f"{len(unfinished)} interrupted {runs} ({', '.join(unfinished[:2])}"
                f"{'…' if len(unfinished) > 2 else ''}): R shows them"
            )
        for failure in failures:
            name = names.get(failure.subscription_id.casefold(), failure.subscription_id)
            if failure_lines:
                failure_lines.append("\n")
            failure_lines.append("✗ ", style=ERROR)
            failure_lines.append(f"{name}: could not read {failure.what} ({failure.code}) ")
            failure_lines.append(failure.message, style="dim")
        if coverage:
            if failure_lines:
                failure_lines.append("\n")
            failure_lines.append("⚠ ", style=WARNING)
            failure_lines.append(coverage)
        failures_widget = self.query_one("#failures", Static)
        if failure_lines.plain != self._failures_shown:
            self._failures_shown = failure_lines.plain
            failures_widget.update(failure_lines)
        failures_widget.display = bool(failures) or bool(unfinished) or bool(coverage)

    def _update(self, line: Static, text: Text) -> None:
        """Show ``text`` on the load line; lay the screen out again only when it takes
        another number of lines (each layout of the dashboard reflowed every pane: tens of
        milliseconds, at every publish while a fleet streams in)."""
        width = max(1, line.content_region.width or line.size.width or 1)
        lines = min(2, max(1, -(-text.cell_len // width)))
        line.update(text, layout=lines != self._lines_shown)
        self._lines_shown = lines
