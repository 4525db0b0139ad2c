"""How fast the emulator builds a large generated tenant and starts, and how fast it answers.

Prints figures and ends with one summary line. Run: .venv/bin/python benchmarks/emulator_start.py
"""

from __future__ import annotations

import ssl
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from acrfence.emulator.runner import start_emulator  # noqa: E402
from acrfence.emulator.seeds import build_tenant  # noqa: E402

SEED = "generate:50x100x4x50"  # 5,000 registries, 10,000 subnets


def main() -> None:
    started = time.perf_counter()
    tenant = build_tenant(SEED)
    build_s = time.perf_counter() - started
    print(f"build {SEED}: {len(tenant.registries)} registries, {len(tenant.subnets)} subnets "
          f"in {build_s:.3f} s")  # fmt: skip

    started = time.perf_counter()
    handle = start_emulator(seed="demo")
    start_s = time.perf_counter() - started
    print(f"start demo emulator: {start_s * 1000:.1f} ms")
    with handle:
        context = ssl.create_default_context(cafile=handle.ca_cert)
        headers = {"Authorization": f"Bearer {handle.token}"}
        with httpx.Client(verify=context, base_url=handle.arm_endpoint, headers=headers) as client:
            timings = []
            for _ in range(200):
                t0 = time.perf_counter()
                client.get("/subscriptions", params={"api-version": "2022-12-01"})
                timings.append(time.perf_counter() - t0)
    median_ms = statistics.median(timings) * 1000
    print(f"GET /subscriptions x200: median {median_ms:.2f} ms")
    print(f"emulator_start: build_s={build_s:.3f} start_ms={start_s * 1000:.1f} "
          f"arm_get_median_ms={median_ms:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
