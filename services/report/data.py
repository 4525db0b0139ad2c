"""What the `findings` command and the report show, built once from the inventory.

Everything here comes from the same analysis the dashboard runs (``find_findings``,
``effective_access``, ``Inventory.endpoint_status``); the renderers only lay it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from acrfence.services.analysis import effective_access, find_findings
from acrfence.services.analysis.context import subnet_label
from acrfence.services.analysis.fixes import fix_for
from acrfence.services.analysis.parity import PeerRow, peer_table
from acrfence.services.analysis.peers import PEER_CHECKS
from acrfence.services.analysis.posture import OPEN_TAG
from acrfence.services.analysis.profiles import Profile
from acrfence.services.models import EndpointStatus, Finding, Inventory, Registry, Severity

__all__ = [
    "Access",
    "RegistryView",
    "ReportData",
    "RuleView",
    "build_report",
    "report_to_json",
]


class Access(StrEnum):
    """A registry's effective access, in the four words an auditor sorts by."""

    OPEN = "open"
    SUBNETS_ONLY = "subnets only"  # default Deny: only the subnets and IP ranges its rules admit
    PRIVATE_ONLY = "private only"  # only approved private endpoints get in
    LOCKED_OUT = "locked out"  # nothing gets in


@dataclass(frozen=True)
class RuleView:
    """One rule beside what it does: a subnet with its endpoint status, or an IP range."""

    kind: str  # "subnet" or "ip"
    value: str  # the subnet ID or the IP rule as written
    label: str  # "vnet/subnet" or the IP rule
    status: str  # endpoint status for a subnet ("enabled", "missing"...), "" for an IP rule


@dataclass(frozen=True)
class RegistryView:
    registry: Registry
    access: Access
    headline: str  # effective access in words
    rules: tuple[RuleView, ...]
    findings: tuple[Finding, ...]
    declared_open: str | None  # the acrfence-open tag's reason, when the team declared it


@dataclass(frozen=True)
class ReportData:
    scope: str  # "tenant" or "subscription <name>"
    profile: Profile
    generated_at: datetime
    registries: tuple[RegistryView, ...]
    findings: tuple[Finding, ...]
    peer_rows: tuple[PeerRow, ...]
    subscriptions: dict[str, str]  # subscription ID (casefolded) -> display name
    # "<subscription> <what> (<code>)" for each listing that couldn't be read: not judged.
    unread: tuple[str, ...] = ()

    def access_counts(self) -> dict[Access, int]:
        counts = Counter(view.access for view in self.registries)
        return {access: counts.get(access, 0) for access in Access}

    def severity_counts(self) -> dict[Severity, int]:
        counts = Counter(Severity(f.severity) for f in self.findings)
        return {severity: counts.get(severity, 0) for severity in Severity}

    def kind_counts(self) -> list[tuple[str, Severity, int]]:
        """(code, severity, count), the most frequent first, worst severity first on ties."""
        counts = Counter((f.code, Severity(f.severity)) for f in self.findings)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][1].rank, item[0][0]))
        return [(code, severity, count) for (code, severity), count in ordered]

    def registry_name(self, registry_id: str | None) -> str:
        key = (registry_id or "").casefold()
        return next((v.registry.name for v in self.registries if v.registry.key == key), "")

    def subject(self, finding: Finding) -> str:
        """What a finding is about, in words: the registry's name, or "vnet/subnet"."""
        if finding.registry_id:
            return self.registry_name(finding.registry_id) or finding.registry_id
        return subnet_label(finding.subnet_id) if finding.subnet_id else ""

    def fix(self, finding: Finding) -> str:
        return fix_for(finding, self.registry_name(finding.registry_id) or None)


def access_of(registry: Registry, inventory: Inventory) -> tuple[Access, str]:
    summary = effective_access(registry, inventory)
    approved = any(
        (c.status or "").casefold() == "approved" for c in registry.private_endpoint_connections
    )
    if summary.open_to_internet:
        return Access.OPEN, summary.headline
    if summary.allowed_subnet_ids or summary.allowed_ip_ranges:
        return Access.SUBNETS_ONLY, summary.headline
    if "can't be checked" in summary.headline:
        # Only rules in subscriptions we can't read: they may well work.
        return Access.SUBNETS_ONLY, summary.headline
    if approved:
        return Access.PRIVATE_ONLY, summary.headline
    return Access.LOCKED_OUT, summary.headline


def _rules(registry: Registry, inventory: Inventory) -> tuple[RuleView, ...]:
    views = []
    for rule in registry.rules.virtual_network_rules:
        label = subnet_label(rule.subnet_id, inventory.subnet(rule.subnet_id))
        status = EndpointStatus(inventory.endpoint_status(rule.subnet_id))
        views.append(RuleView("subnet", rule.subnet_id, label, str(status)))
    for ip_rule in registry.rules.ip_rules:
        views.append(RuleView("ip", ip_rule.value, ip_rule.value, ""))
    return tuple(views)


def build_report(
    inventory: Inventory,
    profile: Profile,
    *,
    registry_ids: Sequence[str] | None = None,
    scope: str = "tenant",
    now: datetime | None = None,
) -> ReportData:
    """The findings, peer table and per-registry views, narrowed to ``registry_ids`` if given."""
    wanted = {r.casefold() for r in registry_ids} if registry_ids is not None else None
    findings = find_findings(inventory, profile)
    if wanted is not None:
        findings = tuple(f for f in findings if (f.registry_id or "").casefold() in wanted)
    registries = [r for r in inventory.registries if wanted is None or r.key in wanted]
    registries.sort(key=lambda r: (r.name.casefold(), r.key))
    views = []
    for registry in registries:
        access, headline = access_of(registry, inventory)
        mine = tuple(f for f in findings if (f.registry_id or "").casefold() == registry.key)
        views.append(
            RegistryView(
                registry, access, headline, _rules(registry, inventory), mine,
                registry.tag(OPEN_TAG),
            )
        )  # fmt: skip
    rows = peer_table(inventory, findings, profile)
    if wanted is not None:
        rows = tuple(row for row in rows if row.registry_id.casefold() in wanted)
    return ReportData(
        scope=scope,
        profile=profile,
        generated_at=now or datetime.now(UTC),
        registries=tuple(views),
        findings=findings,
        peer_rows=rows,
        subscriptions={
            sub.subscription_id.casefold(): sub.display_name for sub in inventory.subscriptions
        },
        unread=tuple(f"{f.subscription_id} {f.what} ({f.code})" for f in inventory.failures),
    )


def finding_to_json(finding: Finding, data: ReportData) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": str(finding.severity),
        "registry": data.registry_name(finding.registry_id) or None,
        "registry_id": finding.registry_id,
        "subnet_id": finding.subnet_id,
        "title": finding.title,
        "detail": finding.detail,
        "fix": data.fix(finding),
        "peers": [
            {
                "tool": peer.tool,
                "check_id": peer.check_id,
                "outcome": str(peer.outcome),
                "acrfence_note": peer.note or None,
            }
            for peer in finding.peers
        ],
    }


def report_to_json(data: ReportData, fail_on: str | None = None) -> dict[str, Any]:
    """The `findings --json` document: plain data, stable keys."""
    return {
        "profile": {"name": data.profile.name, "description": data.profile.description},
        "fail_on": fail_on,
        "counts": {str(k): v for k, v in data.severity_counts().items()},
        "access": {str(k): v for k, v in data.access_counts().items()},
        "findings": [finding_to_json(f, data) for f in data.findings],
        "registries": [
            {
                "name": view.registry.name,
                "id": view.registry.id,
                "access": str(view.access),
                "headline": view.headline,
                "declared_open": view.declared_open,
            }
            for view in data.registries
        ],
        # What each peer check tests (from its source) and what acrfence knows better.
        "catalog": [
            {
                "tool": check.tool,
                "check_id": check.check_id,
                "title": check.title,
                "tests": check.tests,
                "acrfence_knows_better": check.caveat or None,
            }
            for check in PEER_CHECKS
        ],
        "peer_checks": [
            {
                "registry": row.registry_name,
                "registry_id": row.registry_id,
                "tool": row.tool,
                "check_id": row.check_id,
                "title": row.title,
                "outcome": str(row.outcome),
                "acrfence_findings": list(row.acrfence_codes),
                "acrfence_note": row.note or None,
            }
            for row in data.peer_rows
        ],
    }
