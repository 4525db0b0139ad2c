"""Private link findings: the failures operators meet moving a registry to a private endpoint.

Missing private DNS records (one per data endpoint, per replica), zones not linked to the
networks that pull, endpoints without a DNS zone group (new replicas get no record), service
endpoint rules beside private endpoints, public access Disabled while service endpoint
clients still depend on it, and an endpoint subnet too small for one more replica.

Everything is judged from the inventory's private link (services.private_link): a registry
whose endpoints or zones weren't read gets no DNS finding rather than a guess.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from acrfence.services.analysis.context import (
    AnalysisContext,
    RegistryRules,
    classify,
    context_for,
    subnet_label,
)
from acrfence.services.analysis.text import join_words, plural
from acrfence.services.models import (
    RESERVED_ADDRESSES_PER_SUBNET,
    Finding,
    Inventory,
    PrivateDnsZone,
    PrivateEndpoint,
    PrivateEndpointView,
    PrivateNameView,
    Registry,
    Severity,
    normalize_resource_id,
    private_link_zone_name,
    registry_private_names,
    relative_record_name,
)

__all__ = [
    "PRIVATE_LINK_CODES",
    "private_link_findings",
    "private_endpoint_views",
    "endpoint_status",
    "expected_names",
]

PRIVATE_LINK_CODES = (
    "private-dns-record-missing",
    "private-dns-zone-not-linked",
    "private-endpoint-no-zone-group",
    "service-endpoint-rules-with-private-endpoint",
    "public-access-disabled-with-vnet-rules",
    "private-endpoint-subnet-full",
)

_INACTIVE = {"rejected", "disconnected"}


def _finding(registry: Registry, code: str, severity: Severity, title: str, detail: str,
             subnet_id: str | None = None) -> Finding:  # fmt: skip
    return Finding.about(code, severity, title, detail, registry=registry, subnet_id=subnet_id)


def endpoint_status(registry: Registry, endpoint: PrivateEndpoint) -> str | None:
    """The connection's state as the registry has it (else as the endpoint has it)."""
    for connection in registry.private_endpoint_connections:
        if connection.private_endpoint_id and (
            normalize_resource_id(connection.private_endpoint_id) == endpoint.key
        ):
            return connection.status
    own = endpoint.connection_to(registry.id)
    return own.status if own is not None else None


def _active(registry: Registry, endpoint: PrivateEndpoint) -> bool:
    return (endpoint_status(registry, endpoint) or "").casefold() not in _INACTIVE


def expected_names(
    registry: Registry, endpoints: Iterable[PrivateEndpoint], regions: Iterable[str]
) -> tuple[str, ...]:
    """Every name the registry's private endpoints must resolve: the login server and a data
    endpoint per region (what ACR lists, what the endpoints say they serve, and one per
    replica read)."""
    names = list(
        registry_private_names(
            registry.login_server, registry.name, regions, registry.data_endpoint_host_names
        )
    )
    for endpoint in endpoints:
        names += [c.fqdn for c in endpoint.dns_configs if c.fqdn and c.fqdn not in names]
    return tuple(names)


def _what(registry: Registry, fqdn: str) -> str:
    """``login server`` or ``data endpoint (eastus)``, for titles."""
    if fqdn == registry.login_server.lower():
        return "login server"
    parts = fqdn.split(".")
    region = parts[1] if len(parts) > 2 and parts[2] == "data" else fqdn
    return f"data endpoint ({region})"


def private_link_findings(
    registry: Registry, rules: RegistryRules, context: AnalysisContext
) -> list[Finding]:
    """The six private link findings of one (Premium) registry."""
    found = _public_access_disabled_with_rules(registry, rules)
    endpoints = [e for e in rules.private_endpoints if _active(registry, e)]
    if not endpoints:
        return found
    found += _rules_beside_private_endpoint(registry, endpoints)
    if rules.zone_groups_known:
        found += _no_zone_group(registry, endpoints)
    zones = _zones(registry, endpoints, context)
    regions = [r.region for r in context.inventory.replications_of(registry)]
    found += _records_missing(registry, endpoints, zones, regions)
    found += _zones_not_linked(registry, endpoints, zones, context)
    found += _subnets_full(registry, endpoints, regions, context)
    return found


def _public_access_disabled_with_rules(registry: Registry, rules: RegistryRules) -> list[Finding]:
    vnet_rules = registry.rules.virtual_network_rules
    if registry.public_access_enabled or not vnet_rules:
        return []
    labels = [item.label for item in rules.subnet_rules]
    count = plural(len(vnet_rules), "service endpoint rule")
    return [
        _finding(
            registry,
            "public-access-disabled-with-vnet-rules",
            Severity.ERROR,
            f"{registry.name}: {count} cut off (public access disabled)",
            f"Public network access is Disabled, so ACR ignores its firewall rules: hosts in "
            f"{join_words(labels)} reach the registry through their service endpoint, which "
            "arrives at the public endpoint, and are refused. Move them to the private endpoint "
            "first (its zone linked to their network: acrfence migrate), or enable public "
            "access again while they still depend on the rules.",
        )
    ]


def _rules_beside_private_endpoint(
    registry: Registry, endpoints: list[PrivateEndpoint]
) -> list[Finding]:
    count = len(registry.rules.virtual_network_rules)
    if not count:
        return []
    names = join_words([e.name for e in endpoints])
    return [
        _finding(
            registry,
            "service-endpoint-rules-with-private-endpoint",
            Severity.INFO,
            f"{registry.name}: {plural(count, 'service endpoint rule')} beside a private endpoint",
            f"The registry is reached both through service endpoint rules and through "
            f"{names}: a migration to private link left halfway, or two routes to keep "
            "apart (Azure refuses both from one virtual network). Once every network that "
            "pulls resolves the registry to the private endpoint, remove the rules (acrfence "
            "migrate, or az acr network-rule remove).",
        )
    ]


def _no_zone_group(registry: Registry, endpoints: list[PrivateEndpoint]) -> list[Finding]:
    found = []
    zone = private_link_zone_name(registry.login_server)
    for endpoint in endpoints:
        if endpoint.has_zone_group is not False:
            continue
        found.append(
            _finding(
                registry,
                "private-endpoint-no-zone-group",
                Severity.WARNING,
                f"{registry.name}: private endpoint {endpoint.name} has no DNS zone group",
                f"Without a zone group Azure keeps no A records for {endpoint.name}: records "
                f"made by hand go stale, and a new replica's data endpoint gets none, so pulls "
                f"from that region fail in the networks that resolve through {zone}. Add one: "
                f"az network private-endpoint dns-zone-group create --resource-group "
                f"{endpoint.resource_group} --endpoint-name {endpoint.name} --name default "
                f"--private-dns-zone {zone} --zone-name acr",
                subnet_id=endpoint.subnet_id,
            )
        )
    return found


def _zones(
    registry: Registry, endpoints: list[PrivateEndpoint], context: AnalysisContext
) -> list[PrivateDnsZone]:
    """The zones the registry's names resolve through: those its endpoints' zone groups name,
    and for an endpoint without one, the registry zones linked to its network."""
    wanted = private_link_zone_name(registry.login_server)
    zones: dict[str, PrivateDnsZone] = {}
    for endpoint in endpoints:
        for zone_id in endpoint.zone_ids:
            zone = context.inventory.private_dns_zone(zone_id)
            if zone is not None and zone.name == wanted:
                zones.setdefault(zone.key, zone)
        if endpoint.has_zone_group is False:
            for zone in context.inventory.registry_zones():
                if zone.name == wanted and zone.linked_to(endpoint.virtual_network_id):
                    zones.setdefault(zone.key, zone)
    return list(zones.values())


def _records_missing(
    registry: Registry,
    endpoints: list[PrivateEndpoint],
    zones: list[PrivateDnsZone],
    regions: list[str],
) -> list[Finding]:
    names = expected_names(registry, endpoints, regions)
    # A record pointing at none of the registry's endpoints (a deleted one's) is as bad.
    addresses = {
        config.fqdn: set(config.ip_addresses)
        for endpoint in endpoints
        for config in endpoint.dns_configs
    }
    found = []
    for zone in zones:
        missing, stale = [], []
        for fqdn in names:
            relative = relative_record_name(fqdn, zone.name)
            record = zone.a_record(relative) if relative is not None else None
            if record is None or not record.addresses:
                missing.append(fqdn)
            elif addresses.get(fqdn) and not set(record.addresses) & addresses[fqdn]:
                stale.append(fqdn)
        if not missing and not stale:
            continue
        parts = []
        if missing:
            parts.append(f"no A record for {join_words([_what(registry, n) for n in missing])}")
        if stale:
            parts.append(
                f"a record pointing at no endpoint of the registry for "
                f"{join_words([_what(registry, n) for n in stale])}"
            )
        bad = [*missing, *stale]
        found.append(
            _finding(
                registry,
                "private-dns-record-missing",
                Severity.ERROR,
                f"{registry.name}: {zone.name} lacks {plural(len(bad), 'record')} "
                f"({join_words([_what(registry, n) for n in bad])})",
                f"The zone {zone.name} ({zone.resource_group}) has {'; '.join(parts)}. In the "
                f"networks linked to it, {join_words(bad)} doesn't resolve to the private "
                "endpoint, so logins or layer downloads from there fail. Give the endpoint a "
                "DNS zone group (Azure then keeps every record), or add the A records: az "
                f"network private-dns record-set a add-record --resource-group "
                f"{zone.resource_group} --zone-name {zone.name} --record-set-name NAME "
                "--ipv4-address IP.",
            )
        )
    return found


def _pulling_networks(
    registry: Registry, endpoints: list[PrivateEndpoint]
) -> dict[str, tuple[str, str, bool]]:
    """Network key -> (network ID, why it pulls, whether a rule says it pulls): the networks
    of the subnets the rules name (they pull today), then those holding an endpoint (their
    hosts would pull through it, if any pull: the configuration can't tell)."""
    networks: dict[str, tuple[str, str, bool]] = {}
    for rule in registry.rules.virtual_network_rules:
        if "/subnets/" not in rule.subnet_id:
            continue
        vnet_id = rule.subnet_id.rsplit("/subnets/", 1)[0]
        why = f"has a rule for {subnet_label(rule.subnet_id)}"
        networks.setdefault(normalize_resource_id(vnet_id), (vnet_id, why, True))
    for endpoint in endpoints:
        vnet_id = endpoint.virtual_network_id
        why = f"holds {endpoint.name}"
        networks.setdefault(normalize_resource_id(vnet_id), (vnet_id, why, False))
    return networks


def _zones_not_linked(
    registry: Registry,
    endpoints: list[PrivateEndpoint],
    zones: list[PrivateDnsZone],
    context: AnalysisContext,
) -> list[Finding]:
    found = []
    networks = _pulling_networks(registry, endpoints)
    for zone in zones:
        for vnet_id, why, ruled in networks.values():
            if zone.linked_to(vnet_id):
                continue
            vnet = context.inventory_vnet(vnet_id)
            name = vnet.name if vnet is not None else vnet_id.rsplit("/", 1)[-1]
            cut_off = not registry.public_access_enabled
            consequence = (
                "resolve the public address and are refused (public access is Disabled)"
                if cut_off
                else "resolve the public address and never use the private endpoint; they "
                "are cut off the moment public access or their rules go"
            )
            if not ruled:
                # Only the endpoint is there: whether its hosts pull, nothing here says.
                consequence = f"would {consequence.split(' and ', 1)[0]}, if any pull"
            severity = (
                Severity.INFO if not ruled else Severity.ERROR if cut_off else Severity.WARNING
            )
            found.append(
                _finding(
                    registry,
                    "private-dns-zone-not-linked",
                    severity,
                    f"{registry.name}: {zone.name} is not linked to {name}",
                    f"Network {name} {why}, but the zone {zone.name} ({zone.resource_group}) "
                    f"has no virtual network link to it, so its hosts {consequence}. Link it "
                    f"(az network private-dns link vnet create --resource-group "
                    f"{zone.resource_group} --zone-name {zone.name} --name {name}-link "
                    f"--virtual-network {vnet_id} --registration-enabled false), unless the "
                    "network resolves through DNS servers that forward to a linked one.",
                )
            )
    return found


def _subnets_full(
    registry: Registry,
    endpoints: list[PrivateEndpoint],
    regions: list[str],
    context: AnalysisContext,
) -> list[Finding]:
    """Each endpoint subnet that couldn't hand out one more address per endpoint of this
    registry in it: a new replica adds an address (its data endpoint) to every endpoint."""
    per_endpoint = len(expected_names(registry, (), regions))
    found = []
    by_subnet: dict[str, list[PrivateEndpoint]] = {}
    for endpoint in endpoints:
        by_subnet.setdefault(endpoint.subnet_key, []).append(endpoint)
    for subnet_key, mine in by_subnet.items():
        subnet = context.inventory.subnet(subnet_key)
        if subnet is None or not subnet.address_prefixes:
            continue
        try:
            network = ipaddress.ip_network(subnet.address_prefixes[0], strict=False)
        except ValueError:
            continue
        used = sum(
            endpoint.address_count or per_endpoint
            for endpoint in context.inventory.private_endpoints
            if endpoint.subnet_key == subnet_key
        )
        used += _other_ip_configurations(subnet.raw)
        free = max(0, network.num_addresses - RESERVED_ADDRESSES_PER_SUBNET - used)
        if free >= len(mine):
            continue
        found.append(
            _finding(
                registry,
                "private-endpoint-subnet-full",
                Severity.WARNING,
                f"{registry.name}: endpoint subnet {subnet.label} has no room for another replica",
                f"{subnet.label} ({network}) has {plural(free, 'free address', 'free addresses')}"
                f" (Azure keeps {RESERVED_ADDRESSES_PER_SUBNET} of every subnet). A new replica "
                f"of {registry.name} needs one more on each of its "
                f"{plural(len(mine), 'private endpoint')} there, and Azure refuses it when the "
                "subnet is full. Add address space to the subnet, or move the endpoint to a "
                "larger one before replicating.",
                subnet_id=subnet.id,
            )
        )
    return found


def _other_ip_configurations(raw: Mapping[str, Any] | None) -> int:
    """Network interfaces in the subnet besides private endpoints' (ARM lists their IP
    configurations on the subnet; an endpoint's own appear under privateEndpoints)."""
    props = (raw or {}).get("properties") or {}
    configs = props.get("ipConfigurations") or ()
    return sum(1 for c in configs if "/privateendpoints/" not in str(c.get("id", "")).lower())


def private_endpoint_views(
    registry: Registry, inventory: Inventory
) -> tuple[PrivateEndpointView, ...]:
    """Each of the registry's private endpoints for the detail pane: the connection's state,
    the IP per name and whether its zone holds the record; connections whose endpoint wasn't
    read are listed with what the registry says."""
    context = context_for(inventory)
    rules = classify(registry, context)
    endpoints = list(rules.private_endpoints)
    regions = [r.region for r in inventory.replications_of(registry)]
    names = expected_names(registry, endpoints, regions)
    views = []
    for endpoint in endpoints:
        zones = _zones(registry, [endpoint], context)
        mine = {c.fqdn: c.ip_addresses for c in endpoint.dns_configs}
        views.append(
            PrivateEndpointView(
                name=endpoint.name,
                endpoint_id=endpoint.id,
                subnet_label=subnet_label(endpoint.subnet_id, inventory.subnet(endpoint.subnet_id)),
                status=endpoint_status(registry, endpoint),
                has_zone_group=endpoint.has_zone_group,
                zone_names=tuple(f"{z.name} ({z.resource_group})" for z in zones),
                names=tuple(
                    PrivateNameView(fqdn, mine.get(fqdn, ()), _record_state(fqdn, zones, mine))
                    for fqdn in names
                ),
            )
        )
    read = {e.key for e in endpoints}
    for connection in registry.private_endpoint_connections:
        endpoint_id = connection.private_endpoint_id
        if endpoint_id and normalize_resource_id(endpoint_id) in read:
            continue
        views.append(
            PrivateEndpointView(
                name=(endpoint_id or connection.name).rsplit("/", 1)[-1],
                endpoint_id=None,
                subnet_label="",
                status=connection.status,
                has_zone_group=None,
                zone_names=(),
            )
        )
    return tuple(views)


def _record_state(
    fqdn: str, zones: list[PrivateDnsZone], mine: Mapping[str, tuple[str, ...]]
) -> str:
    if not zones:
        return "unknown"
    states = []
    for zone in zones:
        relative = relative_record_name(fqdn, zone.name)
        record = zone.a_record(relative) if relative is not None else None
        if record is None or not record.addresses:
            states.append("missing")
        elif mine.get(fqdn) and not set(record.addresses) & set(mine[fqdn]):
            states.append("stale")
        else:
            states.append("present")
    return next((s for s in ("missing", "stale") if s in states), "present")
