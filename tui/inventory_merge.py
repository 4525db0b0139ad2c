"""Folding the inventory stream's events into one Inventory, subscription by subscription.

A refresh replaces each subscription's registries and networks as its new listing arrives, so
the panes never empty out while Azure is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.models import Inventory, SubscriptionFailure

__all__ = ["finished_listings", "merge_event", "merge_events"]

REGISTRIES = "registries"
NETWORKS = "virtual networks"


def _others(items: tuple[Any, ...], subscription_id: str) -> tuple[Any, ...]:
    wanted = subscription_id.casefold()
    return tuple(item for item in items if item.subscription_id.casefold() != wanted)


def _without_failure(
    failures: tuple[SubscriptionFailure, ...], subscription_id: str, what: str
) -> tuple[SubscriptionFailure, ...]:
    wanted = subscription_id.casefold()
    return tuple(
        f for f in failures if not (f.subscription_id.casefold() == wanted and f.what == what)
    )


def merge_event(inventory: Inventory, event: Any) -> Inventory:
    """The inventory with ``event`` applied; unknown events leave it as it was."""
    return merge_events(inventory, (event,))


def merge_events(inventory: Inventory, events: Iterable[Any]) -> Inventory:
    """The inventory with ``events`` applied in order, built once (a big tenant streams in
    a hundred pieces, and each Inventory indexes every subnet)."""
    parts = (
        inventory.subscriptions,
        inventory.registries,
        inventory.virtual_networks,
        inventory.failures,
    )
    changed = False
    for event in events:
        applied = _apply(parts, event)
        if applied is not None:
            parts, changed = applied, True
    if not changed:
        return inventory
    subscriptions, registries, networks, failures = parts
    return Inventory(
        subscriptions=subscriptions,
        registries=registries,
        virtual_networks=networks,
        failures=failures,
    )


_Parts = tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...], tuple[SubscriptionFailure, ...]]


def _apply(parts: _Parts, event: Any) -> _Parts | None:
    """The four parts with ``event`` applied; None for an event we don't know."""
    subscriptions, registries, networks, failures = parts
    failure = getattr(event, "failure", None)
    if failure is not None:
        failures = (*_without_failure(failures, failure.subscription_id, failure.what), failure)
    elif hasattr(event, "registries"):
        registries = _others(registries, event.subscription_id) + tuple(event.registries)
        failures = _without_failure(failures, event.subscription_id, REGISTRIES)
    elif hasattr(event, "virtual_networks"):
        networks = _others(networks, event.subscription_id) + tuple(event.virtual_networks)
        failures = _without_failure(failures, event.subscription_id, NETWORKS)
    elif hasattr(event, "subscriptions"):
        subscriptions = tuple(event.subscriptions)
        listed = {s.subscription_id.casefold() for s in subscriptions}
        # A subscription gone from the listing takes its resources with it.
        registries = tuple(r for r in registries if r.subscription_id.casefold() in listed)
        networks = tuple(v for v in networks if v.subscription_id.casefold() in listed)
    else:
        return None
    return subscriptions, registries, networks, failures


def finished_listings(event: Any) -> set[tuple[str, str]]:
    """The (subscription, listing) pairs this event completes, for the progress bar."""
    failure = getattr(event, "failure", None)
    if failure is not None:
        subscription = failure.subscription_id.casefold()
        if failure.what in (REGISTRIES, NETWORKS):
            return {(subscription, failure.what)}
        return {(subscription, REGISTRIES), (subscription, NETWORKS)}
    if hasattr(event, "registries"):
        return {(event.subscription_id.casefold(), REGISTRIES)}
    if hasattr(event, "virtual_networks"):
        return {(event.subscription_id.casefold(), NETWORKS)}
    return set()
