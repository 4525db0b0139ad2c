"""The probe that ends a lockdown or restore: from each vantage that proves the change (this
machine, and in the demo the chosen subnets), it keeps trying while a new rule reaches the data
plane, with a visible countdown per vantage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from acrfence.services.models import Registry

if TYPE_CHECKING:
    from acrfence.tui.app import AppServices

__all__ = ["PROBE_INTERVAL_SECONDS", "PROBE_WAIT_SECONDS", "ProbeTarget", "probe_targets_until"]

# New rules can take minutes to reach ACR's data plane: keep probing this long.
PROBE_WAIT_SECONDS = 300.0
PROBE_INTERVAL_SECONDS = 3.0


@dataclass(frozen=True)
class ProbeTarget:
    """Probe ``registry`` from ``source`` (None: this machine) and expect to get in or not."""

    registry: Registry
    source: str | None
    expect_reachable: bool
    where: str  # "this machine", "subnet app-vnet/docker (10.1.0.4)"

    @property
    def key(self) -> str:
        return self.source or "here"


def countdown(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


async def probe_targets_until(
    services: AppServices,
    targets: list[ProbeTarget],
    report: Callable[[ProbeTarget, str, bool], None],
    wait_seconds: float = PROBE_WAIT_SECONDS,
    interval: float = PROBE_INTERVAL_SECONDS,
) -> None:
    """Probe every target concurrently until each matches or time runs out; ``report(target,
    line, done)`` gets one line per round per target."""
    await asyncio.gather(*(_one(services, t, report, wait_seconds, interval) for t in targets))


async def _one(
    services: AppServices,
    target: ProbeTarget,
    report: Callable[[ProbeTarget, str, bool], None],
    wait_seconds: float,
    interval: float,
) -> None:
    from acrfence.services.models import ProbeExpectation
    from acrfence.services.probe.options import StageTimeouts
    from acrfence.services.probe.runner import ProbeRunner
    from acrfence.services.probe.watch import probe_until
    from acrfence.services.probe.wording import verdict_words
    from acrfence.tui.screens.probe_setup import setup_from_services

    options = replace(
        setup_from_services(services).options(),
        timeouts=StageTimeouts.uniform(5.0),
        source_address=target.source,
    )
    expectation = ProbeExpectation.REACHABLE if target.expect_reachable else ProbeExpectation.DENIED
    started = time.monotonic()
    report(target, f"from {target.where}: probing, expecting {expectation}…", False)

    def on_round(results: list[Any], left: float) -> None:
        verdict = verdict_words(results[0].verdict) if results else "?"
        if results and results[0].matches(expectation):
            return  # the final line says it
        report(
            target,
            f"from {target.where}: {verdict}, waiting for {expectation} "
            f"({int(time.monotonic() - started)} s in, {countdown(left)} left)",
            False,
        )

    results = await probe_until(
        ProbeRunner(options),
        [target.registry],
        expectation,
        wait_seconds,
        interval=interval,
        on_round=on_round,
    )
    final = results[0] if results else None
    if final is not None and final.matches(expectation):
        report(target, f"✓ from {target.where}: {verdict_words(final.verdict)}, as expected", True)
    else:
        verdict = verdict_words(final.verdict) if final else "no answer"
        report(
            target,
            f"✗ from {target.where}: still {verdict} after {int(wait_seconds)} s "
            f"(expected {expectation})",
            True,
        )
