"""`acrfence` without a subcommand: build the services for the chosen target, run the app.

`--demo` starts the emulator's demo tenant in this process and stops it on exit; otherwise
the target comes from the ACRFENCE_* variables or real Azure (DefaultAzureCredential).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["build_services", "launch_dashboard", "subscriptions_from_env"]

BAD_CONFIG = 2
SUBSCRIPTIONS_VARIABLE = "ACRFENCE_SUBSCRIPTIONS"
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def build_services(env: Mapping[str, str], description: str) -> Any:
    """AppServices for the target ``env`` describes; raises ValueError on bad configuration."""
    from services.azure import AzureClients
    from services.config import Target
    from services.inventory import InventoryService
    from tui.app import AppServices

    target = Target.from_env(env)
    subscription_ids = subscriptions_from_env(env)
    clients = AzureClients(target)
    return AppServices(
        inventory=InventoryService(clients),
        clients=clients,
        target=target,
        description=description,
        subscription_ids=subscription_ids,
    )


def subscriptions_from_env(env: Mapping[str, str]) -> tuple[str, ...] | None:
    """ACRFENCE_SUBSCRIPTIONS (comma-separated GUIDs) or None; ValueError for a bad entry."""
    raw = env.get(SUBSCRIPTIONS_VARIABLE, "").strip()
    if not raw:
        return None
    wanted = tuple(part.strip() for part in raw.split(",") if part.strip())
    for subscription_id in wanted:
        if not _GUID.fullmatch(subscription_id):
            raise ValueError(
                f"{SUBSCRIPTIONS_VARIABLE}: not a subscription ID (a GUID): {subscription_id!r}"
            )
    return wanted


# Where a first-time user should start: the tutorial's scenario, one key away.
DEMO_WELCOME = (
    "A local Azure with 14 registries. Start with mycontainerregistry: Enter shows its rules, "
    "p probes it, l locks it down to myDockerVMVNET/myDockerVMSubnet. f lists what's wrong "
    "elsewhere; ? every key."
)


def demo_state_directory(*, reset: bool) -> Path:
    """Where the demo keeps its tenant and journal between runs, apart from real Azure's.

    The demo remembers what was done to it, so a demo session killed halfway through a
    lockdown can be resumed or rolled back on the next start, as a real one would.
    """
    from services.plans.journal import journal_directory

    directory = journal_directory() / "demo"
    if reset and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def launch_dashboard(args: Namespace) -> int:
    emulator = None
    env: Mapping[str, str] = os.environ
    description = "Azure"
    if getattr(args, "demo", False):
        from emulator.runner import start_emulator

        demo_directory = demo_state_directory(reset=bool(getattr(args, "reset_demo", False)))
        emulator = start_emulator(seed="demo", state_file=demo_directory / "tenant.json")
        env = {**os.environ, **emulator.env}
        description = "demo tenant (local emulator)"
    elif os.environ.get("ACRFENCE_ARM_ENDPOINT"):
        description = os.environ["ACRFENCE_ARM_ENDPOINT"]
    try:
        try:
            services = build_services(env, description)
        except ValueError as error:
            print(f"acrfence: {error}", file=sys.stderr)
            return BAD_CONFIG
        from services.public_ip import known_public_ip

        # The same discovery as the headless commands (ACRFENCE_PUBLIC_IP, the emulator's too).
        public_ip = known_public_ip(env)
        if public_ip:
            services.extras.setdefault("public_ip", public_ip)
        if emulator is not None:
            services.journal_directory = demo_directory / "journal"
            # The probe wizard offers the demo's subnet vantages (source addresses).
            services.extras.update(
                vantages=emulator.info["vantages"],
                public_ip=emulator.info["public_ip"],
                welcome=DEMO_WELCOME,
            )
        from tui.app import AcrFenceApp

        app = AcrFenceApp(services, read_only=bool(getattr(args, "read_only", False)))
        app.run()
        return app.return_code or 0
    finally:
        if emulator is not None:
            emulator.stop()
