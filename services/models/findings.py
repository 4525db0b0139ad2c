"""What analysis says about an inventory: findings, effective access, reach and expectations.

These are plain results of the pure functions in ``services.analysis``; widgets render them
and the probe uses ``Expectation`` to explain its verdict.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from acrfence.services.models.peers import PeerVerdict
from acrfence.services.models.rebuilt_fields import id_of_the_model_held

__all__ = [
    "Severity",
    "Finding",
    "AccessSummary",
    "SubnetReach",
    "Expectation",
]


class Severity(StrEnum):
    ERROR = "error"  # something is broken now: a lockout, a rule Azure refuses, no way in
    WARNING = "warning"  # a setting that does not do what it looks like it does
    INFO = "info"  # worth knowing; often intended

    @property
    def rank(self) -> int:
        """Sort key: errors first."""
        return _RANKS[self]


_RANKS = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


# Slotted: the fleet tenant has ~100,000 findings, and a __dict__ each cost ~10 MB. Its own
# __init__: the dataclass's set the title and IDs through their properties (below), a Python
# call each, which doubled what a finding cost to make (1.5 -> 3 µs; ~100,000 per fleet read).
@dataclass(frozen=True, slots=True, init=False)
class Finding:
    code: str  # stable kebab-case id, e.g. "rule-subnet-missing-endpoint"
    severity: Severity
    title: str  # one line, plain words
    detail: str  # why it matters + what to do
    registry_id: str | None = None
    subnet_id: str | None = None
    # The other auditors' checks this finding answers, with their verdicts on this registry
    # (attached by services.analysis.peers; empty for findings no peer tool looks at).
    peers: tuple[PeerVerdict, ...] = ()
    # The title is kept without the name of the resource it starts with (see ``about``).
    _title_named: bool = field(default=False, init=False, repr=False, compare=False)

    def __init__(
        self,
        code: str,
        severity: Severity,
        title: str,
        detail: str,
        registry_id: str | None = None,
        subnet_id: str | None = None,
        peers: tuple[PeerVerdict, ...] = (),
    ) -> None:
        set_slot = object.__setattr__
        set_slot(self, "code", code)
        set_slot(self, "severity", severity)
        _TITLE_SLOT.__set__(self, title)
        # Most details name no resource (or only the tier, the count of rules...), so tens of
        # thousands of findings share a few texts: interned, each is kept once instead of once
        # per finding (~11 MB of the fleet tenant's 25,000 "registry-open" alone).
        set_slot(self, "detail", sys.intern(detail))
        _REGISTRY_SLOT.__set__(self, registry_id)
        _SUBNET_SLOT.__set__(self, subnet_id)
        set_slot(self, "peers", peers)
        set_slot(self, "_title_named", False)

    @classmethod
    def about(
        cls,
        code: str,
        severity: Severity,
        title: str,
        detail: str,
        *,
        registry: _Registry | None = None,
        subnet: _Subnet | None = None,
        subnet_id: str | None = None,
    ) -> Finding:
        """A finding naming ``registry`` (and ``subnet``, or ``subnet_id``) by holding the
        model itself: its ``registry_id`` and ``subnet_id`` read as the models' IDs, which
        they rebuild when read (services.models.rebuilt_fields) instead of keeping a copy.

        A title that starts with the resource's name (``registry: ...``, ``vnet/subnet:
        ...``) keeps only the rest, shared by every finding saying the same of another
        resource, and reads whole as before: 72,000 titles, each with its own name, were
        ~11 MB of the fleet tenant's findings."""
        finding = cls(code, severity, title, detail, subnet_id=subnet_id)
        if registry is not None:
            _hold_registry(finding, registry)
        if subnet is not None:
            _hold_subnet(finding, subnet)
        named = registry.name if registry is not None else subnet.label if subnet else ""
        if named and title.startswith(named) and title[len(named) : len(named) + 2] == ": ":
            _TITLE_SLOT.__set__(finding, sys.intern(title[len(named) + 2 :]))
            _NAMED_SLOT.__set__(finding, True)
        return finding

    def __reduce__(self) -> tuple[type[Finding], tuple[Any, ...]]:
        # Copied or pickled through the constructor, with its title whole: the slots' own
        # state (a title kept without its name) means nothing without the models held.
        fields = (self.registry_id, self.subnet_id, self.peers)
        return Finding, (self.code, self.severity, self.title, self.detail, *fields)

    def with_peers(self, peers: tuple[PeerVerdict, ...]) -> Finding:
        """This finding with ``peers`` attached, still holding the models it names."""
        finding = Finding(self.code, self.severity, self.title, self.detail, peers=peers)
        for slot in (_REGISTRY_SLOT, _SUBNET_SLOT, _TITLE_SLOT, _NAMED_SLOT):
            slot.__set__(finding, slot.__get__(self, Finding))
        return finding


class _Registry(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


class _Subnet(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str: ...


# The slots' own descriptors, before the properties below take their names on the class.
_REGISTRY_SLOT: Any = Finding.__dict__["registry_id"]
_SUBNET_SLOT: Any = Finding.__dict__["subnet_id"]
_TITLE_SLOT: Any = Finding.__dict__["title"]
_NAMED_SLOT: Any = Finding.__dict__["_title_named"]
_hold_registry = id_of_the_model_held(Finding, "registry_id")
_hold_subnet = id_of_the_model_held(Finding, "subnet_id")


def _title(finding: Finding) -> str:
    title: str = _TITLE_SLOT.__get__(finding, Finding)
    if not _NAMED_SLOT.__get__(finding, Finding):
        return title
    registry = _REGISTRY_SLOT.__get__(finding, Finding)
    if registry is not None and type(registry) is not str:
        return f"{registry.name}: {title}"
    return f"{_SUBNET_SLOT.__get__(finding, Finding).label}: {title}"


def _set_title(finding: Finding, title: str) -> None:  # the dataclass's __init__ sets it so
    _TITLE_SLOT.__set__(finding, title)


Finding.title = property(_title, _set_title, doc="Finding.title, whole")  # type: ignore[misc,assignment]


@dataclass(frozen=True)
class AccessSummary:
    """A registry's data-plane firewall in words, and the sources that really get in."""

    # e.g. "Deny by default; reachable from myDockerVMVNET/myDockerVMSubnet and 1 IP range"
    headline: str
    lines: tuple[str, ...]  # one sentence per rule or fact, incl. "this rule does nothing ..."
    open_to_internet: bool
    allowed_subnet_ids: tuple[str, ...]  # subnets that really get in (rule + endpoint)
    allowed_ip_ranges: tuple[str, ...]  # public ranges in CIDR form that the firewall admits


@dataclass(frozen=True)
class SubnetReach:
    """From one subnet, whether its hosts get through one registry's firewall, and why."""

    registry_id: str
    registry_name: str
    reachable: bool
    reason: str


@dataclass(frozen=True)
class Expectation:
    """What ACR's firewall should answer a caller, derived from the registry's configuration.

    ``certain`` is False when the answer hinges on something the configuration can't tell
    (the caller's public IP is unknown, or its subnet could not be read); ``allowed`` is then
    the answer the known facts lean to.
    """

    allowed: bool
    reason: str  # "default action Deny, client IP 203.0.113.10 matches no IP rule, ..."
    decided_by: str  # stable id: "default-allow", "ip-rule", "subnet-rule", "no-matching-rule"...
    certain: bool = True
    matched_rule: str | None = None  # the IP range or subnet ID that let the caller in
