"""Posture findings: settings the auditors check, judged by acrfence's own severity.

acrfence's other findings say where a setting doesn't do what it looks like it does. These say
what the policy tools ask for (no open registry, public access disabled, private link, a
service endpoint rule, dedicated data endpoints), so every peer check has an acrfence finding
to map to. Only ``registry-open`` is on by default; a profile (``services.analysis.profiles``)
turns the others on for teams held to Azure Policy, Prowler, Checkov or CloudSploit.
"""

from __future__ import annotations

from collections.abc import Callable

from acrfence.services.analysis.context import AnalysisContext, RegistryRules
from acrfence.services.analysis.peers import attach_peers
from acrfence.services.analysis.text import join_words, plural
from acrfence.services.models import Finding, Registry, Severity

__all__ = ["OPEN_TAG", "POSTURE_CODES", "complete_registry_findings", "posture_findings"]

# A registry tagged acrfence-open=<why> is declared deliberately open (public images, say):
# its openness is then information, not a warning, and the reason is shown wherever it is.
OPEN_TAG = "acrfence-open"

POSTURE_CODES = (
    "registry-open",
    "public-access-enabled",
    "no-private-link",
    "private-dns-unchecked",
    "no-vnet-rule",
    "data-endpoint-disabled",
)


def complete_registry_findings(
    found: list[Finding],
    registry: Registry,
    rules: RegistryRules,
    context: AnalysisContext,
    applies: Callable[[str], bool],
) -> list[Finding]:
    """The registry's findings ``applies`` keeps, plus its posture findings, with peer verdicts.

    Filtering comes first: on a tenant of thousands of registries, building posture findings
    and verdicts a profile then drops costs more than the rest of the analysis.
    """
    posture = posture_findings(registry, rules, {finding.code for finding in found}, applies)
    kept = [finding for finding in found if applies(finding.code)]
    return attach_peers([*kept, *posture], registry, context)


def posture_findings(
    registry: Registry,
    rules: RegistryRules,
    already: set[str],
    applies: Callable[[str], bool] = lambda code: True,
) -> list[Finding]:
    """The posture findings of one registry that ``applies``; ``already``: codes found before."""
    found: list[Finding] = []
    if applies("registry-open"):
        found += _registry_open(registry, rules, already)
    if applies("public-access-enabled"):
        found += _public_access_enabled(registry, rules)
    if applies("no-private-link"):
        found += _no_private_link(registry)
    if applies("private-dns-unchecked") and not rules.zone_groups_known:
        # Once the endpoints' zone groups are read, the private link findings judge them.
        found += _private_dns_unchecked(registry)
    if applies("no-vnet-rule"):
        found += _no_vnet_rule(registry, rules, already)
    if applies("data-endpoint-disabled"):
        found += _data_endpoint_disabled(registry)
    return found


def _finding(registry: Registry, code: str, severity: Severity, title: str, detail: str) -> Finding:
    return Finding.about(code, severity, title, detail, registry=registry)


def _is_open(registry: Registry) -> bool:
    if not registry.public_access_enabled:
        return False
    return not registry.is_premium or not registry.rules.denies_by_default


def _registry_open(registry: Registry, rules: RegistryRules, already: set[str]) -> list[Finding]:
    # "Your rules do nothing" (default Allow, or a tier without a firewall) already says the
    # registry is open, at the same severity; one warning per fact.
    if not _is_open(registry) or already & {"default-allow-with-rules", "rules-on-non-premium"}:
        return []
    why = "default action Allow" if registry.is_premium else f"{registry.sku} tier: no firewall"
    reason = registry.tag(OPEN_TAG)
    if reason is not None:
        return [
            _finding(
                registry,
                "registry-open",
                Severity.INFO,
                f"{registry.name}: open to the internet, deliberately ({why})",
                f"Tagged {OPEN_TAG}={reason!r}: the team declared it open on purpose, so "
                "acrfence reports it as information. Every client on the internet reaches its "
                f"data plane; only authentication protects it. Remove the {OPEN_TAG} tag when "
                "it should be locked down again.",
            )
        ]
    if registry.is_premium:
        advice = (
            "Lock it down to the subnets that must pull (acrfence lockdown, or the l key), "
            "or add IP rules and set the default action to Deny"
        )
    else:
        advice = (
            f"Upgrade it to Premium (az acr update --sku Premium) and lock it down to the "
            f"subnets that must pull; the {registry.sku} tier has no network firewall"
        )
    return [
        _finding(
            registry,
            "registry-open",
            Severity.WARNING,
            f"{registry.name}: open to the internet ({why})",
            "Every client on the internet reaches its data plane; only authentication stands "
            f"between it and your images. {advice}. If it is meant to be public, tag it "
            f"{OPEN_TAG}=<reason> to say so once.",
        )
    ]


def _public_access_enabled(registry: Registry, rules: RegistryRules) -> list[Finding]:
    if not registry.public_access_enabled:
        return []
    if registry.is_premium and registry.rules.denies_by_default and rules.rule_count:
        context = (
            "Here the default Deny and its rules already limit who gets in, and the virtual "
            "network and IP rules only work while public access is Enabled: disable it only "
            "after every client pulls through a private endpoint."
        )
    elif not registry.is_premium:
        context = f"The {registry.sku} tier can't disable it: that needs Premium."
    else:
        context = "Anyone the firewall admits reaches the registry over the internet."
    return [
        _finding(
            registry,
            "public-access-enabled",
            Severity.INFO,
            f"{registry.name}: public network access is Enabled",
            "Azure Policy, Prowler, Checkov and CloudSploit ask for public network access "
            f"Disabled, so only private endpoints get in. {context} Disable it with az acr "
            "update --public-network-enabled false once a private endpoint serves every client.",
        )
    ]


def _no_private_link(registry: Registry) -> list[Finding]:
    connections = registry.private_endpoint_connections
    if any((c.status or "").casefold() == "approved" for c in connections):
        return []
    if connections:
        states = join_words([f"{c.name} ({c.status or 'unknown'})" for c in connections])
        have = f"Its {plural(len(connections), 'connection')} ({states}) let nobody in. "
        advice = "Approve the connection meant to serve clients"
    else:
        have = ""
        advice = "Create a private endpoint in the network that pulls and approve it"
    return [
        _finding(
            registry,
            "no-private-link",
            Severity.INFO,
            f"{registry.name}: no approved private endpoint",
            f"Private link policies ask for at least one approved private endpoint. {have}"
            f"{advice}, if your policy requires private link; a service endpoint lockdown "
            "doesn't need one.",
        )
    ]


def _private_dns_unchecked(registry: Registry) -> list[Finding]:
    endpoints = [c for c in registry.private_endpoint_connections if c.private_endpoint_id]
    if not endpoints:
        return []
    names = join_words([(c.private_endpoint_id or "").rsplit("/", 1)[-1] for c in endpoints])
    return [
        _finding(
            registry,
            "private-dns-unchecked",
            Severity.INFO,
            f"{registry.name}: private DNS of its private endpoints not checked",
            "Azure Policy e9585a95 gives each private endpoint a private DNS zone group for "
            "privatelink.azurecr.io, without which clients resolve the public address. acrfence "
            f"couldn't read the zone groups of {names} (not visible to this identity, or the "
            "listing failed): check them with az network private-endpoint dns-zone-group list.",
        )
    ]


def _no_vnet_rule(registry: Registry, rules: RegistryRules, already: set[str]) -> list[Finding]:
    # Azure Policy c4857be7 fails unless default Deny and at least one virtual network rule.
    if registry.rules.denies_by_default and registry.rules.virtual_network_rules:
        return []
    if _is_open(registry) or already & {"default-allow-with-rules", "rules-on-non-premium"}:
        return []  # the open-registry finding answers c4857be7 there
    if not registry.public_access_enabled:
        way_in = "it is reached through private endpoints only (public access Disabled)"
    elif rules.ip_rules:
        way_in = f"it admits {plural(len(rules.ip_rules), 'IP rule')} instead"
    else:
        way_in = "nothing names a subnet"
    return [
        _finding(
            registry,
            "no-vnet-rule",
            Severity.INFO,
            f"{registry.name}: no virtual network service endpoint rule",
            "Azure Policy c4857be7 (preview) asks for a default Deny with at least one virtual "
            f"network rule; {way_in}. Add a rule for each subnet that pulls (with its "
            "Microsoft.ContainerRegistry endpoint) only if your policy requires that route.",
        )
    ]


def _data_endpoint_disabled(registry: Registry) -> list[Finding]:
    if registry.data_endpoint_enabled:
        return []
    tier = "" if registry.is_premium else f" (needs Premium; this is {registry.sku})"
    return [
        _finding(
            registry,
            "data-endpoint-disabled",
            Severity.INFO,
            f"{registry.name}: dedicated data endpoints off",
            "Checkov CKV_AZURE_237 asks for dedicated data endpoints, so layers come from "
            "<registry>.<region>.data.azurecr.io instead of a shared storage endpoint that "
            "other registries' data shares. It doesn't change who can reach the registry. "
            f"Turn it on with az acr update --data-endpoint-enabled{tier}, and allow the new "
            "host in clients' egress firewalls.",
        )
    ]
