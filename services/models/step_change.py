"""What a plan step changes, as typed records (one per step kind), journaled as JSON.

A step's ``change`` is the delta the executor applies to a fresh read. The same records say,
in a step's journal record (``StepRecord.applied``), which part of that delta OUR write really
changed: rollback undoes exactly that part (``inverse``), nothing someone else did.

The JSON form keeps the field names the journal always had (the change used to be a plain
dict), so journals written before these types still load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from acrfence.services.models.inventory import ACR_SERVICE_ENDPOINT, ip_rule_key
from acrfence.services.models.migration_change import (
    DnsZoneChange,
    PrivateEndpointChange,
    PrivateLinkVerifyChange,
    ZoneLinkChange,
)
from acrfence.services.models.resource_id import normalize_resource_id

__all__ = [
    "SettingMove",
    "RulesChange",
    "EndpointChange",
    "ProviderChange",
    "VerifyChange",
    "DnsZoneChange",
    "ZoneLinkChange",
    "PrivateEndpointChange",
    "PrivateLinkVerifyChange",
    "StepChange",
    "change_from_json",
    "change_to_json",
    "changes_made",
    "merge_changes",
    "legacy_applied",
]

# The registry settings a rules step may move (names as in services.plans.snapshot's states).
SETTING_NAMES = ("default_action", "public_network_access", "network_rule_bypass_options")


@dataclass(frozen=True)
class SettingMove:
    """Set ``name`` to ``to``; with ``only_if``, only while it still holds that value.

    In a plan, ``only_if`` guards undo steps (someone else moved it since: theirs wins). In a
    journal's ``applied`` record it is the value our write moved the setting FROM.
    """

    name: str
    to: str | bool  # the Tasks bypass is a boolean; the other settings are words
    only_if: str | bool | None = None


def _contains(values: Sequence[str], value: str, key: Any) -> bool:
    return any(key(v) == key(value) for v in values)


def _union(first: Sequence[str], second: Sequence[str], key: Any) -> tuple[str, ...]:
    out = list(first)
    out += [v for v in second if not _contains(out, v, key)]
    return tuple(out)


@dataclass(frozen=True)
class RulesChange:
    """A delta to a registry's network rule set and its two network settings."""

    add_virtual_network_rules: tuple[str, ...] = ()  # subnet IDs
    remove_virtual_network_rules: tuple[str, ...] = ()
    add_ip_rules: tuple[str, ...] = ()  # addresses or CIDR ranges
    remove_ip_rules: tuple[str, ...] = ()
    settings: tuple[SettingMove, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == RulesChange()

    def setting(self, name: str) -> SettingMove | None:
        return next((move for move in self.settings if move.name == name), None)

    def word(self, name: str) -> str | None:
        """Where this moves a worded setting (default action, public access, bypass)."""
        move = self.setting(name)
        return move.to if move is not None and isinstance(move.to, str) else None

    def flag(self, name: str) -> bool | None:
        """Where this moves a boolean setting (the Tasks bypass)."""
        move = self.setting(name)
        return move.to if move is not None and isinstance(move.to, bool) else None

    def inverse(self) -> RulesChange:
        """The delta that takes back exactly this one (settings only while still ours)."""
        return RulesChange(
            add_virtual_network_rules=self.remove_virtual_network_rules,
            remove_virtual_network_rules=self.add_virtual_network_rules,
            add_ip_rules=self.remove_ip_rules,
            remove_ip_rules=self.add_ip_rules,
            settings=tuple(
                SettingMove(m.name, m.only_if, only_if=m.to)
                for m in self.settings
                if m.only_if is not None
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "add_virtual_network_rules": list(self.add_virtual_network_rules),
            "remove_virtual_network_rules": list(self.remove_virtual_network_rules),
            "add_ip_rules": list(self.add_ip_rules),
            "remove_ip_rules": list(self.remove_ip_rules),
            "settings": {m.name: {"to": m.to, "only_if": m.only_if} for m in self.settings},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RulesChange:
        return cls(
            add_virtual_network_rules=tuple(data.get("add_virtual_network_rules") or ()),
            remove_virtual_network_rules=tuple(data.get("remove_virtual_network_rules") or ()),
            add_ip_rules=tuple(data.get("add_ip_rules") or ()),
            remove_ip_rules=tuple(data.get("remove_ip_rules") or ()),
            settings=tuple(
                SettingMove(name, move["to"], move.get("only_if"))
                for name, move in (data.get("settings") or {}).items()
            ),
        )


@dataclass(frozen=True)
class EndpointChange:
    """Add (``enabled``) or remove the Microsoft.ContainerRegistry endpoint on one subnet.

    ``planned_etag`` guards a fresh plan's first attempt; ``registry_id`` and ``rules_before``
    let a removal keep the endpoint when that registry gained a rule needing it meanwhile.
    """

    subnet_id: str
    enabled: bool
    planned_etag: str | None = None
    registry_id: str | None = None
    rules_before: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "subnet_id": self.subnet_id,
            "enabled": self.enabled,
            "planned_etag": self.planned_etag,
        }
        if self.registry_id is not None:
            data["registry_id"] = self.registry_id
            data["rules_before"] = list(self.rules_before)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EndpointChange:
        return cls(
            subnet_id=data["subnet_id"],
            enabled=bool(data["enabled"]),
            planned_etag=data.get("planned_etag"),
            registry_id=data.get("registry_id"),
            rules_before=tuple(data.get("rules_before") or ()),
        )


@dataclass(frozen=True)
class ProviderChange:
    """Register ``namespace`` in a subscription (never undone: others may rely on it)."""

    subscription_id: str
    namespace: str = ACR_SERVICE_ENDPOINT

    def to_json(self) -> dict[str, Any]:
        return {"subscription_id": self.subscription_id, "namespace": self.namespace}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProviderChange:
        return cls(data["subscription_id"], data.get("namespace") or ACR_SERVICE_ENDPOINT)


@dataclass(frozen=True)
class VerifyChange:
    """A verify step changes nothing; it names the subnets it re-reads."""

    subnet_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"subnet_ids": list(self.subnet_ids)} if self.subnet_ids else {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerifyChange:
        return cls(tuple(data.get("subnet_ids") or ()))


StepChange = (
    RulesChange
    | EndpointChange
    | ProviderChange
    | VerifyChange
    | DnsZoneChange
    | ZoneLinkChange
    | PrivateEndpointChange
    | PrivateLinkVerifyChange
)

_BY_KIND: dict[str, Any] = {
    "write-rules": RulesChange,
    "enable-endpoint": EndpointChange,
    "disable-endpoint": EndpointChange,
    "register-provider": ProviderChange,
    "verify": VerifyChange,
    # The migration to a private endpoint (services.plans.migrate): the same record type
    # creates and, undoing, deletes.
    "create-dns-zone": DnsZoneChange,
    "delete-dns-zone": DnsZoneChange,
    "link-dns-zone": ZoneLinkChange,
    "unlink-dns-zone": ZoneLinkChange,
    "create-private-endpoint": PrivateEndpointChange,
    "delete-private-endpoint": PrivateEndpointChange,
    "verify-private-link": PrivateLinkVerifyChange,
    "verify-public-refused": PrivateLinkVerifyChange,
}


def change_from_json(kind: str, data: Mapping[str, Any] | None) -> StepChange:
    """The typed change of a step of ``kind`` (a StepKind value) from its journal JSON."""
    change: StepChange = _BY_KIND[str(kind)].from_json(data or {})
    return change


def change_to_json(change: StepChange) -> dict[str, Any]:
    return change.to_json()


# -- comparing a rules change with a registry state -------------------------------------------


def _vnet_key(value: str) -> str:
    return normalize_resource_id(value)


def changes_made(change: RulesChange, state: Mapping[str, Any]) -> RulesChange:
    """The part of ``change`` that would alter ``state`` (a registry state dict as
    services.plans.snapshot makes): rules it lacks or has, settings not yet at their target,
    each setting recorded with the value it moves FROM (``only_if``)."""
    subnets = list(state.get("virtual_network_rules") or ())
    ips = list(state.get("ip_rules") or ())
    moves = []
    for move in change.settings:
        now = state.get(move.name)
        if now is not None and now != move.to:
            moves.append(SettingMove(move.name, move.to, only_if=now))
    return RulesChange(
        add_virtual_network_rules=tuple(
            s for s in change.add_virtual_network_rules if not _contains(subnets, s, _vnet_key)
        ),
        remove_virtual_network_rules=tuple(
            s for s in change.remove_virtual_network_rules if _contains(subnets, s, _vnet_key)
        ),
        add_ip_rules=tuple(v for v in change.add_ip_rules if not _contains(ips, v, ip_rule_key)),
        remove_ip_rules=tuple(v for v in change.remove_ip_rules if _contains(ips, v, ip_rule_key)),
        settings=tuple(moves),
    )


def merge_changes(earlier: StepChange | None, later: StepChange | None) -> StepChange | None:
    """What two attempts of one step changed together (a resumed step adds to what its
    earlier, possibly landed, attempt changed). A setting keeps the value it was first moved
    from; a rule added then removed again by the same step can't happen (steps are one-way)."""
    if earlier is None:
        return later
    if later is None:
        return earlier
    if isinstance(earlier, RulesChange) and isinstance(later, RulesChange):
        later_moves = {m.name: m for m in later.settings}
        moves = [
            replace(m, to=later_moves.pop(m.name).to) if m.name in later_moves else m
            for m in earlier.settings
        ]
        moves += later_moves.values()
        return RulesChange(
            add_virtual_network_rules=_union(
                earlier.add_virtual_network_rules, later.add_virtual_network_rules, _vnet_key
            ),
            remove_virtual_network_rules=_union(
                earlier.remove_virtual_network_rules, later.remove_virtual_network_rules, _vnet_key
            ),
            add_ip_rules=_union(earlier.add_ip_rules, later.add_ip_rules, ip_rule_key),
            remove_ip_rules=_union(earlier.remove_ip_rules, later.remove_ip_rules, ip_rule_key),
            settings=tuple(m for m in moves if m.only_if != m.to),
        )
    return earlier  # endpoint and provider steps change one thing, one way


def legacy_applied(
    change: StepChange,
    status: str,
    replaced: Mapping[str, Any] | None,
    before: Mapping[str, Any],
) -> StepChange | None:
    """For a journal written before ``applied`` existed: what the step changed, derived from
    the state it replaced (or the plan's before) as rollback used to."""
    if status not in ("done", "applying", "failed"):
        return None
    state = replaced if replaced is not None else before
    if isinstance(change, RulesChange):
        made = changes_made(change, state)
        return None if made.is_empty else made
    if isinstance(change, EndpointChange):
        had = any(
            s.casefold() == ACR_SERVICE_ENDPOINT.casefold()
            for s in state.get("service_endpoints") or ()
        )
        return None if had == change.enabled else EndpointChange(change.subnet_id, change.enabled)
    if isinstance(change, ProviderChange) and status == "done":
        return change
    return None
