"""What the auditors' parity costs the analysis: ``find_findings`` over a hand-built tenant of
5,000 registries and 2,000 subnets (a quarter open, a quarter locked to 5 subnets each, a
quarter on IP rules, a quarter locked out), per profile, against the analysis without the
posture findings and peer verdicts (``complete_registry_findings`` bypassed).

No emulator: analysis is pure, and the dashboard runs it on every redraw while a big tenant
streams in, so this is the figure that matters there. Best of 5 runs each.

    .venv/bin/python benchmarks/findings_parity.py

Ends with one line: ``findings_parity: without_ms=... default_ms=... all_ms=...``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import services.analysis.findings as findings_module  # noqa: E402
from acrfence.services.analysis import find_findings  # noqa: E402
from acrfence.services.analysis.profiles import PROFILES  # noqa: E402
from acrfence.services.models import (  # noqa: E402
    ACR_SERVICE_ENDPOINT,
    Inventory,
    IpRule,
    NetworkRuleSet,
    Registry,
    ServiceEndpoint,
    Subnet,
    Subscription,
    VirtualNetwork,
    VirtualNetworkRule,
)

SUB = "00000000-0000-4000-8000-000000000001"


def _tenant() -> Inventory:
    vnets = []
    for v in range(40):
        vnet_id = (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/"
            f"virtualNetworks/v{v}"
        )
        subnets = tuple(
            Subnet(
                id=f"{vnet_id}/subnets/s{s}", name=f"s{s}", virtual_network_name=f"v{v}",
                resource_group="rg", subscription_id=SUB,
                service_endpoints=(ServiceEndpoint(ACR_SERVICE_ENDPOINT),) if s % 3 else (),
            )
            for s in range(50)
        )  # fmt: skip
        vnets.append(VirtualNetwork(vnet_id, f"v{v}", "rg", SUB, "westus", subnets=subnets))
    subnet_ids = [s.id for vnet in vnets for s in vnet.subnets]
    registries = []
    for i in range(5000):
        kind = i % 4
        rules = NetworkRuleSet(
            "Allow" if kind == 0 else "Deny",
            (IpRule("203.0.113.0/24"),) if kind == 2 else (),
            tuple(VirtualNetworkRule(s) for s in subnet_ids[i % 1900 : i % 1900 + 5])
            if kind == 1
            else (),
        )
        registries.append(
            Registry(
                id=f"/subscriptions/{SUB}/resourceGroups/rg/providers/"
                f"Microsoft.ContainerRegistry/registries/r{i}",
                name=f"r{i}", resource_group="rg", subscription_id=SUB, location="westus",
                sku="Premium", login_server=f"r{i}.azurecr.io", network_rule_set=rules,
            )
        )  # fmt: skip
    return Inventory((Subscription(SUB, "bench"),), tuple(registries), tuple(vnets))


def _best_ms(profile) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(5):
        inventory = _tenant()  # a fresh object: no cached analysis context
        started = time.perf_counter()
        count = len(find_findings(inventory, profile))
        best = min(best, time.perf_counter() - started)
    return best * 1000, count


def main() -> None:
    default_ms, default_n = _best_ms(PROFILES["default"])
    all_ms, all_n = _best_ms(PROFILES["all"])
    original = findings_module.complete_registry_findings
    findings_module.complete_registry_findings = lambda found, *args: found
    try:
        without_ms, without_n = _best_ms(PROFILES["default"])
    finally:
        findings_module.complete_registry_findings = original
    print(f"without posture/peers: {without_ms:.0f} ms ({without_n} findings)")
    print(f"profile default:       {default_ms:.0f} ms ({default_n} findings)")
    print(f"profile all:           {all_ms:.0f} ms ({all_n} findings)")
    print(
        f"findings_parity: without_ms={without_ms:.0f} default_ms={default_ms:.0f} "
        f"all_ms={all_ms:.0f}"
    )


if __name__ == "__main__":
    main()
