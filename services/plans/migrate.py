"""Build the migration of a registry from service endpoint rules to a private endpoint.

The order is the point: no client is cut off at any step.

1. pre-flight (checks): Premium; the networks that pull today (the virtual networks of the
   subnets the registry's rules name, plus ``link_vnet_ids``); free addresses in the endpoint
   subnet for the login server and every data endpoint (one per region); an existing
   ``privatelink.azurecr.io`` zone reused, not duplicated; lock-out warnings;
2. the zone (if none), then a link from it to every network that pulls;
3. the private endpoint with a DNS zone group, its connection approved, the A records in place;
4. verify from every network that pulls (names resolve to the endpoint's private IPs, and
   where this machine can stand in the network, a pull through the endpoint works);
5. only then remove the service endpoint rules (and, when asked, the subnets' ACR endpoints
   no rule still needs);
6. only then, when asked, public network access Disabled with the bypass set explicitly, and
   verify the internet is refused.

Pure: it works on facts already read (``MigrationFacts``; ``PlanSession.migration_plan``
gathers them), so the wizard, the command line and the tests share it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from acrfence.services.models import (
    Check,
    CheckLevel,
    DnsZoneChange,
    Inventory,
    Plan,
    PrivateEndpointChange,
    PrivateLinkVerifyChange,
    Registry,
    RulesChange,
    SettingMove,
    Step,
    StepKind,
    Subnet,
    VerifyChange,
    ZoneLinkChange,
    normalize_resource_id,
)
from acrfence.services.models.private_link import (
    PrivateDnsZone,
    private_link_zone_name,
    registry_private_names,
)
from acrfence.services.plans import az_commands
from acrfence.services.plans.checks import any_rule_admits
from acrfence.services.plans.endpoint_removal import endpoint_removals
from acrfence.services.plans.snapshot import registry_state

__all__ = [
    "MigrateRequest",
    "MigrationFacts",
    "zone_name_for",
    "build_migration_plan",
    "migration_fqdns",
    "pulling_networks",
    "endpoint_id_of",
    "chosen_zone",
    "MIGRATE_KIND",
    "RESERVED_PER_SUBNET",
]

MIGRATE_KIND = "migrate"
# Azure keeps five addresses of every subnet (network, broadcast, the first three hosts).
RESERVED_PER_SUBNET = 5
# ACR's limit of private endpoints per registry.
MAX_PRIVATE_ENDPOINTS = 200
ZONE_GROUP_NAME = "default"


@dataclass(frozen=True)
class MigrateRequest:
    """Move ``registry_id`` to a private endpoint in ``pe_subnet_id``.

    ``link_vnet_ids``: networks to link besides those the rules name. ``zone_resource_group``:
    where a new zone goes (default: the registry's group; an existing zone is reused wherever
    it is). ``bypass``: the trusted-services bypass once public access is Disabled
    ("AzureServices" / "None"; None keeps today's, written explicitly).
    """

    registry_id: str
    pe_subnet_id: str
    link_vnet_ids: tuple[str, ...] = ()
    zone_resource_group: str | None = None
    disable_public_access: bool = False
    bypass: str | None = None
    remove_service_endpoints: bool = False
    endpoint_name: str | None = None  # default "<registry>-pe"


@dataclass(frozen=True)
class MigrationFacts:
    """What the plan is built from, read fresh (see ``PlanSession.migration_plan``)."""

    registry: Registry
    pe_subnet: Subnet | None
    pe_location: str = ""
    # Addresses the endpoint subnet can still hand out (None: unknown).
    free_addresses: int | None = None
    # Regions the registry is replicated to (its home region first); one data endpoint each.
    regions: tuple[str, ...] = ()
    # The registry's private link zones already there (``privatelink.azurecr.io``), with
    # their links and records (services.private_link.reads).
    zones: tuple[PrivateDnsZone, ...] = ()
    # Each network that pulls (vnet ID as the rules or --link-vnet give it) -> found or not.
    networks_found: Mapping[str, bool] = field(default_factory=dict)
    # The subnets the registry's rules name (for the endpoint removal), None when unreadable.
    rule_subnets: Mapping[str, Subnet | None] = field(default_factory=dict)
    inventory: Inventory | None = None
    client_ip: str | None = None
    sovereign: bool = False
    existing_endpoint_target: str | None = None  # what a PE of the chosen name connects to


def _login_server(registry: Registry) -> str:
    return (registry.login_server or f"{registry.name}.azurecr.io").lower()


def zone_name_for(registry: Registry) -> str:
    """``privatelink.azurecr.io`` (``.us``, ``.cn`` in the sovereign clouds)."""
    return private_link_zone_name(_login_server(registry))


def migration_fqdns(registry: Registry, regions: Sequence[str] = ()) -> tuple[str, ...]:
    """The names a private endpoint to the registry answers for: its login server and one
    data endpoint per region (a private endpoint turns dedicated data endpoints on)."""
    return registry_private_names(
        _login_server(registry),
        registry.name,
        list(regions) or [registry.location],
        registry.data_endpoint_host_names,
    )


def pulling_networks(registry: Registry, link_vnet_ids: Sequence[str] = ()) -> list[str]:
    """The networks that pull today: those of the subnets the rules name, then --link-vnet,
    each once (IDs compared as ARM does)."""
    seen: dict[str, str] = {}
    for rule in registry.rules.virtual_network_rules:
        vnet = rule.subnet_id.rsplit("/subnets/", 1)[0]
        seen.setdefault(normalize_resource_id(vnet), vnet)
    for vnet in link_vnet_ids:
        seen.setdefault(normalize_resource_id(vnet), vnet.rstrip("/"))
    return list(seen.values())


def endpoint_id_of(request: MigrateRequest, registry: Registry, subnet: Subnet) -> str:
    name = request.endpoint_name or f"{registry.name}-pe"
    return (
        f"/subscriptions/{subnet.subscription_id}/resourceGroups/{subnet.resource_group}"
        f"/providers/Microsoft.Network/privateEndpoints/{name}"
    )


def chosen_zone(
    request: MigrateRequest, facts: MigrationFacts
) -> tuple[str, PrivateDnsZone | None]:
    """The zone the plan uses: an existing one (in --zone-resource-group when given, else the
    one most of the pulling networks already use), or the ID of the one to create."""
    registry = facts.registry
    group = request.zone_resource_group or registry.resource_group
    zones = list(facts.zones)
    if request.zone_resource_group:
        zones = [z for z in zones if z.resource_group.casefold() == group.casefold()] or zones
    if zones:
        networks = pulling_networks(registry)

        def linked(zone: PrivateDnsZone) -> int:
            return sum(1 for n in networks if zone.linked_to(n))

        best = max(zones, key=linked)
        return best.id, best
    zone_id = (
        f"/subscriptions/{registry.subscription_id}/resourceGroups/{group}"
        f"/providers/Microsoft.Network/privateDnsZones/{zone_name_for(registry)}"
    )
    return zone_id, None


def build_migration_plan(request: MigrateRequest, facts: MigrationFacts) -> Plan:
    registry = facts.registry
    fqdns = migration_fqdns(registry, facts.regions)
    networks = pulling_networks(registry, request.link_vnet_ids)
    zone_id, zone = chosen_zone(request, facts)
    checks = _blocks(request, facts, fqdns, networks)
    checks += _record_set_checks(facts, zone, fqdns)
    checks += _warnings(request, facts, networks, zone, fqdns)
    steps: list[Step] = []
    if not any(c.level is CheckLevel.BLOCK for c in checks) and facts.pe_subnet is not None:
        steps = _steps(request, facts, fqdns, networks, zone_id, zone)
    return Plan(
        kind=MIGRATE_KIND,
        registry_id=registry.id,
        registry_name=registry.name,
        checks=tuple(checks),
        steps=tuple(steps),
    )


def _blocks(
    request: MigrateRequest,
    facts: MigrationFacts,
    fqdns: Sequence[str],
    networks: Sequence[str],
) -> list[Check]:
    registry = facts.registry
    blocks: list[Check] = []

    def block(code: str, message: str) -> None:
        blocks.append(Check(CheckLevel.BLOCK, code, message))

    if not registry.is_premium:
        block(
            "not-premium",
            f"{registry.name} is {registry.sku}: private endpoints need the Premium tier",
        )
    subnet = facts.pe_subnet
    if subnet is None:
        block(
            "pe-subnet-not-found",
            f"endpoint subnet not found (or not readable): {request.pe_subnet_id}",
        )
    else:
        rule_vnets = {
            normalize_resource_id(r.subnet_id.rsplit("/subnets/", 1)[0])
            for r in registry.rules.virtual_network_rules
        }
        if normalize_resource_id(subnet.virtual_network_id) in rule_vnets:
            block(
                "pe-subnet-in-rule-network",
                f"the endpoint subnet {subnet.label} is in a network the registry's service "
                "endpoint rules name: Azure doesn't allow private link and service endpoints "
                "from the same virtual network (and a rollback could not put the rules back); "
                "choose a subnet in another network",
            )
        needed = len(fqdns)
        if facts.free_addresses is not None and facts.free_addresses < needed:
            block(
                "subnet-full",
                f"subnet {subnet.label} has {facts.free_addresses} free address(es); the endpoint "
                f"needs {needed} (the login server and {needed - 1} data endpoint(s)); Azure "
                f"keeps {RESERVED_PER_SUBNET} addresses of every subnet",
            )
        if subnet.delegations:
            block(
                "pe-subnet-delegated",
                f"subnet {subnet.label} is delegated to {', '.join(subnet.delegations)}: a private "
                "endpoint can't go there",
            )
    for network, found in facts.networks_found.items():
        if not found:
            block("network-not-found", f"virtual network not found (or not readable): {network}")
    if len(registry.private_endpoint_connections) >= MAX_PRIVATE_ENDPOINTS:
        block(
            "too-many-private-endpoints",
            f"{registry.name} has {len(registry.private_endpoint_connections)} private endpoints; "
            f"Azure allows at most {MAX_PRIVATE_ENDPOINTS}",
        )
    target = facts.existing_endpoint_target
    if target is not None and normalize_resource_id(target) != registry.key:
        block(
            "endpoint-name-taken",
            f"a private endpoint named {request.endpoint_name or registry.name + '-pe'} already "
            f"exists and connects to {target}",
        )
    return blocks


def _record_set_checks(
    facts: MigrationFacts, zone: PrivateDnsZone | None, fqdns: Sequence[str]
) -> list[Check]:
    """Record sets of any type the reused zone already holds for the endpoint's names: none
    is this run's. An A (or CNAME) one the zone group would overwrite (or clash with) blocks;
    the others are kept as they are, and kept by a rollback, and said."""
    if zone is None:
        return []
    registry = facts.registry
    # The endpoint of the chosen name already connects to this registry (a re-run): the A
    # record sets are its zone group's, not someone else's.
    own_endpoint = facts.existing_endpoint_target is not None and (
        normalize_resource_id(facts.existing_endpoint_target) == registry.key
    )
    checks: list[Check] = []
    for fqdn in fqdns:
        found = zone.record_sets_for(fqdn)
        clashing = [r for r in found if r.kind in ("A", "CNAME") and not own_endpoint]
        others = [r for r in found if r.kind not in ("A", "CNAME")]
        where = f"the {zone.name} zone in {zone.resource_group}"
        if clashing:
            checks.append(
                Check(
                    CheckLevel.BLOCK,
                    "record-set-taken",
                    f"{where} already holds {', '.join(r.label for r in clashing)} for {fqdn}, "
                    "not made by this run: the endpoint's zone group would overwrite it; "
                    "remove it, or choose another zone (--zone-resource-group)",
                )
            )
        if others:
            aaaa = any(r.kind == "AAAA" for r in others)
            checks.append(
                _warn(
                    "record-sets-kept",
                    f"{where} holds {', '.join(r.label for r in others)} for {fqdn}, not made "
                    "by this run: kept as it is, and by a rollback"
                    + (
                        " (an IPv6 client resolving the AAAA record goes past the private endpoint)"
                        if aaaa
                        else ""
                    ),
                )
            )
    return checks


def _warn(code: str, message: str) -> Check:
    return Check(CheckLevel.WARN, code, message)


def _info(code: str, message: str) -> Check:
    return Check(CheckLevel.INFO, code, message)


def _warnings(
    request: MigrateRequest,
    facts: MigrationFacts,
    networks: Sequence[str],
    zone: PrivateDnsZone | None,
    fqdns: Sequence[str],
) -> list[Check]:
    registry = facts.registry
    checks: list[Check] = []
    zone_name = zone_name_for(registry)
    if zone is not None:
        checks.append(
            _info(
                "zone-reused",
                f"the existing {zone_name} zone in {zone.resource_group} is reused, not duplicated",
            )
        )
    if len(facts.zones) > 1:
        checks.append(
            _warn(
                "several-zones",
                f"{len(facts.zones)} {zone_name} zones exist; a network resolves through the one "
                "linked to it only",
            )
        )
    for network in networks:
        others = [z for z in facts.zones if z is not zone and z.linked_to(network)]
        if others:
            # Azure accepts the link and fails it (BadRequest, "overlapping namespaces"): the
            # run would stop halfway, so the plan refuses before anything is written.
            checks.append(
                Check(
                    CheckLevel.BLOCK,
                    "network-linked-to-other-zone",
                    f"network {network.rsplit('/', 1)[-1]} is already linked to another "
                    f"{zone_name} zone (in {others[0].resource_group}): Azure links a network to "
                    f"one zone of a name; use that zone (--zone-resource-group "
                    f"{others[0].resource_group}) or remove its link first",
                )
            )
    if not networks:
        checks.append(
            _warn(
                "no-pulling-network",
                # Read in the wizard too, which has ticks, not flags: name both.
                f"{registry.name} has no service endpoint rule and no network to link was chosen "
                "(--link-vnet, or a tick in the wizard): no network will resolve the registry to "
                "the private endpoint",
            )
        )
    checks.append(
        _warn(
            "hosted-agents",
            "Azure DevOps Microsoft-hosted agents, GitHub-hosted runners and other clients "
            "outside your virtual networks can't use a private endpoint: they keep pulling only "
            "while public access and an IP rule (or the trusted-services bypass) let them in",
        )
    )
    subnet = facts.pe_subnet
    if subnet is not None:
        far = [
            n
            for n in networks
            if normalize_resource_id(n) != normalize_resource_id(subnet.virtual_network_id)
        ]
        if far:
            checks.append(
                _info(
                    "networks-must-reach-endpoint",
                    f"{len(far)} pulling network(s) are not the endpoint's network "
                    f"({subnet.virtual_network_name}): they reach its private IPs only through "
                    "peering (or a hub)",
                )
            )
    checks.append(
        _info(
            "data-endpoints",
            f"the endpoint answers for {len(fqdns)} name(s): " + ", ".join(fqdns) + " (a private "
            "endpoint turns dedicated data endpoints on; a client firewall must allow them)",
        )
    )
    ip_rules = [r.value for r in registry.rules.ip_rules]
    if request.disable_public_access:
        who = f"this machine ({facts.client_ip})" if facts.client_ip else "this machine"
        checks.append(
            _warn(
                "this-machine-loses-access",
                f"{who} loses data-plane access once public access is Disabled, unless it pulls "
                "from a linked network through the private endpoint; management calls keep working",
            )
        )
        if ip_rules:
            checks.append(
                _warn(
                    "ip-rules-stop-applying",
                    f"with public access Disabled, {registry.name}'s IP rules "
                    f"({', '.join(ip_rules)}) stop applying: those clients are cut off",
                )
            )
    elif (
        registry.rules.denies_by_default
        and facts.client_ip
        and not any_rule_admits(facts.client_ip, ip_rules)
    ):
        checks.append(
            _warn(
                "this-machine-refused",
                f"this machine ({facts.client_ip}) is refused on the public endpoint today "
                "and stays refused: it can't pull to check; the verification reads Azure's "
                "configuration, and resolves and pulls from each pulling network this machine "
                "can stand in",
            )
        )
    return checks


def _steps(
    request: MigrateRequest,
    facts: MigrationFacts,
    fqdns: tuple[str, ...],
    networks: Sequence[str],
    zone_id: str,
    zone: PrivateDnsZone | None,
) -> list[Step]:
    registry = facts.registry
    subnet = facts.pe_subnet
    assert subnet is not None  # the caller checked (a missing subnet blocks)
    steps: list[Step] = []

    def add(kind: StepKind, target: str, title: str, **kw: Any) -> None:
        steps.append(Step(index=len(steps) + 1, kind=kind, target=target, title=title, **kw))

    zone_label = f"{zone_id.split('/')[4]}/{zone_id.rsplit('/', 1)[-1]}"
    # 2. the zone, then a link to every network that pulls.
    if zone is None:
        add(
            StepKind.CREATE_DNS_ZONE,
            zone_id,
            f"create the private DNS zone {zone_label}",
            before={"private_dns_zone": "(none)"},
            after={"private_dns_zone": zone_label},
            change=DnsZoneChange(zone_id),
            az=(az_commands.private_dns_zone_create(zone_id),),
        )
    links = zone.links if zone is not None else ()
    taken = {link.name.casefold() for link in links}
    links_now = [link.virtual_network_id.rsplit("/", 1)[-1] for link in links]
    for network in networks:
        if zone is not None and zone.linked_to(network):
            continue
        vnet_name = network.rsplit("/", 1)[-1]
        link_name = _free_name(f"{vnet_name}-link", taken)
        taken.add(link_name.casefold())
        shown_before = {"zone_links": list(links_now)}
        links_now.append(vnet_name)
        add(
            StepKind.LINK_DNS_ZONE,
            network,
            f"link {zone_label} to network {vnet_name}",
            before=shown_before,
            after={"zone_links": list(links_now)},
            change=ZoneLinkChange(zone_id, network, link_name),
            az=(az_commands.private_dns_link_create(zone_id, link_name, network),),
        )
    # 3. the endpoint, its zone group (the A records) and its approval.
    endpoint_id = endpoint_id_of(request, registry, subnet)
    endpoints_before = [
        c.private_endpoint_id.rsplit("/", 1)[-1]
        for c in registry.private_endpoint_connections
        if c.private_endpoint_id
    ]
    add(
        StepKind.CREATE_PRIVATE_ENDPOINT,
        endpoint_id,
        f"create private endpoint {endpoint_id.rsplit('/', 1)[-1]} in {subnet.label} with a DNS "
        f"zone group, approve its connection, and wait for {len(fqdns)} A record(s)",
        before={"private_endpoints": endpoints_before, "a_records": []},
        after={
            "private_endpoints": [*endpoints_before, endpoint_id.rsplit("/", 1)[-1]],
            "a_records": list(fqdns),
        },
        change=PrivateEndpointChange(
            endpoint_id=endpoint_id,
            subnet_id=subnet.id,
            registry_id=registry.id,
            zone_id=zone_id,
            location=facts.pe_location,
            zone_group_name=ZONE_GROUP_NAME,
            fqdns=fqdns,
            data_endpoint_was_enabled=registry.data_endpoint_enabled,
        ),
        az=(
            az_commands.private_endpoint_create(
                endpoint_id, subnet.id, registry.id, facts.pe_location
            ),
            az_commands.private_endpoint_zone_group_create(endpoint_id, ZONE_GROUP_NAME, zone_id),
            az_commands.private_endpoint_connection_approve(registry.name),
        ),
    )
    # 4. verify from every network that pulls, before anything is taken away.
    verify = PrivateLinkVerifyChange(
        registry_id=registry.id,
        endpoint_id=endpoint_id,
        zone_id=zone_id,
        network_ids=tuple(networks),
        fqdns=fqdns,
    )
    add(
        StepKind.VERIFY_PRIVATE_LINK,
        registry.id,
        f"verify from {len(networks)} pulling network(s): every name resolves to the "
        "endpoint's private IP through the linked zone, the connection is Approved, and a "
        "pull goes through the endpoint (from each network this machine can stand in)",
        change=verify,
        az=(
            az_commands.private_dns_records_show(zone_id),
            f"az acr private-endpoint-connection list --registry-name {registry.name}",
            *(f"nslookup {fqdn}  # from a host in each pulling network" for fqdn in fqdns[:1]),
        ),
    )
    # 5. only then the service endpoint rules go (and, when asked, the endpoints).
    before = registry_state(registry)
    rules = list(before["virtual_network_rules"])
    if rules:
        after = dict(before, virtual_network_rules=[])
        add(
            StepKind.WRITE_RULES,
            registry.id,
            f"remove {registry.name}'s {len(rules)} service endpoint rule(s): the networks pull "
            "through the private endpoint now",
            before=before,
            after=after,
            change=RulesChange(remove_virtual_network_rules=tuple(rules)),
            az=az_commands.registry_rule_changes(registry.name, remove_subnets=rules),
        )
    if request.remove_service_endpoints:
        removed = {normalize_resource_id(s) for s in rules}
        steps += endpoint_removals(
            registry,
            facts.inventory,
            subnet_ids=rules,
            subnets=facts.rule_subnets,
            removed=removed,
            rules_before=removed,
            first_index=len(steps) + 1,
        ).steps
    # 6. only when asked: public access off, the bypass said explicitly; the internet refused.
    if request.disable_public_access:
        bypass = request.bypass or registry.network_rule_bypass_options
        settings = (
            SettingMove("public_network_access", "Disabled"),
            SettingMove("network_rule_bypass_options", bypass),
        )
        after = {**before, "virtual_network_rules": []}
        after["public_network_access"] = "Disabled"
        after["network_rule_bypass_options"] = bypass
        trusted = "true" if bypass.casefold() == "azureservices" else "false"
        add(
            StepKind.WRITE_RULES,
            registry.id,
            f"disable public network access to {registry.name} (trusted-services bypass: {bypass})",
            before=dict(before, virtual_network_rules=[]),
            after=after,
            change=RulesChange(settings=settings),
            az=(
                f"az acr update --name {registry.name} --public-network-enabled false "
                f"--allow-trusted-services {trusted}",
            ),
        )
        add(
            StepKind.VERIFY_PUBLIC_REFUSED,
            registry.id,
            "verify: the internet is refused (public access Disabled)",
            change=PrivateLinkVerifyChange(
                registry_id=registry.id,
                endpoint_id=endpoint_id,
                zone_id=zone_id,
                network_ids=tuple(networks),
                fqdns=fqdns,
                public_refused=True,
            ),
            az=(f"az acr show --name {registry.name} --query publicNetworkAccess",),
        )
    add(
        StepKind.VERIFY,
        registry.id,
        "verify: re-read the registry's rule set"
        + (" and the subnets' endpoints" if request.remove_service_endpoints else ""),
        change=VerifyChange(),
        az=(f"az acr network-rule list --name {registry.name}",),
    )
    return steps


def _free_name(wanted: str, taken: set[str]) -> str:
    name, n = wanted, 2
    while name.casefold() in taken:
        name, n = f"{wanted}-{n}", n + 1
    return name
