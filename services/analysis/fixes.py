"""The fix for each finding code, in one line, for the headless `findings` list and the report.

The finding's detail says why and what to do in prose; this is the short, actionable form a CI
log or an auditor's table has room for. A code without an entry falls back to its detail.
"""

from __future__ import annotations

from acrfence.services.models import Finding

__all__ = ["fix_for"]

_FIXES = {
    "rule-subnet-missing-endpoint": "add the Microsoft.ContainerRegistry service endpoint to "
    "the subnet (keeping its other endpoints), or remove the rule",
    "rule-subnet-not-found": "remove the rule (az acr network-rule remove --subnet ID)",
    "rule-subnet-unreadable": "check the subnet's endpoint with an identity that can read "
    "its subscription",
    "registry-locked-out": "add a rule for each subnet or public IP that must pull, or set "
    "the default action back to Allow",
    "subnet-endpoint-unused": "add a virtual network rule on each registry the subnet pulls "
    "from, or remove the endpoint",
    "private-link-and-service-endpoint-same-vnet": "keep one route per virtual network: "
    "remove the rule or the private endpoint connection",
    "rules-on-non-premium": "upgrade to Premium (az acr update --sku Premium) or remove the rules",
    "vnet-rules-near-limit": "remove dangling or ineffective rules; plan a private endpoint",
    "vnet-rules-at-limit": "remove dangling or ineffective rules before adding a subnet",
    "ip-rule-private-range": "allow the hosts' public egress IP, or a virtual network rule "
    "for their subnet",
    "ip-rule-malformed": "replace it with the IPv4 address or CIDR range you meant",
    "ip-rule-allows-everything": "replace 0.0.0.0/0 with the public ranges that must pull",
    "bypass-off": "az acr update --allow-trusted-services true, unless blocking them is intended",
    "tasks-bypass-disabled": "az acr update --set networkRuleBypassAllowedForTasks=true, if ACR "
    "Tasks push or pull here",
    "public-access-disabled-no-private-endpoint": "approve (or create) a private endpoint, or "
    "enable public access with a default Deny and rules",
    "private-dns-record-missing": "give the private endpoint a DNS zone group (az network "
    "private-endpoint dns-zone-group create), or add the missing A records",
    "private-dns-zone-not-linked": "link the zone to the network (az network private-dns link "
    "vnet create)",
    "private-endpoint-no-zone-group": "az network private-endpoint dns-zone-group create "
    "--private-dns-zone privatelink.azurecr.io, so Azure keeps every record",
    "service-endpoint-rules-with-private-endpoint": "once every network resolves to the "
    "private endpoint, remove the rules (acrfence migrate REGISTRY)",
    "public-access-disabled-with-vnet-rules": "move the rules' networks to the private "
    "endpoint (acrfence migrate REGISTRY), or enable public access again",
    "private-endpoint-subnet-full": "add address space to the endpoint subnet before adding a "
    "replica",
    "default-allow-with-rules": "az acr update --default-action Deny once the rules cover "
    "every host that pulls (or acrfence lockdown)",
    "registry-open": "acrfence lockdown REGISTRY --subnet SUBNET_ID (or the l key); if open on "
    "purpose, tag it acrfence-open=<reason>",
    "public-access-enabled": "az acr update --public-network-enabled false, once a private "
    "endpoint serves every client",
    "no-private-link": "create and approve a private endpoint, if your policy requires "
    "private link",
    "private-dns-unchecked": "check each private endpoint's zone group: az network "
    "private-endpoint dns-zone-group list",
    "no-vnet-rule": "add a virtual network rule (with the subnet's endpoint), if your policy "
    "requires service endpoints",
    "data-endpoint-disabled": "az acr update --data-endpoint-enabled true (Premium), then "
    "allow the data host in egress firewalls",
}


def fix_for(finding: Finding, registry_name: str | None = None) -> str:
    """The one-line fix for a finding, with its registry's name where the fix names one."""
    fix = _FIXES.get(finding.code, finding.detail)
    return fix.replace("REGISTRY", registry_name) if registry_name else fix
