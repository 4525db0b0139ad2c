"""`acrfence journal`: the journaled lockdown/restore runs, newest last."""

from __future__ import annotations

import argparse

from acrfence.tui.commands.exit_codes import Exit
from acrfence.tui.commands.headless_modes import again

HELP = "list journaled runs (lockdown, restore, migrate) with their steps and states"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.render import render_run_summary
    from acrfence.tui.commands import plan_console as console

    journal = Journal()
    runs = journal.runs()
    if args.json:
        console.print_json([r.to_json() for r in runs])
        return Exit.OK
    if not runs:
        print(f"no runs in {journal.directory}")
    for record in runs:
        print(render_run_summary(record))
    unfinished = journal.unfinished()
    if unfinished:
        ids = ", ".join(r.id for r in unfinished)
        print(f"unfinished: {ids} ({again('resume RUN_ID')}, or {again('rollback RUN_ID')})")
    return Exit.OK
