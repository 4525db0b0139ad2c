"""How long the migration of mycontainerregistry to a private endpoint takes (plan, apply with
its verification, rollback) at a given ARM latency, against the critical path of dependent
calls: the requests that had to wait for one another (reads, writes, long-running-operation
polls) times the latency; and the time no request was in flight (the SDK's polling interval
between an operation's polls, one second as the command polls, and acrfence's own work).

    .venv/bin/python benchmarks/migrate.py [--latency-ms 50] [--rounds 3]

The emulator is asked, for each request, how much latency to add: the benchmark notes each
such question (method, path, when) to count requests, polls, and sequential rounds (requests
that start within one latency of a round's first overlap it: concurrent reads count once).
The session is the real one (`PlanSession.for_target`, polling every second as the command
does), after the tutorial's lockdown; the migration is the fullest (public access off, the
subnet's endpoint removed). Ends with one line: ``migrate: latency_ms=... plan_ms=...
plan_critical_ms=... apply_ms=... apply_critical_ms=... rollback_ms=... ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

POLL_PATHS = ("/operations/", "/privatednsoperationstatuses/", "/operationresults/")


class RequestLog:
    """Every ARM request the emulator served, noted when it asks for its latency."""

    def __init__(self, faults) -> None:
        self.entries: list[tuple[float, str, str]] = []
        self._ask = faults.latency_ms

        def noted(method: str, path: str) -> int:
            self.entries.append((time.perf_counter(), method.upper(), path.lower()))
            return self._ask(method, path)

        faults.latency_ms = noted

    def between(self, start: float, end: float) -> list[tuple[float, str, str]]:
        return [e for e in self.entries if start <= e[0] < end]


def figures(entries, latency_ms: int, elapsed_ms: float) -> dict[str, float]:
    """Counts, sequential rounds (the critical path in round trips), and the time no request
    was in flight (the polling interval between an operation's polls, and our own work)."""
    polls = [e for e in entries if e[1] == "GET" and any(p in e[2] for p in POLL_PATHS)]
    writes = [e for e in entries if e[1] in ("PUT", "PATCH", "DELETE", "POST")]
    latency_s = latency_ms / 1000
    rounds, round_start = 0, float("-inf")
    busy_s, busy_until = 0.0, float("-inf")
    for when, _, _ in sorted(entries):
        if when >= round_start + latency_s * 0.9:
            rounds, round_start = rounds + 1, when
        # Each request is in flight at least its latency: the union of those intervals.
        busy_s += max(0.0, when + latency_s - max(when, busy_until))
        busy_until = max(busy_until, when + latency_s)
    return {
        "requests": len(entries),
        "writes": len(writes),
        "polls": len(polls),
        "rounds": rounds,
        "critical_ms": rounds * latency_ms,
        "idle_ms": max(0.0, elapsed_ms - busy_s * 1000),
    }


async def one_round(handle, log: RequestLog, state_dir: Path, latency_ms: int):
    from acrfence.services.config import Target
    from acrfence.services.models import RunState
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.migrate import MigrateRequest
    from acrfence.services.plans.session import PlanSession
    from helpers import FULL_MIGRATION, PE_SUBNET, lock_down

    await lock_down(handle)
    async with PlanSession.for_target(Target.from_env(handle.env), Journal(state_dir)) as session:
        marks = [time.perf_counter()]
        registry = await session.resolve_registry("mycontainerregistry")
        request = MigrateRequest(registry.id, PE_SUBNET, **FULL_MIGRATION)
        plan = await session.migration_plan(request, registry)
        marks.append(time.perf_counter())
        run = await session.execute(plan)
        marks.append(time.perf_counter())
        assert run.state is RunState.DONE, run.error
        undo = await session.rollback(run.id)
        marks.append(time.perf_counter())
        assert undo.state is RunState.DONE, undo.error
    phases = {}
    for name, start, end in zip(("plan", "apply", "rollback"), marks, marks[1:], strict=False):
        elapsed_ms = (end - start) * 1000
        phases[name] = {
            "ms": elapsed_ms,
            **figures(log.between(start, end), latency_ms, elapsed_ms),
        }
    return phases, len(plan.steps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from acrfence.emulator.runner import start_emulator

    results = []
    with tempfile.TemporaryDirectory() as state:
        for index in range(args.rounds):
            # A fresh tenant each round: the lockdown, then the migration and its rollback.
            handle = start_emulator(seed="demo", latency_ms=args.latency_ms)
            try:
                log = RequestLog(handle.faults)
                phases, steps = asyncio.run(
                    one_round(handle, log, Path(state) / str(index), args.latency_ms)
                )
            finally:
                handle.stop()
            results.append(phases)
            print(f"round {index + 1} ({steps} steps):")
            for name, f in phases.items():
                print(
                    f"  {name:8} {f['ms']:6.0f} ms  {f['requests']:3} requests "
                    f"({f['writes']} writes, {f['polls']} operation polls) in {f['rounds']} "
                    f"sequential rounds: critical path {f['critical_ms']:.0f} ms; "
                    f"no request in flight {f['idle_ms']:.0f} ms (polling interval, own work)"
                )

    def median(phase: str, key: str) -> float:
        return statistics.median(r[phase][key] for r in results)

    summary = " ".join(
        f"{phase}_{key}={median(phase, key):.0f}"
        for phase in ("plan", "apply", "rollback")
        for key in ("ms", "critical_ms", "idle_ms", "rounds", "requests", "polls")
    )
    print(f"migrate: latency_ms={args.latency_ms} rounds={args.rounds} {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
