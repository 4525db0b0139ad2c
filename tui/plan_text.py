"""A plan's text (services.plans.render) laid out for a narrow terminal.

Each line keeps its indent and its lead ("warning:", "1.", "+", "$") when it wraps, so a long
sentence or resource ID continues under its own start instead of at column 1. A subnet's ID
in a diff line is shown as ``vnet/subnet`` (the step's az command beside it keeps the full ID,
and ``c`` on the dashboard copies it); the registry's own ID as its group and subscription.
"""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from acrfence.services.analysis.context import subnet_label

__all__ = ["PlanText", "plan_renderable", "shorten_registry_id", "shorten_subnet_ids"]

# indent, then an optional lead the rest of the line hangs under.
_LEAD = re.compile(r"^(\s*)(\d+\. |[-+=] |\$ |[✓✗…] |warning: |BLOCKED: |note: )?(.*)$")
_SUBNET_ID = re.compile(
    r"/subscriptions/[^/\s]+/resourceGroups/[^/\s]+/providers/Microsoft\.Network/"
    r"virtualNetworks/[^/\s]+/subnets/[^/\s,]+",
    re.IGNORECASE,
)
_LEAD_STYLES = {"warning: ": "bold", "BLOCKED: ": "bold reverse", "$ ": "dim"}
# The plan's header names the registry, then its full resource ID on a line of its own.
_REGISTRY_ID = re.compile(
    r"^/subscriptions/([^/\s]+)/resourceGroups/([^/\s]+)/providers/"
    r"Microsoft\.ContainerRegistry/registries/[^/\s]+$",
    re.IGNORECASE,
)


def shorten_registry_id(body: str) -> str:
    """A registry's full ID as its group and (elided) subscription: the ID wraps mid-word over
    three lines at 80 columns, and the name is on the line above (`--plan` prints it whole)."""
    match = _REGISTRY_ID.match(body)
    if match is None:
        return body
    subscription, group = match.groups()
    return f"in {group}, subscription {subscription[:8]}…"


def shorten_subnet_ids(body: str) -> str:
    return _SUBNET_ID.sub(lambda match: subnet_label(match.group(0)), body)


def _line(indent: str, lead: str, body: str) -> RenderableType:
    if lead in ("- ", "+ ", "= "):
        body = shorten_subnet_ids(body)
    elif not lead:
        body = shorten_registry_id(body)
    prefix = Text(indent) + Text(lead, style=_LEAD_STYLES.get(lead, ""))
    if not prefix.plain:
        return Text(body, overflow="fold")
    grid = Table.grid(expand=True)
    grid.add_column(width=len(prefix.plain), no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(prefix, Text(body, overflow="fold"))
    return grid


def plan_renderable(text: str) -> RenderableType:
    lines = []
    for raw in text.splitlines():
        match = _LEAD.match(raw)
        assert match is not None  # the pattern matches any line
        indent, lead, body = match.group(1), match.group(2) or "", match.group(3)
        lines.append(_line(indent, lead, body))
    return Group(*lines)


class PlanText(Static):
    """Plan-like text in a wizard (the plan, the probe lines); ``plain`` is the text as the
    command line prints it."""

    plain = ""

    def show(self, text: str) -> None:
        self.plain = text
        self.update(plan_renderable(text))
