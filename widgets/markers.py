"""Symbol + word for every state, so nothing depends on colour alone (SSH, NO_COLOR)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from acrfence.services.models import EndpointStatus, Finding, PeerOutcome, Severity, group_verdicts
from acrfence.widgets.palette import ERROR, INFO, MUTED, OK, WARNING

__all__ = [
    "endpoint_marker",
    "findings_marker",
    "marker_rank",
    "peer_lines",
    "severity_marker",
    "yes_no",
]

_SEVERITY = {
    Severity.ERROR: ("✖ error", ERROR),
    Severity.WARNING: ("▲ warning", WARNING),
    Severity.INFO: ("● info", INFO),
}

_ENDPOINT = {
    EndpointStatus.ENABLED: ("✓ enabled", OK),
    EndpointStatus.UPDATING: ("… updating", WARNING),
    EndpointStatus.MISSING: ("✗ missing", ERROR),
    EndpointStatus.SUBNET_NOT_FOUND: ("✗ subnet not found", ERROR),
    EndpointStatus.UNREADABLE: ("? unreadable subscription", WARNING),
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
        return Text("✓ ok", style=OK)
    worst = min((Severity(f.severity) for f in found), key=lambda s: s.rank)
    label, style = _SEVERITY[worst]
    symbol = label.split(" ", 1)[0]
    return Text(f"{symbol} {len(found)} {_SEVERITY_SHORT[worst]}", style=style)


# Worst first: a table sorted by a severity or findings column puts errors on top.
_SYMBOL_RANK = {label.split(" ", 1)[0]: Severity(s).rank for s, (label, _) in _SEVERITY.items()}
_SYMBOL_RANK["✓"] = len(_SYMBOL_RANK)  # "✓ ok": no finding, after every severity


def marker_rank(text: str) -> int:
    """Where a severity or findings marker sorts: errors, warnings, info, then "✓ ok"."""
    return _SYMBOL_RANK.get(text[:1], len(_SYMBOL_RANK) + 1)


def endpoint_marker(status: EndpointStatus) -> Text:
    label, style = _ENDPOINT[EndpointStatus(status)]
    return Text(label, style=style)


def yes_no(value: bool, yes: str, no: str, *, good: bool | None = None) -> Text:
    """A word with a symbol; ``good`` says which value is the healthy one (None: neutral)."""
    text = f"✓ {yes}" if value else f"✗ {no}"
    if good is None:
        return Text(text)
    return Text(text, style=OK if value == good else WARNING)


_PEER_OUTCOME = {
    PeerOutcome.FAIL: ("✗ fail", ERROR),
    PeerOutcome.PASS: ("✓ pass", OK),
    PeerOutcome.NOT_EVALUATED: ("? not evaluated", WARNING),
    PeerOutcome.NOT_APPLICABLE: ("- not applicable", MUTED),
}


def peer_lines(finding: Finding) -> Text:
    """The auditor checks the finding maps to, one line per verdict, acrfence's remark beside.

    Checks with the same verdict and remark share a line: the detail pane has a few lines at
    80x24.
    """
    text = Text()
    for checks, outcome, note in group_verdicts(finding.peers):
        label, style = _PEER_OUTCOME[outcome]
        text.append(f"\n{', '.join(checks)}: ")
        text.append(label, style=style)
        if note:
            text.append(f" (acrfence: {note})", style="italic")
    return text
