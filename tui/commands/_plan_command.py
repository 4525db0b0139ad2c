"""What the plan commands (lockdown, restore, resume, rollback) share: their flags, and the
flow around a plan: show it, ask, apply it with progress lines, report, close the session.

Only argparse at import time: `acrfence` imports every command module to build its parser,
and the Azure SDK should load only when a command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from acrfence.tui.commands.exit_codes import Exit

if TYPE_CHECKING:
    from acrfence.services.models import Plan, RunRecord
    from acrfence.services.plans.effect import EffectCheck
    from acrfence.services.plans.executor import ProgressCallback
    from acrfence.services.plans.session import PlanSession

# Probes a finished run's registry; the lines are progress while it waits.
EffectChecker = Callable[["RunRecord", Callable[[str], None]], Awaitable["EffectCheck"]]

__all__ = [
    "effect_checker",
    "finish_run",
    "add_apply_flags",
    "add_run_id_args",
    "run_async",
    "show_plan",
    "confirm_and_apply",
    "in_session",
    "continue_run",
]


def add_apply_flags(parser: argparse.ArgumentParser, *, plan_flag: bool = True) -> None:
    """--plan (for commands that build a plan), --yes, --wait and --json."""
    if plan_flag:
        parser.add_argument("--plan", action="store_true", help="show the plan, change nothing")
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    parser.add_argument(
        "--wait",
        type=float,
        default=300.0,  # services.plans.effect.PROPAGATION_WAIT_SECONDS (not imported: heavy)
        metavar="SECONDS",
        help="how long to keep probing until the data plane agrees with the new rules "
        "(default 300; 0 probes once)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON" if plan_flag else "print the run as JSON"
    )


def add_run_id_args(parser: argparse.ArgumentParser) -> None:
    """The arguments of the commands that pick up a journaled run (resume, rollback)."""
    parser.add_argument("run_id", metavar="RUN_ID")
    add_apply_flags(parser, plan_flag=False)


def run_async(
    main: Callable[[argparse.Namespace], Coroutine[Any, Any, int]], args: argparse.Namespace
) -> int:
    import asyncio

    return asyncio.run(main(args))


def show_plan(plan: Plan, args: argparse.Namespace, *, as_json: bool) -> None:
    """The plan as text, or (with --json, when ``as_json``) as JSON with no run yet."""
    from acrfence.services.plans.render import render_plan
    from acrfence.tui.commands import plan_console as console

    if args.json and as_json:
        console.print_json({"plan": plan.to_json(), "run": None})
    elif not args.json:
        print(render_plan(plan))


async def confirm_and_apply(
    command: str,
    registry_name: str,
    args: argparse.Namespace,
    apply: Callable[[ProgressCallback], Awaitable[RunRecord]],
    effect: EffectChecker | None = None,
) -> int:
    """Ask (unless --yes), apply with progress lines (on stderr when stdout carries JSON),
    check the data plane agrees (``effect``), and turn the outcome into the exit code."""
    import asyncio
    import sys

    from acrfence.tui.commands import plan_console as console

    refused = console.confirm(command, registry_name, args.yes)
    if refused is not None:
        return refused
    stream = sys.stderr if args.json else sys.stdout
    printer = console.progress_printer(stream)
    started: list[str] = []  # the run's ID, once the journal holds it

    def progress(run: RunRecord, index: int) -> None:
        if not started:
            started.append(run.id)
        printer(run, index)

    try:
        run = await apply(progress)
    except asyncio.CancelledError:
        # Ctrl-C: asyncio.run cancels this task, then raises KeyboardInterrupt ("interrupted").
        # Say which run is left halfway and how to finish it, as the dashboard does on quit.
        if started:
            console.interrupted(command, started[0])
        raise
    return await finish_run(command, run, args, effect)


async def finish_run(
    command: str, run: RunRecord, args: argparse.Namespace, effect: EffectChecker | None
) -> int:
    """A finished run is verified only once the data plane agrees: probe, then report."""
    import sys

    from acrfence.services.models import RunState
    from acrfence.tui.commands import plan_console as console

    stream = sys.stderr if args.json else sys.stdout
    check = None
    if effect is not None and run.state is RunState.DONE:
        print("  checking the data plane (new rules can take minutes to arrive) ...", file=stream)
        check = await effect(run, lambda line: print(f"    {line}", file=stream, flush=True))
    return console.run_outcome(command, run, args.json, check)


def effect_checker(session: PlanSession, target: Any, args: argparse.Namespace) -> EffectChecker:
    """Probe the run's registry (read fresh) from this machine and from every subnet of the
    run this machine can stand in for, until the data plane agrees or --wait runs out."""

    async def check(run: RunRecord, on_line: Callable[[str], None]) -> EffectCheck:
        from acrfence.services.plans.effect import check_effect, run_subnet_ids, vantages_from_env
        from acrfence.services.public_ip import known_public_ip

        registry = await session.services.rules.get(run.plan.registry_id)
        subnets = []
        for subnet_id in run_subnet_ids(run):
            try:
                subnets.append(await session.services.subnets.get(subnet_id))
            except Exception:  # an unreadable subnet can't be probed from here anyway
                continue
        return await check_effect(
            registry,
            subnets,
            public_ip=known_public_ip(given=getattr(args, "public_ip", None)),
            vantages=vantages_from_env(),
            target=target,
            wait_seconds=args.wait,
            on_line=on_line,
        )

    return check


async def in_session(
    command: str,
    session: PlanSession,
    body: Callable[[], Awaitable[int]],
    refusals: tuple[type[Exception], ...] = (),
) -> int:
    """Run ``body`` and close the session; ``refusals`` are reported by their own message,
    any other error as the one sentence describe_error makes of it (no traceback)."""
    from acrfence.services.errors import describe_error
    from acrfence.tui.commands import plan_console as console

    try:
        return await body()
    except refusals as exc:
        return console.fail(command, str(exc), Exit.FAILED)
    except Exception as exc:  # Azure errors reach the operator as one sentence
        return console.fail(command, describe_error(exc), Exit.FAILED)
    finally:
        await session.close()


def continue_run(command: str, args: argparse.Namespace) -> int:
    """resume or rollback: both pick up a journaled run."""
    import asyncio

    return asyncio.run(_continue(command, args))


async def _continue(command: str, args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from acrfence.services.config import ConfigError, Target
    from acrfence.services.models import RunState
    from acrfence.services.plans.journal import Journal, JournalError
    from acrfence.services.plans.render import render_plan, render_run_summary
    from acrfence.services.plans.restore import NothingToUndo, build_undo_plan
    from acrfence.services.plans.session import PlanSession, RunRefused
    from acrfence.tui.commands import plan_console as console

    try:
        target = Target.from_env()
        journal = Journal(arm_endpoint=target.arm_endpoint)
        run = journal.load(args.run_id)
    except (ConfigError, JournalError) as exc:
        return console.fail(command, str(exc))
    if command == "resume" and run.state is RunState.DONE:
        print(f"run {run.id} is already done")
        return Exit.OK
    if command == "rollback" and run.state is RunState.ROLLED_BACK:
        print(f"run {run.id} is already rolled back (by {run.rolled_back_by})")
        return Exit.OK
    if not args.json:
        print(render_run_summary(run))
        if command == "rollback" and not run.rolled_back_by:
            try:
                print(render_plan(build_undo_plan(run)))
            except NothingToUndo as exc:
                print(str(exc))
    refused = console.confirm(command, run.plan.registry_name, args.yes)
    if refused is not None:
        return refused
    session = PlanSession.for_target(target, journal)
    session.settle_seconds = args.wait  # Azure still applying: wait as long
    progress = console.progress_printer(sys.stderr if args.json else sys.stdout)
    # A migration verifies itself from every network that pulls (its verify steps).
    effect = None if run.plan.kind == "migrate" else effect_checker(session, target, args)

    async def pick_up() -> int:
        if command == "resume":
            try:
                result = await session.resume(run.id, progress)
            except asyncio.CancelledError:  # Ctrl-C: the run is still the one to finish
                console.interrupted(command, run.id)
                raise
        else:
            try:
                result = await session.rollback(run.id, progress)
            except NothingToUndo as exc:
                from dataclasses import replace

                journal.save(replace(run, state=RunState.ROLLED_BACK))
                print(f"{exc}: marked rolled back")
                return Exit.OK
        return await finish_run(command, result, args, effect)

    return await in_session(command, session, pick_up, refusals=(RunRefused,))
