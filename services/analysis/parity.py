"""The auditors' view, line by line: every peer check on every registry beside acrfence's word.

``findings --json`` and the report print this table so an auditor can match each tool's
verdict to the acrfence finding that carries it, or read why acrfence reports nothing there.
It is built from the same findings the dashboard shows, never from a second analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from acrfence.services.analysis.context import classify, context_for
from acrfence.services.analysis.findings import find_findings
from acrfence.services.analysis.peers import PEER_CHECKS, not_evaluated_note, peer_verdicts
from acrfence.services.analysis.profiles import PROFILES, Profile
from acrfence.services.models import Finding, Inventory, PeerOutcome

__all__ = ["PeerRow", "peer_table"]


@dataclass(frozen=True)
class PeerRow:
    registry_id: str
    registry_name: str
    tool: str
    check_id: str
    title: str
    outcome: PeerOutcome
    acrfence_codes: tuple[str, ...]  # the findings (in this profile) that carry the verdict
    note: str  # where acrfence knows better, or why it reports nothing here


def peer_table(
    inventory: Inventory, findings: Sequence[Finding], profile: Profile
) -> tuple[PeerRow, ...]:
    """One row per registry and peer check; ``findings`` are the profile's findings."""
    context = context_for(inventory)
    everything = find_findings(inventory, PROFILES["all"]) if profile.name != "all" else findings
    rows = []
    for registry in sorted(inventory.registries, key=lambda r: (r.name.casefold(), r.key)):
        outcomes = peer_verdicts(registry, classify(registry, context))
        mine = [f for f in findings if (f.registry_id or "").casefold() == registry.key]
        others = [f for f in everything if (f.registry_id or "").casefold() == registry.key]
        for check in PEER_CHECKS:
            outcome = outcomes[check.key]
            verdicts = [(f, p) for f in mine for p in f.peers if p.check_id == check.check_id]
            carriers = [f for f, _ in verdicts]
            note = next((p.note for _, p in verdicts if p.note), "")
            if not carriers and outcome is PeerOutcome.FAIL:
                hidden = [
                    f.code
                    for f in others
                    if any(p.check_id == check.check_id for p in f.peers)
                    and not profile.applies(f.code)
                ]
                if hidden:
                    note = f"reported as {hidden[0]}, which profile {profile.name} leaves out"
                else:
                    note = check.caveat or "acrfence finds nothing wrong here"
            elif outcome is PeerOutcome.NOT_EVALUATED:
                note = not_evaluated_note(check)
            elif outcome is PeerOutcome.NOT_APPLICABLE:
                note = "no private endpoint to check"
            rows.append(
                PeerRow(
                    registry.id,
                    registry.name,
                    check.tool,
                    check.check_id,
                    check.title,
                    outcome,
                    tuple(dict.fromkeys(f.code for f in carriers)),
                    note,
                )
            )
    return tuple(rows)
