"""A registry's effective access in words: who really gets through its firewall, and why not."""

from __future__ import annotations

from acrfence.services.analysis.cidr import describe_range
from acrfence.services.analysis.context import (
    ClassifiedSubnetRule,
    RegistryRules,
    classify,
    context_for,
)
from acrfence.services.analysis.text import does, join_words, name_some, plural
from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    AccessSummary,
    EndpointStatus,
    Inventory,
    Registry,
)

__all__ = ["effective_access"]


def effective_access(registry: Registry, inventory: Inventory) -> AccessSummary:
    rules = classify(registry, context_for(inventory))
    if not registry.is_premium:
        return _non_premium(registry, rules)
    if not registry.public_access_enabled:
        return _public_access_disabled(registry, rules)
    if not registry.rules.denies_by_default:
        return _default_allow(registry, rules)
    return _deny_by_default(registry, rules)


def _non_premium(registry: Registry, rules: RegistryRules) -> AccessSummary:
    lines = [f"The {registry.sku} tier has no network firewall: every client gets in."]
    if rules.rule_count or registry.rules.denies_by_default:
        lines.append(
            "The configured network rules do nothing because network rules need the Premium tier."
        )
    return AccessSummary(
        headline=f"Open to the internet ({registry.sku} tier: no network rules apply)",
        lines=tuple(lines),
        open_to_internet=True,
        allowed_subnet_ids=(),
        allowed_ip_ranges=(),
    )


def _public_access_disabled(registry: Registry, rules: RegistryRules) -> AccessSummary:
    approved = rules.approved_private_endpoints
    if approved:
        count = plural(len(approved), "approved private endpoint")
        headline = f"Public access disabled; reachable only through {count}"
    else:
        headline = "Unreachable: public access disabled and no approved private endpoint"
    lines = ["Public network access is disabled: only private endpoints reach the data plane."]
    if rules.rule_count:
        lines.append(
            f"The {plural(rules.rule_count, 'network rule')} {does(rules.rule_count)} nothing "
            "because public access is disabled."
        )
    lines.extend(_private_endpoint_lines(registry))
    lines.append(_bypass_line(registry))
    return AccessSummary(headline, tuple(lines), False, (), ())


def _default_allow(registry: Registry, rules: RegistryRules) -> AccessSummary:
    headline = "Open to the internet (default action Allow)"
    if rules.rule_count:
        count = rules.rule_count
        headline += f"; its {plural(count, 'rule')} {does(count)} nothing until it is Deny"
    lines = ["The default action is Allow: every client gets in, whatever its address."]
    for item in rules.subnet_rules:
        lines.append(f"The rule for {item.label} does nothing because the default action is Allow.")
    for ip_item in rules.ip_rules:
        lines.append(
            f"The IP rule {ip_item.rule.value} does nothing because the default action is Allow."
        )
    lines.extend(_private_endpoint_lines(registry))
    return AccessSummary(headline, tuple(lines), True, (), ())


def _deny_by_default(registry: Registry, rules: RegistryRules) -> AccessSummary:
    allowed_subnets = rules.effective_subnet_rules
    allowed_ranges = rules.effective_ip_rules
    unknown = [r for r in rules.subnet_rules if r.status is EndpointStatus.UNREADABLE]
    open_to_internet = any(item.network and item.network.prefixlen == 0 for item in allowed_ranges)

    sources = []
    if allowed_subnets:
        sources.append(name_some([r.label for r in allowed_subnets], "subnet"))
    if allowed_ranges:
        sources.append(plural(len(allowed_ranges), "IP range"))
    if rules.approved_private_endpoints:
        sources.append(plural(len(rules.approved_private_endpoints), "private endpoint"))
    if sources:
        headline = f"Deny by default; reachable from {join_words(sources)}"
        if unknown:
            headline += f" ({plural(len(unknown), 'rule')} can't be checked)"
    elif unknown:
        headline = (
            f"Deny by default; reachable only through {plural(len(unknown), 'rule')} that "
            "can't be checked"
        )
    else:
        headline = "Deny by default; no rule lets anyone in (locked out)"
    if open_to_internet:
        headline = "Open to the internet: an IP rule admits every address despite default Deny"

    lines = ["The default action is Deny: only the sources below get in."]
    lines.extend(_subnet_rule_line(item) for item in rules.subnet_rules)
    for item in rules.ip_rules:
        if item.network is not None and item.problem is None:
            lines.append(f"IP range {describe_range(item.network)} is allowed.")
        else:
            lines.append(f"The IP rule {item.rule.value} does nothing because {item.problem}.")
    if rules.ip_rules:
        lines.append(
            f"IP rules don't match hosts in subnets with the {ACR_SERVICE_ENDPOINT} endpoint: "
            "they arrive through the service endpoint, not their public IP."
        )
    lines.extend(_private_endpoint_lines(registry))
    lines.append(_bypass_line(registry))
    return AccessSummary(
        headline=headline,
        lines=tuple(lines),
        open_to_internet=open_to_internet,
        allowed_subnet_ids=tuple(r.rule.subnet_id for r in allowed_subnets),
        allowed_ip_ranges=tuple(str(r.network) for r in allowed_ranges),
    )


def _subnet_rule_line(item: ClassifiedSubnetRule) -> str:
    if item.status is EndpointStatus.ENABLED:
        return (
            f"Subnet {item.label} is allowed: it has a rule and the {ACR_SERVICE_ENDPOINT} "
            "endpoint."
        )
    if item.status is EndpointStatus.UPDATING:
        return (
            f"The rule for {item.label} does nothing yet: the subnet's {ACR_SERVICE_ENDPOINT} "
            "endpoint is still Updating (Azure hasn't finished setting it up)."
        )
    if item.status is EndpointStatus.MISSING:
        return (
            f"The rule for {item.label} does nothing because the subnet lacks the "
            f"{ACR_SERVICE_ENDPOINT} service endpoint."
        )
    if item.status is EndpointStatus.SUBNET_NOT_FOUND:
        return f"The rule for {item.label} does nothing because the subnet no longer exists."
    return (
        f"The rule for {item.label} can't be checked: its subscription isn't readable; it works "
        f"only if that subnet has the {ACR_SERVICE_ENDPOINT} endpoint."
    )


def _private_endpoint_lines(registry: Registry) -> list[str]:
    lines = []
    for connection in registry.private_endpoint_connections:
        status = connection.status or "of unknown status"
        if status.casefold() == "approved":
            lines.append(
                f"Private endpoint {connection.name} is Approved: hosts using it get in "
                "whatever the rules say."
            )
        else:
            lines.append(
                f"Private endpoint {connection.name} is {status}: nobody gets in through it "
                "until it is approved."
            )
    return lines


def _bypass_line(registry: Registry) -> str:
    if registry.trusted_services_bypass:
        return "Trusted Azure services get in through the bypass."
    return "Trusted Azure services are refused too (bypass off)."
