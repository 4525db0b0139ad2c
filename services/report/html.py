"""The report as one self-contained HTML page: inline CSS, CSS bars, no script, no external asset.

An auditor opens it without the tool: a summary of registries by effective access, findings
by severity and kind, each registry's rules beside their subnets' endpoint status, and the
line-by-line mapping to the other auditors' check IDs.
"""

from __future__ import annotations

from html import escape

from acrfence.services.analysis.peers import PEER_CHECKS
from acrfence.services.models import Finding, Severity, group_verdicts
from acrfence.services.report.data import Access, RegistryView, ReportData

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1f24;
max-width:72rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ccd;
padding-bottom:.2rem}h3{margin-bottom:.3rem}
.meta{color:#555}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #ccd;border-radius:.4rem;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.8rem}
.open b{color:#b35c00}.locked b{color:#b00020}.subnets b{color:#1a7f37}.private b{color:#0b5cad}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #dde;padding:.25rem .45rem;text-align:left;vertical-align:top;
font-size:.9rem;overflow-wrap:break-word}
th{background:#f3f4f8}
.bar{display:flex;align-items:center;gap:.5rem;margin:.15rem 0}
.bar span.label{width:19rem;font-family:ui-monospace,monospace;font-size:.85rem}
.bar span.fill{display:inline-block;height:1rem;border-radius:.15rem}
td.sev{white-space:nowrap}
.error{color:#b00020}.warning{color:#9a5b00}.info{color:#0b5cad}
.fill.error{background:#b00020}.fill.warning{background:#d98e04}.fill.info{background:#3b82c4}
.pass{color:#1a7f37}.fail{color:#b00020}.not-evaluated,.not-applicable{color:#666}
code{font-family:ui-monospace,monospace;font-size:.85rem}
.note{color:#444;font-style:italic}
"""

_ACCESS_CLASS = {
    Access.OPEN: "open",
    Access.SUBNETS_ONLY: "subnets",
    Access.PRIVATE_ONLY: "private",
    Access.LOCKED_OUT: "locked",
}
_MARK = {Severity.ERROR: "✖ error", Severity.WARNING: "▲ warning", Severity.INFO: "● info"}
_STATUS_WORDS = {
    "enabled": "✓ endpoint enabled",
    "missing": "✗ endpoint missing: the rule does nothing",
    "subnet-not-found": "✗ subnet not found: the rule is dangling",
    "unreadable": "? subscription not readable",
}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def render_html(data: ReportData) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>acrfence report: {_e(data.scope)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>acrfence report: {_e(data.scope)}</h1>",
        f'<p class="meta">Generated {_e(data.generated_at.strftime("%Y-%m-%d %H:%M UTC"))} · '
        f"profile <b>{_e(data.profile.name)}</b> ({_e(data.profile.description)}) · "
        f"{len(data.registries)} registries · {len(data.findings)} findings</p>",
    ]
    if data.unread:
        parts.append(f'<p class="error">Not read, so not judged: {_e("; ".join(data.unread))}</p>')
    parts += _summary(data)
    parts += _charts(data)
    parts += _findings(data)
    parts += _registries(data)
    parts += _peer_mapping(data)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _summary(data: ReportData) -> list[str]:
    out = ["<h2>Registries by effective access</h2>", '<div class="cards">']
    for access, count in data.access_counts().items():
        out.append(
            f'<div class="card {_ACCESS_CLASS[access]}"><b>{count}</b>{_e(access.capitalize())}'
            "</div>"
        )
    out.append("</div>")
    declared = [v for v in data.registries if v.declared_open is not None]
    if declared:
        names = ", ".join(f"{_e(v.registry.name)} ({_e(v.declared_open)})" for v in declared)
        out.append(f"<p>Declared open on purpose (tag acrfence-open): {names}</p>")
    return out


def _bar(label: str, count: int, most: int, css: str) -> str:
    width = 0 if most == 0 else max(2, round(24 * count / most))
    return (
        f'<div class="bar"><span class="label">{_e(label)}</span>'
        f'<span class="fill {css}" style="width:{width}rem"></span><span>{count}</span></div>'
    )


def _charts(data: ReportData) -> list[str]:
    out = ["<h2>Findings by severity</h2>"]
    severities = data.severity_counts()
    most = max(severities.values(), default=0)
    out += [_bar(_MARK[s], n, most, str(s)) for s, n in severities.items()]
    out.append("<h2>Findings by kind</h2>")
    kinds = data.kind_counts()
    most = max((n for _, _, n in kinds), default=0)
    out += [_bar(code, n, most, str(severity)) for code, severity, n in kinds]
    if not kinds:
        out.append("<p>No findings.</p>")
    return out


def _peers_cell(finding: Finding) -> str:
    items = []
    for checks, outcome, note in group_verdicts(finding.peers):
        remark = f' <span class="note">acrfence: {_e(note)}</span>' if note else ""
        names = ", ".join(f"<code>{_e(check)}</code>" for check in checks)
        items.append(f'{names} <span class="{_e(outcome)}">{_e(outcome)}</span>{remark}')
    return "<br>".join(items)


def _findings(data: ReportData) -> list[str]:
    out = [
        "<h2>Findings</h2>",
        "<table><tr><th>Severity</th><th>Registry / subnet</th><th>Code</th><th>Finding</th>"
        "<th>Fix</th><th>Peer checks</th></tr>",
    ]
    for finding in data.findings:
        severity = Severity(finding.severity)
        subject = data.subject(finding)
        out.append(
            f'<tr><td class="sev {severity}">{_e(_MARK[severity])}</td><td>{_e(subject)}</td>'
            f"<td><code>{_e(finding.code)}</code></td><td>{_e(finding.title)}</td>"
            f"<td>{_e(data.fix(finding))}</td><td>{_peers_cell(finding)}</td></tr>"
        )
    out.append("</table>")
    return out


def _registry(view: RegistryView, data: ReportData) -> list[str]:
    registry = view.registry
    subscription = data.subscriptions.get(registry.subscription_id.casefold(), "")
    out = [
        f'<h3 id="{_e(registry.name)}">{_e(registry.name)} '
        f'<span class="meta">({_e(view.access)})</span></h3>',
        f'<p class="meta">{_e(registry.sku)} · {_e(registry.resource_group)} · '
        f"{_e(subscription or registry.subscription_id)} · default action "
        f"{_e(registry.rules.default_action)} · public access "
        f"{_e(registry.public_network_access)}</p>",
        f"<p>{_e(view.headline)}</p>",
    ]
    if view.rules:
        out.append("<table><tr><th>Rule</th><th>Subnet endpoint status</th></tr>")
        for rule in view.rules:
            if rule.kind == "subnet":
                status = _STATUS_WORDS.get(rule.status, rule.status)
                css = "pass" if rule.status == "enabled" else "fail"
                out.append(
                    f"<tr><td>subnet {_e(rule.label)}<br><code>{_e(rule.value)}</code></td>"
                    f'<td class="{css}">{_e(status)}</td></tr>'
                )
            else:
                out.append(f"<tr><td>IP {_e(rule.value)}</td><td>(IP rule)</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>No network rules.</p>")
    for connection in registry.private_endpoint_connections:
        out.append(
            f"<p>Private endpoint connection {_e(connection.name)}: "
            f"{_e(connection.status or 'unknown status')}</p>"
        )
    if view.findings:
        items = "".join(
            f'<li class="{_e(f.severity)}">{_e(f.title)} <code>[{_e(f.code)}]</code></li>'
            for f in view.findings
        )
        out.append(f"<ul>{items}</ul>")
    return out


def _registries(data: ReportData) -> list[str]:
    out = ["<h2>Registries: rules beside their subnets' endpoint status</h2>"]
    for view in data.registries:
        out += _registry(view, data)
    return out


def _peer_mapping(data: ReportData) -> list[str]:
    out = [
        "<h2>Peer-ID mapping</h2>",
        "<p>What each auditor's check tests, and where acrfence knows better.</p>",
        "<table><tr><th>Tool</th><th>Check</th><th>What it tests</th>"
        "<th>acrfence knows better</th></tr>",
    ]
    for check in PEER_CHECKS:
        out.append(
            f"<tr><td>{_e(check.tool)}</td><td><code>{_e(check.check_id)}</code><br>"
            f"{_e(check.title)}</td><td>{_e(check.tests)}</td>"
            f'<td class="note">{_e(check.caveat)}</td></tr>'
        )
    out.append("</table>")
    out.append("<h3>Per registry</h3>")
    out.append(
        "<table><tr><th>Registry</th><th>Tool</th><th>Check</th><th>Verdict</th>"
        "<th>acrfence finding</th><th>acrfence note</th></tr>"
    )
    for row in data.peer_rows:
        codes = ", ".join(row.acrfence_codes) or "—"
        out.append(
            f"<tr><td>{_e(row.registry_name)}</td><td>{_e(row.tool)}</td>"
            f"<td><code>{_e(row.check_id)}</code></td>"
            f'<td class="{_e(row.outcome)}">{_e(row.outcome)}</td>'
            f'<td><code>{_e(codes)}</code></td><td class="note">{_e(row.note)}</td></tr>'
        )
    out.append("</table>")
    return out
