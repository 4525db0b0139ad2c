"""What analysis says about an inventory: findings, effective access, reach and expectations.

These are plain results of the pure functions in ``services.analysis``; widgets render them
and the probe uses ``Expectation`` to explain its verdict.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum

from acrfence.services.models.peers import PeerVerdict

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


# Slotted: the fleet tenant has ~100,000 findings, and a __dict__ each cost ~10 MB.
@dataclass(frozen=True, slots=True)
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

    def __post_init__(self) -> None:
        # Most details name no resource (or only the tier, the count of rules...), so tens of
        # thousands of findings share a few texts: interned, each is kept once instead of once
        # per finding (~11 MB of the fleet tenant's 25,000 "registry-open" alone).
        object.__setattr__(self, "detail", sys.intern(self.detail))


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
