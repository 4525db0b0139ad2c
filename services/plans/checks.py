"""Pre-flight warnings for a lockdown: who loses access, and what else changes.

Warnings never block; they are what an operator should read before typing the registry's name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from acrfence.services.analysis import IpRuleError, parse_ip_rule
from acrfence.services.analysis.context import judge_ip_value, never_matches_headline
from acrfence.services.models import Check, CheckLevel, Inventory, Registry, Subnet

if TYPE_CHECKING:
    from acrfence.services.plans.lockdown import LockdownRequest

__all__ = ["any_rule_admits", "lockdown_warnings", "PREVIEW_NOTICE"]

PREVIEW_NOTICE = (
    "the service endpoint route for Azure Container Registry is a preview: back in active "
    "tooling (registry API 2026-09-01-preview, Azure CLI 2.91; Microsoft's tutorial dropped "
    '"future development isn\'t planned" in February 2026) but absent from the stable '
    "2026-11-01 API, and Microsoft still recommends private endpoints where they fit"
)


def _warn(code: str, message: str) -> Check:
    return Check(CheckLevel.WARN, code, message)


def lockdown_warnings(
    request: LockdownRequest,
    registry: Registry,
    chosen: Sequence[tuple[str, Subnet | None]],
    inventory: Inventory | None,
    client_ip: str | None,
) -> list[Check]:
    # The preview concerns the service endpoint route only: an IP-only change doesn't use it.
    checks = [_warn("preview", PREVIEW_NOTICE)] if request.subnet_ids else []
    if registry.api_version_note:  # Azure refused the newest registry API in its subscription
        checks.append(_warn("registry-api-fallback", registry.api_version_note))
    ip_ranges = [*(r.value for r in registry.rules.ip_rules), *request.ip_ranges]
    if client_ip:
        if not any_rule_admits(client_ip, ip_ranges):
            checks.append(
                _warn(
                    "this-machine-loses-access",
                    f"this machine ({client_ip}) will be refused by {registry.name}'s data plane "
                    "(pulls and pushes answer 403); management calls keep working",
                )
            )
    else:
        checks.append(
            _warn(
                "this-machine-unknown",
                "this machine's public IP is unknown: unless it is inside a chosen subnet or an "
                "allowed IP range, it will lose data-plane access",
            )
        )
    if not registry.rules.denies_by_default:
        checks.append(
            _warn(
                "default-allow-ends",
                f"{registry.name} lets every address in today (default action Allow); after this "
                "only the chosen subnets"
                + (" and IP ranges " + ", ".join(ip_ranges) if ip_ranges else "")
                + " get in: any client allowed only by the default loses access",
            )
        )
    checks += _unroutable_ip_ranges(request.ip_ranges)
    checks.append(
        _warn(
            "hosted-agents",
            "Azure DevOps Microsoft-hosted agents, GitHub-hosted runners, ACR Tasks agents and "
            "other services outside your virtual networks can't use a service endpoint; they "
            "lose access unless an IP rule or the trusted-services bypass covers them",
        )
    )
    tasks = request.tasks_bypass
    if tasks is None:
        tasks = registry.network_rule_bypass_allowed_for_tasks
    if not tasks and not registry.api_version_note:
        checks.append(
            _warn(
                "tasks-bypass-disabled",
                "ACR Tasks (quick tasks, builds, scheduled tasks) will get 403 from this "
                "registry: its Tasks bypass is off (Azure's default); use --tasks-bypass allow "
                "if tasks push or pull here",
            )
        )
    bypass = request.bypass or registry.network_rule_bypass_options
    if bypass.casefold() == "azureservices":
        checks.append(
            _warn(
                "bypass-on",
                "trusted Azure services still get in through the bypass option "
                "(network rule bypass: AzureServices)",
            )
        )
    else:
        checks.append(
            _warn(
                "bypass-off",
                "the trusted-services bypass is off: trusted Azure services (e.g. Defender, "
                "Machine Learning) are refused too; use --bypass azure-services to let them in",
            )
        )
    if (request.public_network_access or "").casefold() == "disabled":
        checks.append(
            _warn(
                "public-access-disabled",
                "with public network access disabled, virtual network and IP rules stop applying: "
                "only private endpoints (and trusted services through the bypass) get in",
            )
        )
    checks += _other_registries(registry, chosen, inventory)
    return checks


def _unroutable_ip_ranges(ip_ranges: Sequence[str]) -> list[Check]:
    """A private range as an IP rule admits nobody: the findings' rule, said before it's made."""
    checks = []
    for value in ip_ranges:
        _network, problem = judge_ip_value(value)
        if problem is not None:
            checks.append(
                _warn("ip-rule-private-range", f"{never_matches_headline(value)}: {problem}")
            )
    return checks


def any_rule_admits(client_ip: str, ranges: Sequence[str]) -> bool:
    """Whether one of the IP rules ``ranges`` admits ``client_ip`` (unreadable ones admit no
    one, as Azure would refuse to store them)."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    for value in ranges:
        try:
            if address in parse_ip_rule(value):
                return True
        except IpRuleError:
            continue
    return False


def _other_registries(
    registry: Registry, chosen: Sequence[tuple[str, Subnet | None]], inventory: Inventory | None
) -> list[Check]:
    """Enabling the endpoint switches the subnet's traffic to EVERY registry in the region to the
    virtual-network path: its public (NAT) address no longer reaches them, so their IP rules that
    admitted it may stop matching."""
    new_endpoint = [s for _, s in chosen if s is not None and not s.has_acr_endpoint]
    if not new_endpoint:
        return []
    checks = [
        _warn(
            "endpoint-affects-all-registries",
            "adding the endpoint changes how "
            + ", ".join(s.label for s in new_endpoint)
            + " reach every registry, not only "
            + registry.name
            + ": their traffic arrives from the virtual network instead of a public address",
        )
    ]
    if inventory is None:
        return checks
    for subnet in new_endpoint:
        affected = sorted(
            other.name
            for other in inventory.registries
            if other.key != registry.key
            and other.rules.denies_by_default
            and other.rules.ip_rules
            and not any(r.key == subnet.key for r in other.rules.virtual_network_rules)
        )
        if affected:
            checks.append(
                _warn(
                    "ip-rules-may-stop-matching",
                    f"from {subnet.label}, these registries' IP rules may stop matching (add a "
                    "subnet rule to them too): " + ", ".join(affected),
                )
            )
    return checks
