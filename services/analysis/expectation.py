"""What ACR's firewall should answer a given caller, and how a probe's answer compares.

The order of the checks is ACR's: private link (asked for, or implied by a caller whose
virtual network holds an approved private endpoint of the registry) skips the firewall; a tier
without network rules lets everyone in; public access disabled refuses everything else; default
Allow admits everyone; with Deny, a caller whose subnet has the Microsoft.ContainerRegistry
endpoint is judged by the virtual network rules alone (it arrives through the service endpoint,
so its public IP is never seen), and anyone else by its public IP against the IP rules.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from acrfence.services.analysis.cidr import non_routable_block, parse_client_ip
from acrfence.services.analysis.context import (
    AnalysisContext,
    RegistryRules,
    classify,
    context_for,
    subnet_label,
)
from acrfence.services.analysis.text import join_words
from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    Expectation,
    Inventory,
    Registry,
    normalize_resource_id,
    parse_resource_id,
)
from acrfence.services.models.resource_id import SUBNET_TYPE

__all__ = ["expected_access", "explain_outcome"]

# Decisions that hinge on a rule, which takes minutes to reach ACR's data plane after a write.
_RULE_DECISIONS = {"ip-rule", "subnet-rule", "default-allow"}


def expected_access(
    registry: Registry,
    inventory: Inventory,
    *,
    public_ip: str | None,
    subnet_id: str | None,
    via_private_endpoint: bool = False,
) -> Expectation:
    """The firewall's expected answer for a caller at ``public_ip``, inside ``subnet_id``.

    Raises ``IpRuleError`` or ``ResourceIdError`` (both ValueErrors, one line each) for a
    malformed address or subnet ID.
    """
    client_ip = parse_client_ip(public_ip) if public_ip is not None else None
    if subnet_id is not None:
        parse_resource_id(subnet_id, SUBNET_TYPE)
    return expectation_for(
        registry, inventory, client_ip, subnet_id, via_private_endpoint=via_private_endpoint
    )


def expectation_for(
    registry: Registry,
    inventory: Inventory,
    client_ip: IPv4Address | None,
    subnet_id: str | None,
    *,
    via_private_endpoint: bool = False,
) -> Expectation:
    """``expected_access`` for inputs already validated (subnet_reach calls it per registry)."""
    context = context_for(inventory)
    rules = classify(registry, context)

    if via_private_endpoint:
        return _through_private_endpoint(rules)
    if subnet_id is not None:
        shared = _private_endpoint_in_same_vnet(rules, context, subnet_id)
        if shared is not None:
            return shared
    if not registry.is_premium:
        return Expectation(
            True, f"the {registry.sku} tier applies no network rules", "tier-without-rules"
        )
    if not registry.public_access_enabled:
        return Expectation(
            False,
            "public network access is disabled, so only private endpoints get in",
            "public-access-disabled",
        )
    if not registry.rules.denies_by_default:
        return Expectation(True, "default action Allow lets every client in", "default-allow")

    subnet = inventory.subnet(subnet_id) if subnet_id else None
    if subnet is not None and subnet.has_acr_endpoint:
        rule = rules.rule_for(subnet.key)
        if rule is not None:
            return Expectation(
                True,
                f"default action Deny, but subnet {subnet.label} has a virtual network rule "
                f"and the {ACR_SERVICE_ENDPOINT} endpoint",
                "subnet-rule",
                matched_rule=rule.rule.subnet_id,
            )
        return Expectation(
            False,
            f"default action Deny, and subnet {subnet.label} has the {ACR_SERVICE_ENDPOINT} "
            "endpoint but no virtual network rule (its hosts arrive through the endpoint, so "
            "IP rules don't match them)",
            "no-matching-rule",
        )
    return _by_public_ip(rules, client_ip, subnet_id, subnet_found=subnet is not None)


def _through_private_endpoint(rules: RegistryRules) -> Expectation:
    approved = rules.approved_private_endpoints
    if approved:
        return Expectation(
            True,
            f"through approved private endpoint {approved[0].name}; private link skips the "
            "firewall rules",
            "private-endpoint",
        )
    return Expectation(
        False, "no approved private endpoint connection to carry the request", "no-private-endpoint"
    )


def _private_endpoint_in_same_vnet(
    rules: RegistryRules, context: AnalysisContext, subnet_id: str
) -> Expectation | None:
    """Hosts in a virtual network that holds an approved private endpoint of the registry
    resolve its name (through the linked private DNS zone) to that endpoint: private link.
    Not when the endpoint is known to have no DNS zone group (no records)."""
    vnet_key = normalize_resource_id(subnet_id.rsplit("/subnets/", 1)[0])
    for connection in rules.approved_private_endpoints:
        endpoint_subnet = context.private_endpoint_subnet(connection)
        if endpoint_subnet is None:
            continue
        endpoint = context.inventory.private_endpoint(connection.private_endpoint_id or "")
        if endpoint is not None and endpoint.has_zone_group is False:
            # Read without a DNS zone group: Azure wrote no A records for it, so the
            # network's hosts resolve the registry publicly and meet the firewall.
            continue
        if normalize_resource_id(endpoint_subnet.virtual_network_id) == vnet_key:
            return Expectation(
                True,
                f"subnet {subnet_label(subnet_id)} shares virtual network "
                f"{endpoint_subnet.virtual_network_name} with approved private endpoint "
                f"{connection.name}; private link skips the firewall rules",
                "private-endpoint",
            )
    return None


def _by_public_ip(
    rules: RegistryRules,
    client_ip: IPv4Address | None,
    subnet_id: str | None,
    *,
    subnet_found: bool,
) -> Expectation:
    facts = ["default action Deny"]
    certain = True
    usable = rules.effective_ip_rules

    if client_ip is not None and (block := non_routable_block(client_ip)) is not None:
        facts.append(
            f"client IP {client_ip} is {block} and ACR only sees the public address it is "
            "translated to"
        )
        client_ip = None
        certain = not usable
    elif client_ip is None:
        if usable:
            ranges = join_words([str(r.network) for r in usable])
            facts.append(f"client IP unknown (only {ranges} get in by IP)")
            certain = False
        else:
            facts.append("no IP rule")
    else:
        match = next((r for r in usable if r.network is not None and client_ip in r.network), None)
        if match is not None:
            return Expectation(
                True,
                f"default action Deny, but client IP {client_ip} matches IP rule "
                f"{match.rule.value}",
                "ip-rule",
                matched_rule=str(match.network),
            )
        facts.append(f"client IP {client_ip} matches no IP rule")

    facts.append(_subnet_fact(rules, subnet_id, subnet_found))
    if subnet_id is not None and not subnet_found:
        certain = False
    return Expectation(False, ", ".join(facts), "no-matching-rule", certain=certain)


def _subnet_fact(rules: RegistryRules, subnet_id: str | None, subnet_found: bool) -> str:
    if subnet_id is None:
        return "this host is not in an allowed subnet"
    label = subnet_label(subnet_id)
    rule = rules.rule_for(normalize_resource_id(subnet_id))
    if not subnet_found:
        return (
            f"subnet {label} can't be read, so whether it has the {ACR_SERVICE_ENDPOINT} "
            "endpoint is unknown"
        )
    if rule is not None:
        return (
            f"subnet {label} has a rule but lacks the {ACR_SERVICE_ENDPOINT} endpoint, so the "
            "rule does nothing"
        )
    return f"subnet {label} has no virtual network rule"


def explain_outcome(expectation: Expectation, *, network_allowed: bool) -> str:
    """The probe's verdict set beside the configuration, as one sentence.

    ``network_allowed`` is True when the data plane let the probe through its firewall
    (401 challenge or better), False when it refused (403 DENIED).
    """
    seen = "reachable" if network_allowed else "denied"
    if network_allowed == expectation.allowed:
        # "as the rules say", never "as expected": `probe --expect` has expectations of its
        # own, and the two must not read alike.
        qualifier = "as the rules say" if expectation.certain else "as the known rules suggest"
        return f"{seen}, {qualifier}: {expectation.reason}"
    if not expectation.certain:
        return f"{seen}; the rules can't say for sure: {expectation.reason}"
    if network_allowed:
        return f"reachable but the rules say it should not be: {expectation.reason}"
    if expectation.decided_by not in _RULE_DECISIONS:
        return f"denied but the rules say it should be reachable: {expectation.reason}"
    return (
        f"denied but the rules say it should be reachable: {expectation.reason} (a rule "
        "changed in the last few minutes may not have reached the data plane yet)"
    )
