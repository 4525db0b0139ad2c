"""Findings for a whole tenant, worked out piece by piece while its inventory streams in.

``find_findings`` needs the whole inventory and, on the 50,000-registry fleet tenant, several
seconds of CPU: run once at the end it leaves the findings empty for the whole load, run per
piece it costs that much per piece. The accumulator is fed each subscription's listings as
they arrive, keeps the indexes analysis needs up to date (subnets by ID and by private
endpoint, which subnets some rule names), and recomputes only the findings a piece can change:

- a subscription's registries: those registries, and the subnets their old and new rules name;
- a subscription's networks: its subnets, and every registry with a rule naming a subnet in
  that subscription (or with a private endpoint connection, whose subnet may be there);
- the subscription list or a failure: the registries with rules into those subscriptions
  (whether a rule's subnet is readable depends on them);
- a subscription's private link (endpoints, private DNS zones, replications): every registry
  with a private endpoint connection or named by an endpoint, and those replicated (a zone
  or an endpoint anywhere can change their DNS and subnet findings). Private link is a few
  resources per subscription, so its lookups are rebuilt whenever it changes.

``step`` does a bounded amount of that work, so a caller on another thread can hand the CPU
back between steps; ``findings()`` equals ``find_findings`` over the same inventory once
``pending`` is False (tests/test_incremental_findings.py checks the demo and a generated tenant).
Pure: no I/O, no Textual; the dashboard drives it from a thread worker (tui/findings_worker.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain
from typing import TypeVar

from acrfence.services.analysis.context import AnalysisContext
from acrfence.services.analysis.findings import (
    _registry_findings,  # one registry's findings, against a context: the one-shot's own code
    subnet_endpoint_unused,
)
from acrfence.services.analysis.profiles import DEFAULT_PROFILE, Profile
from acrfence.services.models import (
    PRIVATE_LINK_LISTING,
    Finding,
    Inventory,
    PrivateDnsZone,
    PrivateEndpoint,
    Registry,
    Replication,
    Severity,
    Subnet,
    SubnetIndex,
    Subscription,
    SubscriptionFailure,
    VirtualNetwork,
    normalize_resource_id,
    subscription_of,
)

__all__ = ["FindingsAccumulator", "PrivateLink"]

# Registries recomputed per step: about 5 ms of CPU on this 2-core machine, short enough that a
# thread running steps back to back leaves the UI loop its turn at the GIL.
STEP_REGISTRIES = 100
# Resources walked (or findings ranked) between two calls of findings()' ``pause``: ~1 ms.
PAUSE_EVERY = 5000
_RANK_OF = {severity: severity.rank for severity in Severity}
_Item = TypeVar("_Item", Registry, VirtualNetwork)


@dataclass(frozen=True)
class PrivateLink:
    """One subscription's private link as read (``services.inventory.PrivateLinkLoaded``)."""

    private_endpoints: tuple[PrivateEndpoint, ...] = ()
    private_dns_zones: tuple[PrivateDnsZone, ...] = ()
    replications: tuple[Replication, ...] = ()

    def registry_keys(self) -> set[str]:
        """The registries this private link can change findings of: named by an endpoint,
        or replicated."""
        keys = {
            normalize_resource_id(target)
            for endpoint in self.private_endpoints
            for target in endpoint.registry_ids
        }
        keys.update(replication.registry_key for replication in self.replications)
        return keys


@dataclass(frozen=True)
class _LinkLookups:
    """Every subscription's private link in the inventory's order, and the endpoints naming
    each registry (AnalysisContext's index)."""

    endpoints: tuple[PrivateEndpoint, ...]
    zones: tuple[PrivateDnsZone, ...]
    replications: tuple[Replication, ...]
    endpoints_by_registry: dict[str, list[PrivateEndpoint]]


class FindingsAccumulator:
    """The tenant's findings, brought up to date with each listing that arrives.

    Fed in the same order and with the same meaning as ``services.inventory``'s
    ``InventoryBuilder``: a listing replaces that subscription's earlier one, a failure
    replaces the same listing's earlier failure, the subscription list drops what isn't on it.
    """

    def __init__(self, profile: Profile = DEFAULT_PROFILE, start: Inventory | None = None) -> None:
        self._profile = profile
        self._subscriptions: tuple[Subscription, ...] = ()
        self._registries: dict[str, tuple[Registry, ...]] = {}  # by subscription key
        self._vnets: dict[str, tuple[VirtualNetwork, ...]] = {}
        self._private_link: dict[str, PrivateLink] = {}
        self._failures: dict[tuple[str, str], SubscriptionFailure] = {}
        # What analysis looks up, kept up to date piece by piece.
        self._registry_by_key: dict[str, Registry] = {}
        # Kept up to date in place; an Inventory with no networks (the context's) uses it.
        self._subnet_index = SubnetIndex({}, ())
        self._vnet_index: dict[str, VirtualNetwork] = {}
        self._by_private_endpoint: dict[str, Subnet] = {}
        self._rule_subnets: Counter[str] = Counter()  # subnet key -> rules naming it
        # subscription key -> registries with a rule naming a subnet there.
        self._rules_into: dict[str, set[str]] = {}
        self._with_private_endpoints: set[str] = set()
        # Registries some subscription's private link names (endpoints' targets, replications).
        self._named_by_private_link: set[str] = set()
        self._link_lookups: _LinkLookups | None = None  # rebuilt when private link changes
        # Results, and what is stale.
        self._registry_findings: dict[str, tuple[Finding, ...]] = {}  # errors first
        self._subnet_findings: dict[str, Finding] = {}
        self._dirty_registries: set[str] = set()
        self._dirty_subnets: set[str] = set()
        self._changed: set[str] = set()  # registries whose findings changed since last asked
        self._unreported: set[str] = set()  # registries fed but never analysed yet
        self._context: AnalysisContext | None = None
        if start is not None:
            self._start_from(start)

    # ---- feeding ---------------------------------------------------------------------------

    def subscriptions_listed(self, subscriptions: tuple[Subscription, ...]) -> None:
        self._subscriptions = subscriptions
        listed = {s.subscription_id.casefold() for s in subscriptions}
        for key in [k for k in self._registries if k not in listed]:
            self._drop_registries(key)
        for key in [k for k in self._vnets if k not in listed]:
            self._drop_networks(key)
        for key in [k for k in self._private_link if k not in listed]:
            self._private_link_changed(self._private_link.pop(key), PrivateLink())
        # Which rule subnets are readable changed: every registry may read differently.
        self._dirty_registries.update(self._registry_by_key)
        self._context = None

    def registries_read(self, subscription_id: str, registries: tuple[Registry, ...]) -> None:
        key = subscription_id.casefold()
        self._drop_registries(key)
        self._registries[key] = registries
        for registry in registries:
            self._add_registry(registry)
        self._failures.pop((key, "registries"), None)
        self._context = None

    def networks_read(self, subscription_id: str, vnets: tuple[VirtualNetwork, ...]) -> None:
        key = subscription_id.casefold()
        self._drop_networks(key)
        self._vnets[key] = vnets
        for vnet in vnets:
            self._vnet_index[vnet.key] = vnet
            for subnet in vnet.subnets:
                self._subnet_index[subnet.key] = subnet
                for endpoint_id in subnet.private_endpoint_ids:
                    self._by_private_endpoint[normalize_resource_id(endpoint_id)] = subnet
                self._dirty_subnets.add(subnet.key)
        self._networks_changed(key)
        self._failures.pop((key, "virtual networks"), None)
        self._context = None

    def private_link_read(
        self,
        subscription_id: str,
        private_endpoints: tuple[PrivateEndpoint, ...],
        private_dns_zones: tuple[PrivateDnsZone, ...],
        replications: tuple[Replication, ...],
    ) -> None:
        key = subscription_id.casefold()
        link = PrivateLink(private_endpoints, private_dns_zones, replications)
        before = self._private_link.get(key, PrivateLink())
        # Replaced where it stands, as InventoryBuilder keeps it: the order of endpoints and
        # zones is the order of the findings that name them.
        self._private_link[key] = link
        self._private_link_changed(before, link)
        self._failures.pop((key, PRIVATE_LINK_LISTING), None)
        self._context = None

    def failed(self, failure: SubscriptionFailure) -> None:
        key = (failure.subscription_id.casefold(), failure.what)
        self._failures.pop(key, None)  # the latest goes last, as the inventory keeps them
        self._failures[key] = failure
        self._dirty_registries.update(self._rules_into.get(key[0], ()))
        self._context = None

    # ---- working -------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        """Some findings are not yet up to date with what was fed."""
        return bool(self._dirty_registries or self._dirty_subnets)

    def step(self, registries: int = STEP_REGISTRIES) -> bool:
        """Bring up to ``registries`` registries' findings (and ten times as many subnets')
        up to date; True while more remain."""
        context = self._context or self._new_context()
        dirty = self._dirty_registries
        for _ in range(min(registries, len(dirty))):
            key = dirty.pop()
            registry = self._registry_by_key.get(key)
            if registry is None:
                continue
            found = _registry_findings(registry, context, self._profile)
            found.sort(key=lambda finding: finding.severity.rank)
            before = self._registry_findings.get(key, ())
            if found:
                self._registry_findings[key] = tuple(found)
            else:
                self._registry_findings.pop(key, None)
            if tuple(found) != before or key in self._unreported:
                self._changed.add(key)
                self._unreported.discard(key)
        subnets = self._dirty_subnets
        for _ in range(min(10 * registries, len(subnets))):
            key = subnets.pop()
            subnet = self._subnet_index.get(key)
            finding = None if subnet is None else subnet_endpoint_unused(subnet, self._rule_subnets)
            if finding is not None and self._profile.applies(finding.code):
                self._subnet_findings[key] = finding
            else:
                self._subnet_findings.pop(key, None)
        # A set emptied by pops keeps its table (sets don't shrink); clear() gives it back:
        # ~8 MB on the fleet tenant, held until the read's findings were done.
        for emptied in (dirty, subnets, self._unreported):
            if not emptied:
                emptied.clear()
        return self.pending

    def run(self) -> None:
        """Every step at once (headless callers, tests)."""
        while self.step():
            pass

    # ---- results -------------------------------------------------------------------------

    def findings(self, pause: Callable[[], object] = lambda: None) -> tuple[Finding, ...]:
        """Every finding worked out so far, in ``find_findings``' order: errors first, then
        by registry and subnet in inventory order.

        ``pause`` is called every ``PAUSE_EVERY`` resources: on the fleet tenant this walks
        150,000 of them and ranks ~100,000 findings (~50 ms of CPU), and a thread calling it
        hands the UI loop its turn there (services.loop_first)."""
        found: list[Finding] = []
        registry_findings = self._registry_findings
        subnet_findings = self._subnet_findings
        order = self._order()
        walked = 0
        for key in order:
            registries = self._registries.get(key, ())
            for registry in registries:
                found.extend(registry_findings.get(registry.key, ()))
            walked += len(registries)
            if walked >= PAUSE_EVERY:
                pause()
                walked = 0
        for key in order:
            for vnet in self._vnets.get(key, ()):
                for subnet in vnet.subnets:
                    finding = subnet_findings.get(subnet.key)
                    if finding is not None:
                        found.append(finding)
                walked += len(vnet.subnets)
            if walked >= PAUSE_EVERY:
                pause()
                walked = 0
        # Stable by severity, bucketed in slices rather than one sort with a Python key.
        ranked: tuple[list[Finding], ...] = tuple([] for _ in _RANK_OF)
        for start in range(0, len(found), PAUSE_EVERY):
            pause()
            for finding in found[start : start + PAUSE_EVERY]:
                ranked[_RANK_OF[finding.severity]].append(finding)
        return tuple(chain.from_iterable(ranked))

    def take_changed(self) -> tuple[Registry, ...]:
        """The registries analysed for the first time, or whose findings changed, since the
        last call (a table adds or updates their rows only); registries no longer in the
        inventory are left out."""
        changed = self._changed
        self._changed = set()
        by_key = self._registry_by_key
        return tuple(by_key[key] for key in changed if key in by_key)

    def findings_by_registry(self) -> dict[str, tuple[Finding, ...]]:
        """Each registry's findings (errors first), by registry key; a copy."""
        return dict(self._registry_findings)

    # ---- keeping the indexes ------------------------------------------------------------------

    def _order(self) -> list[str]:
        # The inventory's order: the subscription list, then anything read beyond it.
        order = [s.subscription_id.casefold() for s in self._subscriptions]
        listed = set(order)
        order += [
            k for k in (*self._registries, *self._vnets, *self._private_link) if k not in listed
        ]
        return list(dict.fromkeys(order))

    def _new_context(self) -> AnalysisContext:
        # No networks, only their index: analysis looks subnets up, it never walks them here.
        links = self._link_lookups or self._new_link_lookups()
        inventory = Inventory(
            subscriptions=self._subscriptions,
            failures=tuple(self._failures.values()),
            private_endpoints=links.endpoints,
            private_dns_zones=links.zones,
            replications=links.replications,
            _subnet_index=self._subnet_index,
        )
        self._context = AnalysisContext(
            inventory,
            subnet_by_private_endpoint=self._by_private_endpoint,
            rule_subnet_keys=self._rule_subnets,
            virtual_networks=self._vnet_index,
            private_endpoints_by_registry=links.endpoints_by_registry,
        )
        return self._context

    def _new_link_lookups(self) -> _LinkLookups:
        links = [self._private_link[key] for key in self._order() if key in self._private_link]
        endpoints = tuple(e for link in links for e in link.private_endpoints)
        by_registry: dict[str, list[PrivateEndpoint]] = {}
        for endpoint in endpoints:
            for target in endpoint.registry_ids:
                by_registry.setdefault(normalize_resource_id(target), []).append(endpoint)
        self._link_lookups = _LinkLookups(
            endpoints,
            tuple(z for link in links for z in link.private_dns_zones),
            tuple(r for link in links for r in link.replications),
            by_registry,
        )
        return self._link_lookups

    def _private_link_changed(self, before: PrivateLink, after: PrivateLink) -> None:
        self._link_lookups = None
        self._named_by_private_link = set().union(
            *(link.registry_keys() for link in self._private_link.values())
        )
        # An endpoint's subnet fills for every endpoint in it, a zone serves every endpoint
        # linked to its network: each registry private link touches is judged again.
        self._dirty_registries.update(self._with_private_endpoints)
        self._dirty_registries.update(before.registry_keys() | after.registry_keys())

    def _add_registry(self, registry: Registry) -> None:
        key = registry.key
        self._registry_by_key[key] = registry
        self._dirty_registries.add(key)
        self._unreported.add(key)
        for rule in registry.rules.virtual_network_rules:
            self._count_rule(rule.key, +1)
            self._rules_into.setdefault(subscription_of(rule.subnet_id).casefold(), set()).add(key)
        if registry.private_endpoint_connections:
            self._with_private_endpoints.add(key)

    def _drop_registries(self, subscription_key: str) -> None:
        for registry in self._registries.pop(subscription_key, ()):
            key = registry.key
            self._registry_by_key.pop(key, None)
            self._registry_findings.pop(key, None)
            self._dirty_registries.discard(key)
            self._unreported.discard(key)
            self._with_private_endpoints.discard(key)
            for rule in registry.rules.virtual_network_rules:
                self._count_rule(rule.key, -1)
                into = self._rules_into.get(subscription_of(rule.subnet_id).casefold())
                if into is not None:
                    into.discard(key)

    def _drop_networks(self, subscription_key: str) -> None:
        vnets = self._vnets.pop(subscription_key, ())
        for vnet in vnets:
            self._vnet_index.pop(vnet.key, None)
            for subnet in vnet.subnets:
                self._subnet_index.pop(subnet.key, None)
                self._subnet_findings.pop(subnet.key, None)
                self._dirty_subnets.discard(subnet.key)
                for endpoint_id in subnet.private_endpoint_ids:
                    self._by_private_endpoint.pop(normalize_resource_id(endpoint_id), None)
        if vnets:
            self._networks_changed(subscription_key)

    def _networks_changed(self, subscription_key: str) -> None:
        self._dirty_registries.update(self._rules_into.get(subscription_key, ()))
        self._dirty_registries.update(self._with_private_endpoints)
        # Their endpoints' subnets (room left) and networks (names) may be in this one.
        self._dirty_registries.update(self._named_by_private_link)

    def _count_rule(self, subnet_key: str, change: int) -> None:
        before = self._rule_subnets[subnet_key]
        after = before + change
        if after > 0:
            self._rule_subnets[subnet_key] = after
        else:
            self._rule_subnets.pop(subnet_key, None)
        if (before > 0) != (after > 0):
            # Whether some rule names the subnet decides its own finding.
            self._dirty_subnets.add(subnet_key)

    def _start_from(self, inventory: Inventory) -> None:
        self.subscriptions_listed(inventory.subscriptions)
        for subscription_id, registries in _grouped(inventory.registries).items():
            self.registries_read(subscription_id, registries)
        for subscription_id, vnets in _grouped(inventory.virtual_networks).items():
            self.networks_read(subscription_id, vnets)
        for subscription_id, link in _private_link_by_subscription(inventory).items():
            self.private_link_read(
                subscription_id, link.private_endpoints, link.private_dns_zones, link.replications
            )
        for failure in inventory.failures:
            self.failed(failure)


def _grouped(items: Iterable[_Item]) -> dict[str, tuple[_Item, ...]]:
    grouped: dict[str, list[_Item]] = {}
    for item in items:
        grouped.setdefault(item.subscription_id.casefold(), []).append(item)
    return {key: tuple(value) for key, value in grouped.items()}


def _private_link_by_subscription(inventory: Inventory) -> dict[str, PrivateLink]:
    """An earlier inventory's private link per subscription whose listings were read (as
    services.inventory's InventoryBuilder takes it up)."""
    by_key: dict[str, PrivateLink] = {}
    for key in inventory.private_link_read:

        def mine(resource_id: str, key: str = key) -> bool:
            return subscription_of(resource_id).casefold() == key

        by_key[key] = PrivateLink(
            tuple(e for e in inventory.private_endpoints if mine(e.id)),
            tuple(z for z in inventory.private_dns_zones if mine(z.id)),
            tuple(r for r in inventory.replications if mine(r.registry_id)),
        )
    return by_key
