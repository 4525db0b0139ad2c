"""The top-level flags as the headless commands honour them.

``--read-only`` refuses every change (lockdown, restore, resume, rollback; a ``--plan`` is
still shown, it changes nothing): one line, exit 2. ``--demo`` runs the command against the
demo tenant: the in-process emulator on the demo's own saved tenant and its own journal, as
``acrfence --demo`` does, so the dashboard and the commands see the same demo.
"""

from __future__ import annotations

import json
import os
import sys
from argparse import Namespace
from collections.abc import Iterator
from contextlib import contextmanager

from acrfence.tui.commands.exit_codes import Exit

__all__ = ["again", "run_headless", "read_only_refusal"]

# Commands that change Azure; with their --plan flag (where they have one) they only read.
_CHANGING = ("lockdown", "restore", "migrate", "resume", "rollback")
JOURNAL_VARIABLE = "ACRFENCE_JOURNAL_DIR"
# Set while a command runs on the demo tenant: the commands it suggests need --demo too.
_on_demo = False


def again(command: str) -> str:
    """The command line that runs ``command`` on the same tenant and journal: with --demo
    inside a demo run (plain `acrfence resume RUN` looks in the real journal: "no run")."""
    return f"acrfence --demo {command}" if _on_demo else f"acrfence {command}"


def read_only_refusal(args: Namespace) -> str | None:
    """Why ``args`` can't run under --read-only, or None."""
    if not getattr(args, "read_only", False) or args.command not in _CHANGING:
        return None
    if getattr(args, "plan", False):
        return None
    hint = " (--plan shows the plan without changing anything)" if hasattr(args, "plan") else ""
    return f"--read-only: {args.command} changes Azure, refused; nothing changed{hint}"


def run_headless(args: Namespace) -> int:
    refusal = read_only_refusal(args)
    if refusal is not None:
        print(f"acrfence {args.command}: {refusal}", file=sys.stderr)
        return Exit.BAD_INPUT
    wait = getattr(args, "wait", None)
    if args.command in _CHANGING and wait is not None and not wait >= 0:
        print(f"acrfence {args.command}: --wait must be 0 or more seconds", file=sys.stderr)
        return Exit.BAD_INPUT
    if not getattr(args, "demo", False):
        return int(args.handler(args) or 0)
    if args.command == "emulator":
        seed = getattr(args, "seed", "demo")
        if seed != "demo" or getattr(args, "state", None):
            print(
                "acrfence emulator: --demo serves the demo's own saved tenant; "
                "drop --demo to use --seed or --state",
                file=sys.stderr,
            )
            return Exit.BAD_INPUT
        from acrfence.tui.launch import demo_state_directory

        directory = demo_state_directory(reset=bool(getattr(args, "reset_demo", False)))
        args.state = str(directory / "tenant.json")
        return int(args.handler(args) or 0)
    with _demo_environment(reset=bool(getattr(args, "reset_demo", False))):
        return int(args.handler(args) or 0)


@contextmanager
def _demo_environment(*, reset: bool) -> Iterator[None]:
    """The demo emulator running in this process, with the environment pointing at it and at
    the demo's journal; both put back afterwards."""
    from acrfence.emulator.runner import start_emulator
    from acrfence.tui.launch import demo_state_directory

    directory = demo_state_directory(reset=reset)
    emulator = start_emulator(seed="demo", state_file=directory / "tenant.json")
    saved = dict(os.environ)
    os.environ.update(emulator.env)
    os.environ[JOURNAL_VARIABLE] = str(directory / "journal")
    # The subnets this machine can probe from (loopback addresses), so a lockdown's data-plane
    # check and `probe --source-address` know where they stand, as the dashboard does.
    vantages = {k: v for k, v in emulator.info["vantages"].items() if k.startswith("/")}
    os.environ["ACRFENCE_VANTAGES"] = json.dumps(vantages)
    global _on_demo
    _on_demo = True
    try:
        yield
    finally:
        _on_demo = False
        os.environ.clear()
        os.environ.update(saved)
        emulator.stop()
