"""A subnet, its service endpoints, and which registries its hosts can reach."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from acrfence.services.models import Finding, Subnet, SubnetReach, endpoint_status_of
from acrfence.widgets.detail_text import DetailText
from acrfence.widgets.markers import endpoint_marker, severity_marker, yes_no
from acrfence.widgets.palette import OK, WARNING

__all__ = ["SubnetDetail"]


class SubnetDetail(Static):
    plain = ""  # the last text shown, without styles (tests, copying)

    def show(
        self, subnet: Subnet, reach: Sequence[SubnetReach], findings: Sequence[Finding]
    ) -> None:
        out = DetailText()
        out.title(subnet.label, f"{subnet.resource_group} · {', '.join(subnet.address_prefixes)}")
        out.heading("Service endpoints")
        out.field(
            "Microsoft.ContainerRegistry",
            endpoint_marker(endpoint_status_of(subnet))
            if subnet.acr_endpoint_updating
            else yes_no(subnet.has_acr_endpoint, "enabled", "missing"),
        )
        others = ", ".join(e.service for e in subnet.other_endpoints)
        out.field("Other endpoints (kept by every change)", others or "none")
        if subnet.delegations:
            out.field("Delegations", ", ".join(subnet.delegations))
        if subnet.private_endpoint_ids:
            out.field("Private endpoints", str(len(subnet.private_endpoint_ids)))

        reachable = [r for r in reach if r.reachable]
        out.heading(
            f"Registries reachable from this subnet ({len(reachable)} of {len(reach)})",
            "[service endpoint route: preview]",
        )
        if not reach:
            out.none("registries")
        for item in sorted(reach, key=lambda r: (not r.reachable, r.registry_name.casefold())):
            mark = (
                Text("✓ reaches", style=OK) if item.reachable else Text("✗ blocked", style=WARNING)
            )
            out.line(mark, "  ", Text(item.registry_name, style="bold"))
            out.line(item.reason, indent=6)

        if findings:
            out.heading(f"Findings ({len(findings)})")
            for finding in findings:
                out.line(severity_marker(finding.severity), "  ", Text(finding.title, style="bold"))
                out.line(Text(finding.detail), indent=6)
        self.plain = out.plain
        self.update(out.renderable())
