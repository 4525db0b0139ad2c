"""Inventory wall time on a generated tenant with injected latency: concurrent vs one request
at a time, against the critical path (the longest chain of dependent round trips).

The emulator runs in its own process (`acrfence emulator`), so its work doesn't share our
GIL; every request gets the same injected latency, as a far-away ARM region would add.

    .venv/bin/python benchmarks/inventory.py [--seed generate:50x10x4x5] [--latency-ms 50]
        [--in-flight 4,16,64] [--repeat 3]

Ends with one line: ``inventory: concurrent_s=... sequential_s=... critical_path_s=... ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.azure import AzureClients  # noqa: E402
from services.config import Target  # noqa: E402
from services.inventory import DEFAULT_MAX_IN_FLIGHT, InventoryService  # noqa: E402

PAGE_SIZE = 50  # the emulator's (and ARM's usual) page size for these listings


def start_emulator(seed: str, latency_ms: int) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "emulator", "--seed", seed, "--latency-ms",
         str(latency_ms)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.kill()
        raise SystemExit("the emulator did not start")
    return process, json.loads(line)


async def timed_load(target: Target, max_in_flight: int) -> tuple[float, object]:
    # Fresh clients each run: connection set-up is part of what a user waits for.
    async with AzureClients(target) as clients:
        started = time.perf_counter()
        inventory = await InventoryService(clients, max_in_flight=max_in_flight).load()
        return time.perf_counter() - started, inventory


def critical_path_round_trips(subscriptions: int, registries: int, vnets: int) -> int:
    """Subscription pages, then the longest per-subscription listing (its pages in a row).

    Pages of one listing depend on each other (nextLink); listings of different
    subscriptions don't. A listing of N items takes ceil(N / page) pages, at least one.
    """
    subscription_pages = max(1, math.ceil(subscriptions / PAGE_SIZE))
    per_subscription = max(
        max(1, math.ceil(registries / PAGE_SIZE)), max(1, math.ceil(vnets / PAGE_SIZE))
    )
    return subscription_pages + per_subscription


def total_round_trips(subscriptions: int, registries: int, vnets: int) -> int:
    subscription_pages = max(1, math.ceil(subscriptions / PAGE_SIZE))
    per_subscription = max(1, math.ceil(registries / PAGE_SIZE)) + max(
        1, math.ceil(vnets / PAGE_SIZE)
    )
    return subscription_pages + subscriptions * per_subscription


async def measure(args: argparse.Namespace, info: dict) -> dict[str, float]:
    target = Target.from_env(info["env"])
    latency = args.latency_ms / 1000
    results: dict[int, float] = {}
    inventory = None
    for in_flight in [*args.in_flight, 1]:
        runs = [
            await timed_load(target, in_flight) for _ in range(1 if in_flight == 1 else args.repeat)
        ]
        results[in_flight] = min(seconds for seconds, _ in runs)
        inventory = runs[-1][1]
        print(f"max_in_flight={in_flight:<3} best of {len(runs)}: {results[in_flight]:.3f} s")
    subs = len(inventory.subscriptions)
    regs_per_sub = math.ceil(len(inventory.registries) / max(1, subs))
    vnets_per_sub = math.ceil(len(inventory.virtual_networks) / max(1, subs))
    chain = critical_path_round_trips(subs, regs_per_sub, vnets_per_sub)
    total = total_round_trips(subs, regs_per_sub, vnets_per_sub)
    print(
        f"tenant: {subs} subscriptions, {len(inventory.registries)} registries, "
        f"{len(inventory.virtual_networks)} virtual networks, {len(inventory.subnets)} subnets, "
        f"{len(inventory.failures)} failures"
    )
    print(f"round trips: {total} in all, {chain} on the critical path, {args.latency_ms} ms each")
    default = DEFAULT_MAX_IN_FLIGHT
    concurrent = results[default]
    sequential = results[1]
    critical = chain * latency
    print(f"concurrent (max_in_flight={default}, the default): {concurrent:.3f} s")
    print(f"sequential (max_in_flight=1):  {sequential:.3f} s")
    print(f"  of which injected latency:   {total * latency:.3f} s")
    print(f"critical path estimate:        {critical:.3f} s")
    print(f"speed-up over sequential: x{sequential / concurrent:.1f}; "
          f"concurrent / critical path: x{concurrent / critical:.1f}")  # fmt: skip
    return {
        "concurrent_s": concurrent,
        "sequential_s": sequential,
        "critical_path_s": critical,
        "speedup": sequential / concurrent,
        "over_critical_path": concurrent / critical,
        **{f"in_flight_{k}_s": v for k, v in sorted(results.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="generate:50x10x4x5")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--in-flight", default="4,16,64")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not re.fullmatch(r"\d+(,\d+)*", args.in_flight):
        parser.error("--in-flight takes numbers separated by commas")
    args.in_flight = [int(n) for n in args.in_flight.split(",") if int(n) > 1]
    if DEFAULT_MAX_IN_FLIGHT not in args.in_flight:  # the headline figure is the default's
        args.in_flight.append(DEFAULT_MAX_IN_FLIGHT)
    process, info = start_emulator(args.seed, args.latency_ms)
    try:
        figures = asyncio.run(measure(args, info))
    finally:
        process.terminate()
        process.wait(timeout=10)
    print("inventory: " + " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
