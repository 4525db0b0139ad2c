"""What a migration step changes: the private DNS zone, its links, the private endpoint, and
what the verification checks. Typed records, journaled as JSON (see ``step_change``).

A create step's journal ``applied`` is its own change record: "this run created that" (or may
have: the write was in flight when the process died). Rollback deletes exactly those and
nothing else: a zone, link or endpoint the run found already there is never in ``applied``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DnsZoneChange",
    "ZoneLinkChange",
    "PrivateEndpointChange",
    "PrivateLinkVerifyChange",
]


@dataclass(frozen=True)
class DnsZoneChange:
    """Create (or, undoing, delete) the private DNS zone ``zone_id``."""

    zone_id: str

    def to_json(self) -> dict[str, Any]:
        return {"zone_id": self.zone_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DnsZoneChange:
        return cls(data["zone_id"])


@dataclass(frozen=True)
class ZoneLinkChange:
    """Link (or unlink) ``zone_id`` and one virtual network, as link ``link_name``."""

    zone_id: str
    virtual_network_id: str
    link_name: str

    @property
    def link_id(self) -> str:
        return f"{self.zone_id}/virtualNetworkLinks/{self.link_name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "zone_id": self.zone_id,
            "virtual_network_id": self.virtual_network_id,
            "link_name": self.link_name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ZoneLinkChange:
        return cls(data["zone_id"], data["virtual_network_id"], data["link_name"])


@dataclass(frozen=True)
class PrivateEndpointChange:
    """Create (or delete) private endpoint ``endpoint_id`` in ``subnet_id`` to the registry,
    with a DNS zone group on ``zone_id`` (the A records), its connection approved.

    ``fqdns`` are the names it must answer for: the login server and every data endpoint
    (one per region the registry is replicated to).
    """

    endpoint_id: str
    subnet_id: str
    registry_id: str
    zone_id: str
    location: str = ""
    zone_group_name: str = "default"
    fqdns: tuple[str, ...] = ()
    # The registry's dedicated data endpoints before the run (a private endpoint turns them
    # on): rollback turns them off again when they were off and no other endpoint remains.
    data_endpoint_was_enabled: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "data_endpoint_was_enabled": self.data_endpoint_was_enabled,
            "endpoint_id": self.endpoint_id,
            "subnet_id": self.subnet_id,
            "registry_id": self.registry_id,
            "zone_id": self.zone_id,
            "location": self.location,
            "zone_group_name": self.zone_group_name,
            "fqdns": list(self.fqdns),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PrivateEndpointChange:
        return cls(
            endpoint_id=data["endpoint_id"],
            subnet_id=data["subnet_id"],
            registry_id=data["registry_id"],
            zone_id=data["zone_id"],
            location=data.get("location") or "",
            zone_group_name=data.get("zone_group_name") or "default",
            fqdns=tuple(data.get("fqdns") or ()),
            data_endpoint_was_enabled=data.get("data_endpoint_was_enabled"),
        )


@dataclass(frozen=True)
class PrivateLinkVerifyChange:
    """Verification (changes nothing): every name in ``fqdns`` answers with the endpoint's
    private IP from every network in ``network_ids``; with ``public_refused``, the internet
    is refused."""

    registry_id: str
    endpoint_id: str = ""
    zone_id: str = ""
    network_ids: tuple[str, ...] = ()
    fqdns: tuple[str, ...] = ()
    public_refused: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "registry_id": self.registry_id,
            "endpoint_id": self.endpoint_id,
            "zone_id": self.zone_id,
            "network_ids": list(self.network_ids),
            "fqdns": list(self.fqdns),
            "public_refused": self.public_refused,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PrivateLinkVerifyChange:
        return cls(
            registry_id=data.get("registry_id") or "",
            endpoint_id=data.get("endpoint_id") or "",
            zone_id=data.get("zone_id") or "",
            network_ids=tuple(data.get("network_ids") or ()),
            fqdns=tuple(data.get("fqdns") or ()),
            public_refused=bool(data.get("public_refused")),
        )
