"""What the fleet pass over Resource Graph does not read, in words and as a count.

Resource Graph shows registries through the STABLE registry API, which has no virtual
network rules. The fleet pass reads again through ARM's preview API only the Premium
registries whose rules decide something (default Deny, or IP rules: services.resource_graph).
A Premium registry with default Allow and no IP rules keeps Resource Graph's view: its
virtual network rules are not read, so what only they show — a rule that does nothing while
the default is Allow, a rule whose subnet lacks its endpoint, findings the ARM path makes —
can't be found. The UI, the text output and the
JSON say so, with how many registries it concerns.

Kept apart from services.resource_graph (which imports the SDK) so widgets can ask cheaply.
"""

from __future__ import annotations

from collections.abc import Iterable

from acrfence.services.models.inventory import Registry

__all__ = [
    "GRAPH_SOURCE",
    "UNREAD_RULES_WHY",
    "unread_rules_count",
    "unread_rules_note",
    "unread_rules_status",
    "virtual_network_rules_unread",
]

# What a registry read only through Resource Graph says in place of its registry API version.
GRAPH_SOURCE = "Azure Resource Graph (can lag Azure by minutes)"
# Why (the JSON's field, and the end of every note).
UNREAD_RULES_WHY = (
    "Resource Graph shows the stable registry API, which has no virtual network rules, and "
    "only Premium registries with default Deny or IP rules are read again through ARM's "
    "preview API; on the others, findings about their virtual network rules (rules that do "
    "nothing under default Allow, a rule's subnet without its endpoint) are not made: read "
    "through ARM (--via arm) for those"
)


def virtual_network_rules_unread(registry: Registry) -> bool:
    """A Premium registry read only through Resource Graph: its virtual network rules (if it
    has any) were not read."""
    return registry.api_version == GRAPH_SOURCE and registry.sku.casefold() == "premium"


def unread_rules_count(registries: Iterable[Registry]) -> int:
    """How many Premium registries' virtual network rules were not read (inline, not through
    ``virtual_network_rules_unread``: it runs over 50,000 registries in the final publish)."""
    source = GRAPH_SOURCE
    return sum(1 for r in registries if r.api_version == source and r.sku.casefold() == "premium")


def unread_rules_note(count: int) -> str | None:
    """One sentence for the screen and the text output; None when nothing went unread."""
    if not count:
        return None
    registries = "registry" if count == 1 else "registries"
    return (
        f"Virtual network rules not read for {count:,} Premium {registries} with default "
        f"Allow and no IP rules: {UNREAD_RULES_WHY}."
    )


def unread_rules_status(count: int) -> str | None:
    """The same for the dashboard's status strip, short enough for two lines at 80 columns
    (the whole sentence there took five and pushed the table up); a registry's detail and
    ``inventory`` give the why."""
    if not count:
        return None
    registries = "registry" if count == 1 else "registries"
    return (
        f"VNet rules not read for {count:,} Premium {registries} with default Allow, no IP "
        "rules (VNet ?): Resource Graph doesn't show them; --via arm does"
    )
