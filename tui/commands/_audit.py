"""What `findings` and `report` share: options, reading the tenant, choosing registries.

Both read the whole inventory (analysis needs every subnet a rule names), then narrow what
they print to the registries asked for.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from acrfence.tui.commands.arguments import subscription_guid


class BadInput(ValueError):
    """A command-line value that can't be used: one line, exit 2, nothing read or written."""


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        metavar="NAME|FILE.toml",
        help="which checks apply: default, azure-policy, psrule, prowler, checkov, cloudsploit, "
        "all, or a TOML profile file (default: default)",
    )
    parser.add_argument(
        "--subscription",
        action="append",
        type=subscription_guid,  # not a GUID: bad input (exit 2), not an Azure failure (3)
        default=None,
        metavar="ID",
        help="only this subscription (repeatable); default: every visible one",
    )


def load_profile(args: argparse.Namespace) -> Any:
    from acrfence.services.analysis.profiles import ProfileError, load_profile

    try:
        return load_profile(args.profile)
    except ProfileError as error:
        raise BadInput(str(error)) from None


def read_inventory(args: argparse.Namespace, command: str) -> Any:
    """The inventory, or None after printing one line (the exit code is in ``.exit_code``)."""
    import asyncio

    from acrfence.services.config import ConfigError, Target
    from acrfence.services.errors import describe_error

    try:
        target = Target.from_env()
    except ConfigError as error:
        raise BadInput(str(error)) from None

    async def load() -> Any:
        from acrfence.services.azure import AzureClients
        from acrfence.services.inventory import InventoryService

        async with AzureClients(target) as clients:
            return await InventoryService(clients).load(args.subscription)

    try:
        return asyncio.run(load())
    except Exception as error:  # every failure reaches the user as one line, never a traceback
        print(f"acrfence {command}: {describe_error(error)}", file=sys.stderr)
        return None


def choose_registries(inventory: Any, wanted: list[str] | None) -> list[str] | None:
    """Resource IDs of the registries named (by name or ID); None means every registry."""
    if not wanted:
        return None
    from acrfence.services.models import normalize_resource_id

    chosen = []
    for text in wanted:
        typed = text.strip()
        if typed.startswith("/"):
            matches = [r for r in inventory.registries if r.key == normalize_resource_id(typed)]
        else:
            matches = [r for r in inventory.registries if r.name.casefold() == typed.casefold()]
        if not matches:
            raise BadInput(f"no registry {typed!r} among the {len(inventory.registries)} visible")
        if len(matches) > 1:
            ids = ", ".join(r.id for r in matches)
            raise BadInput(f"{len(matches)} registries are named {typed!r}; give the ID: {ids}")
        chosen.append(matches[0].id)
    return chosen


def scope_of(inventory: Any, subscriptions: list[str] | None) -> str:
    if not subscriptions:
        return "tenant"
    names = {s.subscription_id.casefold(): s.display_name for s in inventory.subscriptions}
    shown = [names.get(s.casefold(), s) for s in subscriptions]
    return "subscription " + ", ".join(shown)
