"""Build a lockdown plan: pre-flight checks, then ordered steps with before/after and az.

Pure: it works on states already read (``services.plans.session`` gathers them), so the same
function serves the wizard, the command line and the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from acrfence.services.models import (
    ACR_SERVICE_ENDPOINT,
    MAX_IP_RULES,
    MAX_VIRTUAL_NETWORK_RULES,
    Check,
    CheckLevel,
    EndpointChange,
    Inventory,
    Plan,
    ProviderChange,
    Registry,
    RulesChange,
    SettingMove,
    Step,
    StepKind,
    Subnet,
    VerifyChange,
    normalize_resource_id,
)
from acrfence.services.plans import az_commands
from acrfence.services.plans.checks import lockdown_warnings
from acrfence.services.plans.snapshot import (
    has_ip,
    ip_values,
    registry_state,
    subnet_state,
    vnet_rule_keys,
)

__all__ = ["LockdownRequest", "build_lockdown_plan", "REGISTERED"]

REGISTERED = "Registered"


@dataclass(frozen=True)
class LockdownRequest:
    """Lock ``registry_id`` down to ``subnet_ids``; optionally add IP ranges and settings."""

    registry_id: str
    subnet_ids: tuple[str, ...]
    ip_ranges: tuple[str, ...] = ()
    public_network_access: str | None = None  # "Enabled" / "Disabled" / None = keep
    bypass: str | None = None  # "AzureServices" / "None" / None = keep
    tasks_bypass: bool | None = None  # networkRuleBypassAllowedForTasks; None = keep


def build_lockdown_plan(
    request: LockdownRequest,
    *,
    registry: Registry,
    subnets: Mapping[str, Subnet | None],
    provider_states: Mapping[str, str | None],
    sovereign: bool = False,
    inventory: Inventory | None = None,
    client_ip: str | None = None,
) -> Plan:
    """``subnets`` maps each requested subnet ID (any case) to its fresh read, or None if absent.
    ``provider_states`` maps subscription IDs (lower case) to their registration state."""
    found = {normalize_resource_id(k): v for k, v in subnets.items()}
    chosen = [(sid, found.get(normalize_resource_id(sid))) for sid in request.subnet_ids]
    checks = _blocks(request, registry, chosen, sovereign, inventory)
    checks += lockdown_warnings(request, registry, chosen, inventory, client_ip)
    steps: list[Step] = []
    if not any(c.level is CheckLevel.BLOCK for c in checks):
        steps = _steps(request, registry, [(sid, s) for sid, s in chosen if s], provider_states)
    return Plan(
        kind="lockdown",
        registry_id=registry.id,
        registry_name=registry.name,
        checks=tuple(checks),
        steps=tuple(steps),
    )


def _blocks(
    request: LockdownRequest,
    registry: Registry,
    chosen: Sequence[tuple[str, Subnet | None]],
    sovereign: bool,
    inventory: Inventory | None,
) -> list[Check]:
    blocks: list[Check] = []

    def block(code: str, message: str) -> None:
        blocks.append(Check(CheckLevel.BLOCK, code, message))

    # An IP-only change (allow one address, e.g. the client a probe saw refused) needs no subnet.
    if not request.subnet_ids and not request.ip_ranges:
        block("no-subnet", "choose at least one subnet or IP range to lock the registry down to")
    if not registry.is_premium:
        block(
            "not-premium",
            f"{registry.name} is {registry.sku}: network rules need the Premium tier",
        )
    if sovereign:
        block(
            "sovereign-cloud",
            "service endpoints for Azure Container Registry are not offered in sovereign clouds "
            "(US Government, China); use a private endpoint there",
        )
    for subnet_id, subnet in chosen:
        if subnet is None:
            block("subnet-not-found", f"subnet not found (or not readable): {subnet_id}")
    pe_ids = {
        normalize_resource_id(c.private_endpoint_id)
        for c in registry.private_endpoint_connections
        if c.private_endpoint_id
    }
    if pe_ids:
        for subnet_id, subnet in chosen:
            if subnet is None:
                continue
            vnet_subnets = _subnets_of_vnet(subnet, inventory)
            if any(
                normalize_resource_id(p) in pe_ids
                for s in vnet_subnets
                for p in s.private_endpoint_ids
            ):
                block(
                    "private-link-same-vnet",
                    f"{registry.name} has a private endpoint in virtual network "
                    f"{subnet.virtual_network_name}: a registry can't have both private link and "
                    f"service endpoints from the same virtual network ({subnet_id})",
                )
    existing = vnet_rule_keys(registry_state(registry))
    total = len(existing | {normalize_resource_id(s) for s in request.subnet_ids})
    if total > MAX_VIRTUAL_NETWORK_RULES:
        block(
            "too-many-rules",
            f"{registry.name} would have {total} virtual network rules; "
            f"Azure allows at most {MAX_VIRTUAL_NETWORK_RULES}",
        )
    wanted_ips = ip_values({"ip_rules": request.ip_ranges})
    ip_total = len(ip_values(registry_state(registry)) | wanted_ips)
    if ip_total > MAX_IP_RULES:
        block(
            "too-many-ip-rules",
            f"{registry.name} would have {ip_total} IP rules; Azure allows at most {MAX_IP_RULES}",
        )
    if request.tasks_bypass is not None and registry.api_version_note:
        block(
            "tasks-bypass-unavailable",
            f"the ACR Tasks bypass can't be set on {registry.name}: {registry.api_version_note}",
        )
    return blocks


def _subnets_of_vnet(subnet: Subnet, inventory: Inventory | None) -> list[Subnet]:
    if inventory is None:
        return [subnet]
    vnet_key = normalize_resource_id(subnet.virtual_network_id)
    for vnet in inventory.virtual_networks:
        if vnet.key == vnet_key:
            return [*vnet.subnets, subnet]
    return [subnet]


def _steps(
    request: LockdownRequest,
    registry: Registry,
    subnets: Sequence[tuple[str, Subnet]],
    provider_states: Mapping[str, str | None],
) -> list[Step]:
    steps: list[Step] = []

    def add(kind: StepKind, target: str, title: str, **kw: Any) -> None:
        steps.append(Step(index=len(steps) + 1, kind=kind, target=target, title=title, **kw))

    needs_endpoint = [(sid, s) for sid, s in subnets if not s.has_acr_endpoint]
    subscriptions = sorted({s.subscription_id.lower() for _, s in needs_endpoint})
    for subscription in subscriptions:
        state = provider_states.get(subscription)
        if (state or "").casefold() == REGISTERED.casefold():
            continue
        add(
            StepKind.REGISTER_PROVIDER,
            f"/subscriptions/{subscription}",
            f"register {ACR_SERVICE_ENDPOINT} in subscription {subscription}",
            before={"registration_state": state or "unknown"},
            after={"registration_state": REGISTERED},
            change=ProviderChange(subscription, ACR_SERVICE_ENDPOINT),
            az=(az_commands.register_provider(subscription),),
        )
    for _subnet_id, subnet in needs_endpoint:
        before = subnet_state(subnet)
        after = dict(before, service_endpoints=[*before["service_endpoints"], ACR_SERVICE_ENDPOINT])
        after.pop("etag")
        add(
            StepKind.ENABLE_ENDPOINT,
            subnet.id,
            f"add the {ACR_SERVICE_ENDPOINT} endpoint to subnet {subnet.label}, keeping the rest",
            before=before,
            after=after,
            change=EndpointChange(subnet.id, enabled=True, planned_etag=subnet.etag),
            az=(az_commands.subnet_service_endpoints(subnet.id, after["service_endpoints"]),),
        )
    steps.append(_rules_step(len(steps) + 1, request, registry, [s for _, s in subnets]))
    add(
        StepKind.VERIFY,
        registry.id,
        "verify: re-read the registry's rule set and every subnet's endpoints",
        change=VerifyChange(tuple(s.id for _, s in subnets)),
        az=(
            f"az acr network-rule list --name {registry.name}",
            *(
                f"az network vnet subnet show --ids {s.id} --query serviceEndpoints"
                for _, s in subnets
            ),
        ),
    )
    return steps


def _rules_step(
    index: int, request: LockdownRequest, registry: Registry, subnets: Sequence[Subnet]
) -> Step:
    before = registry_state(registry)
    have_subnets = vnet_rule_keys(before)
    add_subnets = [s.id for s in subnets if s.key not in have_subnets]
    have_ips = ip_values(before)
    add_ips = [ip for ip in request.ip_ranges if not has_ip(have_ips, ip)]
    settings: dict[str, str | bool] = {"default_action": "Deny"}
    if request.public_network_access:
        settings["public_network_access"] = request.public_network_access
    if request.bypass:
        settings["network_rule_bypass_options"] = request.bypass
    if request.tasks_bypass is not None:
        settings["network_rule_bypass_allowed_for_tasks"] = request.tasks_bypass
    after = dict(before)
    after["virtual_network_rules"] = [*before["virtual_network_rules"], *add_subnets]
    after["ip_rules"] = [*before["ip_rules"], *add_ips]
    after.update(settings)
    change = RulesChange(
        add_virtual_network_rules=tuple(add_subnets),
        add_ip_rules=tuple(add_ips),
        settings=tuple(SettingMove(k, v) for k, v in settings.items()),
    )
    # The settings this write really moves (the az commands name only those).
    moved = RulesChange(settings=tuple(m for m in change.settings if before.get(m.name) != m.to))
    return Step(
        index=index,
        kind=StepKind.WRITE_RULES,
        target=registry.id,
        title=f"write {registry.name}'s rule set in one update: "
        f"{len(add_subnets)} subnet rule(s), {len(add_ips)} IP rule(s), default action Deny",
        before=before,
        after=after,
        change=change,
        az=az_commands.registry_rule_changes(
            registry.name,
            add_subnets=add_subnets,
            add_ips=add_ips,
            default_action=moved.word("default_action"),
            public_network_access=moved.word("public_network_access"),
            bypass=moved.word("network_rule_bypass_options"),
            tasks_bypass=moved.flag("network_rule_bypass_allowed_for_tasks"),
        ),
    )
