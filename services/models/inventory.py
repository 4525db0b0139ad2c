"""What the inventory is made of: subscriptions, registries, virtual networks and subnets.

Every model is frozen; collections are tuples so models can be hashed and shared across
tasks and widgets without copies. Resource IDs are kept as Azure returned them; compare
them with ``same_resource_id`` or through ``.key``.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from acrfence.services.models.private_link import (
    PrivateDnsZone,
    PrivateEndpoint,
    Replication,
    data_endpoint_host,
)
from acrfence.services.models.rebuilt_fields import rebuilt_when_read
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
    "PRIVATE_LINK_LISTING",
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
        _compact_registry_id(self)
        _compact_login_server(self)

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


def _canonical_registry_id(registry: Registry) -> str:
    return (
        f"/subscriptions/{registry.subscription_id}/resourceGroups/{registry.resource_group}"
        f"/providers/Microsoft.ContainerRegistry/registries/{registry.name}"
    )


def _public_cloud_login_server(registry: Registry) -> str:
    return f"{registry.name.lower()}.azurecr.io"


# A registry keeps its ID only when its other fields don't spell it (as a subnet's, below),
# and its login server only when it isn't the public cloud's for its name (a sovereign cloud's).
_compact_registry_id = rebuilt_when_read(Registry, "id", _canonical_registry_id)
_compact_login_server = rebuilt_when_read(Registry, "login_server", _public_cloud_login_server)


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
        _compact_subnet_id(self)

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


def _canonical_subnet_id(subnet: Subnet) -> str:
    return (
        f"/subscriptions/{subnet.subscription_id}/resourceGroups/{subnet.resource_group}"
        f"/providers/Microsoft.Network/virtualNetworks/{subnet.virtual_network_name}"
        f"/subnets/{subnet.name}"
    )


# A subnet keeps its ID only when its other fields don't spell it (services.models.rebuilt_fields).
_compact_subnet_id = rebuilt_when_read(Subnet, "id", _canonical_subnet_id)


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


# SubscriptionFailure.what of a subscription whose private endpoints, private DNS zones or
# replications couldn't be read (its registries and networks may still be).
PRIVATE_LINK_LISTING = "private link"


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
    # Private link, per subscription read (services.private_link): endpoints to registries,
    # ACR's private DNS zones with records and links, and replications (a Premium registry's
    # home region included). ``private_link_read``: the subscriptions (casefolded) whose private
    # link listings arrived, so "none" can be told from "not read".
    private_endpoints: tuple[PrivateEndpoint, ...] = ()
    private_dns_zones: tuple[PrivateDnsZone, ...] = ()
    replications: tuple[Replication, ...] = ()
    private_link_read: tuple[str, ...] = ()
    # Subnets by key. A builder that keeps this up to date piece by piece passes it in (its
    # own copy): indexing 100,000 subnets again for every piece of a streaming fleet tenant
    # cost more than the rest of the piece.
    _subnet_index: dict[str, Subnet] = field(default_factory=dict, compare=False, repr=False)
    # Registries by key, built on the first lookup (a detail or an action looks one up by ID).
    _registry_index: dict[str, Registry] = field(default_factory=dict, compare=False, repr=False)
    _endpoint_index: dict[str, PrivateEndpoint] = field(
        default_factory=dict, compare=False, repr=False
    )
    _zone_index: dict[str, PrivateDnsZone] = field(default_factory=dict, compare=False, repr=False)
    _replication_index: dict[str, list[Replication]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # (registries, virtual networks) per casefolded subscription ID: handed in by a builder
    # that has them per subscription anyway, else counted on the first call. Not an init
    # field, so dataclasses.replace never carries counts over to other resources.
    _counts: tuple[Mapping[str, int], Mapping[str, int]] | None = field(
        default=None, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Fresh indexes: dataclasses.replace hands in the original's, which must neither be
        # changed nor describe other resources. Private link is a few resources per
        # subscription, indexed here every time; registries on the first lookup.
        endpoints = {endpoint.key: endpoint for endpoint in self.private_endpoints}
        zones = {zone.key: zone for zone in self.private_dns_zones}
        replications: dict[str, list[Replication]] = {}
        for replication in self.replications:
            replications.setdefault(replication.registry_key, []).append(replication)
        object.__setattr__(self, "_endpoint_index", endpoints)
        object.__setattr__(self, "_zone_index", zones)
        object.__setattr__(self, "_replication_index", replications)
        object.__setattr__(self, "_registry_index", {})
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

    def counts_by_subscription(self) -> tuple[Mapping[str, int], Mapping[str, int]]:
        """How many registries and virtual networks each subscription (casefolded ID) has."""
        counts = self._counts
        if counts is None:
            counts = (
                _count_by_subscription(self.registries),
                _count_by_subscription(self.virtual_networks),
            )
            object.__setattr__(self, "_counts", counts)
        return counts

    def readable_subscription_ids(self) -> frozenset[str]:
        return frozenset(s.subscription_id.casefold() for s in self.subscriptions)

    def endpoint_status(self, subnet_id: str) -> EndpointStatus:
        """How a rule naming ``subnet_id`` stands against the subnets we could read."""
        subnet = self.subnet(subnet_id)
        if subnet is not None:
            return endpoint_status_of(subnet)
        subscription = subscription_of(subnet_id).casefold()
        failed = {
            f.subscription_id.casefold()
            for f in self.failures
            if f.what != PRIVATE_LINK_LISTING  # networks still read
        }
        if subscription not in self.readable_subscription_ids() or subscription in failed:
            return EndpointStatus.UNREADABLE
        return EndpointStatus.SUBNET_NOT_FOUND

    # ---- private link ------------------------------------------------------------------------

    def private_endpoint(self, endpoint_id: str) -> PrivateEndpoint | None:
        return self._endpoint_index.get(normalize_resource_id(endpoint_id))

    def private_dns_zone(self, zone_id: str) -> PrivateDnsZone | None:
        return self._zone_index.get(normalize_resource_id(zone_id))

    def private_endpoints_of(self, registry: Registry) -> tuple[PrivateEndpoint, ...]:
        """The endpoints read that connect to ``registry``: named by its connections, or
        naming it in theirs."""
        named = {
            normalize_resource_id(c.private_endpoint_id)
            for c in registry.private_endpoint_connections
            if c.private_endpoint_id
        }
        return tuple(
            endpoint
            for endpoint in self.private_endpoints
            if endpoint.key in named or endpoint.connection_to(registry.id) is not None
        )

    def private_link_known(self, subscription_id: str) -> bool:
        """Whether this subscription's private link listings were read."""
        return subscription_id.casefold() in self.private_link_read

    def replications_of(self, registry: Registry) -> tuple[Replication, ...]:
        """The registry's regions, home first: its replications as read, else (not
        replicated, or not read) its home region alone. Data endpoint hosts follow the login
        server's cloud."""
        listed = self._replication_index.get(registry.key, [])
        regions = [registry.location.lower().replace(" ", "")]
        regions += [r.region for r in listed if r.region not in regions]
        by_region = {r.region: r for r in listed}
        return tuple(
            Replication(
                registry_id=registry.id,
                region=region,
                data_endpoint_host=data_endpoint_host(registry.login_server, registry.name, region),
                id=by_region[region].id if region in by_region else None,
                provisioning_state=(
                    by_region[region].provisioning_state if region in by_region else None
                ),
            )
            for region in regions
            if region
        )

    def registry_zones(self) -> tuple[PrivateDnsZone, ...]:
        """ACR's private link zones read (``privatelink.azurecr.io`` and its sovereign kin)."""
        return tuple(zone for zone in self.private_dns_zones if zone.is_registry_zone)


def _count_by_subscription(items: Iterable[Registry] | Iterable[VirtualNetwork]) -> dict[str, int]:
    by_id = Counter(item.subscription_id for item in items)
    counts: dict[str, int] = {}
    for subscription_id, count in by_id.items():  # one casefold per subscription
        key = subscription_id.casefold()
        counts[key] = counts.get(key, 0) + count
    return counts
