"""Symbol + word for every state, so nothing depends on colour alone (SSH, NO_COLOR)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from services.models import EndpointStatus, Finding, Severity

__all__ = [
    "endpoint_marker",
    "findings_marker",
    "severity_marker",
    "yes_no",
]

_SEVERITY = {
    Severity.ERROR: ("✖ error", "bold red"),
    Severity.WARNING: ("▲ warning", "yellow"),
    Severity.INFO: ("● info", "cyan"),
}

_ENDPOINT = {
    EndpointStatus.ENABLED: ("✓ enabled", "green"),
    EndpointStatus.UPDATING: ("… updating", "yellow"),
    EndpointStatus.MISSING: ("✗ missing", "bold red"),
    EndpointStatus.SUBNET_NOT_FOUND: ("✗ subnet not found", "bold red"),
    EndpointStatus.UNREADABLE: ("? unreadable subscription", "yellow"),
}


def severity_marker(severity: Severity) -> Text:
    label, style = _SEVERITY[Severity(severity)]
    return Text(label, style=style)


# Short words for the registries table, where every column counts at 100 columns.
_SEVERITY_SHORT = {Severity.ERROR: "err", Severity.WARNING: "warn", Severity.INFO: "info"}


def findings_marker(findings: Iterable[Finding]) -> Text:
    """How many findings and the worst severity: "✖ 2 err", "▲ 1 warn", "● 1 info", "✓ ok"."""
    found = list(findings)
    if not found:
        return Text("✓ ok", style="green")
    worst = min((Severity(f.severity) for f in found), key=lambda s: s.rank)
    label, style = _SEVERITY[worst]
    symbol = label.split(" ", 1)[0]
    return Text(f"{symbol} {len(found)} {_SEVERITY_SHORT[worst]}", style=style)


def endpoint_marker(status: EndpointStatus) -> Text:
    label, style = _ENDPOINT[EndpointStatus(status)]
    return Text(label, style=style)


def yes_no(value: bool, yes: str, no: str, *, good: bool | None = None) -> Text:
    """A word with a symbol; ``good`` says which value is the healthy one (None: neutral)."""
    text = f"✓ {yes}" if value else f"✗ {no}"
    if good is None:
        return Text(text)
    return Text(text, style="green" if value == good else "yellow")
