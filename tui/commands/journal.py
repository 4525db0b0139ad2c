"""`acrfence journal`: the journaled lockdown/restore runs, newest last."""

from __future__ import annotations

import argparse

from acrfence.tui.commands.exit_codes import Exit
from acrfence.tui.commands.headless_modes import again

HELP = "list journaled runs (lockdown, restore, migrate) with their steps and states"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from acrfence.services.config import ConfigError, Target
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.render import render_run_summary
    from acrfence.tui.commands import plan_console as console

    try:
        target = Target.from_env()
    except ConfigError as exc:
        return console.fail("journal", str(exc))
    journal = Journal(arm_endpoint=target.arm_endpoint)
    runs, elsewhere = journal.here_and_elsewhere()
    if args.json:
        console.print_json([r.to_json() for r in runs])
        return Exit.OK
    if not runs:
        against = f" made against {target.arm_endpoint}" if elsewhere else ""
        print(f"no runs{against} in {journal.directory}")
    for record in runs:
        print(render_run_summary(record))
    unfinished = journal.unfinished()
    if unfinished:
        ids = ", ".join(r.id for r in unfinished)
        print(f"unfinished: {ids} ({again('resume RUN_ID')}, or {again('rollback RUN_ID')})")
    if elsewhere:
        places = ", ".join(sorted({str(r.arm_endpoint) for r in elsewhere}))
        print(f"not listed: {len(elsewhere)} run(s) made against {places}")
    return Exit.OK
