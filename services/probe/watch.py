"""Probe again and again until every verdict matches what is expected, or time runs out.

Rules take minutes to reach ACR's data plane after a write; ``--wait`` turns a CI smoke
test from "flaky right after a lockdown" into "passes as soon as the rule is in force".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from acrfence.services.models import ProbeExpectation, ProbeResult, Registry
from acrfence.services.probe.runner import ProbeRunner

__all__ = ["probe_until"]

# Called after each round with the results and the seconds left (never negative).
RoundListener = Callable[[list[ProbeResult], float], None]


async def probe_until(
    runner: ProbeRunner,
    registries: Sequence[Registry],
    expectation: ProbeExpectation,
    wait_seconds: float,
    *,
    interval: float = 2.0,
    on_round: RoundListener | None = None,
) -> list[ProbeResult]:
    """The last round's results: all matching, or the ones at the deadline."""
    deadline = time.monotonic() + max(0.0, wait_seconds)
    pending = list(registries)
    latest: dict[str, ProbeResult] = {}
    while True:
        # Registries that already match are not probed again: the answer only moves one way
        # while a rule propagates, and it keeps the rounds short.
        for result in await runner.probe_many(pending):
            latest[result.registry_id or result.registry_name] = result
        results = [latest[r.id or r.name] for r in registries]
        left = max(0.0, deadline - time.monotonic())
        if on_round is not None:
            on_round(results, left)
        pending = [
            r for r, res in zip(registries, results, strict=True) if not res.matches(expectation)
        ]
        if not pending or left <= 0:
            return results
        await asyncio.sleep(min(interval, left))
