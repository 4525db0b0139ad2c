"""Snapshot and rehearsal timings: read a tenant into a seed document (the real services over
HTTPS, with injected ARM latency), redact it, write it, and seed a new emulator from it; plus
one `probe --pull`'s token flow and manifest fetch on the demo.

    .venv/bin/python benchmarks/snapshot.py [--seed generate:20x50x4x25] [--latency-ms 30]

Ends with one line: ``snapshot: read_s=... redact_s=... bytes=... seed_s=... pull_ms=...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrfence.emulator.runner import start_emulator  # noqa: E402
from acrfence.services.azure import AzureClients  # noqa: E402
from acrfence.services.config import Target  # noqa: E402
from acrfence.services.inventory import InventoryService  # noqa: E402
from acrfence.services.probe import ProbeOptions, ProbeRunner  # noqa: E402
from acrfence.services.probe.pull import ImageReference  # noqa: E402
from acrfence.services.snapshot import TenantSnapshotter  # noqa: E402
from acrfence.services.snapshot_redact import redact_snapshot  # noqa: E402


async def _read(handle) -> tuple[dict, float]:
    async with AzureClients(Target.from_env(handle.env)) as clients:
        began = time.perf_counter()
        snapshot = await TenantSnapshotter(clients).read()
        return snapshot.document, time.perf_counter() - began


async def _pull(handle) -> float:
    target = Target.from_env(handle.env)
    async with AzureClients(target) as clients:
        inventory = await InventoryService(clients).load()
        registry = next(r for r in inventory.registries if r.name == "mycontainerregistry")
        options = ProbeOptions(
            connect_to=target.connect_to,
            ca_cert=target.ca_cert,
            token_provider=clients.arm_token,
            pull=ImageReference.parse("samples/nginx:1.27"),
        )
        runner = ProbeRunner(options)
        await runner.probe(registry)  # warm: connections, TLS session
        began = time.perf_counter()
        result = await runner.probe(registry)
        assert str(result.verdict) == "reachable", result.detail
        return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", default="generate:20x50x4x25")
    parser.add_argument("--latency-ms", type=int, default=30)
    args = parser.parse_args()
    with start_emulator(seed=args.seed, latency_ms=args.latency_ms) as handle:
        document, read_s = asyncio.run(_read(handle))
    began = time.perf_counter()
    redacted, _ = redact_snapshot(document)
    redact_s = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "tenant.json"
        path.write_text(json.dumps(redacted, indent=1))
        size = path.stat().st_size
        began = time.perf_counter()
        with start_emulator(seed=str(path)):
            seed_s = time.perf_counter() - began
    with start_emulator(seed="demo") as handle:
        pull_ms = asyncio.run(_pull(handle))
    print(
        f"  {args.seed}: {len(document['registries'])} registries, "
        f"{sum(len(v['properties'].get('subnets') or []) for v in document['virtualNetworks'])} "
        f"subnets, {args.latency_ms} ms ARM latency"
    )
    print(
        f"snapshot: read_s={read_s:.2f} redact_s={redact_s:.2f} bytes={size} "
        f"seed_s={seed_s:.2f} pull_ms={pull_ms:.1f}"
    )


if __name__ == "__main__":
    main()
