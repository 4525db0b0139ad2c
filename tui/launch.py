"""`acrfence` without a subcommand: build the services for the chosen target, run the app.

`--demo` starts the emulator's demo tenant in this process and stops it on exit; `--rehearse
FILE` does the same with a tenant snapshot (`acrfence snapshot`); otherwise the target comes
from the ACRFENCE_* variables or real Azure (DefaultAzureCredential).
"""

from __future__ import annotations

import os
import shutil
import sys
from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acrfence.tui.commands.exit_codes import Exit

if TYPE_CHECKING:
    from acrfence.tui.app import AcrFenceApp, AppServices

__all__ = [
    "build_services",
    "launch_dashboard",
    "prepare_dashboard",
    "rehearsal_state_directory",
    "start_local_emulator",
    "subscriptions_from_env",
]

SUBSCRIPTIONS_VARIABLE = "ACRFENCE_SUBSCRIPTIONS"


def build_services(env: Mapping[str, str], description: str, via: str | None = None) -> AppServices:
    """AppServices for the target ``env`` describes; raises ValueError on bad configuration.

    ``via="resource-graph"`` reads the tenant through Azure Resource Graph (the fleet pass);
    the title says so, since Resource Graph can lag Azure by minutes.
    """
    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target
    from acrfence.services.inventory import InventoryService
    from acrfence.services.reading_loop import ReadOnALoopOfItsOwn
    from acrfence.tui.app import AppServices

    target = Target.from_env(env)
    subscription_ids = subscriptions_from_env(env)
    clients = AzureClients(target)
    inventory: Any = InventoryService(clients)
    if via == "resource-graph":
        from acrfence.services.resource_graph import ResourceGraphInventory

        inventory = ResourceGraphInventory(inventory)
        description += " · via Resource Graph (can lag Azure by minutes)"
    return AppServices(
        inventory=ReadOnALoopOfItsOwn(inventory),
        clients=clients,
        target=target,
        description=description,
        subscription_ids=subscription_ids,
    )


def subscriptions_from_env(env: Mapping[str, str]) -> tuple[str, ...] | None:
    """ACRFENCE_SUBSCRIPTIONS (comma-separated GUIDs) or None; ValueError for a bad entry."""
    from acrfence.services.models.resource_id import is_subscription_id

    raw = env.get(SUBSCRIPTIONS_VARIABLE, "").strip()
    if not raw:
        return None
    wanted = tuple(part.strip() for part in raw.split(",") if part.strip())
    for subscription_id in wanted:
        if not is_subscription_id(subscription_id):
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
# Read-only: the same start, without the keys that are switched off.
DEMO_WELCOME_READ_ONLY = (
    "A local Azure with 14 registries, read-only: nothing can be changed. Start with "
    "mycontainerregistry: Enter shows its rules, p probes it. f lists what's wrong elsewhere; "
    "? every key."
)


def demo_welcome(read_only: bool) -> str:
    """The demo's first toast; in read-only mode it names no key that is switched off."""
    return DEMO_WELCOME_READ_ONLY if read_only else DEMO_WELCOME


def demo_state_directory(*, reset: bool) -> Path:
    """Where the demo keeps its tenant and journal between runs, apart from real Azure's.

    The demo remembers what was done to it, so a demo session killed halfway through a
    lockdown can be resumed or rolled back on the next start, as a real one would.
    """
    from acrfence.services.plans.journal import journal_directory

    directory = journal_directory() / "demo"
    if reset and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def rehearsal_state_directory(seed_file: Path, *, reset: bool) -> Path:
    """Where a rehearsal keeps its tenant and journal: one directory per snapshot's content.

    Keyed by the file's bytes, not its name: a fresh snapshot written over the old file
    starts a fresh rehearsal, while reopening the same snapshot picks up where it was left.
    """
    import hashlib

    from acrfence.services.plans.journal import journal_directory

    digest = hashlib.sha256(seed_file.read_bytes()).hexdigest()[:12]
    directory = journal_directory() / "rehearsals" / f"{seed_file.stem}-{digest}"
    if reset and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _rehearsal_welcome(seed_file: Path, handle: Any) -> str:
    with handle.state.lock:
        registries = len(handle.state.registries)
    return (
        f"A rehearsal: a local Azure seeded from {seed_file.name} ({registries} registries). "
        "Nothing here touches the real tenant; try every change freely. ? every key."
    )


def start_local_emulator(args: Namespace) -> tuple[Any, Path, str, str]:
    """(emulator, state directory, description, welcome) for --demo or --rehearse FILE;
    ValueError with one line for a file the emulator can't seed from."""
    from acrfence.emulator.runner import start_emulator

    reset = bool(getattr(args, "reset_demo", False))
    rehearse = getattr(args, "rehearse", None)
    if not rehearse:
        directory = demo_state_directory(reset=reset)
        handle = start_emulator(seed="demo", state_file=directory / "tenant.json")
        welcome = demo_welcome(bool(getattr(args, "read_only", False)))
        return handle, directory, "demo tenant (local emulator)", welcome
    seed_file = Path(rehearse)
    if not seed_file.is_file():
        raise ValueError(f"--rehearse {rehearse}: no such file (make one with acrfence snapshot)")
    directory = rehearsal_state_directory(seed_file, reset=reset)
    handle = start_emulator(seed=str(seed_file), state_file=directory / "tenant.json")
    description = f"rehearsal of {seed_file.name} (local emulator)"
    return handle, directory, description, _rehearsal_welcome(seed_file, handle)


def prepare_dashboard(args: Namespace) -> tuple[AcrFenceApp, Any] | int:
    """The app for these arguments and the local emulator it runs on (None against Azure), or
    the exit status of bad input (said in one line). The caller stops the emulator."""
    from acrfence.services.public_ip import known_public_ip
    from acrfence.tui.app import AcrFenceApp

    emulator = None
    env: Mapping[str, str] = os.environ
    description = "Azure"
    welcome = DEMO_WELCOME
    if getattr(args, "demo", False) and getattr(args, "rehearse", None):
        print("acrfence: choose --demo or --rehearse FILE, not both", file=sys.stderr)
        return Exit.BAD_INPUT
    if getattr(args, "demo", False) or getattr(args, "rehearse", None):
        try:
            emulator, demo_directory, description, welcome = start_local_emulator(args)
        except ValueError as error:  # a SeedError too: one line, nothing started
            print(f"acrfence: {error}", file=sys.stderr)
            return Exit.BAD_INPUT
        env = {**os.environ, **emulator.env}
    elif os.environ.get("ACRFENCE_ARM_ENDPOINT"):
        description = os.environ["ACRFENCE_ARM_ENDPOINT"]
    try:
        services = build_services(env, description, getattr(args, "dashboard_via", None))
    except ValueError as error:
        if emulator is not None:
            emulator.stop()
        print(f"acrfence: {error}", file=sys.stderr)
        return Exit.BAD_INPUT
    # The same discovery as the headless commands (ACRFENCE_PUBLIC_IP, the emulator's too).
    services.public_ip = known_public_ip(env)
    if emulator is not None:
        services.journal_directory = demo_directory / "journal"
        # The probe wizard offers the demo's subnet vantages (source addresses).
        services.vantages = emulator.info["vantages"]
        services.public_ip = emulator.info["public_ip"]
        services.welcome = welcome
    read_only = bool(getattr(args, "read_only", False))
    app = AcrFenceApp(services, read_only=read_only, watch_seconds=getattr(args, "watch", None))
    return app, emulator


def launch_dashboard(args: Namespace) -> int:
    prepared = prepare_dashboard(args)
    if isinstance(prepared, int):
        return prepared
    app, emulator = prepared
    try:
        app.run()
        return app.return_code or 0
    finally:
        if emulator is not None:
            emulator.stop()
