"""A registry's whole network configuration beside the state of each rule's subnet."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from acrfence.services.models import AccessSummary, EndpointStatus, Finding, Registry, Severity
from acrfence.widgets.detail_text import DetailText
from acrfence.widgets.markers import endpoint_marker, severity_marker, yes_no
from acrfence.widgets.palette import MUTED, OK, WARNING

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
        out.field(
            "ACR Tasks bypass",
            Text("? unknown (older API)", style=MUTED)
            if registry.api_version_note
            else yes_no(tasks, "allowed", "off (tasks get 403)", good=True if deny else None),
        )
        if registry.api_version:
            out.field("Registry API", registry.api_version)
        if registry.api_version_note:
            out.line(Text(registry.api_version_note, style=WARNING), indent=4)

        out.heading(
            f"Virtual network rules ({len(rules.virtual_network_rules)})", f"[{PREVIEW_NOTE}]"
        )
        if not rule_statuses:
            out.none("virtual network rules")
        width = max((len(label) for label, _ in rule_statuses), default=0)
        for label, status in rule_statuses:
            out.line(label.ljust(width + 2), endpoint_marker(status))

        out.heading(f"IP rules ({len(rules.ip_rules)})")
        if not rules.ip_rules:
            out.none("IP rules")
        for rule in rules.ip_rules:
            out.line(rule.value.ljust(20), rule.action)

        out.heading(f"Private endpoint connections ({len(registry.private_endpoint_connections)})")
        if not registry.private_endpoint_connections:
            out.none("private endpoint connections")
        for connection in registry.private_endpoint_connections:
            endpoint = (connection.private_endpoint_id or "").rsplit("/", 1)[-1] or "-"
            out.line(connection.name, f"  endpoint {endpoint}", f"  {connection.status or '?'}")

        out.heading("Data endpoints")
        out.field("Dedicated data endpoints", yes_no(registry.data_endpoint_enabled, "on", "off"))
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
