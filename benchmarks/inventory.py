"""Inventory wall time on a generated tenant with injected latency: concurrent vs one request
at a time, against the critical path (the longest chain of dependent round trips).

The emulator runs in its own process (`acrfence emulator`), so its work doesn't share our
GIL; every request gets the same injected latency, as a far-away ARM region would add.

    .venv/bin/python benchmarks/inventory.py [--seed generate:50x10x4x5] [--latency-ms 50]
        [--in-flight 4,16,64] [--repeat 3]

Ends with one line: ``inventory: concurrent_s=... sequential_s=... critical_path_s=... ...``.

    .venv/bin/python benchmarks/inventory.py --fleet [--seed generate:1000x50x2x50]

The fleet tenant (1,000 subscriptions, 50,000 registries, 100,000 subnets; 50 ms latency; ARM's
read throttling on, as the emulator models it): the ARM path and the Resource Graph path side
by side, each against the time its budget allows (ARM's read buckets; Resource Graph's query
quota), with the 429s received. Ends with ``inventory_fleet: arm_s=... graph_s=... ...``.
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

from acrfence.services.azure import AzureClients  # noqa: E402
from acrfence.services.config import Target  # noqa: E402
from acrfence.services.inventory import DEFAULT_MAX_IN_FLIGHT, InventoryService  # noqa: E402
from acrfence.services.resource_graph import (  # noqa: E402
    NETWORK_ROWS_PER_PAGE,
    PREVIEW_READS_IN_FLIGHT,
    ROWS_PER_PAGE,
    SUBSCRIPTIONS_PER_QUERY,
    ResourceGraphInventory,
    needs_preview_read,
)

FLEET_SEED = "generate:1000x50x2x50"
# ARM's documented read bucket and Resource Graph's default query quota.
READ_BUCKET, READ_REFILL_PER_S = 250, 25.0
GRAPH_QUERIES_PER_WINDOW, GRAPH_WINDOW_S = 15, 5.0

PAGE_SIZE = 50  # the emulator's (and ARM's usual) page size for these listings


def start_emulator(seed: str, latency_ms: int) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "acrfence.tui.cli", "emulator", "--seed", seed, "--latency-ms",
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


def _emulator_throttled(info: dict) -> int:
    """How many 429s the emulator answered (ARM reads and Resource Graph queries)."""
    import ssl
    import urllib.request

    context = ssl.create_default_context(cafile=info["ca_cert"])
    request = urllib.request.Request(
        f"{info['arm_endpoint']}/_emulator/throttle",
        headers={"Authorization": f"Bearer {info['token']}"},
    )
    with urllib.request.urlopen(request, context=context) as answer:
        return int(json.load(answer)["throttled"])


def _cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used so far (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _latency_floor_s(reads: int, in_flight: int, latency_s: float, chain: int = 1) -> float:
    """The least time ``reads`` round trips take with ``in_flight`` at once (and a chain of
    ``chain`` round trips that must follow one another)."""
    return max(math.ceil(reads / in_flight), chain) * latency_s


def _read_budget_s(reads_per_scope: list[int]) -> float:
    """The shortest time ARM's read buckets allow for these reads, scope by scope."""
    return max((max(0, r - READ_BUCKET) / READ_REFILL_PER_S for r in reads_per_scope), default=0)


async def measure_fleet(
    args: argparse.Namespace, info: dict, emulator_pid: int
) -> dict[str, float]:
    target = Target.from_env(info["env"])
    figures: dict[str, float] = {}
    latency = args.latency_ms / 1000
    async with AzureClients(target) as clients:
        started, cpu, emulator_cpu = time.perf_counter(), time.process_time(), _cpu_s(emulator_pid)
        by_arm = await InventoryService(clients).load()
        figures["arm_s"] = time.perf_counter() - started
        figures["arm_cpu_s"] = time.process_time() - cpu
        figures["arm_emulator_cpu_s"] = (_cpu_s(emulator_pid) or 0.0) - (emulator_cpu or 0.0)
        figures["arm_client_429"] = clients.pacer.status().throttled
        figures["arm_paced_s"] = clients.pacer.status().waited_s
    subs = len(by_arm.subscriptions)
    regs, vnets = len(by_arm.registries), len(by_arm.virtual_networks)
    per_sub_reads = [
        max(1, math.ceil(regs / subs / PAGE_SIZE)) + max(1, math.ceil(vnets / subs / PAGE_SIZE))
    ] * subs
    figures["arm_budget_s"] = _read_budget_s(per_sub_reads)
    before = _emulator_throttled(info)
    async with AzureClients(target) as clients:
        graph = ResourceGraphInventory(InventoryService(clients))
        started, cpu, emulator_cpu = time.perf_counter(), time.process_time(), _cpu_s(emulator_pid)
        by_graph = await graph.load()
        figures["graph_s"] = time.perf_counter() - started
        figures["graph_cpu_s"] = time.process_time() - cpu
        figures["graph_emulator_cpu_s"] = (_cpu_s(emulator_pid) or 0.0) - (emulator_cpu or 0.0)
        figures["graph_client_429"] = clients.pacer.status().throttled
    figures["emulator_429"] = _emulator_throttled(info) - before
    batches = max(1, math.ceil(subs / SUBSCRIPTIONS_PER_QUERY))
    queries = batches * (
        max(1, math.ceil(regs / batches / ROWS_PER_PAGE))
        + max(1, math.ceil(vnets / batches / NETWORK_ROWS_PER_PAGE))
    )
    figures["graph_queries"] = queries
    figures["graph_quota_waits"] = graph.quota_waits
    figures["graph_budget_s"] = (
        (queries - 1) // GRAPH_QUERIES_PER_WINDOW * GRAPH_WINDOW_S if queries else 0.0
    )
    figures["preview_reads"] = graph.preview_reads
    # What bounds each path besides its budget: round trips at the concurrency used (the
    # registry pages of a query follow one another), and the CPU both processes spent.
    arm_reads = sum(per_sub_reads) + 1
    figures["arm_latency_floor_s"] = _latency_floor_s(
        arm_reads, DEFAULT_MAX_IN_FLIGHT, latency, critical_path_round_trips(
            subs, math.ceil(regs / subs), math.ceil(vnets / subs)))  # fmt: skip
    registry_pages = batches * max(1, math.ceil(regs / batches / ROWS_PER_PAGE))
    figures["graph_latency_floor_s"] = (
        _latency_floor_s(graph.preview_reads, PREVIEW_READS_IN_FLIGHT, latency, registry_pages + 1)
        + latency
    )  # the subscriptions' listing first
    needs = [r for r in by_arm.registries if needs_preview_read(r)]
    per_sub_rereads: dict[str, int] = {}
    for registry in needs:
        key = registry.subscription_id.casefold()
        per_sub_rereads[key] = per_sub_rereads.get(key, 0) + 1
    most = max(per_sub_rereads.values(), default=0)
    figures["graph_read_budget_s"] = _read_budget_s(list(per_sub_rereads.values()))
    figures["registries"] = regs
    figures["subnets"] = len(by_arm.subnets)
    same = len(by_graph.registries) == regs and len(by_graph.subnets) == len(by_arm.subnets)
    print(
        f"tenant: {subs} subscriptions, {regs} registries, {vnets} virtual networks, "
        f"{len(by_arm.subnets)} subnets; {sum(map(needs_preview_read, by_arm.registries))} "
        "registries whose rules matter"
    )
    f = figures
    print(
        f"ARM path:            {f['arm_s']:.2f} s  (read budget allows {f['arm_budget_s']:.2f} s;"
        f" {arm_reads} reads; paced {f['arm_paced_s']:.2f} s;"
        f" 429s {f['arm_client_429']:.0f})"
    )
    print(
        f"  bounded by: round trips {arm_reads} x {args.latency_ms} ms / {DEFAULT_MAX_IN_FLIGHT}"
        f" in flight = {f['arm_latency_floor_s']:.2f} s; CPU {f['arm_cpu_s']:.2f} s here,"
        f" {f['arm_emulator_cpu_s']:.2f} s in the emulator"
    )
    print(
        f"Resource Graph path: {f['graph_s']:.2f} s  (quota allows {f['graph_budget_s']:.2f} s"
        f" for {queries} queries; waited for the quota {graph.quota_waits} times;"
        f" {graph.preview_reads} registries re-read through ARM; 429s {f['graph_client_429']:.0f})"
    )
    print(
        f"  bounded by: read budget {f['graph_read_budget_s']:.2f} s (at most {most} re-reads"
        f" in a subscription, bucket {READ_BUCKET}); round trips {graph.preview_reads} x"
        f" {args.latency_ms} ms / {PREVIEW_READS_IN_FLIGHT} in flight, after {registry_pages}"
        f" registry pages in a row = {f['graph_latency_floor_s']:.2f} s; CPU"
        f" {f['graph_cpu_s']:.2f} s here, {f['graph_emulator_cpu_s']:.2f} s in the emulator"
        f" (on {os.cpu_count()} cores)"
    )
    print(f"429s answered by the emulator during the Resource Graph pass: {f['emulator_429']:.0f}")
    print(f"both paths read the same registries and subnets: {same}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", action="store_true", help="ARM vs Resource Graph on a fleet")
    parser.add_argument("--seed", default=None)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--in-flight", default="4,16,64")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.fleet:
        process, info = start_emulator(args.seed or FLEET_SEED, args.latency_ms)
        try:
            figures = asyncio.run(measure_fleet(args, info, process.pid))
        finally:
            process.terminate()
            process.wait(timeout=30)
        # Shared machines skew every figure above: say how loaded this one was.
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        print("inventory_fleet: " + " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
        return 0
    args.seed = args.seed or "generate:50x10x4x5"
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
