"""`acrfence snapshot --output tenant.json`: copy the tenant (read only) into the emulator's
seed format, to rehearse on with `acrfence --rehearse tenant.json` or serve to any client with
`acrfence emulator --seed tenant.json`.

    acrfence snapshot --output tenant.json
    acrfence snapshot --subscription ID --subscription ID --redact --output tenant.json

Exit codes: 0 written; 1 written, but some listings failed (each named on stderr; the copy
lacks them); 2 bad input; 3 Azure refused or couldn't be reached (nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from acrfence.tui.commands.exit_codes import Exit

HELP = "copy the tenant (read only) into a seed file for the emulator, to rehearse on"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--subscription",
        action="append",
        default=None,
        metavar="ID",
        help="only this subscription (repeatable); default: every visible one",
    )
    parser.add_argument(
        "--redact",
        action="store_true",
        help="rename subscriptions, resource groups, registries and networks consistently "
        "(addresses and rules are kept)",
    )
    parser.add_argument(
        "--output", required=True, metavar="FILE", help="where to write the seed JSON"
    )


def _fail(message: str, code: int = Exit.BAD_INPUT) -> int:
    print(f"acrfence snapshot: {message}", file=sys.stderr)
    return code


def _write(path: Path, document: dict) -> None:
    """Whole or not at all: a temporary file beside the target, then a rename."""
    import json
    import os

    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(json.dumps(document, indent=1) + "\n")
    os.replace(temporary, path)


async def _read(target, subscriptions):
    from acrfence.services.azure import AzureClients
    from acrfence.services.snapshot import TenantSnapshotter

    async with AzureClients(target) as clients:
        return await TenantSnapshotter(clients).read(subscriptions)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from acrfence.services.config import ConfigError, Target
    from acrfence.services.errors import describe_error
    from acrfence.services.models.resource_id import is_subscription_id

    for subscription_id in args.subscription or ():
        if not is_subscription_id(subscription_id):
            return _fail(f"--subscription {subscription_id!r} is not a subscription ID (a GUID)")
    output = Path(args.output)
    if output.is_dir() or not output.parent.is_dir():
        return _fail(f"--output {args.output}: not a file in an existing directory")
    try:
        target = Target.from_env()
    except ConfigError as error:
        return _fail(str(error))
    try:
        snapshot = asyncio.run(_read(target, args.subscription))
    except Exception as error:  # every failure reaches the user as one line, never a traceback
        return _fail(describe_error(error), Exit.AZURE_REFUSED)
    document = snapshot.document
    if args.redact:
        from acrfence.services.snapshot_redact import redact_snapshot

        document, _ = redact_snapshot(document)
    _check_loads(document)
    _write(output, document)
    subnets = sum(
        len(v.get("properties", {}).get("subnets") or []) for v in document["virtualNetworks"]
    )
    print(
        f"acrfence snapshot: wrote {output}: {len(document['subscriptions'])} subscriptions, "
        f"{len(document['registries'])} registries, {len(document['virtualNetworks'])} virtual "
        f"networks, {subnets} subnets{' (redacted)' if args.redact else ''}",
        file=sys.stderr,
    )
    for failure in snapshot.failures:
        print(
            f"acrfence snapshot: not copied: {failure.what} of subscription "
            f"{failure.subscription_id}: {failure.message}",
            file=sys.stderr,
        )
    return Exit.FAILED if snapshot.failures else Exit.OK


def _check_loads(document: dict) -> None:
    """The emulator must be able to seed from what we write (it raises ValueError if not)."""
    import copy

    from acrfence.emulator.tenant_json import tenant_from_json

    tenant_from_json(copy.deepcopy(document))
