"""Indexes built once per inventory, and each registry's rules sorted into what they do.

The dashboard runs analysis over thousands of registries and subnets, so every lookup here is
a dictionary or set lookup; nothing scans the inventory per rule.
"""

from __future__ import annotations

import weakref
from collections.abc import Container, Mapping
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Network

from acrfence.services.analysis.cidr import IpRuleError, non_routable_block, parse_ip_rule
from acrfence.services.models import (
    PRIVATE_LINK_LISTING,
    EndpointStatus,
    Inventory,
    IpRule,
    PrivateEndpoint,
    PrivateEndpointConnection,
    Registry,
    Subnet,
    VirtualNetwork,
    VirtualNetworkRule,
    endpoint_status_of,
    id_segment,
    normalize_resource_id,
    subscription_of,
)

__all__ = [
    "AnalysisContext",
    "ClassifiedIpRule",
    "ClassifiedSubnetRule",
    "RegistryRules",
    "context_for",
    "classify",
    "subnet_label",
]


@dataclass(frozen=True)
class ClassifiedSubnetRule:
    rule: VirtualNetworkRule
    status: EndpointStatus
    subnet: Subnet | None
    label: str  # "vnet/subnet", also for subnets we can't read


@dataclass(frozen=True)
class ClassifiedIpRule:
    rule: IpRule
    network: IPv4Network | None  # None when the value is malformed
    problem: str | None  # why it can never match, in words; None when it can


@dataclass(frozen=True)
class RegistryRules:
    """One registry's rules, each with what it really does."""

    subnet_rules: tuple[ClassifiedSubnetRule, ...]
    ip_rules: tuple[ClassifiedIpRule, ...]
    approved_private_endpoints: tuple[PrivateEndpointConnection, ...]
    # The private endpoints read that connect to the registry (services.private_link), and
    # whether every connection's endpoint was read with its DNS zone groups: only then can
    # acrfence judge the registry's private DNS.
    private_endpoints: tuple[PrivateEndpoint, ...] = ()
    zone_groups_known: bool = False

    @property
    def rule_count(self) -> int:
        return len(self.subnet_rules) + len(self.ip_rules)

    @property
    def effective_subnet_rules(self) -> tuple[ClassifiedSubnetRule, ...]:
        return tuple(r for r in self.subnet_rules if r.status is EndpointStatus.ENABLED)

    @property
    def effective_ip_rules(self) -> tuple[ClassifiedIpRule, ...]:
        return tuple(r for r in self.ip_rules if r.network is not None and r.problem is None)

    def rule_for(self, subnet_key: str) -> ClassifiedSubnetRule | None:
        return next((r for r in self.subnet_rules if r.rule.key == subnet_key), None)


class AnalysisContext:
    """Lookups over one inventory: subnets by private endpoint, rule subnets, readability."""

    def __init__(
        self,
        inventory: Inventory,
        *,
        subnet_by_private_endpoint: Mapping[str, Subnet] | None = None,
        rule_subnet_keys: Container[str] | None = None,
        virtual_networks: Mapping[str, VirtualNetwork] | None = None,
        private_endpoints_by_registry: Mapping[str, list[PrivateEndpoint]] | None = None,
    ) -> None:
        """The indexes are built from ``inventory`` unless given: the incremental findings
        (``services.analysis.incremental``) keep them up to date piece by piece instead of
        passing over 100,000 subnets for every piece of a streaming tenant: subnets by private
        endpoint, the subnets some rule names, networks by key, and the private endpoints
        naming each registry (in the inventory's order)."""
        self.inventory = inventory
        self.readable_subscriptions = inventory.readable_subscription_ids()
        self.failed_subscriptions = frozenset(
            f.subscription_id.casefold()
            for f in inventory.failures
            if f.what != PRIVATE_LINK_LISTING  # its networks were still read
        )
        if subnet_by_private_endpoint is None:
            by_endpoint: dict[str, Subnet] = {}
            for subnet in inventory.subnets:
                for endpoint_id in subnet.private_endpoint_ids:
                    by_endpoint[normalize_resource_id(endpoint_id)] = subnet
            subnet_by_private_endpoint = by_endpoint
        self.subnet_by_private_endpoint = subnet_by_private_endpoint
        self._vnets: Mapping[str, VirtualNetwork] | None = virtual_networks  # else built when asked
        if private_endpoints_by_registry is None:
            by_registry: dict[str, list[PrivateEndpoint]] = {}
            for endpoint in inventory.private_endpoints:
                for target in endpoint.registry_ids:
                    by_registry.setdefault(normalize_resource_id(target), []).append(endpoint)
            private_endpoints_by_registry = by_registry
        self.private_endpoints_by_registry = private_endpoints_by_registry
        # Keyed by id() and holding the registry, so the id can't be reused while cached.
        self.classified: dict[int, tuple[Registry, RegistryRules]] = {}
        if rule_subnet_keys is None:
            rule_subnet_keys = frozenset(
                rule.key
                for registry in inventory.registries
                for rule in registry.rules.virtual_network_rules
            )
        self.rule_subnet_keys = rule_subnet_keys

    def endpoint_status(self, subnet_id: str) -> EndpointStatus:
        """Same answer as ``Inventory.endpoint_status``, from sets built once."""
        subnet = self.inventory.subnet(subnet_id)
        if subnet is not None:
            return endpoint_status_of(subnet)
        subscription = subscription_of(subnet_id).casefold()
        if (
            subscription not in self.readable_subscriptions
            or subscription in self.failed_subscriptions
        ):
            return EndpointStatus.UNREADABLE
        return EndpointStatus.SUBNET_NOT_FOUND

    def inventory_vnet(self, vnet_id: str) -> VirtualNetwork | None:
        if self._vnets is None:
            self._vnets = {v.key: v for v in self.inventory.virtual_networks}
        return self._vnets.get(normalize_resource_id(vnet_id))

    def private_endpoints_of(self, registry: Registry) -> tuple[tuple[PrivateEndpoint, ...], bool]:
        """The endpoints read that connect to ``registry`` (named by its connections or naming
        it), and whether each of its connections' endpoints was read with its zone groups."""
        found = {e.key: e for e in self.private_endpoints_by_registry.get(registry.key, ())}
        known = True
        for connection in registry.private_endpoint_connections:
            if not connection.private_endpoint_id:
                continue
            endpoint = self.inventory.private_endpoint(connection.private_endpoint_id)
            if endpoint is None or endpoint.zone_groups is None:
                known = False
            else:
                found.setdefault(endpoint.key, endpoint)
        if any(endpoint.zone_groups is None for endpoint in found.values()):
            known = False
        return tuple(found.values()), known and bool(found)

    def private_endpoint_subnet(self, connection: PrivateEndpointConnection) -> Subnet | None:
        if not connection.private_endpoint_id:
            return None
        return self.subnet_by_private_endpoint.get(
            normalize_resource_id(connection.private_endpoint_id)
        )


# One context per live inventory object: find_findings, effective_access and subnet_reach
# called on the same inventory share the indexes. Inventories are immutable, so the cache
# can't go stale; entries vanish with the inventory they index.
_contexts: dict[int, tuple[weakref.ref[Inventory], AnalysisContext]] = {}


def context_for(inventory: Inventory) -> AnalysisContext:
    key = id(inventory)
    cached = _contexts.get(key)
    if cached is not None and cached[0]() is inventory:
        return cached[1]
    context = AnalysisContext(inventory)
    _contexts[key] = (weakref.ref(inventory, lambda _ref: _contexts.pop(key, None)), context)
    return context


def subnet_label(subnet_id: str, subnet: Subnet | None = None) -> str:
    """ "vnet/subnet" from the model, or from the ID itself when the subnet can't be read."""
    if subnet is not None:
        return subnet.label
    text = subnet_id.strip().rstrip("/")
    vnet, name = id_segment(text, "virtualNetworks"), id_segment(text, "subnets")
    return f"{vnet}/{name}" if vnet and name else subnet_id


@lru_cache(maxsize=65536)
def judge_ip_value(value: str) -> tuple[IPv4Network | None, str | None]:
    """(range, why it can never match); tenants repeat the same few values, hence the cache.

    The one rule for "this IP rule can never match": the findings and the lockdown plan's
    warnings both ask it, so they can't disagree."""
    try:
        network = parse_ip_rule(value)
    except IpRuleError:
        return None, "it is not an IPv4 address or CIDR range"
    block = non_routable_block(network)
    if block is not None:
        return network, f"{value} is a {block} range and ACR only ever sees public source addresses"
    return network, None


def never_matches_headline(value: str) -> str:
    """How a finding and a plan warning name an IP rule in a non-routable block."""
    return f"IP rule {value} never matches (not a public address)"


def _classify_ip_rule(rule: IpRule) -> ClassifiedIpRule:
    return ClassifiedIpRule(rule, *judge_ip_value(rule.value))


def classify(registry: Registry, context: AnalysisContext) -> RegistryRules:
    """The registry's rules sorted by effect; computed once per registry object per context."""
    cached = context.classified.get(id(registry))
    if cached is not None and cached[0] is registry:
        return cached[1]
    rules = _classify(registry, context)
    context.classified[id(registry)] = (registry, rules)
    return rules


def _classify(registry: Registry, context: AnalysisContext) -> RegistryRules:
    subnet_rules = []
    for rule in registry.rules.virtual_network_rules:
        subnet = context.inventory.subnet(rule.subnet_id)
        status = context.endpoint_status(rule.subnet_id)
        subnet_rules.append(
            ClassifiedSubnetRule(rule, status, subnet, subnet_label(rule.subnet_id, subnet))
        )
    approved = tuple(
        c
        for c in registry.private_endpoint_connections
        if (c.status or "").casefold() == "approved"
    )
    endpoints, zone_groups_known = (
        context.private_endpoints_of(registry)
        if registry.private_endpoint_connections or context.private_endpoints_by_registry
        else ((), False)
    )
    return RegistryRules(
        tuple(subnet_rules),
        tuple(_classify_ip_rule(rule) for rule in registry.rules.ip_rules),
        approved,
        endpoints,
        zone_groups_known,
    )
