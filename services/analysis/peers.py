"""The other auditors' ACR network checks, what each one really tests, and its verdict here.

Security teams judge registries with Azure Policy, PSRule for Azure, Prowler, Checkov and
CloudSploit. Each checks a setting; none checks whether a rule works. This module evaluates
each of their checks on a registry exactly as the tool does (the rule is quoted from its
source below), so acrfence's findings can name them by ID and say where acrfence knows better.

Sources read (December 2026) with the search tool, quoted in each check's ``tests``:

- Azure Policy built-ins, Azure/azure-policy ``built-in-policies/policyDefinitions/``:
  ``Container Registry/ACR_NetworkRulesExist_AuditDeny.json`` (d0793b48, v2.0.0),
  ``Container Registry/ACR_PublicNetworkAccess_AuditDeny.json`` (0fdf0491),
  ``Container Registry/ACR_PrivateEndpointEnabled_Audit.json`` (e8eef0a8),
  ``Container Registry/ACR_PrivateDNSZone_DeployIfNotExists.json`` (e9585a95),
  ``Network/VirtualNetworkServiceEndpoint_ContainerRegistry_Audit.json`` (c4857be7, preview).
- PSRule for Azure, Azure/PSRule.Rules.Azure ``src/PSRule.Rules.Azure/rules/Azure.ACR.Rule.yaml``
  (commit 64a1e0d) and ``docs/en/rules/Azure.ACR.Firewall.md``.
- Prowler, prowler-cloud/prowler ``prowler/providers/azure/services/containerregistry/``
  (the three checks' ``.py`` and ``containerregistry_service.py``).
- Checkov, bridgecrewio/checkov ``checkov/terraform/checks/resource/azure/``
  ``ACRPublicNetworkAccessDisabled.py`` and ``ACRDedicatedDataEndpointEnabled.py`` (CKV_AZURE_237
  at commit 74713b8; the same check was briefly numbered CKV_AZURE_243).
- CloudSploit, aquasecurity/cloudsploit ``plugins/azure/containerregistry/``
  ``acrPublicAccess.js``, ``acrPrivateEndpoints.js``, ``acrTrustedServiceEnabled.js``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from acrfence.services.analysis.context import AnalysisContext, RegistryRules, classify
from acrfence.services.models import (
    Finding,
    PeerOutcome,
    PeerVerdict,
    Registry,
)

__all__ = [
    "PEER_CHECKS",
    "PeerCheck",
    "RELATED_CHECKS",
    "attach_peers",
    "not_evaluated_note",
    "peer_verdicts",
]

PASS, FAIL = PeerOutcome.PASS, PeerOutcome.FAIL


@dataclass(frozen=True)
class PeerCheck:
    """One peer tool's check: its ID, what it really tests, and how to evaluate it here."""

    key: str  # short stable key used in this module and the report
    tool: str
    check_id: str
    title: str  # the tool's own title
    tests: str  # what it actually tests, from its source
    caveat: str  # what acrfence knows better, in general ("" when nothing)
    evaluate: Callable[[Registry, RegistryRules], PeerOutcome]


def _default_allow(registry: Registry) -> bool:
    # A registry without a rule set (Basic, Standard) reads as Allow, as ARM's absent field.
    return not registry.rules.denies_by_default


def _public_enabled(registry: Registry) -> bool:
    return registry.public_network_access.casefold() != "disabled"


def _verdict(failed: bool) -> PeerOutcome:
    return FAIL if failed else PASS


def _d0793b48(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # policyRule: defaultAction absent or "Allow" AND publicNetworkAccess absent or "Enabled".
    return _verdict(_default_allow(registry) and _public_enabled(registry))


def _0fdf0491(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # policyRule: publicNetworkAccess notEquals "Disabled" (Azure Policy compares strings
    # case-insensitively).
    return _verdict(_public_enabled(registry))


def _e8eef0a8(registry: Registry, rules: RegistryRules) -> PeerOutcome:
    # policyRule: count(privateEndpointConnections where status equals "Approved") less 1.
    return _verdict(not rules.approved_private_endpoints)


def _e9585a95(registry: Registry, rules: RegistryRules) -> PeerOutcome:
    # DeployIfNotExists on Microsoft.Network/privateEndpoints with groupId "registry": its
    # existenceCondition is a privateDnsZoneGroups child. Non-compliant: an endpoint without
    # one. Judged only when every connection's endpoint was read with its zone groups.
    if not registry.private_endpoint_connections:
        return PeerOutcome.NOT_APPLICABLE
    if not rules.zone_groups_known:
        return PeerOutcome.NOT_EVALUATED
    return _verdict(any(e.has_zone_group is False for e in rules.private_endpoints))


def _c4857be7(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # policyRule: defaultAction notEquals "Deny" OR virtualNetworkRules[*].action absent.
    return _verdict(_default_allow(registry) or not registry.rules.virtual_network_rules)


def _psrule_firewall(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # spec: with Azure.ACR.IsPremiumSKU (sku.name or sku.tier Premium); condition anyOf
    # publicNetworkAccess equals Disabled, networkRuleSet.defaultAction equals Deny.
    if not registry.is_premium:
        return PeerOutcome.NOT_APPLICABLE
    return _verdict(_public_enabled(registry) and _default_allow(registry))


def _prowler_network_access_restricted(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # PASS when network_rule_set.default_action.lower() == "deny"; nothing else is read.
    return _verdict(_default_allow(registry))


def _prowler_not_publicly_accessible(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # PASS when public network access is not enabled (what the check means to test).
    return _verdict(_public_enabled(registry))


def _any_connection(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # Prowler: PASS if private_endpoint_connections is non-empty; CloudSploit: the same on
    # privateEndpointConnections.length. Neither looks at the connection's status.
    return _verdict(not registry.private_endpoint_connections)


def _checkov_public_network(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # Terraform: public_network_access_enabled must be false. Evaluated on the live
    # registry's equivalent, publicNetworkAccess.
    return _verdict(_public_enabled(registry))


def _checkov_data_endpoint(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # Terraform: data_endpoint_enabled must be true (BaseResourceValueCheck's default).
    return _verdict(not registry.data_endpoint_enabled)


def _cloudsploit_public(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # FAIL when publicNetworkAccess.toLowerCase() === "enabled"; absent passes.
    return _verdict(registry.public_network_access.casefold() == "enabled")


def _cloudsploit_trusted(registry: Registry, _: RegistryRules) -> PeerOutcome:
    # FAIL when networkRuleBypassOptions.toLowerCase() === "none", whatever else is set.
    return _verdict(registry.network_rule_bypass_options.casefold() == "none")


_OPEN_CAVEAT = (
    "Reads only the default action: a default Deny passes even with no rule at all (nothing "
    "can pull) or with an IP rule of 0.0.0.0/0 (open to everyone)."
)
_PUBLIC_CAVEAT = (
    "Disabling public network access also switches off every virtual network and IP rule: "
    "only private endpoints get in. A registry locked to subnets by service endpoint rules "
    "needs it Enabled."
)
_ANY_CONNECTION_CAVEAT = (
    "Counts any private endpoint connection, also a Pending, Rejected or Disconnected one "
    "that lets nobody in."
)
_TERRAFORM_CAVEAT = (
    "Checkov reads Terraform source, not the live registry; acrfence evaluates the same "
    "property on what Azure reports."
)

PEER_CHECKS: tuple[PeerCheck, ...] = (
    PeerCheck(
        "d0793b48", "Azure Policy", "d0793b48-0edc-4296-a390-4c75d1bdfd71",
        "Container registries should not allow unrestricted network access",
        "Fails when the default action is Allow (or absent) and public network access is "
        "Enabled (or absent).",
        _OPEN_CAVEAT, _d0793b48,
    ),
    PeerCheck(
        "0fdf0491", "Azure Policy", "0fdf0491-d080-4575-b627-ad0e843cba0f",
        "Public network access should be disabled for Container registries",
        "Fails when publicNetworkAccess is anything but Disabled.",
        _PUBLIC_CAVEAT, _0fdf0491,
    ),
    PeerCheck(
        "e8eef0a8", "Azure Policy", "e8eef0a8-67cf-4eb4-9386-14b0e78733d4",
        "Container registries should use private link",
        "Fails when no private endpoint connection is Approved.",
        "", _e8eef0a8,
    ),
    PeerCheck(
        "e9585a95", "Azure Policy", "e9585a95-5b8c-4d03-b193-dc7eb5ac4c32",
        "Configure Container registries to use private DNS zones",
        "DeployIfNotExists on each private endpoint of group 'registry': adds a "
        "privateDnsZoneGroups entry when none exists.",
        "Checks only that a private DNS zone group exists: not that the zone holds an A record "
        "for the login server and every data endpoint, nor that it is linked to the networks "
        "that pull.",
        _e9585a95,
    ),
    PeerCheck(
        "c4857be7", "Azure Policy", "c4857be7-912a-4c75-87e6-e30292bcdf78",
        "[Preview]: Container Registry should use a virtual network service endpoint",
        "Fails when the default action is not Deny or there is no virtual network rule.",
        "Counts rules, not whether they work: a rule for a subnet without the "
        "Microsoft.ContainerRegistry endpoint, or for a subnet that is gone, passes yet "
        "does nothing.",
        _c4857be7,
    ),
    PeerCheck(
        "psrule-firewall", "PSRule for Azure", "Azure.ACR.Firewall (AZR-000402)",
        "Container Registry service firewall is not restricted",
        "Premium registries only: passes when publicNetworkAccess is Disabled or the default "
        "action is Deny.",
        _OPEN_CAVEAT + " It skips Basic and Standard registries, which have no firewall and "
        "are open to everyone.",
        _psrule_firewall,
    ),
    PeerCheck(
        "prowler-network", "Prowler", "containerregistry_network_access_restricted",
        "Container Registry network access is restricted",
        "Passes when network_rule_set.default_action is deny; reads nothing else.",
        _OPEN_CAVEAT + " It also fails a registry whose public access is Disabled (private "
        "endpoints only) while its unused default action says Allow.",
        _prowler_network_access_restricted,
    ),
    PeerCheck(
        "prowler-public", "Prowler", "containerregistry_not_publicly_accessible",
        "Restrict public network access to the Container Registry",
        "Passes when public network access is not enabled.",
        _PUBLIC_CAVEAT + " In the containerregistry_service.py we read (commit 0fbe1bf) the "
        "flag comes from getattr(registry, 'public_network_access_enabled', 'Enabled'), an "
        "attribute the Azure SDK's Registry model doesn't have, so that version fails every "
        "registry; acrfence evaluates what the check means.",
        _prowler_not_publicly_accessible,
    ),
    PeerCheck(
        "prowler-private-link", "Prowler", "containerregistry_uses_private_link",
        "Container Registry uses a private link",
        "Passes when the registry has any private endpoint connection.",
        _ANY_CONNECTION_CAVEAT, _any_connection,
    ),
    PeerCheck(
        "ckv-azure-139", "Checkov", "CKV_AZURE_139",
        "Ensure ACR set to disable public networking",
        "Fails unless public_network_access_enabled is false.",
        _TERRAFORM_CAVEAT + " " + _PUBLIC_CAVEAT, _checkov_public_network,
    ),
    PeerCheck(
        "ckv-azure-237", "Checkov", "CKV_AZURE_237",
        "Ensure dedicated data endpoints are enabled",
        "Fails unless data_endpoint_enabled is true.",
        _TERRAFORM_CAVEAT + " Dedicated data endpoints don't change who can reach the "
        "registry; clients' egress firewalls must then allow <registry>.<region>.data.azurecr.io.",
        _checkov_data_endpoint,
    ),
    PeerCheck(
        "cloudsploit-public", "CloudSploit", "acrPublicAccess",
        "ACR Public Access",
        "Fails when publicNetworkAccess is 'enabled' (any case); an absent value passes.",
        _PUBLIC_CAVEAT, _cloudsploit_public,
    ),
    PeerCheck(
        "cloudsploit-private-endpoints", "CloudSploit", "acrPrivateEndpoints",
        "ACR Private Endpoints Configured",
        "Passes when privateEndpointConnections is non-empty.",
        _ANY_CONNECTION_CAVEAT, _any_connection,
    ),
    PeerCheck(
        "cloudsploit-trusted", "CloudSploit", "acrTrustedServiceEnabled",
        "ACR Trusted Services Enabled",
        "Fails when networkRuleBypassOptions is 'none'.",
        "Also fails an open registry, where the bypass changes nothing.",
        _cloudsploit_trusted,
    ),
)  # fmt: skip

_BY_KEY = {check.key: check for check in PEER_CHECKS}

# Which peer checks each acrfence finding answers: a failing peer check is carried by the
# finding that says the same thing, and a passing one is shown beside the finding that proves
# it wrong ("passes, yet nothing can pull").
_OPEN = ("d0793b48", "psrule-firewall", "prowler-network", "c4857be7")
_PUBLIC = ("0fdf0491", "prowler-public", "ckv-azure-139", "cloudsploit-public")
_PRIVATE_LINK = ("e8eef0a8", "prowler-private-link", "cloudsploit-private-endpoints")
RELATED_CHECKS: dict[str, tuple[str, ...]] = {
    "registry-open": (*_OPEN, "cloudsploit-trusted"),
    "default-allow-with-rules": _OPEN,
    "rules-on-non-premium": _OPEN,
    "ip-rule-allows-everything": _OPEN,
    "registry-locked-out": _OPEN,
    "rule-subnet-missing-endpoint": ("c4857be7",),
    "rule-subnet-not-found": ("c4857be7",),
    "public-access-enabled": _PUBLIC,
    "public-access-disabled-no-private-endpoint": (*_PUBLIC, *_PRIVATE_LINK),
    "no-private-link": _PRIVATE_LINK,
    "private-dns-unchecked": ("e9585a95",),
    "private-endpoint-no-zone-group": ("e9585a95",),
    "private-dns-record-missing": ("e9585a95",),
    "private-dns-zone-not-linked": ("e9585a95",),
    "public-access-disabled-with-vnet-rules": _PUBLIC,
    "no-vnet-rule": ("c4857be7", "prowler-network"),
    "data-endpoint-disabled": ("ckv-azure-237",),
    "bypass-off": ("cloudsploit-trusted",),
}

# Where acrfence knows better than a check that passes: said beside the passing verdict.
_PASSES_YET = {
    "registry-locked-out": "passes, yet no rule lets anyone in: nothing can pull",
    "ip-rule-allows-everything": "passes on the default Deny, yet an IP rule admits every "
    "address: the registry is open to the internet",
    "rule-subnet-missing-endpoint": "passes because a virtual network rule exists, yet its "
    "subnet lacks the Microsoft.ContainerRegistry endpoint: the rule does nothing",
    "rule-subnet-not-found": "passes because a virtual network rule exists, yet its subnet is "
    "gone: the rule matches nothing",
    "public-access-disabled-no-private-endpoint": "passes, yet with public access Disabled and "
    "no approved private endpoint nothing can pull",
    "no-private-link": "passes on a connection that is not Approved: nobody gets in through it",
    "rules-on-non-premium": "passes on a default Deny that this tier ignores: the registry is "
    "open to the internet",
    "private-dns-record-missing": "passes because a zone group exists, yet the zone lacks a "
    "record: those names don't resolve to the private endpoint",
    "private-dns-zone-not-linked": "passes because a zone group exists, yet the zone isn't "
    "linked to a network that pulls: it resolves the public address",
    "public-access-disabled-with-vnet-rules": "passes, yet with public access Disabled the "
    "service endpoint rules admit nobody: their clients are cut off",
}

# Said for a check acrfence couldn't evaluate on a registry (in place of its caveat).
NOT_EVALUATED_NOTES = {
    "e9585a95": "not evaluated: the private endpoints' private DNS zone groups couldn't be "
    "read (an endpoint in a subscription this identity can't read, or its listing failed)",
}


def not_evaluated_note(check: PeerCheck) -> str:
    return NOT_EVALUATED_NOTES.get(check.key, check.caveat)


def peer_check(key: str) -> PeerCheck:
    return _BY_KEY[key]


def peer_verdicts(registry: Registry, rules: RegistryRules) -> dict[str, PeerOutcome]:
    """Every peer check's outcome on this registry, by check key."""
    return {check.key: check.evaluate(registry, rules) for check in PEER_CHECKS}


def _note(
    check: PeerCheck, outcome: PeerOutcome, code: str, public_enabled: bool, private_way_in: bool
) -> str:
    if outcome is PeerOutcome.NOT_EVALUATED:
        return not_evaluated_note(check)
    if outcome is PeerOutcome.NOT_APPLICABLE and check.key == "psrule-firewall":
        return "skips this tier, which has no firewall: the registry is open to everyone"
    if outcome is PASS and code == "registry-locked-out" and private_way_in:
        return "passes, yet no rule lets anyone in: only hosts using its private endpoints pull"
    if outcome is PASS:
        return _PASSES_YET.get(code, "")
    if check.key == "cloudsploit-trusted" and code == "registry-open":
        return "fails on bypass None, which changes nothing while the registry is open"
    if check.key == "prowler-network" and code == "no-vnet-rule" and not public_enabled:
        return "fails on the default action, which public access Disabled makes moot"
    return ""


@lru_cache(maxsize=4096)
def _peers_for(
    code: str, outcomes: tuple[PeerOutcome, ...], public_enabled: bool, private_way_in: bool
) -> tuple[PeerVerdict, ...]:
    """The verdicts a finding carries; tenants repeat the same few combinations, so the
    tuples are built once (5,000 registries: see benchmarks in the commit message)."""
    verdicts = []
    for key, outcome in zip(RELATED_CHECKS[code], outcomes, strict=True):
        check = _BY_KEY[key]
        note = _note(check, outcome, code, public_enabled, private_way_in)
        # A passing check belongs beside a finding only where acrfence knows better.
        if outcome is not PASS or note:
            verdicts.append(PeerVerdict(check.tool, check.check_id, outcome, note))
    return tuple(verdicts)


def attach_peers(
    findings: list[Finding], registry: Registry, context: AnalysisContext
) -> list[Finding]:
    """The registry's findings, each carrying the peer verdicts it answers."""
    rules: RegistryRules | None = None
    outcomes: dict[str, PeerOutcome] = {}  # only the checks some finding answers
    attached = []
    for finding in findings:
        keys = RELATED_CHECKS.get(finding.code)
        if not keys:
            attached.append(finding)
            continue
        if rules is None:
            rules = classify(registry, context)
        for key in keys:
            if key not in outcomes:
                outcomes[key] = _BY_KEY[key].evaluate(registry, rules)
        peers = _peers_for(
            finding.code,
            tuple(outcomes[key] for key in keys),
            _public_enabled(registry),
            bool(rules.approved_private_endpoints),
        )
        attached.append(finding.with_peers(peers) if peers else finding)
    return attached
