"""Taking the Microsoft.ContainerRegistry service endpoint off the subnets whose rules a plan
removes: only where no rule (of any registry) still needs it, keeping every other endpoint.

Shared by the open plan (services.plans.restore) and the migration (services.plans.migrate),
which both remove rules and, when asked, the endpoints those rules needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    EndpointChange,
    Inventory,
    Registry,
    Step,
    StepKind,
    Subnet,
    normalize_resource_id,
)
from acrfence.services.plans import az_commands
from acrfence.services.plans.snapshot import subnet_state

__all__ = ["EndpointRemovals", "endpoint_removals", "disable_endpoint_step", "find_subnet"]


@dataclass(frozen=True)
class EndpointRemovals:
    steps: tuple[Step, ...]  # one DISABLE_ENDPOINT step per subnet whose endpoint can go
    still_needed: tuple[Subnet, ...]  # subnets kept: another rule needs their endpoint


def endpoint_removals(
    registry: Registry,
    inventory: Inventory | None,
    *,
    subnet_ids: Iterable[str],
    subnets: Mapping[str, Subnet | None] | None,
    removed: set[str],
    rules_before: set[str],
    first_index: int,
) -> EndpointRemovals:
    """The steps taking the ACR endpoint off each of ``subnet_ids`` (read into ``subnets``)
    once ``registry`` loses its rules for ``removed`` (normalized subnet IDs): a subnet without
    the endpoint, or not read, is skipped; one whose endpoint another rule of any registry in
    ``inventory`` (or a rule ``registry`` keeps) still needs is kept and named."""
    needed = subnets_still_needed(inventory, registry, removed)
    steps: list[Step] = []
    kept: list[Subnet] = []
    for subnet_id in subnet_ids:
        subnet = find_subnet(subnets, subnet_id)
        if subnet is None or not subnet.has_acr_endpoint:
            continue
        if subnet.key in needed:
            kept.append(subnet)
            continue
        steps.append(
            disable_endpoint_step(first_index + len(steps), subnet, registry.id, rules_before)
        )
    return EndpointRemovals(tuple(steps), tuple(kept))


def subnets_still_needed(
    inventory: Inventory | None, registry: Registry, removed: set[str]
) -> set[str]:
    """Normalized IDs of the subnets some rule still names once ``registry`` loses ``removed``."""
    needed: set[str] = set()
    for other in inventory.registries if inventory else ():
        for rule in other.rules.virtual_network_rules:
            if other.key == registry.key and rule.key in removed:
                continue
            needed.add(rule.key)
    for rule in registry.rules.virtual_network_rules:
        if rule.key not in removed:
            needed.add(rule.key)
    return needed


def disable_endpoint_step(
    index: int, subnet: Subnet, registry_id: str, rules_before: set[str]
) -> Step:
    """Take the ACR endpoint off ``subnet``, keeping its other endpoints."""
    before = subnet_state(subnet)
    kept = [e.service for e in subnet.service_endpoints if not e.is_acr]
    after = dict(before, service_endpoints=kept)
    after.pop("etag")
    return Step(
        index=index,
        kind=StepKind.DISABLE_ENDPOINT,
        target=subnet.id,
        title=f"remove the {ACR_SERVICE_ENDPOINT} endpoint from {subnet.label}, keeping the rest",
        before=before,
        after=after,
        # At apply time: keep the endpoint if the registry has a rule for this subnet that was
        # not there before (someone else's new rule needs it).
        change=EndpointChange(
            subnet.id,
            enabled=False,
            planned_etag=subnet.etag,
            registry_id=registry_id,
            rules_before=tuple(sorted(rules_before)),
        ),
        az=(az_commands.subnet_service_endpoints(subnet.id, kept),),
    )


def find_subnet(subnets: Mapping[str, Subnet | None] | None, subnet_id: str) -> Subnet | None:
    """``subnet_id``'s entry in ``subnets``, its key compared as ARM compares IDs."""
    if not subnets:
        return None
    if subnet_id in subnets:
        return subnets[subnet_id]
    key = normalize_resource_id(subnet_id)
    return next((s for k, s in subnets.items() if normalize_resource_id(k) == key), None)
