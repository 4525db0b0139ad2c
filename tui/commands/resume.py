"""`acrfence resume RUN_ID`: finish a run a crash or failure left halfway."""

from __future__ import annotations

import argparse

HELP = "finish an interrupted or failed lockdown/restore run from where it stopped"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    parser.add_argument("--json", action="store_true", help="print the run as JSON")


def run(args: argparse.Namespace) -> int:
    from tui.commands.rollback import continue_run

    return continue_run("resume", args)
