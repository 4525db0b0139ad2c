"""How other auditors judge a registry: one verdict of one peer tool's check.

acrfence maps every Azure Container Registry network check of Azure Policy, PSRule for Azure,
Prowler, Checkov and CloudSploit to its own findings, so an auditor can match them line by
line. The catalog of checks (what each one really tests, and where we read it) lives in
``services.analysis.peers``; these are the plain results.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PeerOutcome", "PeerVerdict", "group_verdicts"]


class PeerOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_EVALUATED = "not-evaluated"  # the check needs data acrfence doesn't read
    NOT_APPLICABLE = "not-applicable"  # the check doesn't look at this registry at all


@dataclass(frozen=True, slots=True)
class PeerVerdict:
    """What one peer check would say about one registry, and what acrfence adds to it."""

    tool: str  # "Azure Policy", "PSRule for Azure", "Prowler", "Checkov", "CloudSploit"
    check_id: str  # the peer's own ID, e.g. "d0793b48-0edc-4296-a390-4c75d1bdfd71"
    outcome: PeerOutcome
    # Where acrfence knows better, in one sentence ("passes, yet nothing can pull"); else "".
    note: str = ""

    @property
    def label(self) -> str:
        """ "Azure Policy d0793b48-0edc-4296-a390-4c75d1bdfd71: fail"."""
        return f"{self.tool} {self.check_id}: {self.outcome}"


def group_verdicts(
    verdicts: tuple[PeerVerdict, ...],
) -> list[tuple[list[str], PeerOutcome, str]]:
    """Verdicts sharing an outcome and a remark, together: ([checks], outcome, note).

    "passes, yet nothing can pull" said once for three checks reads better in a detail pane
    or a CI log than three times.
    """
    grouped: dict[tuple[PeerOutcome, str], list[str]] = {}
    for verdict in verdicts:
        key = (PeerOutcome(verdict.outcome), verdict.note)
        grouped.setdefault(key, []).append(f"{verdict.tool} {verdict.check_id}")
    return [(checks, outcome, note) for (outcome, note), checks in grouped.items()]
