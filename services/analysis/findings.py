"""Findings: settings that don't do what they look like they do, or that lock people out.

Each finding has a stable code (widgets and tests key on it), a severity, a one-line title
and a detail that says why it matters and what to do about it.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from acrfence.services.analysis.context import (
    AnalysisContext,
    RegistryRules,
    classify,
    context_for,
    never_matches_headline,
    subnet_label,
)
from acrfence.services.analysis.posture import complete_registry_findings
from acrfence.services.analysis.private_link import PRIVATE_LINK_CODES, private_link_findings
from acrfence.services.analysis.profiles import DEFAULT_PROFILE, Profile
from acrfence.services.analysis.text import does, join_words, plural
from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    MAX_VIRTUAL_NETWORK_RULES,
    EndpointStatus,
    Finding,
    Inventory,
    Registry,
    Severity,
    Subnet,
    normalize_resource_id,
    subscription_of,
)

__all__ = [
    "FINDING_CODES",
    "NEAR_LIMIT_THRESHOLD",
    "find_findings",
    "registry_findings",
    "subnet_findings",
]

# Warn this many rules before Azure's hard limit, while there is still room to tidy up.
NEAR_LIMIT_THRESHOLD = 90

FINDING_CODES = (
    "rule-subnet-missing-endpoint",
    "rule-subnet-not-found",
    "rule-subnet-unreadable",
    "registry-locked-out",
    "subnet-endpoint-unused",
    "private-link-and-service-endpoint-same-vnet",
    "rules-on-non-premium",
    "vnet-rules-near-limit",
    "vnet-rules-at-limit",
    "ip-rule-private-range",
    "ip-rule-malformed",
    "ip-rule-allows-everything",
    "bypass-off",
    "public-access-disabled-no-private-endpoint",
    "default-allow-with-rules",
    "tasks-bypass-disabled",
    *PRIVATE_LINK_CODES,
)

_INACTIVE_CONNECTION_STATES = {"rejected", "disconnected"}


def find_findings(inventory: Inventory, profile: Profile = DEFAULT_PROFILE) -> tuple[Finding, ...]:
    """Every finding the profile applies, errors first, then warnings, then information."""
    context = context_for(inventory)
    found: list[Finding] = []
    for registry in inventory.registries:
        found.extend(_registry_findings(registry, context, profile))
    found.extend(profile.select(_subnet_findings(context)))
    found.sort(key=lambda finding: finding.severity.rank)
    return tuple(found)


def registry_findings(
    registry: Registry, inventory: Inventory, profile: Profile = DEFAULT_PROFILE
) -> tuple[Finding, ...]:
    """The findings about one registry, errors first."""
    found = _registry_findings(registry, context_for(inventory), profile)
    found.sort(key=lambda finding: finding.severity.rank)
    return tuple(found)


def subnet_findings(inventory: Inventory) -> tuple[Finding, ...]:
    """Findings about subnets themselves rather than about one registry."""
    return tuple(_subnet_findings(context_for(inventory)))


def _registry_findings(
    registry: Registry, context: AnalysisContext, profile: Profile = DEFAULT_PROFILE
) -> list[Finding]:
    rules = classify(registry, context)
    found: list[Finding] = []
    if not registry.is_premium:
        found.extend(_non_premium(registry, rules))
    else:
        in_force = registry.public_access_enabled and registry.rules.denies_by_default
        found.extend(_subnet_rule_findings(registry, rules, in_force))
        found.extend(_ip_rule_findings(registry, rules, in_force))
        found.extend(_rule_limit(registry))
        found.extend(_default_allow_with_rules(registry, rules))
        found.extend(_locked_out(registry, rules))
        found.extend(_bypass_off(registry))
        found.extend(_tasks_bypass_off(registry))
        found.extend(_same_vnet_private_link(registry, context))
        found.extend(private_link_findings(registry, rules, context))
    found.extend(_public_access_disabled(registry, rules))
    # Posture findings and the peer tools' verdicts (services.analysis.posture / peers).
    return complete_registry_findings(found, registry, rules, context, profile.applies)


def _finding(
    registry: Registry, code: str, severity: Severity, title: str, detail: str, **extra: Any
) -> Finding:
    return Finding.about(code, severity, title, detail, registry=registry, **extra)


def _non_premium(registry: Registry, rules: RegistryRules) -> list[Finding]:
    has_rules = rules.rule_count > 0 or registry.rules.denies_by_default
    if not has_rules:
        return []
    what = plural(rules.rule_count, "network rule") if rules.rule_count else "a default Deny"
    verb = does(max(rules.rule_count, 1))
    return [
        _finding(
            registry,
            "rules-on-non-premium",
            Severity.WARNING,
            f"{registry.name}: {what} on a {registry.sku} registry {verb} nothing",
            f"Network rules need the Premium tier; on {registry.sku} ACR ignores them and the "
            "registry stays open to the internet. Upgrade it (az acr update --sku Premium) if "
            "it must be locked down, or remove the rules so nobody relies on them.",
        )
    ]


def _subnet_rule_findings(
    registry: Registry, rules: RegistryRules, in_force: bool
) -> list[Finding]:
    found = []
    for item in rules.subnet_rules:
        subnet_id = item.rule.subnet_id
        if item.status is EndpointStatus.MISSING:
            others = item.subnet.other_endpoints if item.subnet else ()
            names = join_words([endpoint.service for endpoint in others])
            keep = f", listing the endpoints it already has too ({names})" if others else ""
            consequence = (
                "they are refused now"
                if in_force
                else "they will be refused once the rules are in force"
            )
            found.append(
                _finding(
                    registry,
                    "rule-subnet-missing-endpoint",
                    Severity.ERROR if in_force else Severity.WARNING,
                    f"{registry.name}: rule for {item.label} does nothing (no service endpoint)",
                    f"Subnet {item.label} lacks the {ACR_SERVICE_ENDPOINT} service endpoint, so "
                    f"its hosts reach ACR from their public IP and the rule never matches them: "
                    f"{consequence}. Add the endpoint to the subnet{keep}, or remove the rule.",
                    subnet_id=subnet_id,
                )
            )
        elif item.status is EndpointStatus.SUBNET_NOT_FOUND:
            found.append(
                _finding(
                    registry,
                    "rule-subnet-not-found",
                    Severity.WARNING,
                    f"{registry.name}: rule for {item.label} is dangling (subnet is gone)",
                    f"Subnet {item.label} no longer exists, so the rule matches nothing; it still "
                    f"counts toward the {MAX_VIRTUAL_NETWORK_RULES}-rule limit. Remove the rule, "
                    "or recreate the subnet with the service endpoint if hosts still need it.",
                    subnet_id=subnet_id,
                )
            )
        elif item.status is EndpointStatus.UNREADABLE:
            subscription = subscription_of(subnet_id) or "?"
            found.append(
                _finding(
                    registry,
                    "rule-subnet-unreadable",
                    Severity.INFO,
                    f"{registry.name}: can't check rule for {item.label} (unreadable subscription)",
                    f"Subnet {item.label} is in subscription {subscription}, which this identity "
                    f"can't read. The rule works only if that subnet has the "
                    f"{ACR_SERVICE_ENDPOINT} service endpoint; check it with an identity that "
                    "can read that subscription.",
                    subnet_id=subnet_id,
                )
            )
    return found


def _ip_rule_findings(registry: Registry, rules: RegistryRules, in_force: bool) -> list[Finding]:
    found = []
    for item in rules.ip_rules:
        value = item.rule.value
        if item.network is None:
            found.append(
                _finding(
                    registry,
                    "ip-rule-malformed",
                    Severity.ERROR,
                    f"{registry.name}: IP rule {value!r} is not a valid IPv4 address or range",
                    "ACR takes IPv4 addresses and CIDR ranges only, so the rule "
                    "matches nothing and the next write of the rule set may be refused. "
                    "Replace it with the address or range you meant.",
                )
            )
        elif item.problem is not None:
            found.append(
                _finding(
                    registry,
                    "ip-rule-private-range",
                    Severity.WARNING,
                    f"{registry.name}: {never_matches_headline(value)}",
                    f"{item.problem[0].upper()}{item.problem[1:]}. Hosts on that network reach "
                    "ACR through NAT with a public IP, or from Azure through a service or "
                    "private endpoint. Allow their public egress IP instead, or add a virtual "
                    "network rule for their subnet.",
                )
            )
        elif item.network.prefixlen == 0 and in_force:
            found.append(
                _finding(
                    registry,
                    "ip-rule-allows-everything",
                    Severity.WARNING,
                    f"{registry.name}: IP rule {value} admits every IPv4 address",
                    "The default action is Deny, but this rule lets the whole internet in, so "
                    "the registry is effectively open. Replace it with the public ranges that "
                    "must pull, or set the default action to Allow if openness is intended.",
                )
            )
    return found


def _rule_limit(registry: Registry) -> list[Finding]:
    count = len(registry.rules.virtual_network_rules)
    limit = MAX_VIRTUAL_NETWORK_RULES
    if count >= limit:
        return [
            _finding(
                registry,
                "vnet-rules-at-limit",
                Severity.ERROR,
                f"{registry.name}: {count} of {limit} virtual network rules, no room for more",
                f"Azure refuses more than {limit} virtual network rules per registry, so no "
                "subnet can be added. Remove dangling or ineffective rules first, or reach the "
                "registry from more subnets through a private endpoint instead.",
            )
        ]
    if count >= NEAR_LIMIT_THRESHOLD:
        return [
            _finding(
                registry,
                "vnet-rules-near-limit",
                Severity.WARNING,
                f"{registry.name}: {count} of {limit} virtual network rules",
                f"Only {limit - count} more subnets can be added before Azure refuses. Tidy "
                "dangling or ineffective rules now, or plan a private endpoint for new networks.",
            )
        ]
    return []


def _default_allow_with_rules(registry: Registry, rules: RegistryRules) -> list[Finding]:
    if registry.rules.denies_by_default or rules.rule_count == 0:
        return []
    if not registry.public_access_enabled:
        return []  # public access disabled already overrides the rules; reported separately
    return [
        _finding(
            registry,
            "default-allow-with-rules",
            Severity.WARNING,
            f"{registry.name}: {plural(rules.rule_count, 'rule')} {does(rules.rule_count)} nothing "
            "(default Allow)",
            "The default action is Allow, so every client gets in and the rules are never "
            "consulted. Set the default action to Deny once the rules cover every host that "
            "must pull (acrfence lockdown, or az acr update --default-action Deny).",
        )
    ]


def _locked_out(registry: Registry, rules: RegistryRules) -> list[Finding]:
    if not (registry.public_access_enabled and registry.rules.denies_by_default):
        return []
    may_work = [r for r in rules.subnet_rules if r.status is EndpointStatus.UNREADABLE]
    if rules.effective_subnet_rules or rules.effective_ip_rules or may_work:
        return []
    if rules.rule_count == 0:
        title = f"{registry.name}: locked out (default Deny and no rules)"
        why = "The default action is Deny and there is no rule"
    else:
        which = (
            "its only rule" if rules.rule_count == 1 else f"none of its {rules.rule_count} rules"
        )
        works = "doesn't work" if rules.rule_count == 1 else "works"
        title = f"{registry.name}: locked out ({which} {works})"
        matches = "matches nothing" if rules.rule_count == 1 else "matches anything"
        why = f"The default action is Deny and {which} {matches}"
    ways_in = []
    if registry.trusted_services_bypass:
        ways_in.append("trusted Azure services through the bypass")
    if rules.approved_private_endpoints:
        count = plural(len(rules.approved_private_endpoints), "approved private endpoint")
        ways_in.append(f"hosts using its {count}")
    reach = f"only {join_words(ways_in)} get in" if ways_in else "nothing gets in at all"
    if rules.approved_private_endpoints:
        advice = (
            "If private endpoints are the only intended way in, disable public network access "
            "to say so; otherwise add a rule for each subnet or public IP that must pull."
        )
        severity = Severity.WARNING
    else:
        advice = (
            "Add a virtual network rule for each subnet that must pull (with its service "
            "endpoint) or an IP rule for its public IP, or set the default action back to Allow."
        )
        severity = Severity.ERROR
    return [
        _finding(
            registry,
            "registry-locked-out",
            severity,
            title,
            f"{why}, so the data plane refuses every client: {reach}. {advice}",
        )
    ]


def _bypass_off(registry: Registry) -> list[Finding]:
    restricted = registry.rules.denies_by_default or not registry.public_access_enabled
    if not restricted or registry.trusted_services_bypass:
        return []
    return [
        _finding(
            registry,
            "bypass-off",
            Severity.WARNING,
            f"{registry.name}: trusted Azure services are blocked (bypass off)",
            "The registry is restricted and its network rule bypass is None, so trusted Azure "
            "services (ACR Tasks, Defender for Cloud, Machine Learning and others) can't reach "
            "it. Turn the bypass on (az acr update --allow-trusted-services true) unless "
            "blocking them is intended.",
        )
    ]


def _tasks_bypass_off(registry: Registry) -> list[Finding]:
    # networkRuleBypassAllowedForTasks (registry API 2025-06-01 on, default false) decides
    # whether ACR Tasks' system identity gets through the firewall. Read through the 2021
    # fallback version the setting is unknown, so say nothing then.
    if not registry.rules.denies_by_default or registry.network_rule_bypass_allowed_for_tasks:
        return []
    if registry.api_version_note:
        return []
    return [
        _finding(
            registry,
            "tasks-bypass-disabled",
            Severity.INFO,
            f"{registry.name}: ACR Tasks are refused by the firewall (Tasks bypass off)",
            "The registry denies by default and its Tasks bypass "
            "(networkRuleBypassAllowedForTasks) is off, Azure's default: a quick task, build or "
            "scheduled task that pushes or "
            "pulls here gets 403. If tasks use this registry, let them through (acrfence "
            "lockdown --tasks-bypass allow, or az acr update --set "
            "networkRuleBypassAllowedForTasks=true).",
        )
    ]


def _same_vnet_private_link(registry: Registry, context: AnalysisContext) -> list[Finding]:
    rule_vnets = {
        normalize_resource_id(rule.subnet_id.rsplit("/subnets/", 1)[0]): rule.subnet_id
        for rule in registry.rules.virtual_network_rules
        if "/subnets/" in rule.subnet_id
    }
    if not rule_vnets:
        return []
    found = []
    for connection in registry.private_endpoint_connections:
        if (connection.status or "").casefold() in _INACTIVE_CONNECTION_STATES:
            continue
        endpoint_subnet = context.private_endpoint_subnet(connection)
        if endpoint_subnet is None:
            continue
        rule_subnet_id = rule_vnets.get(normalize_resource_id(endpoint_subnet.virtual_network_id))
        if rule_subnet_id is None:
            continue
        vnet = endpoint_subnet.virtual_network_name
        found.append(
            _finding(
                registry,
                "private-link-and-service-endpoint-same-vnet",
                Severity.ERROR,
                f"{registry.name}: private link and service endpoint from one network ({vnet})",
                f"Azure doesn't support a registry reached through both a private endpoint "
                f"({connection.name}, in {endpoint_subnet.label}) and a service endpoint rule "
                f"({subnet_label(rule_subnet_id)}) from the same virtual network {vnet}. Keep "
                "one: remove the virtual network rule if the private endpoint serves those "
                "hosts, or remove the private endpoint connection.",
                subnet_id=rule_subnet_id,
            )
        )
    return found


def _public_access_disabled(registry: Registry, rules: RegistryRules) -> list[Finding]:
    if registry.public_access_enabled or rules.approved_private_endpoints:
        return []
    pending = [
        c.name
        for c in registry.private_endpoint_connections
        if (c.status or "").casefold() == "pending"
    ]
    if pending:
        advice = f"Approve the pending private endpoint connection ({join_words(pending)})"
    else:
        advice = "Create and approve a private endpoint"
    return [
        _finding(
            registry,
            "public-access-disabled-no-private-endpoint",
            Severity.ERROR,
            f"{registry.name}: unreachable (public access disabled, no approved private endpoint)",
            "With public network access disabled only private endpoints get in, and this "
            f"registry has no approved one, so no client can pull. {advice}, or enable public "
            "access with a default Deny and rules for the hosts that must pull.",
        )
    ]


def _subnet_findings(context: AnalysisContext) -> list[Finding]:
    found = []
    for subnet in context.inventory.subnets:
        finding = subnet_endpoint_unused(subnet, context.rule_subnet_keys)
        if finding is not None:
            found.append(finding)
    return found


def subnet_endpoint_unused(subnet: Subnet, rule_subnet_keys: Container[str]) -> Finding | None:
    """The subnet's own finding: its ACR endpoint is on but no registry rule names it."""
    if not subnet.has_acr_endpoint or subnet.key in rule_subnet_keys:
        return None
    return Finding.about(
        "subnet-endpoint-unused",
        Severity.INFO,
        f"{subnet.label}: {ACR_SERVICE_ENDPOINT} endpoint enabled, but no rule names it",
        "No registry we can read has a rule for this subnet, yet the endpoint changes how "
        "its hosts reach every registry: they arrive through the service endpoint, not "
        "their public IP, so IP rules stop matching them. Add a virtual network rule on "
        "each registry they pull from, or remove the endpoint if nothing needs it.",
        subnet=subnet,
    )
