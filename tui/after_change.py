"""After our own change: read again what it touched, and fold it into the dashboard's inventory.

A lockdown, restore, resume or rollback writes a registry and some subnets. The panes, the
open detail screens and the findings are all drawn from one inventory, so a stale copy of
those resources would show the state from before the change until `r`. Rather than read the
whole tenant again (minutes on a big one), read the registry, every virtual network holding a
subnet the plan wrote or the registry's rules name (before and after the change: the endpoint
statuses and the private-link check depend on them), and replace just those.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acrfence.services.models import (
    Inventory,
    Plan,
    PrivateEndpointChange,
    Registry,
    StepKind,
    VirtualNetwork,
    normalize_resource_id,
)
from acrfence.services.models.resource_id import subscription_of

if TYPE_CHECKING:
    from acrfence.services.inventory import PrivateLinkLoaded

__all__ = ["Reread", "fold_reread", "reread_touched", "touched_subnet_ids"]

_ENDPOINT_STEPS = (StepKind.ENABLE_ENDPOINT, StepKind.DISABLE_ENDPOINT)
# Steps that change private link: after them the private endpoints, zones and replicas of
# the subscriptions they touched are read again too.
_PRIVATE_LINK_STEPS = frozenset(
    {
        StepKind.CREATE_DNS_ZONE,
        StepKind.DELETE_DNS_ZONE,
        StepKind.LINK_DNS_ZONE,
        StepKind.UNLINK_DNS_ZONE,
        StepKind.CREATE_PRIVATE_ENDPOINT,
        StepKind.DELETE_PRIVATE_ENDPOINT,
    }
)


@dataclass(frozen=True)
class Reread:
    """What was read again; a resource that could not be read is left out (and kept as it
    was in the inventory), its error in ``problems``."""

    registries: tuple[Registry, ...] = ()
    virtual_networks: tuple[VirtualNetwork, ...] = ()
    problems: tuple[str, ...] = ()
    # Private link read again, per subscription (services.inventory's events).
    private_link: tuple[PrivateLinkLoaded, ...] = ()


def touched_subnet_ids(plan: Plan, registry: Registry | None) -> dict[str, str]:
    """Subnets the plan wrote, and those the registry's rules name: normalised ID -> ID as
    Azure spells it (requests use the latter)."""
    ids = [s.target for s in plan.steps if s.kind in _ENDPOINT_STEPS]
    # A private endpoint's subnet: its network lists the endpoint, and its room changes.
    ids += [s.change.subnet_id for s in plan.steps if isinstance(s.change, PrivateEndpointChange)]
    if registry is not None:
        ids += [rule.subnet_id for rule in registry.rules.virtual_network_rules]
    return {normalize_resource_id(subnet_id): subnet_id for subnet_id in ids}


def _vnet_id(subnet_id: str) -> str:
    return re.split("/subnets/", subnet_id, maxsplit=1, flags=re.IGNORECASE)[0]


async def reread_touched(clients: Any, plan: Plan, inventory: Inventory) -> Reread:
    """Read the plan's registry and the virtual networks of every subnet it concerns."""
    from acrfence.services.errors import describe_error
    from acrfence.services.registry_rules import RegistryRuleService, raw_json
    from acrfence.services.subnet_endpoints import virtual_network_from_arm

    problems: list[str] = []
    registries: list[Registry] = []
    try:
        registry = await RegistryRuleService(clients).get(plan.registry_id)
        registries.append(registry)
    except Exception as exc:  # the rest is still worth reading
        registry = None
        problems.append(f"{plan.registry_name}: {describe_error(exc)}")
    subnet_ids = touched_subnet_ids(plan, inventory.registry(plan.registry_id))
    subnet_ids.update(touched_subnet_ids(plan, registry))
    # Only networks in subscriptions the dashboard reads: the others aren't shown anyway.
    readable = inventory.readable_subscription_ids()
    vnet_ids = {
        normalize_resource_id(_vnet_id(s)): _vnet_id(s)
        for s in subnet_ids.values()
        if subscription_of(s).casefold() in readable
    }.values()

    async def read_vnet(vnet_id: str) -> VirtualNetwork | None:
        from acrfence.services.models import parse_resource_id

        try:
            parsed = parse_resource_id(vnet_id, "Microsoft.Network/virtualNetworks")
            client = clients.network(parsed.subscription_id)
            raw = await client.virtual_networks.get(
                parsed.resource_group, parsed.name, cls=raw_json
            )
            return virtual_network_from_arm(raw)
        except Exception as exc:  # one network we can't read must not hide the others
            problems.append(f"{vnet_id.rsplit('/', 1)[-1]}: {describe_error(exc)}")
            return None

    vnets = await asyncio.gather(*(read_vnet(v) for v in vnet_ids))
    fresh = [v for v in vnets if v is not None]
    private_link = await _reread_private_link(
        clients, plan, inventory, registries, fresh, readable, problems
    )
    return Reread(
        registries=tuple(registries),
        virtual_networks=tuple(fresh),
        problems=tuple(problems),
        private_link=private_link,
    )


async def _reread_private_link(
    clients: Any,
    plan: Plan,
    inventory: Inventory,
    registries: list[Registry],
    vnets: list[VirtualNetwork],
    readable: frozenset[str],
    problems: list[str],
) -> tuple[PrivateLinkLoaded, ...]:
    """After a change to private link, each touched subscription's private link (the
    registry's, and those of every zone, link and endpoint the plan wrote)."""
    from acrfence.services.errors import describe_error
    from acrfence.services.inventory import InventoryService

    if not any(step.kind in _PRIVATE_LINK_STEPS for step in plan.steps):
        return ()
    subscriptions = {subscription_of(plan.registry_id).casefold(): plan.registry_id}
    for step in plan.steps:
        if step.kind in _PRIVATE_LINK_STEPS and step.target.startswith("/subscriptions/"):
            subscriptions.setdefault(subscription_of(step.target).casefold(), step.target)
    service = InventoryService(clients)

    async def one(key: str) -> PrivateLinkLoaded | None:
        subscription_id = subscription_of(subscriptions[key])
        # The registries read again win over the inventory's copies of them.
        mine = {r.key: r for r in inventory.registries if r.subscription_id.casefold() == key}
        mine.update((r.key, r) for r in registries if r.subscription_id.casefold() == key)
        try:
            # Networks None: read the endpoints whatever the subnets listed before.
            return await service.list_private_link(subscription_id, tuple(mine.values()), None)
        except Exception as exc:  # the rest of the re-read still stands
            problems.append(f"private link of {subscription_id}: {describe_error(exc)}")
            return None

    found = await asyncio.gather(*(one(k) for k in subscriptions if k in readable))
    return tuple(event for event in found if event is not None)


def _replaced(items: Iterable[Any], fresh: Iterable[Any]) -> tuple[Any, ...]:
    """``items`` with each one that has a fresh copy (same key) replaced in place."""
    by_key = {item.key: item for item in fresh}
    return tuple(by_key.get(item.key, item) for item in items)


def fold_reread(inventory: Inventory, reread: Reread) -> Inventory:
    """The inventory with the re-read registries and networks in place of the old copies."""
    if not reread.registries and not reread.virtual_networks and not reread.private_link:
        return inventory
    folded = Inventory(
        subscriptions=inventory.subscriptions,
        registries=_replaced(inventory.registries, reread.registries),
        virtual_networks=_replaced(inventory.virtual_networks, reread.virtual_networks),
        failures=inventory.failures,
        private_endpoints=inventory.private_endpoints,
        private_dns_zones=inventory.private_dns_zones,
        replications=inventory.replications,
        private_link_read=inventory.private_link_read,
    )
    if reread.private_link:
        from acrfence.services.inventory import fold_events

        return fold_events(folded, reread.private_link)
    return folded
