"""A registry's network rules: read them, and change them safely.

Virtual network rules only exist in preview registry API versions, so every call goes through
the client pinned to REGISTRY_API_VERSION (2026-09-01-preview, what the Azure CLI uses; the
subscription falls back to 2021-08-01-preview where Azure refuses it, see services.azure) and
through raw JSON (the SDK models would drop or rename what they don't know). A change is a
delta (NetworkEdit) applied to a fresh read, so rules someone else added meanwhile survive;
the write sends the whole rule set (an array sent replaces the old one) and is verified by
reading back.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from azure.core.exceptions import HttpResponseError

from acrfence.services.azure import (
    REGISTRY_API_VERSION,
    REGISTRY_FALLBACK_API_VERSION,
    AzureClients,
)
from acrfence.services.errors import AcrfenceError, VerificationFailed
from acrfence.services.models.inventory import (
    MAX_IP_RULES,
    MAX_VIRTUAL_NETWORK_RULES,
    IpRule,
    NetworkRuleSet,
    PrivateEndpointConnection,
    Registry,
    VirtualNetworkRule,
    ip_rule_key,
)
from acrfence.services.models.resource_id import (
    REGISTRY_TYPE,
    SUBNET_TYPE,
    ResourceId,
    ResourceIdError,
    normalize_resource_id,
    parse_resource_id,
    resource_group_of,
    subscription_of,
)

__all__ = [
    "REGISTRY_API_VERSION",
    "NetworkEdit",
    "InvalidEdit",
    "RegistryRuleService",
    "registry_from_arm",
    "raw_json",
]

_DEFAULT_ACTIONS = ("Allow", "Deny")
_PUBLIC_ACCESS = ("Enabled", "Disabled")
_BYPASS = ("AzureServices", "None")
# Attempts to land an edit when someone else keeps changing the rule set under us.
MAX_ATTEMPTS = 3


class InvalidEdit(AcrfenceError):
    """An edit that can't be sent: malformed subnet ID or IP rule, or an unknown setting."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidInput")


def raw_json(pipeline_response: Any, _deserialized: Any, _headers: Any) -> dict[str, Any]:
    """``cls=`` hook for SDK calls: the response body exactly as Azure sent it."""
    body: dict[str, Any] = pipeline_response.http_response.json()
    return body


def _rule_subnet_id(raw_rule: Mapping[str, Any]) -> str | None:
    # 2026-09-01-preview (and the live service for every version) says
    # virtualNetworkSubnetResourceId; the 2021 previews' spec says id. Read either.
    return raw_rule.get("virtualNetworkSubnetResourceId") or raw_rule.get("id")


def _network_rule_set_from_arm(raw: Mapping[str, Any] | None) -> NetworkRuleSet | None:
    if raw is None:
        return None
    ip_rules = tuple(
        IpRule(value=str(rule.get("value", "")), action=_shared(rule.get("action") or "Allow"))
        for rule in raw.get("ipRules") or ()
    )
    vnet_rules = tuple(
        VirtualNetworkRule(subnet_id=subnet, action=_shared(rule.get("action") or "Allow"))
        for rule in raw.get("virtualNetworkRules") or ()
        if (subnet := _rule_subnet_id(rule))
    )
    default_action = _shared(raw.get("defaultAction") or "Allow")
    if not ip_rules and not vnet_rules:
        # Most registries have no rules: one (immutable) rule set per default action serves
        # them all instead of one each (50,000 on the fleet tenant).
        empty = _EMPTY_RULE_SETS.get(default_action)
        if empty is None:
            empty = _EMPTY_RULE_SETS[default_action] = NetworkRuleSet(default_action)
        return empty
    return NetworkRuleSet(
        default_action=default_action,
        ip_rules=ip_rules,
        virtual_network_rules=vnet_rules,
    )


# Rule sets without rules, by default action (a few spellings at most).
_EMPTY_RULE_SETS: dict[str, NetworkRuleSet] = {}


def _shared(value: str) -> str:
    """A value thousands of registries share (an action, a state), interned: one copy."""
    return sys.intern(value) if type(value) is str else value


def _shared_or_none(value: str | None) -> str | None:
    return None if value is None else _shared(value)


def _connection_from_arm(raw: Mapping[str, Any]) -> PrivateEndpointConnection:
    props = raw.get("properties") or {}
    state = props.get("privateLinkServiceConnectionState") or {}
    return PrivateEndpointConnection(
        id=raw.get("id", ""),
        name=raw.get("name", ""),
        private_endpoint_id=(props.get("privateEndpoint") or {}).get("id"),
        status=_shared_or_none(state.get("status")),
        description=state.get("description"),
        provisioning_state=_shared_or_none(props.get("provisioningState")),
    )


def registry_from_arm(raw: Mapping[str, Any]) -> Registry:
    """A Registry from ARM's JSON (any api-version; rules read from either subnet field)."""
    props = raw.get("properties") or {}
    resource_id = raw.get("id", "")
    return Registry(
        id=resource_id,
        name=raw.get("name", ""),
        resource_group=resource_group_of(resource_id),
        subscription_id=subscription_of(resource_id),
        # Values thousands of registries share, interned: one copy each, not one per registry.
        location=sys.intern(raw.get("location", "")),
        sku=sys.intern((raw.get("sku") or {}).get("name", "")),
        login_server=props.get("loginServer", ""),
        public_network_access=_shared(props.get("publicNetworkAccess") or "Enabled"),
        network_rule_bypass_options=_shared(
            props.get("networkRuleBypassOptions") or "AzureServices"
        ),
        network_rule_set=_network_rule_set_from_arm(props.get("networkRuleSet")),
        private_endpoint_connections=tuple(
            _connection_from_arm(c) for c in props.get("privateEndpointConnections") or ()
        ),
        data_endpoint_enabled=bool(props.get("dataEndpointEnabled")),
        data_endpoint_host_names=tuple(props.get("dataEndpointHostNames") or ()),
        provisioning_state=_shared_or_none(props.get("provisioningState")),
        etag=raw.get("etag"),
        network_rule_bypass_allowed_for_tasks=bool(props.get("networkRuleBypassAllowedForTasks")),
        raw=raw,
        tags=tuple((str(k), str(v)) for k, v in (raw.get("tags") or {}).items()),
    )


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    for option in allowed:
        if option.casefold() == value.strip().casefold():
            return option
    raise InvalidEdit(f"{what} must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True)
class NetworkEdit:
    """A DELTA applied to the freshly read registry, so others' concurrent changes survive."""

    add_virtual_network_rules: tuple[str, ...] = ()  # subnet IDs
    remove_virtual_network_rules: tuple[str, ...] = ()
    add_ip_rules: tuple[str, ...] = ()  # CIDR / IP
    remove_ip_rules: tuple[str, ...] = ()
    default_action: str | None = None  # "Allow"/"Deny"/None = keep
    public_network_access: str | None = None  # "Enabled"/"Disabled"/None = keep
    network_rule_bypass_options: str | None = None  # "AzureServices"/"None"/None = keep
    tasks_bypass: bool | None = None  # networkRuleBypassAllowedForTasks; None = keep

    def validated(self) -> NetworkEdit:
        """This edit with canonical spellings; InvalidEdit (one line) for bad input."""
        for subnet in (*self.add_virtual_network_rules, *self.remove_virtual_network_rules):
            try:
                parse_resource_id(subnet, SUBNET_TYPE)
            except ResourceIdError as error:
                raise InvalidEdit(f"bad virtual network rule: {error}") from None
        for value in self.add_ip_rules:
            try:
                network = ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise InvalidEdit(f"bad IP rule {value!r}: not an IPv4 address or CIDR") from None
            if network.version != 4:
                raise InvalidEdit(f"bad IP rule {value!r}: registry firewalls take IPv4 only")
        return NetworkEdit(
            add_virtual_network_rules=self.add_virtual_network_rules,
            remove_virtual_network_rules=self.remove_virtual_network_rules,
            add_ip_rules=tuple(v.strip() for v in self.add_ip_rules),
            remove_ip_rules=tuple(v.strip() for v in self.remove_ip_rules),
            default_action=_choice(self.default_action, _DEFAULT_ACTIONS, "default action"),
            public_network_access=_choice(
                self.public_network_access, _PUBLIC_ACCESS, "public network access"
            ),
            network_rule_bypass_options=_choice(
                self.network_rule_bypass_options, _BYPASS, "network rule bypass"
            ),
            tasks_bypass=self.tasks_bypass,
        )

    @property
    def is_empty(self) -> bool:
        return self == NetworkEdit()


def _edited_rule_set(raw_registry: Mapping[str, Any], edit: NetworkEdit) -> dict[str, Any]:
    """The whole networkRuleSet to send: the fresh one with ``edit`` applied, nothing else."""
    current = (raw_registry.get("properties") or {}).get("networkRuleSet") or {}
    removed_subnets = {normalize_resource_id(s) for s in edit.remove_virtual_network_rules}
    vnet_rules: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rule in current.get("virtualNetworkRules") or ():
        subnet = _rule_subnet_id(rule)
        if not subnet or normalize_resource_id(subnet) in removed_subnets:
            continue
        seen.add(normalize_resource_id(subnet))
        # Written as virtualNetworkSubnetResourceId, as the Azure CLI does.
        vnet_rules.append(
            {"action": rule.get("action") or "Allow", "virtualNetworkSubnetResourceId": subnet}
        )
    for subnet in edit.add_virtual_network_rules:
        if normalize_resource_id(subnet) not in seen:
            seen.add(normalize_resource_id(subnet))
            vnet_rules.append({"action": "Allow", "virtualNetworkSubnetResourceId": subnet})
    if len(vnet_rules) > MAX_VIRTUAL_NETWORK_RULES:
        raise InvalidEdit(
            f"a registry takes at most {MAX_VIRTUAL_NETWORK_RULES} virtual network rules; "
            f"this edit would make {len(vnet_rules)}"
        )
    removed_ips = {ip_rule_key(v) for v in edit.remove_ip_rules}
    ip_rules = [
        {"action": rule.get("action") or "Allow", "value": rule.get("value")}
        for rule in current.get("ipRules") or ()
        if ip_rule_key(str(rule.get("value", ""))) not in removed_ips
    ]
    present_ips = {ip_rule_key(str(rule["value"])) for rule in ip_rules}
    for value in edit.add_ip_rules:
        if ip_rule_key(value) not in present_ips:
            present_ips.add(ip_rule_key(value))
            ip_rules.append({"action": "Allow", "value": value})
    if len(ip_rules) > MAX_IP_RULES:
        raise InvalidEdit(
            f"a registry takes at most {MAX_IP_RULES} IP rules; this edit would make "
            f"{len(ip_rules)}"
        )
    return {
        "defaultAction": edit.default_action or current.get("defaultAction") or "Allow",
        "virtualNetworkRules": vnet_rules,
        "ipRules": ip_rules,
    }


def _update_body(raw_registry: Mapping[str, Any], edit: NetworkEdit) -> dict[str, Any]:
    properties: dict[str, Any] = {"networkRuleSet": _edited_rule_set(raw_registry, edit)}
    if edit.public_network_access is not None:
        properties["publicNetworkAccess"] = edit.public_network_access
    if edit.network_rule_bypass_options is not None:
        properties["networkRuleBypassOptions"] = edit.network_rule_bypass_options
    if edit.tasks_bypass is not None:
        properties["networkRuleBypassAllowedForTasks"] = edit.tasks_bypass
    return {"properties": properties}


def _network_state(raw_registry: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an edit touches, normalised, to tell whether someone changed it meanwhile."""
    registry = registry_from_arm(raw_registry)
    rules = registry.rules
    return (
        rules.default_action.casefold(),
        frozenset(rule.key for rule in rules.virtual_network_rules),
        frozenset(ip_rule_key(rule.value) for rule in rules.ip_rules),
        registry.public_network_access.casefold(),
        registry.network_rule_bypass_options.casefold(),
        registry.network_rule_bypass_allowed_for_tasks,
    )


def edit_problems(registry: Registry, edit: NetworkEdit) -> list[str]:
    """Every part of ``edit`` that ``registry`` (read back after the write) does not show."""
    rules = registry.rules
    subnets = {rule.key for rule in rules.virtual_network_rules}
    ips = {ip_rule_key(rule.value) for rule in rules.ip_rules}
    added = [normalize_resource_id(s) for s in edit.add_virtual_network_rules]
    removed = [normalize_resource_id(s) for s in edit.remove_virtual_network_rules]
    problems = [f"rule for {s} missing" for s in added if s not in subnets]
    problems += [f"rule for {s} still present" for s in removed if s in subnets]
    missing_ips = [v for v in edit.add_ip_rules if ip_rule_key(v) not in ips]
    kept_ips = [v for v in edit.remove_ip_rules if ip_rule_key(v) in ips]
    problems += [f"IP rule {v} missing" for v in missing_ips]
    problems += [f"IP rule {v} still present" for v in kept_ips]
    checks = (
        (edit.default_action, rules.default_action, "default action"),
        (edit.public_network_access, registry.public_network_access, "public network access"),
        (edit.network_rule_bypass_options, registry.network_rule_bypass_options, "bypass"),
    )
    for wanted, actual, what in checks:
        if wanted is not None and wanted.casefold() != actual.casefold():
            problems.append(f"{what} is {actual}, not {wanted}")
    tasks = registry.network_rule_bypass_allowed_for_tasks
    if edit.tasks_bypass is not None and edit.tasks_bypass != tasks:
        problems.append(f"Tasks bypass is {'on' if tasks else 'off'}, not as asked")
    return problems


class RegistryRuleService:
    """Reads and edits one registry's network rules through the pinned preview API."""

    def __init__(self, clients: AzureClients) -> None:
        self._clients = clients

    async def get_raw(self, registry_id: str) -> dict[str, Any]:
        parsed = _parse_registry_id(registry_id)
        clients = self._clients
        try:
            client = clients.registries(parsed.subscription_id)
            raw = await client.registries.get(parsed.resource_group, parsed.name, cls=raw_json)
        except HttpResponseError as error:
            if not clients.fall_back_on_registry_api(parsed.subscription_id, error):
                raise
            client = clients.registries(parsed.subscription_id)  # now on the fallback version
            raw = await client.registries.get(parsed.resource_group, parsed.name, cls=raw_json)
        return cast("dict[str, Any]", raw)  # the SDK's types don't follow ``cls=``

    async def get(self, registry_id: str) -> Registry:
        raw = await self.get_raw(registry_id)
        return self.annotated(registry_from_arm(raw))

    def annotated(self, registry: Registry) -> Registry:
        """``registry`` with the api-version it was read with (and why, after a fallback)."""
        sub = registry.subscription_id
        return replace(
            registry,
            api_version=self._clients.registry_api_version(sub),
            api_version_note=self._clients.registry_api_note(sub),
        )

    async def apply(
        self,
        registry_id: str,
        edit: NetworkEdit,
        on_write: Callable[[Registry], Awaitable[None]] | None = None,
    ) -> tuple[Registry, Registry]:
        """Apply ``edit`` on top of the current rules; return (before, after), verified.

        ``on_write`` is awaited right before each write is sent, with the state the write is
        built on (the plan executor journals what the write changes before it goes out).

        The rule set is written whole, so a change someone makes between our read and our
        write would be lost: we read again right before writing and rebuild the body when
        the rules moved, and after writing we read back; if the edit doesn't hold (someone
        wrote over us) we apply it again on top of what is there now, a bounded number of
        times, then raise VerificationFailed.
        """
        edit = edit.validated()
        parsed = _parse_registry_id(registry_id)
        before_raw = await self.get_raw(registry_id)  # settles the api-version (fallback)
        client = self._clients.registries(parsed.subscription_id)
        before = self.annotated(registry_from_arm(before_raw))
        if edit.tasks_bypass is not None and (
            self._clients.registry_api_version(parsed.subscription_id)
            == REGISTRY_FALLBACK_API_VERSION
        ):
            raise InvalidEdit(
                f"Azure refused registry API {REGISTRY_API_VERSION} for {parsed.name}'s "
                f"subscription, and {REGISTRY_FALLBACK_API_VERSION} has no Tasks bypass "
                "setting: leave the Tasks bypass as it is"
            )
        if not edit_problems(before, edit):
            # Already as wanted (a resumed or repeated step): write nothing.
            return before, before
        basis = before_raw
        problems: list[str] = []
        for _attempt in range(MAX_ATTEMPTS):
            body = _update_body(basis, edit)
            latest = await self.get_raw(registry_id)
            if _network_state(latest) != _network_state(basis):
                # Someone changed the rules since our read: build on theirs, not over them.
                basis = latest
                body = _update_body(basis, edit)
            if on_write is not None:
                await on_write(registry_from_arm(basis))
            poller = await client.registries.begin_update(
                parsed.resource_group, parsed.name, body, content_type="application/json"
            )
            await poller.result()
            basis = await self.get_raw(registry_id)
            after = self.annotated(registry_from_arm(basis))
            problems = edit_problems(after, edit)
            if not problems:
                return before, after
        raise VerificationFailed(
            f"registry {parsed.name} did not keep the change: {'; '.join(problems)}"
        )


def _parse_registry_id(registry_id: str) -> ResourceId:
    try:
        return parse_resource_id(registry_id, REGISTRY_TYPE)
    except ResourceIdError as error:
        raise AcrfenceError(str(error), code="InvalidResourceId") from None
