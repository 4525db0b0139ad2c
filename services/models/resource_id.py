"""Azure resource IDs: parsing, validation and case-insensitive comparison, as ARM does."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

__all__ = [
    "REGISTRY_TYPE",
    "SUBNET_TYPE",
    "VIRTUAL_NETWORK_TYPE",
    "ResourceId",
    "ResourceIdError",
    "id_segment",
    "is_registry_name",
    "is_subscription_id",
    "parse_resource_id",
    "resource_group_of",
    "same_resource_id",
    "normalize_resource_id",
    "subnet_id",
    "subscription_of",
    "registry_id",
]

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
VIRTUAL_NETWORK_TYPE = "Microsoft.Network/virtualNetworks"

# Always used with fullmatch: `$` would let a trailing newline through.
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# Azure's rule for registry names: 5-50 letters and digits.
_REGISTRY_NAME = re.compile(r"[A-Za-z0-9]{5,50}")
# ARM's own limits: resource group names 1-90 chars of word chars, '-', '.', '(', ')'.
_RESOURCE_GROUP = re.compile(r"[-\w.()]{1,90}")
_NAME = re.compile(r"[-\w.]{1,80}")


class ResourceIdError(ValueError):
    """A string that is not a well-formed Azure resource ID of the expected kind."""


@dataclass(frozen=True)
class ResourceId:
    """A parsed ARM resource ID.

    ``types`` and ``names`` are the type/name pairs after the provider, so a subnet is
    ``types=("virtualNetworks", "subnets")`` and ``names=("vnet", "subnet")``.
    """

    subscription_id: str
    resource_group: str
    provider: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[-1]

    @property
    def full_type(self) -> str:
        return "/".join((self.provider, *self.types))

    def is_type(self, full_type: str) -> bool:
        return self.full_type.casefold() == full_type.casefold()

    def parent(self) -> ResourceId:
        if len(self.types) < 2:
            raise ResourceIdError("a top-level resource has no parent resource")
        return ResourceId(
            self.subscription_id,
            self.resource_group,
            self.provider,
            self.types[:-1],
            self.names[:-1],
        )

    def __str__(self) -> str:
        tail = "/".join(f"{t}/{n}" for t, n in zip(self.types, self.names, strict=True))
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{self.provider}/{tail}"
        )

    @property
    def key(self) -> str:
        """A string that compares equal for IDs ARM considers the same resource."""
        return str(self).casefold()


def parse_resource_id(value: str, expected_type: str | None = None) -> ResourceId:
    """Parse ``value``; raise ResourceIdError with a one-line reason when it is malformed."""
    text = (value or "").strip()
    parts = text.split("/")
    if len(parts) < 9 or parts[0] != "" or any(p == "" for p in parts[1:]):
        raise ResourceIdError(f"not an Azure resource ID: {value!r}")
    if parts[1].casefold() != "subscriptions" or not _GUID.fullmatch(parts[2]):
        raise ResourceIdError(f"resource ID must start /subscriptions/<guid>: {value!r}")
    if parts[3].casefold() != "resourcegroups" or not _RESOURCE_GROUP.fullmatch(parts[4]):
        raise ResourceIdError(f"resource ID lacks a valid /resourceGroups/<name>: {value!r}")
    if parts[5].casefold() != "providers" or "." not in parts[6]:
        raise ResourceIdError(f"resource ID lacks /providers/<Namespace>: {value!r}")
    rest = parts[7:]
    if len(rest) % 2:
        raise ResourceIdError(f"resource ID has a type without a name: {value!r}")
    types = tuple(rest[0::2])
    names = tuple(rest[1::2])
    for name in names:
        if not _NAME.fullmatch(name):
            raise ResourceIdError(f"resource ID has an invalid name {name!r}: {value!r}")
    parsed = ResourceId(parts[2].lower(), parts[4], parts[6], types, names)
    if expected_type and not parsed.is_type(expected_type):
        raise ResourceIdError(f"expected a {expected_type} resource ID, got {parsed.full_type}")
    return parsed


def normalize_resource_id(value: str) -> str:
    """The case-folded form used as a dictionary key."""
    return value.strip().rstrip("/").casefold()


def same_resource_id(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return normalize_resource_id(a) == normalize_resource_id(b)


def subnet_id(subscription_id: str, resource_group: str, vnet: str, subnet: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}"
    )


def registry_id(subscription_id: str, resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.ContainerRegistry/registries/{name}"
    )


def is_subscription_id(text: str) -> bool:
    """A subscription (or tenant) ID: exactly a GUID, nothing before or after."""
    return _GUID.fullmatch(text or "") is not None


def is_registry_name(text: str) -> bool:
    """Whether Azure would accept ``text`` as a registry's name (the whole of it)."""
    return _REGISTRY_NAME.fullmatch(text or "") is not None


def id_segment(resource_id: str, key: str) -> str:
    """The segment after ``key`` (case-insensitive, e.g. "resourceGroups") in ``resource_id``,
    or "" when it has none. Lenient, for IDs Azure itself returned: reading a listing of
    thousands must not fail (or pay for validation) on one odd ID."""
    parts = resource_id.split("/")
    wanted = key.casefold()
    for index, part in enumerate(parts[:-1]):
        if part.casefold() == wanted:
            return parts[index + 1]
    return ""


def subscription_of(resource_id: str) -> str:
    """The subscription an ID Azure returned lives in ("" when it names none)."""
    return sys.intern(id_segment(resource_id, "subscriptions"))


def resource_group_of(resource_id: str) -> str:
    """The resource group an ID Azure returned lives in ("" when it names none)."""
    # Interned (as subscription_of): thousands of resources share a few, and each model kept
    # its own copy (benchmarks/dashboard.py --fleet, peak memory).
    return sys.intern(id_segment(resource_id, "resourceGroups"))
