"""How long a lockdown takes end to end (plan, apply, verify) and its rollback, at a given ARM
latency, against the demo tenant: the plan engine's own cost vs the round trips it needs.

    .venv/bin/python benchmarks/lockdown.py [--latency-ms 50] [--rounds 3]

Ends with one line: ``lockdown: latency_ms=... plan_ms=... apply_ms=... rollback_ms=...``.
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

SUBNET = (
    "/subscriptions/6f1e2c43-8a7b-4d0e-9c15-2b3a4d5e6f70/resourceGroups/myResourceGroup"
    "/providers/Microsoft.Network/virtualNetworks/myDockerVMVNET/subnets/myDockerVMSubnet"
)


async def one_round(env: dict[str, str], state_dir: Path) -> tuple[float, float, float]:
    from acrfence.services.config import Target
    from acrfence.services.models import RunState
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.lockdown import LockdownRequest
    from acrfence.services.plans.session import PlanSession

    async with PlanSession.for_target(Target.from_env(env), Journal(state_dir)) as session:
        started = time.perf_counter()
        registry = await session.resolve_registry("mycontainerregistry")
        plan = await session.lockdown_plan(LockdownRequest(registry.id, (SUBNET,)), registry)
        planned = time.perf_counter()
        run = await session.execute(plan)
        applied = time.perf_counter()
        assert run.state is RunState.DONE, run.error
        undo = await session.rollback(run.id)
        rolled = time.perf_counter()
        assert undo.state is RunState.DONE, undo.error
    return (planned - started) * 1000, (applied - planned) * 1000, (rolled - applied) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from acrfence.emulator.runner import start_emulator

    handle = start_emulator(seed="demo", latency_ms=args.latency_ms)
    try:
        figures = []
        with tempfile.TemporaryDirectory() as state:
            for index in range(args.rounds):
                figures.append(asyncio.run(one_round(handle.env, Path(state))))
                plan_ms, apply_ms, rollback_ms = figures[-1]
                print(
                    f"round {index + 1}: plan {plan_ms:.0f} ms, apply+verify {apply_ms:.0f} ms, "
                    f"rollback {rollback_ms:.0f} ms"
                )
    finally:
        handle.stop()
    plan_ms, apply_ms, rollback_ms = (statistics.median(f[i] for f in figures) for i in range(3))
    print(
        f"lockdown: latency_ms={args.latency_ms} rounds={args.rounds} plan_ms={plan_ms:.0f} "
        f"apply_ms={apply_ms:.0f} rollback_ms={rollback_ms:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
