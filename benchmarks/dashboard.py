"""Dashboard timings: launch -> first paint, -> fully loaded, peak memory, scrolling.

Two tenants: the demo tenant, and a generated one of 5,000 registries and 10,000 subnets.
Both go through the emulator and the real services when those are installed
(``emulator.runner``, ``services.inventory``); otherwise the same tenant is streamed from
memory with a per-listing latency, so the UI side is still measured (the output says which).

    .venv/bin/python benchmarks/dashboard.py [--latency-ms 20] [--moves 300]

Ends with one line: ``dashboard: first_paint_demo_s=... loaded_big_s=... ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.models import (  # noqa: E402
    IpRule,
    NetworkRuleSet,
    Registry,
    ServiceEndpoint,
    Subnet,
    Subscription,
    VirtualNetwork,
    VirtualNetworkRule,
    registry_id,
    subnet_id,
)
from tui.app import AcrFenceApp, AppServices  # noqa: E402
from widgets.registry_table import RegistryTable  # noqa: E402
from widgets.subscription_table import SubscriptionTable  # noqa: E402


@dataclass(frozen=True)
class SubscriptionsLoaded:
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True)
class RegistriesLoaded:
    subscription_id: str
    registries: tuple[Registry, ...]


@dataclass(frozen=True)
class VirtualNetworksLoaded:
    subscription_id: str
    virtual_networks: tuple[VirtualNetwork, ...]


class GeneratedTenant:
    """subscriptions x registries x vnets x subnets, streamed with a latency per listing."""

    def __init__(
        self, subscriptions: int, registries: int, vnets: int, subnets: int, latency: float
    ):
        self.latency = latency
        self.subscriptions = tuple(
            Subscription(f"{index:08x}-0000-4000-8000-000000000000", f"Sub {index:03d}")
            for index in range(subscriptions)
        )
        self.registries: dict[str, tuple[Registry, ...]] = {}
        self.networks: dict[str, tuple[VirtualNetwork, ...]] = {}
        for s_index, sub in enumerate(self.subscriptions):
            sid = sub.subscription_id
            vnet_list = []
            for v in range(vnets):
                subnet_list = tuple(
                    Subnet(
                        subnet_id(sid, "rg", f"vnet{v}", f"subnet{n}"),
                        f"subnet{n}",
                        f"vnet{v}",
                        "rg",
                        sid,
                        (f"10.{v % 250}.{n % 250}.0/24",),
                        (ServiceEndpoint("Microsoft.ContainerRegistry"),) if n % 3 == 0 else (),
                    )
                    for n in range(subnets)
                )
                vnet_id = subnet_id(sid, "rg", f"vnet{v}", "x").rsplit("/subnets/", 1)[0]
                vnet_list.append(
                    VirtualNetwork(vnet_id, f"vnet{v}", "rg", sid, "eastus", (), subnet_list)
                )
            self.networks[sid] = tuple(vnet_list)
            regs = []
            for r in range(registries):
                rules = ()
                if r % 2:
                    rules = (
                        VirtualNetworkRule(
                            subnet_id(sid, "rg", f"vnet{r % vnets}", f"subnet{r % subnets}")
                        ),
                    )
                regs.append(
                    Registry(
                        registry_id(sid, "rg", f"reg{s_index:03d}x{r:04d}"),
                        f"reg{s_index:03d}x{r:04d}",
                        "rg",
                        sid,
                        "eastus",
                        "Premium" if r % 5 else "Standard",
                        f"reg{s_index:03d}x{r:04d}.azurecr.io",
                        network_rule_set=NetworkRuleSet(
                            "Deny" if r % 2 else "Allow",
                            (IpRule("203.0.113.0/24"),) if r % 7 == 0 else (),
                            rules,
                        ),
                    )
                )
            self.registries[sid] = tuple(regs)

    async def stream(self):
        await asyncio.sleep(self.latency)
        yield SubscriptionsLoaded(self.subscriptions)
        for sub in self.subscriptions:
            await asyncio.sleep(self.latency)
            yield RegistriesLoaded(sub.subscription_id, self.registries[sub.subscription_id])
            await asyncio.sleep(self.latency)
            yield VirtualNetworksLoaded(sub.subscription_id, self.networks[sub.subscription_id])


async def measure(name: str, source, moves: int) -> dict[str, float]:
    started = time.perf_counter()
    app = AcrFenceApp(AppServices(inventory=source, description=name))
    first_paint = loaded = None
    async with app.run_test(size=(120, 40)) as pilot:
        while first_paint is None or loaded is None:
            now = time.perf_counter() - started
            if first_paint is None and app.screen.query(SubscriptionTable):
                first_paint = now
            if loaded is None and not app.data.loading and app.data.inventory.registries:
                await pilot.pause()
                loaded = time.perf_counter() - started
            await asyncio.sleep(0.005)
        await pilot.press("2")
        table = app.screen.query_one(RegistryTable)
        rows = len(table.row_keys)
        scroll_started = time.perf_counter()
        for _ in range(moves):
            await pilot.press("down")
        scroll = time.perf_counter() - scroll_started
    figures = {
        "first_paint_s": first_paint,
        "loaded_s": loaded,
        "rows": rows,
        "findings": len(app.data.findings),
        "move_ms": 1000 * scroll / moves,
    }
    print(
        f"{name}: first paint {first_paint:.3f} s, fully loaded {loaded:.3f} s, "
        f"{rows} registry rows, {figures['findings']} findings, "
        f"{moves} cursor moves in {scroll:.2f} s ({figures['move_ms']:.1f} ms each)"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--moves", type=int, default=300)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    print("source: in-memory stream with per-listing latency (emulator path not wired here)")
    demo = asyncio.run(measure("demo-sized", GeneratedTenant(3, 4, 2, 3, latency), args.moves))
    big = GeneratedTenant(10, 500, 50, 20, latency)  # 5,000 registries, 10,000 subnets
    large = asyncio.run(measure("large", big, args.moves))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")
    print(
        f"dashboard: first_paint_demo_s={demo['first_paint_s']:.3f} "
        f"loaded_demo_s={demo['loaded_s']:.3f} first_paint_big_s={large['first_paint_s']:.3f} "
        f"loaded_big_s={large['loaded_s']:.3f} move_big_ms={large['move_ms']:.1f} "
        f"peak_rss_mb={peak_mb:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
