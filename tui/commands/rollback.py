"""`acrfence rollback RUN_ID`: undo what a run did, from any point it reached."""

from __future__ import annotations

import argparse

from acrfence.tui.commands._plan_command import add_run_id_args, continue_run

HELP = "undo a lockdown, restore or migrate run (only what it changed; others' changes survive)"


def configure(parser: argparse.ArgumentParser) -> None:
    add_run_id_args(parser)


def run(args: argparse.Namespace) -> int:
    return continue_run("rollback", args)
