"""How long probing 200 registries takes against one probe, with 50 ms data-plane latency.

The emulator runs in a child process (a generated tenant of 200 registries), so its TLS and
HTTP work doesn't share this process's GIL with the probe being measured. Each registry's
probe is DNS (via --connect-to), TCP, TLS and GET /v2/; the latency applies to every GET /v2/.

    .venv/bin/python benchmarks/probe.py [--registries 200] [--latency-ms 50] [--concurrency N]

Also prints the CPU each side spent during the 200 (the probe's process, the emulator's child),
since on a 2-core machine the total is bound by CPU, not by the injected latency.

Ends with one line: ``probe: registries=200 single_ms=... total_ms=... ratio=... goal=3x ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_CHILD = """
import json, sys, time
from acrfence.emulator.runner import start_emulator
handle = start_emulator(seed=sys.argv[1])
handle.faults.set_latency(int(sys.argv[2]), match="GET /v2/")
print(json.dumps({"env": handle.env}), flush=True)
sys.stdin.read()  # run until the parent closes our stdin
handle.stop()
"""


def start_child(seed: str, latency_ms: int) -> tuple[subprocess.Popen, dict[str, str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, seed, str(latency_ms)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline()
    return child, json.loads(line)["env"]


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU time (Linux /proc), to split the cost between the sides."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    env: dict[str, str], count: int, concurrency: int, server_pid: int
) -> dict[str, float]:
    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target
    from acrfence.services.inventory import InventoryService
    from acrfence.services.probe import ProbeOptions, ProbeRunner

    target = Target.from_env(env)
    async with AzureClients(target) as clients:
        inventory = await InventoryService(clients).load()
    registries = list(inventory.registries)[:count]
    options = ProbeOptions(
        connect_to=target.connect_to, ca_cert=target.ca_cert, concurrency=concurrency
    )
    runner = ProbeRunner(options, inventory)
    await runner.probe(registries[0])  # warm up: imports, first handshake
    singles = []
    for registry in registries[:7]:
        began = time.perf_counter()
        await runner.probe(registry)
        singles.append((time.perf_counter() - began) * 1000)
    server_began, client_began = cpu_seconds(server_pid), time.process_time()
    began = time.perf_counter()
    results = await runner.probe_many(registries)
    total_ms = (time.perf_counter() - began) * 1000
    client_cpu_ms = (time.process_time() - client_began) * 1000
    server_ended = cpu_seconds(server_pid)
    server_cpu_ms = (
        (server_ended - server_began) * 1000 if None not in (server_began, server_ended) else -1
    )
    verdicts: dict[str, int] = {}
    for result in results:
        verdicts[str(result.verdict)] = verdicts.get(str(result.verdict), 0) + 1
    return {
        "registries": len(registries),
        "single_ms": statistics.median(singles),
        "total_ms": total_ms,
        "client_cpu_ms": client_cpu_ms,
        "server_cpu_ms": server_cpu_ms,
        "verdicts": verdicts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registries", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=None, help="default: all at once")
    args = parser.parse_args()
    subscriptions = 4
    per_subscription = -(-args.registries // subscriptions)
    seed = f"generate:{subscriptions}x{per_subscription}x1x3"
    child, env = start_child(seed, args.latency_ms)
    try:
        concurrency = args.concurrency or args.registries
        figures = asyncio.run(measure(env, args.registries, concurrency, child.pid))
    finally:
        child.stdin.close()
        child.wait(timeout=10)
    ratio = figures["total_ms"] / figures["single_ms"]
    print(f"latency on GET /v2/: {args.latency_ms} ms; concurrency: {concurrency}")
    print(f"one probe (median of 7): {figures['single_ms']:.1f} ms")
    print(f"{figures['registries']} registries: {figures['total_ms']:.1f} ms")
    print(
        f"CPU during the {figures['registries']}: probe {figures['client_cpu_ms']:.0f} ms, "
        f"emulator {figures['server_cpu_ms']:.0f} ms (its clock ticks are 10 ms)"
    )
    print(f"verdicts: {json.dumps(figures['verdicts'], sort_keys=True)}")
    print(
        f"probe: registries={figures['registries']} single_ms={figures['single_ms']:.1f} "
        f"total_ms={figures['total_ms']:.1f} ratio={ratio:.2f} goal=3x "
        f"concurrency={concurrency} latency_ms={args.latency_ms} "
        f"client_cpu_ms={figures['client_cpu_ms']:.0f} server_cpu_ms={figures['server_cpu_ms']:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
