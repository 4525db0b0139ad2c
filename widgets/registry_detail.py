"""A registry's whole network configuration beside the state of each rule's subnet."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from acrfence.services.graph_coverage import UNREAD_RULES_WHY, virtual_network_rules_unread
from acrfence.services.models import (
    AccessSummary,
    EndpointStatus,
    Finding,
    PrivateEndpointView,
    Registry,
    Severity,
)
from acrfence.widgets.detail_text import DetailText
from acrfence.widgets.markers import endpoint_marker, severity_marker, yes_no
from acrfence.widgets.palette import ERROR, MUTED, OK, WARNING

__all__ = ["RegistryDetail", "RuleStatus"]

RuleStatus = tuple[str, EndpointStatus]  # (subnet label, its endpoint status)

# The route's status in 2026: a preview again in active tooling (registry API
# 2026-09-01-preview, Azure CLI 2.91), absent from the stable 2026-11-01; Microsoft still
# recommends private endpoints.
PREVIEW_NOTE = "service endpoint route: preview, not in the stable API"


class RegistryDetail(Static):
    """Renders one registry; the screen hands it the analysis results, it computes nothing."""

    plain = ""  # the last text shown, without styles (tests, copying)

    def show(
        self,
        registry: Registry,
        rule_statuses: Sequence[RuleStatus],
        access: AccessSummary,
        findings: Sequence[Finding],
        private_endpoints: Sequence[PrivateEndpointView] = (),
        regions: Sequence[str] = (),
    ) -> None:
        out = DetailText()
        out.title(
            registry.name,
            f"{registry.sku} · {registry.location} · {registry.resource_group} · "
            f"{registry.login_server}",
        )
        out.heading("Effective access")
        out.line(Text(access.headline, style="bold"))
        for sentence in access.lines:
            out.line("• ", sentence, indent=4)

        rules = registry.rules
        out.heading("Firewall")
        deny = rules.denies_by_default
        out.field("Default action", Text("■ Deny" if deny else "□ Allow"))
        out.field(
            "Public network access",
            yes_no(registry.public_access_enabled, "Enabled", "Disabled"),
        )
        out.field(
            "Trusted services bypass",
            yes_no(
                registry.trusted_services_bypass,
                "AzureServices",
                registry.network_rule_bypass_options or "None",
                good=True,
            ),
        )
        tasks = registry.network_rule_bypass_allowed_for_tasks
        # Tasks are refused only behind a firewall: on an open registry "tasks get 403" was false.
        firewalled = deny or not registry.public_access_enabled
        tasks_off = (
            "off (tasks get 403)" if firewalled else "off (no effect while the registry is open)"
        )
        out.field(
            "ACR Tasks bypass",
            Text("? unknown (older API)", style=MUTED)
            if registry.api_version_note
            else yes_no(tasks, "allowed", tasks_off, good=True if firewalled else None),
        )
        if registry.api_version:
            out.field("Registry API", registry.api_version)
        if registry.api_version_note:
            out.line(Text(registry.api_version_note, style=WARNING), indent=4)

        unread = virtual_network_rules_unread(registry)
        out.heading(
            "Virtual network rules (not read)"
            if unread
            else f"Virtual network rules ({len(rules.virtual_network_rules)})",
            f"[{PREVIEW_NOTE}]",
        )
        if unread:
            # Resource Graph's view has none to show; "none" would be a claim (graph_coverage).
            out.line(Text(f"{UNREAD_RULES_WHY}.", style=WARNING), indent=4)
        elif not rule_statuses:
            out.none("virtual network rules")
        width = max((len(label) for label, _ in rule_statuses), default=0)
        for label, status in rule_statuses:
            out.line(label.ljust(width + 2), endpoint_marker(status))

        out.heading(f"IP rules ({len(rules.ip_rules)})")
        if not rules.ip_rules:
            out.none("IP rules")
        for rule in rules.ip_rules:
            out.line(rule.value.ljust(20), rule.action)

        _private_endpoints(out, registry, private_endpoints)

        out.heading("Data endpoints")
        out.field("Dedicated data endpoints", yes_no(registry.data_endpoint_enabled, "on", "off"))
        if len(regions) > 1:
            out.field("Replicas", ", ".join(regions))
        for host in registry.data_endpoint_host_names:
            out.line(host, indent=4)

        out.heading(f"Findings ({len(findings)})")
        if not findings:
            out.line(Text("✓ nothing to report", style=OK))
        for finding in sorted(findings, key=lambda f: Severity(f.severity).rank):
            out.line(severity_marker(finding.severity), "  ", Text(finding.title, style="bold"))
            out.line(Text(finding.detail), indent=6)
        self.plain = out.plain
        self.update(out.renderable())


# A name's DNS record in the endpoint's zone: a word beside every colour.
_RECORD = {
    "present": ("✓ record", OK),
    "missing": ("✗ no record", ERROR),
    "stale": ("✗ record points elsewhere", ERROR),
    "unknown": ("? no zone found", MUTED),
}


def _private_endpoints(
    out: DetailText, registry: Registry, views: Sequence[PrivateEndpointView]
) -> None:
    """Each private endpoint: its connection state, zone group, and per name the IP and
    whether the zone holds the record (what a pull from a linked network depends on)."""
    shown = views or ()
    count = len(shown) or len(registry.private_endpoint_connections)
    out.heading(f"Private endpoints ({count})")
    if not shown and not registry.private_endpoint_connections:
        out.none("private endpoints")
    if not shown:
        for connection in registry.private_endpoint_connections:
            endpoint = (connection.private_endpoint_id or "").rsplit("/", 1)[-1] or "-"
            out.line(connection.name, f"  endpoint {endpoint}", f"  {connection.status or '?'}")
        return
    for view in shown:
        status = view.status or "?"
        approved = status.casefold() == "approved"
        where = f"  {view.subnet_label}" if view.subnet_label else "  (endpoint not read)"
        out.line(
            Text(view.name, style="bold"),
            where,
            "  ",
            Text(f"{'✓' if approved else '✗'} {status}", style=OK if approved else WARNING),
        )
        if view.endpoint_id is None:
            continue
        if view.has_zone_group is False:
            out.line(Text("✗ no DNS zone group: Azure keeps no records", style=WARNING), indent=4)
        elif view.zone_names:
            out.line(Text("zone ", style="dim"), ", ".join(view.zone_names), indent=4)
        width = max((len(name.fqdn) for name in view.names), default=0)
        for name in view.names:
            word, style = _RECORD.get(name.record, _RECORD["unknown"])
            ips = ", ".join(name.addresses) or "-"
            out.line(name.fqdn.ljust(width + 2), ips.ljust(16), Text(word, style=style), indent=4)
