"""The findings view: every finding, worst first, with what it is about."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from acrfence.services.models import Finding, Severity
from acrfence.widgets.keyed_table import KeyedTable, Row
from acrfence.widgets.markers import marker_rank, severity_marker
from acrfence.widgets.row_store import Cell, Rank, cell_text, compact, number_or_text

__all__ = ["FindingsTable", "finding_key"]


def finding_key(finding: Finding) -> str:
    return f"{finding.code}|{finding.registry_id or ''}|{finding.subnet_id or ''}".casefold()


class FindingsTable(KeyedTable):
    # The code is not a column (it would push the finding off screen at 120 columns); the
    # detail under the table shows it and the peer check IDs, and the filter matches both.
    COLUMNS = (
        ("severity", "Severity"),
        ("subject", "Registry / subnet"),
        ("title", "Finding"),
    )

    def natural_rank(self) -> Callable[[str, tuple[Cell, ...]], Rank]:
        # Worst first, then by the key (code, registry, subnet): the table keeps its order
        # itself, so a refresh with 78,000 findings changes only what changed instead of
        # filling the table again.
        return _by_severity

    def sort_value(self, column: int, text: str) -> Any:
        if self.COLUMNS[column][0] == "severity":
            return (marker_rank(text), "")  # errors first, not the symbols' code points
        return number_or_text(column, text)

    def show(self, findings: Iterable[Finding], subjects: Mapping[str, str]) -> dict[str, Finding]:
        """Show ``findings``; ``subjects`` names each resource ID. Returns row key -> finding."""
        ordered = sorted(
            findings,
            key=lambda f: (
                Severity(f.severity).rank,
                f.code,
                f.registry_id or "",
                f.subnet_id or "",
            ),
        )
        by_key: dict[str, Finding] = {}
        rows: list[Row] = []
        codes: dict[str, str] = {}
        for finding in ordered:
            key = finding_key(finding)
            # Two findings of one code about one resource (say two IP rules) stay two rows.
            duplicate = 1
            while key in by_key:
                duplicate += 1
                key = f"{finding_key(finding)}#{duplicate}"
            by_key[key] = finding
            subject_id = finding.registry_id or finding.subnet_id or ""
            subject = subjects.get(subject_id.casefold(), subject_id.rsplit("/", 1)[-1] or "-")
            # The subject has its own column: don't spend the title's width repeating it.
            title = finding.title.removeprefix(f"{subject}: ")
            rows.append((key, (compact(severity_marker(finding.severity)), subject, title)))
            # The filter also matches the auditors' check IDs ("d0793b48", "CKV_AZURE_139").
            peers = " ".join(f"{peer.tool} {peer.check_id}" for peer in finding.peers)
            codes[key] = f"{finding.code} {peers}" if peers else finding.code
        self.set_rows(rows, also_search=codes)
        return by_key


def _by_severity(key: str, cells: tuple[Cell, ...]) -> Rank:
    return (marker_rank(cell_text(cells[0])), key)
