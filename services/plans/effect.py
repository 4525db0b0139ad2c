"""Is a finished run in effect? The data plane's answer, not only the configuration's.

A run that wrote the right rules is "applied"; it is "verified" only once ACR's data plane
agrees: from this machine and from every subnet the run names that this machine can stand in
for (the demo's vantages), the probe gets the answer the rules now predict: the locked-in
subnets get in, the internet is refused. New rules take minutes to reach the data plane, so
each vantage is probed again until it agrees or the propagation wait runs out.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from acrfence.services.analysis import expected_access
from acrfence.services.models import (
    Inventory,
    ProbeExpectation,
    ProbeResult,
    Registry,
    RulesChange,
    RunRecord,
    StepKind,
    Subnet,
    VirtualNetwork,
    normalize_resource_id,
)
from acrfence.services.probe.options import ProbeOptions, StageTimeouts
from acrfence.services.probe.runner import ProbeRunner
from acrfence.services.probe.wording import verdict_words

__all__ = [
    "PROPAGATION_WAIT_SECONDS",
    "VANTAGES_VARIABLE",
    "EffectCheck",
    "VantageOutcome",
    "check_effect",
    "run_subnet_ids",
    "vantages_from_env",
]

# New rules can take minutes to reach ACR's data plane.
PROPAGATION_WAIT_SECONDS = 300.0
PROBE_INTERVAL_SECONDS = 3.0
# JSON {subnet resource ID: source address}: addresses this machine can send from to be
# "inside" a subnet. `acrfence --demo` sets it from the emulator's vantages.
VANTAGES_VARIABLE = "ACRFENCE_VANTAGES"

LineListener = Callable[[str], None]


@dataclass(frozen=True)
class VantageOutcome:
    where: str  # "this machine", "myDockerVMVNET/myDockerVMSubnet (127.0.1.1)"
    expected: ProbeExpectation
    seen: str  # the verdict in words, or why there was no answer
    agrees: bool

    @property
    def line(self) -> str:
        if self.agrees:
            return f"from {self.where}: {self.seen}, as the rules now say"
        return f"from {self.where}: {self.seen}, expected {self.expected}"

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "expected": str(self.expected),
            "seen": self.seen,
            "agrees": self.agrees,
        }


@dataclass(frozen=True)
class EffectCheck:
    outcomes: tuple[VantageOutcome, ...]
    unchecked: tuple[str, ...] = ()  # vantages the rules or this machine can't speak for
    waited_seconds: float = 0.0

    @property
    def effective(self) -> bool:
        return all(outcome.agrees for outcome in self.outcomes)

    @property
    def summary(self) -> str:
        parts = [outcome.line for outcome in self.outcomes] + list(self.unchecked)
        return "; ".join(parts) or "no vantage to probe from"

    def to_json(self) -> dict[str, Any]:
        return {
            "effective": self.effective,
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            "unchecked": list(self.unchecked),
            "waited_seconds": round(self.waited_seconds, 1),
        }


def vantages_from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """{lower-cased subnet ID: source address} from ACRFENCE_VANTAGES; {} when unset or bad."""
    env = os.environ if env is None else env
    try:
        raw = json.loads(env.get(VANTAGES_VARIABLE) or "{}")
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return subnet_vantages(raw)


def subnet_vantages(raw: Mapping[Any, Any]) -> dict[str, str]:
    """{lower-cased subnet ID: source address} of a vantage map (the demo's, or
    ACRFENCE_VANTAGES'), without its non-subnet entries ("internet")."""
    return {normalize_resource_id(str(k)): str(v) for k, v in raw.items() if str(k).startswith("/")}


def run_subnet_ids(run: RunRecord) -> list[str]:
    """Every subnet the run's plan names: endpoint steps and rules added or removed."""
    seen: dict[str, str] = {}
    for step in run.plan.steps:
        if step.kind in (StepKind.ENABLE_ENDPOINT, StepKind.DISABLE_ENDPOINT):
            seen.setdefault(normalize_resource_id(step.target), step.target)
        elif step.kind is StepKind.WRITE_RULES and isinstance(step.change, RulesChange):
            change = step.change
            for subnet_id in (
                *change.add_virtual_network_rules,
                *change.remove_virtual_network_rules,
            ):
                seen.setdefault(normalize_resource_id(subnet_id), subnet_id)
    return list(seen.values())


def _inventory_of(registry: Registry, subnets: list[Subnet]) -> Inventory:
    """Just enough of a tenant for the rules to judge these vantages."""
    vnets = tuple(
        VirtualNetwork(
            id=s.virtual_network_id,
            name=s.virtual_network_name,
            resource_group=s.resource_group,
            subscription_id=s.subscription_id,
            location=registry.location,
            subnets=(s,),
        )
        for s in subnets
    )
    return Inventory(registries=(registry,), virtual_networks=vnets)


@dataclass(frozen=True)
class _Target:
    where: str
    source: str | None
    expected: ProbeExpectation


def _targets(
    registry: Registry,
    subnets: list[Subnet],
    public_ip: str | None,
    vantages: Mapping[str, str],
) -> tuple[list[_Target], list[str]]:
    inventory = _inventory_of(registry, subnets)
    targets: list[_Target] = []
    unchecked: list[str] = []
    here = expected_access(registry, inventory, public_ip=public_ip, subnet_id=None)
    if here.certain:
        expected = ProbeExpectation.REACHABLE if here.allowed else ProbeExpectation.DENIED
        # Without its public IP, this machine is assumed to be outside the locked-in subnets;
        # the line says so, in case it is inside one (then "reachable" is right).
        where = "this machine" if public_ip else "this machine (public IP unknown)"
        targets.append(_Target(where, None, expected))
    else:
        unchecked.append(f"this machine not checked ({here.reason})")
    for subnet in subnets:
        source = vantages.get(subnet.key)
        if source is None:
            unchecked.append(f"{subnet.label} not probed (this machine can't send from it)")
            continue
        rule = expected_access(registry, inventory, public_ip=None, subnet_id=subnet.id)
        expected = ProbeExpectation.REACHABLE if rule.allowed else ProbeExpectation.DENIED
        targets.append(_Target(f"{subnet.label} ({source})", source, expected))
    return targets, unchecked


def _agrees(result: ProbeResult, expected: ProbeExpectation) -> bool:
    return result.matches(expected)


def _firewall_answered(result: ProbeResult) -> bool:
    return result.verdict.network_allowed or result.verdict.network_refused


async def check_effect(
    registry: Registry,
    subnets: list[Subnet],
    *,
    public_ip: str | None,
    vantages: Mapping[str, str],
    target: Any,
    wait_seconds: float = PROPAGATION_WAIT_SECONDS,
    interval: float = PROBE_INTERVAL_SECONDS,
    on_line: LineListener | None = None,
) -> EffectCheck:
    """Probe ``registry`` (as read after the run) from each vantage until it answers as its
    rules say, or ``wait_seconds`` pass; ``target`` gives the data plane's connect-to and CA."""
    targets, unchecked = _targets(registry, subnets, public_ip, vantages)
    started = time.monotonic()
    deadline = started + max(0.0, wait_seconds)

    async def one(item: _Target) -> VantageOutcome:
        options = ProbeOptions(
            timeouts=StageTimeouts.uniform(5.0),
            connect_to=tuple(getattr(target, "connect_to", None) or ()),
            ca_cert=getattr(target, "ca_cert", None),
            source_address=item.source,
        )
        runner = ProbeRunner(options)
        while True:
            result = await runner.probe(registry)
            seen = verdict_words(result.verdict)
            if _agrees(result, item.expected):
                return VantageOutcome(item.where, item.expected, seen, True)
            left = deadline - time.monotonic()
            if not _firewall_answered(result):
                # No answer from ACR's firewall (DNS, TCP, TLS...): waiting for a rule to
                # propagate can't change that.
                return VantageOutcome(item.where, item.expected, f"{seen}: {result.detail}", False)
            if left <= 0:
                return VantageOutcome(item.where, item.expected, seen, False)
            if on_line is not None:
                on_line(
                    f"from {item.where}: {seen}, waiting for {item.expected} "
                    f"({int(time.monotonic() - started)} s in, {int(left)} s left)"
                )
            await asyncio.sleep(min(interval, left))

    outcomes = await asyncio.gather(*(one(t) for t in targets))
    return EffectCheck(tuple(outcomes), tuple(unchecked), time.monotonic() - started)
