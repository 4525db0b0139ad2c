"""What the inventory is made of: subscriptions, registries, virtual networks and subnets.

Every model is frozen; collections are tuples so models can be hashed and shared across
tasks and widgets without copies. Resource IDs are kept as Azure returned them; compare
them with ``same_resource_id`` or through ``.key``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from acrfence.services.models.resource_id import normalize_resource_id, subscription_of

__all__ = [
    "ACR_SERVICE_ENDPOINT",
    "MAX_VIRTUAL_NETWORK_RULES",
    "MAX_IP_RULES",
    "MAX_PRIVATE_ENDPOINTS",
    "Subscription",
    "IpRule",
    "ip_rule_key",
    "same_ip_rule",
    "VirtualNetworkRule",
    "NetworkRuleSet",
    "PrivateEndpointConnection",
    "Registry",
    "ServiceEndpoint",
    "Subnet",
    "VirtualNetwork",
    "SubscriptionFailure",
    "Inventory",
    "SubnetIndex",
    "EndpointStatus",
    "endpoint_status_of",
    "provisioned",
]

ACR_SERVICE_ENDPOINT = "Microsoft.ContainerRegistry"
# Azure's documented limits per Premium registry (ACR service tiers, 2026): virtual network
# rules, IP rules, private endpoints.
MAX_VIRTUAL_NETWORK_RULES = 100
MAX_IP_RULES = 200
MAX_PRIVATE_ENDPOINTS = 200


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    display_name: str
    state: str = "Enabled"
    tenant_id: str | None = None
    # ARM's JSON as last read (a read-only view), for the raw view (`y`); never compared.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}"


def ip_rule_key(value: str) -> str:
    """The one comparison of IP rules, as networks: ACR takes ``1.2.3.4`` and ``1.2.3.4/32``
    as the same rule, and ``1.2.3.4/24`` as ``1.2.3.0/24`` (host bits dropped). A value that
    is not an address keeps its text (case-folded), so it still equals only itself."""
    text = (value or "").strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return text.casefold()


def same_ip_rule(a: str, b: str) -> bool:
    return ip_rule_key(a) == ip_rule_key(b)


@dataclass(frozen=True, slots=True)
class IpRule:
    """An IPv4 address or CIDR range allowed through the registry firewall."""

    value: str
    action: str = "Allow"

    @property
    def key(self) -> str:
        return ip_rule_key(self.value)


@dataclass(frozen=True, slots=True)
class VirtualNetworkRule:
    """A subnet allowed through the registry firewall (needs the subnet's service endpoint)."""

    subnet_id: str
    action: str = "Allow"

    # The case-folded ID, worked out once: the inventory, analysis and tables key on it, and
    # every call of a property made (and they kept) another copy of a 150-character string.
    key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", normalize_resource_id(self.subnet_id))


@dataclass(frozen=True, slots=True)
class NetworkRuleSet:
    default_action: str = "Allow"
    ip_rules: tuple[IpRule, ...] = ()
    virtual_network_rules: tuple[VirtualNetworkRule, ...] = ()

    @property
    def denies_by_default(self) -> bool:
        return self.default_action.casefold() == "deny"


@dataclass(frozen=True, slots=True)
class PrivateEndpointConnection:
    id: str
    name: str
    private_endpoint_id: str | None
    status: str | None  # Approved, Pending, Rejected, Disconnected
    description: str | None = None
    provisioning_state: str | None = None


@dataclass(frozen=True, slots=True)
class Registry:
    id: str
    name: str
    resource_group: str
    subscription_id: str
    location: str
    sku: str  # Basic, Standard, Premium
    login_server: str
    public_network_access: str = "Enabled"  # Enabled or Disabled
    network_rule_bypass_options: str = "AzureServices"  # AzureServices or None
    network_rule_set: NetworkRuleSet | None = None
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()
    data_endpoint_enabled: bool = False
    data_endpoint_host_names: tuple[str, ...] = ()
    provisioning_state: str | None = None
    etag: str | None = None
    # Whether ACR Tasks (their system identity) get through the firewall; API 2025-06-01 on,
    # default false: behind Deny, a task that pushes or pulls then gets 403.
    network_rule_bypass_allowed_for_tasks: bool = False
    # The registry API version this was read with, and why it isn't the preferred one (set
    # when Azure refused the preferred version and acrfence fell back), for the UI to say.
    api_version: str | None = None
    api_version_note: str | None = None
    # ARM's JSON as last read (a read-only view), for the raw view (`y`); never compared.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    tags: tuple[tuple[str, str], ...] = ()  # (name, value) pairs, as ARM returned them

    # The case-folded ID, worked out once: the inventory, analysis and tables key on it, and
    # every call of a property made (and they kept) another copy of a 150-character string.
    key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", normalize_resource_id(self.id))

    def tag(self, name: str) -> str | None:
        """A tag's value; Azure treats tag names case-insensitively."""
        wanted = name.casefold()
        return next((value for key, value in self.tags if key.casefold() == wanted), None)

    @property
    def is_premium(self) -> bool:
        return self.sku.casefold() == "premium"

    @property
    def rules(self) -> NetworkRuleSet:
        return self.network_rule_set or NetworkRuleSet()

    @property
    def public_access_enabled(self) -> bool:
        return self.public_network_access.casefold() != "disabled"

    @property
    def trusted_services_bypass(self) -> bool:
        return self.network_rule_bypass_options.casefold() == "azureservices"


def provisioned(state: str | None) -> bool:
    """A provisioningState that means done; None (not reported) counts as done."""
    return state is None or state.casefold() == "succeeded"


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    service: str
    locations: tuple[str, ...] = ()
    provisioning_state: str | None = None

    @property
    def is_acr(self) -> bool:
        return self.service.casefold() == ACR_SERVICE_ENDPOINT.casefold()


@dataclass(frozen=True, slots=True)
class Subnet:
    id: str
    name: str
    virtual_network_name: str
    resource_group: str
    subscription_id: str
    address_prefixes: tuple[str, ...] = ()
    service_endpoints: tuple[ServiceEndpoint, ...] = ()
    delegations: tuple[str, ...] = ()  # service names, e.g. Microsoft.Web/serverFarms
    network_security_group_id: str | None = None
    route_table_id: str | None = None
    private_endpoint_ids: tuple[str, ...] = ()
    etag: str | None = None
    provisioning_state: str | None = None
    # ARM's JSON as last read (a read-only view), for the raw view (`y`); never compared.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    # The case-folded ID, worked out once: the inventory, analysis and tables key on it, and
    # every call of a property made (and they kept) another copy of a 150-character string.
    key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", normalize_resource_id(self.id))

    @property
    def virtual_network_id(self) -> str:
        return self.id.rsplit("/subnets/", 1)[0]

    @property
    def has_acr_endpoint(self) -> bool:
        return any(endpoint.is_acr for endpoint in self.service_endpoints)

    @property
    def acr_endpoint(self) -> ServiceEndpoint | None:
        return next((endpoint for endpoint in self.service_endpoints if endpoint.is_acr), None)

    @property
    def acr_endpoint_updating(self) -> bool:
        """The endpoint is configured but Azure hasn't finished setting it up (its
        provisioningState is not Succeeded): it doesn't carry traffic yet."""
        endpoint = self.acr_endpoint
        return endpoint is not None and not provisioned(endpoint.provisioning_state)

    @property
    def other_endpoints(self) -> tuple[ServiceEndpoint, ...]:
        return tuple(endpoint for endpoint in self.service_endpoints if not endpoint.is_acr)

    @property
    def label(self) -> str:
        return f"{self.virtual_network_name}/{self.name}"


@dataclass(frozen=True, slots=True)
class VirtualNetwork:
    id: str
    name: str
    resource_group: str
    subscription_id: str
    location: str
    address_prefixes: tuple[str, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    etag: str | None = None
    # ARM's JSON as last read (a read-only view), for the raw view (`y`); never compared.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    # The case-folded ID, worked out once: the inventory, analysis and tables key on it, and
    # every call of a property made (and they kept) another copy of a 150-character string.
    key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", normalize_resource_id(self.id))


@dataclass(frozen=True)
class SubscriptionFailure:
    """One subscription (or one of its listings) that could not be read; the rest still loads."""

    subscription_id: str
    what: str  # "registries", "virtual networks", "subscription"
    code: str  # ARM error code, or HTTP status as text when there is none
    message: str


class EndpointStatus(StrEnum):
    """The state of a registry rule's subnet, as far as this identity can see."""

    ENABLED = "enabled"  # the subnet has the Microsoft.ContainerRegistry endpoint
    # the endpoint is configured but its provisioningState isn't Succeeded yet: no traffic yet
    UPDATING = "updating"
    MISSING = "missing"  # the subnet exists but lacks the endpoint: the rule does nothing
    SUBNET_NOT_FOUND = "subnet-not-found"  # the subnet is gone: the rule is dangling
    UNREADABLE = "unreadable"  # the subnet is in a subscription this identity can't read


def endpoint_status_of(subnet: Subnet) -> EndpointStatus:
    """A readable subnet's Microsoft.ContainerRegistry endpoint: enabled, updating or missing."""
    if not subnet.has_acr_endpoint:
        return EndpointStatus.MISSING
    return EndpointStatus.UPDATING if subnet.acr_endpoint_updating else EndpointStatus.ENABLED


class SubnetIndex(dict[str, Subnet]):
    """Subnets by key, built for exactly these virtual networks (by a builder that keeps its
    index up to date piece by piece); an Inventory given one for its own networks uses it."""

    def __init__(
        self,
        subnets: Mapping[str, Subnet] | Iterable[tuple[str, Subnet]] = (),
        virtual_networks: tuple[VirtualNetwork, ...] | None = None,  # None: for none (a copy)
    ) -> None:
        super().__init__(subnets)
        self.virtual_networks = virtual_networks


@dataclass(frozen=True)
class Inventory:
    """Everything read from a tenant; built up as the streamed pieces arrive."""

    subscriptions: tuple[Subscription, ...] = ()
    registries: tuple[Registry, ...] = ()
    virtual_networks: tuple[VirtualNetwork, ...] = ()
    failures: tuple[SubscriptionFailure, ...] = ()
    # Subnets by key. A builder that keeps this up to date piece by piece passes it in (its
    # own copy): indexing 100,000 subnets again for every piece of a streaming fleet tenant
    # cost more than the rest of the piece.
    _subnet_index: dict[str, Subnet] = field(default_factory=dict, compare=False, repr=False)
    # Registries by key, built on the first lookup (a detail or an action looks one up by ID).
    _registry_index: dict[str, Registry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index = self._subnet_index
        if isinstance(index, SubnetIndex) and index.virtual_networks is self.virtual_networks:
            return
        # A fresh dict: one handed in for other networks (dataclasses.replace) stays as it is.
        index = {}
        for vnet in self.virtual_networks:
            for subnet in vnet.subnets:
                index[subnet.key] = subnet
        object.__setattr__(self, "_subnet_index", index)

    @property
    def subnets(self) -> tuple[Subnet, ...]:
        return tuple(subnet for vnet in self.virtual_networks for subnet in vnet.subnets)

    def subnet(self, subnet_id: str) -> Subnet | None:
        return self._subnet_index.get(normalize_resource_id(subnet_id))

    def registry(self, registry_id: str) -> Registry | None:
        index = self._registry_index
        if not index and self.registries:
            for registry in reversed(self.registries):  # the first of equal keys wins
                index[registry.key] = registry
        return index.get(normalize_resource_id(registry_id))

    def readable_subscription_ids(self) -> frozenset[str]:
        return frozenset(s.subscription_id.casefold() for s in self.subscriptions)

    def endpoint_status(self, subnet_id: str) -> EndpointStatus:
        """How a rule naming ``subnet_id`` stands against the subnets we could read."""
        subnet = self.subnet(subnet_id)
        if subnet is not None:
            return endpoint_status_of(subnet)
        subscription = subscription_of(subnet_id).casefold()
        failed = {f.subscription_id.casefold() for f in self.failures}
        if subscription not in self.readable_subscription_ids() or subscription in failed:
            return EndpointStatus.UNREADABLE
        return EndpointStatus.SUBNET_NOT_FOUND
