"""`acrfence resume RUN_ID`: finish a run a crash or failure left halfway."""

from __future__ import annotations

import argparse

from acrfence.tui.commands._plan_command import add_run_id_args, continue_run

HELP = "finish an interrupted or failed lockdown, restore or migrate run from where it stopped"


def configure(parser: argparse.ArgumentParser) -> None:
    add_run_id_args(parser)


def run(args: argparse.Namespace) -> int:
    return continue_run("resume", args)
