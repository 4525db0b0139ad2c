"""The `acrfence` command line.

Without a subcommand it launches the dashboard; the Textual app is imported only then, so
headless commands (`acrfence probe ...`) start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from acrfence.tui.commands.arguments import OneLineArgumentParser, seconds
from acrfence.tui.commands.exit_codes import Exit

# Subcommand name -> module under tui.commands; each module is imported only when needed
# for its parser (cheap: the modules keep heavy imports inside run()).
COMMANDS: tuple[str, ...] = (
    "inventory",
    "emulator",
    "probe",
    "lockdown",
    "restore",
    "migrate",
    "journal",
    "resume",
    "rollback",
    "findings",
    "report",
    "snapshot",
)


def build_parser() -> argparse.ArgumentParser:
    # Bad input is one line and exit 2, for every subcommand (their parsers share the class).
    parser = OneLineArgumentParser(
        prog="acrfence",
        description="Lock Azure Container Registries down to subnets, probe them, open them again.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded Azure emulator's demo tenant and point the app at it",
    )
    parser.add_argument(
        "--reset-demo",
        action="store_true",
        help="with --demo or --rehearse, start again from the original tenant and an empty journal",
    )
    parser.add_argument(
        "--rehearse",
        metavar="TENANT_JSON",
        help="open the dashboard on a local emulator seeded with this snapshot "
        "(acrfence snapshot), with its own state and journal",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="hide and refuse every change to Azure"
    )
    parser.add_argument(
        "--watch",
        type=watch_seconds,
        metavar="SECONDS",
        help="dashboard: read the inventory again every SECONDS (at least 5; w toggles it)",
    )
    parser.add_argument(
        "--via",
        dest="dashboard_via",  # `inventory --via` is its own option
        choices=("arm", "resource-graph"),
        default=None,
        help="dashboard: read the tenant through ARM listings (default) or Azure Resource Graph "
        "(a few queries for the whole fleet, then ARM for registries whose rules matter; "
        "Resource Graph can lag Azure by minutes)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"acrfence.tui.commands.{name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(sub)
        sub.set_defaults(handler=module.run)
    return parser


def watch_seconds(text: str) -> float:
    """--watch: a number of seconds, at least 5 (ARM throttles a tenant read in a loop)."""
    value = seconds(text)  # a finite, non-negative number, or one line saying what's wrong
    if not 5 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"must be between 5 and 86400 seconds, not {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    dashboard_only = (("--watch", args.watch), ("--via", args.dashboard_via),
                      ("--rehearse", args.rehearse))  # fmt: skip
    for option, value in dashboard_only:
        if args.command is not None and value is not None:
            # Bad input: one line, nothing run (a silently ignored option misleads; an ignored
            # --rehearse sent `lockdown --yes` to real Azure).
            hint = " (put it after `inventory`)" if args.command == "inventory" else ""
            if option == "--rehearse":
                hint = " (script against the copy: acrfence emulator --seed FILE)"
            print(f"acrfence: {option} is for the dashboard, not `{args.command}`{hint}",
                  file=sys.stderr)  # fmt: skip
            return Exit.BAD_INPUT
    if args.reset_demo and not (args.demo or args.rehearse):
        # Ignored, it opened real Azure where a fresh demo was asked for.
        print("acrfence: --reset-demo goes with --demo or --rehearse FILE", file=sys.stderr)
        return Exit.BAD_INPUT
    try:
        if args.command is None:
            from acrfence.tui.launch import launch_dashboard

            return launch_dashboard(args)
        from acrfence.tui.commands.headless_modes import run_headless

        return run_headless(args)  # honours --read-only and --demo
    except KeyboardInterrupt:
        print("acrfence: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, as other Unix tools do. Point stdout
        # at /dev/null so the interpreter's final flush doesn't raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
