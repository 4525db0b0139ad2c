"""Redact a tenant snapshot: new names for subscriptions, resource groups, registries and
networks, applied consistently everywhere they appear; the address plan is kept.

Every resource ID in the document is rewritten segment by segment (a subscription GUID, a
resource group, each `type/name` pair), and the same original always gets the same new name,
so a rule still points at its subnet, a private endpoint connection at its endpoint, and a
registry's login server at its new name. Names are numbered per kind in the order they are
met (`registry001`, `vnet-1`, `subnet-1`, `group-1`...), so the same snapshot redacts the same
way every time. What could still identify the tenant goes: display names, the tenant ID, tags,
`systemData` (who created what) and free-text descriptions. Addresses stay: prefixes, IP rules.

Private link follows the same renaming: a registry's private DNS zone keeps its public name
(`privatelink.azurecr.io`), but its record sets, the private endpoints' `customDnsConfigs`
and the zone groups' record sets name the registry (`<registry>[.<region>.data]`), so those
names take the registry's new name; the emulator's keyed maps (`links`, `zoneGroups`,
`records`) are keyed again by the new names.
"""

from __future__ import annotations

import copy
from typing import Any

from acrfence.services.models.resource_id import is_subscription_id

__all__ = ["Redactor", "redact_snapshot"]

_REDACTED_TENANT = "00000000-0000-4000-8000-000000000000"
# New-name stems per resource type (lower-cased); anything else gets its type as the stem.
_STEMS = {
    "registries": "registry",
    "virtualnetworks": "vnet-",
    "subnets": "subnet-",
    "networksecuritygroups": "nsg-",
    "routetables": "routes-",
    "privateendpoints": "endpoint-",
    "privateendpointconnections": "connection-",
    "networkinterfaces": "nic-",
    "delegations": "delegation-",
}
_DROPPED_KEYS = ("tags", "systemData", "description")
# Names public in every tenant, kept as they are.
_KEPT_KINDS = ("privatednszones",)
# Record set types: their names are host names relative to the zone (`<registry>...`).
_RECORD_KINDS = ("a", "aaaa", "cname", "mx", "ptr", "soa", "srv", "txt")
# Keys whose string values are host names (a private endpoint's and a record set's names).
_HOST_KEYS = ("loginServer", "dataEndpointHostNames", "fqdn", "recordSetName", "cname")


class Redactor:
    """Remembers every renaming, so one original always maps to one new name."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, str] = {}
        self.names: dict[tuple[str, ...], str] = {}  # (scope..., type, name) lower -> new
        self.registry_names: dict[str, str] = {}  # old registry name lower -> new
        self._counters: dict[str, int] = {}

    def _next(self, kind: str) -> int:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    def subscription(self, subscription_id: str) -> str:
        key = subscription_id.casefold()
        if key not in self.subscriptions:
            n = self._next("subscription")
            self.subscriptions[key] = f"00000000-0000-4000-8000-{n:012d}"
        return self.subscriptions[key]

    def _name(self, scope: tuple[str, ...], kind: str, name: str) -> str:
        if kind.casefold() in _KEPT_KINDS:
            return name
        if kind.casefold() in _RECORD_KINDS and "privatednszones" in scope:
            return self.host_name(name)
        key = (*scope, kind.casefold(), name.casefold())
        if key not in self.names:
            stem = _STEMS.get(kind.casefold(), kind.casefold() + "-")
            number = self._next(kind.casefold())
            new = f"{stem}{number:03d}" if stem == "registry" else f"{stem}{number}"
            self.names[key] = new
            if kind.casefold() == "registries":
                self.registry_names[name.casefold()] = new
        return self.names[key]

    def resource_id(self, resource_id: str) -> str:
        """`/subscriptions/S/resourceGroups/G/providers/NS/type/name[/type/name...]`, renamed."""
        parts = resource_id.split("/")
        if len(parts) < 3 or parts[1].casefold() != "subscriptions":
            return resource_id
        out = ["", parts[1], self.subscription(parts[2])]
        scope: tuple[str, ...] = (parts[2].casefold(),)
        i = 3
        while i < len(parts):
            segment = parts[i]
            if segment.casefold() == "resourcegroups" and i + 1 < len(parts):
                new = self._name(scope, "group", parts[i + 1])
                scope = (*scope, "group", parts[i + 1].casefold())
                out += [segment, new]
                i += 2
            elif segment.casefold() == "providers" and i + 1 < len(parts):
                out += [segment, parts[i + 1]]  # the namespace stays
                i += 2
            elif i + 1 < len(parts):
                new = self._name(scope, segment, parts[i + 1])
                scope = (*scope, segment.casefold(), parts[i + 1].casefold())
                out += [segment, new]
                i += 2
            else:
                out.append(segment)
                i += 1
        return "/".join(out)

    def host_name(self, host: str) -> str:
        """`<registry>.azurecr.io` or `<registry>.<region>.data.azurecr.io`, renamed."""
        first, dot, rest = host.partition(".")
        new = self.registry_names.get(first.casefold())
        return f"{new}{dot}{rest}" if new else host

    def redact(self, document: dict[str, Any]) -> dict[str, Any]:
        result = copy.deepcopy(document)
        # Subscriptions first (numbered in their listed order), then registries: their names
        # must be known before login servers are rewritten.
        for subscription in result.get("subscriptions", []):
            self.subscription(subscription["subscriptionId"])
        for registry in result.get("registries", []):
            self.resource_id(registry["id"])
        result = dict(self._walk(result))
        for number, subscription in enumerate(result.get("subscriptions", []), start=1):
            subscription["displayName"] = f"Subscription {number}"
            if "tenantId" in subscription:
                subscription["tenantId"] = _REDACTED_TENANT
        return result

    def _walk(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            out = {k: self._walk(v, k) for k, v in value.items() if k not in _DROPPED_KEYS}
            if isinstance(out.get("id"), str) and "name" in out and out["id"].startswith("/"):
                out["name"] = out["id"].rsplit("/", 1)[-1]  # a resource's name ends its ID
            if key in ("replications", "repositories"):  # keyed by registry ID
                return {self.resource_id(k): v for k, v in out.items()}
            if key in ("links", "zoneGroups", "records"):
                # The emulator's maps, keyed by name (records by `type/name`): keyed anew.
                return {_stored_key(key, item): item for item in out.values()}
            return out
        if isinstance(value, list):
            return [self._walk(item, key) for item in value]
        if isinstance(value, str):
            if value.startswith("/subscriptions/"):
                return self.resource_id(value)
            if key in _HOST_KEYS:
                return self.host_name(value)
            if key == "subscriptionId" and is_subscription_id(value):
                return self.subscription(value)
        return value


def _stored_key(kind: str, item: dict[str, Any]) -> str:
    name = str(item.get("name") or "").lower()
    if kind == "records":
        return f"{str(item.get('type') or '').rsplit('/', 1)[-1].lower()}/{name}"
    return name


def redact_snapshot(document: dict[str, Any]) -> tuple[dict[str, Any], Redactor]:
    """The redacted document, and the redactor that holds the renaming (never written out)."""
    redactor = Redactor()
    return redactor.redact(document), redactor
