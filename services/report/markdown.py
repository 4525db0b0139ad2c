"""The report as Markdown: the same sections as the HTML page, for a wiki or a pull request."""

from __future__ import annotations

from acrfence.services.analysis.peers import PEER_CHECKS
from acrfence.services.models import Severity, group_verdicts
from acrfence.services.report.data import ReportData

__all__ = ["render_markdown"]

_MARK = {Severity.ERROR: "✖ error", Severity.WARNING: "▲ warning", Severity.INFO: "● info"}


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _bar(count: int, most: int) -> str:
    return "█" * (0 if most == 0 else max(1, round(30 * count / most)))


def render_markdown(data: ReportData) -> str:
    out = [
        f"# acrfence report: {data.scope}",
        "",
        f"Generated {data.generated_at.strftime('%Y-%m-%d %H:%M UTC')} · profile "
        f"**{data.profile.name}** ({data.profile.description}) · {len(data.registries)} "
        f"registries · {len(data.findings)} findings",
        "",
        *([f"**Not read, so not judged:** {'; '.join(data.unread)}", ""] if data.unread else []),
        "## Registries by effective access",
        "",
        "| Access | Registries |",
        "|---|---|",
    ]
    out += [f"| {access.capitalize()} | {n} |" for access, n in data.access_counts().items()]
    declared = [v for v in data.registries if v.declared_open is not None]
    if declared:
        names = ", ".join(f"{v.registry.name} ({v.declared_open})" for v in declared)
        out += ["", f"Declared open on purpose (tag acrfence-open): {names}"]
    out += ["", "## Findings by severity", "", "```"]
    severities = data.severity_counts()
    most = max(severities.values(), default=0)
    out += [f"{_MARK[s]:<10} {_bar(n, most)} {n}" for s, n in severities.items()]
    out += ["```", "", "## Findings by kind", "", "```"]
    kinds = data.kind_counts()
    most = max((n for _, _, n in kinds), default=0)
    width = max((len(code) for code, _, _ in kinds), default=0)
    out += [f"{code:<{width}} {_bar(n, most)} {n}" for code, _, n in kinds]
    out += ["```", "", "## Findings", ""]
    out += ["| Severity | Registry / subnet | Code | Finding | Fix | Peer checks |"]
    out += ["|---|---|---|---|---|---|"]
    for f in data.findings:
        subject = data.subject(f)
        peers = "; ".join(
            ", ".join(f"`{check}`" for check in checks)
            + f" {outcome}"
            + (f" (acrfence: {note})" if note else "")
            for checks, outcome, note in group_verdicts(f.peers)
        )
        out.append(
            f"| {_MARK[Severity(f.severity)]} | {_cell(subject)} | `{f.code}` | {_cell(f.title)} "
            f"| {_cell(data.fix(f))} | {_cell(peers)} |"
        )
    out += ["", "## Registries: rules beside their subnets' endpoint status", ""]
    for view in data.registries:
        r = view.registry
        out += [
            f"### {r.name} ({view.access})",
            "",
            f"{r.sku} · {r.resource_group} · default action {r.rules.default_action} · public "
            f"access {r.public_network_access}. {view.headline}",
            "",
        ]
        if view.rules:
            out += ["| Rule | Subnet endpoint status |", "|---|---|"]
            for rule in view.rules:
                if rule.kind == "subnet":
                    out.append(f"| subnet {_cell(rule.label)} | {rule.status} |")
                else:
                    out.append(f"| IP {_cell(rule.value)} | (IP rule) |")
            out.append("")
        out += [
            f"- private endpoint connection {c.name}: {c.status or 'unknown status'}"
            for c in r.private_endpoint_connections
        ]
        out += [f"- {_MARK[Severity(f.severity)]}: {f.title} `[{f.code}]`" for f in view.findings]
        out.append("")
    out += ["## Peer-ID mapping", "", "| Tool | Check | What it tests | acrfence knows better |"]
    out += ["|---|---|---|---|"]
    out += [
        f"| {c.tool} | `{c.check_id}` | {_cell(c.tests)} | {_cell(c.caveat)} |" for c in PEER_CHECKS
    ]
    out += ["", "| Registry | Tool | Check | Verdict | acrfence finding | acrfence note |"]
    out += ["|---|---|---|---|---|---|"]
    for row in data.peer_rows:
        codes = ", ".join(row.acrfence_codes) or "—"
        out.append(
            f"| {row.registry_name} | {row.tool} | `{row.check_id}` | {row.outcome} | {codes} "
            f"| {_cell(row.note)} |"
        )
    return "\n".join(out) + "\n"
