"""`acrfence rollback RUN_ID`: undo what a run did, from any point it reached."""

from __future__ import annotations

import argparse

HELP = "undo a lockdown/restore run (only what it changed; others' changes survive)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    parser.add_argument("--json", action="store_true", help="print the run as JSON")


def run(args: argparse.Namespace) -> int:
    return continue_run("rollback", args)


def continue_run(command: str, args: argparse.Namespace) -> int:
    """Shared by resume and rollback: both pick up a journaled run."""
    import asyncio

    return asyncio.run(_continue(command, args))


async def _continue(command: str, args: argparse.Namespace) -> int:
    import sys

    from services.config import ConfigError, Target
    from services.errors import describe_error
    from services.models import RunState
    from services.plans import console
    from services.plans.journal import Journal, JournalError
    from services.plans.render import render_plan, render_run_summary
    from services.plans.restore import NothingToUndo, build_undo_plan
    from services.plans.session import PlanSession, RunRefused

    journal = Journal()
    try:
        target = Target.from_env()
        run = journal.load(args.run_id)
    except (ConfigError, JournalError) as exc:
        return console.fail(command, str(exc))
    if command == "resume" and run.state is RunState.DONE:
        print(f"run {run.id} is already done")
        return console.EXIT_OK
    if command == "rollback" and run.state is RunState.ROLLED_BACK:
        print(f"run {run.id} is already rolled back (by {run.rolled_back_by})")
        return console.EXIT_OK
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
    progress = console.progress_printer(sys.stderr if args.json else sys.stdout)
    try:
        if command == "resume":
            result = await session.resume(run.id, progress)
        else:
            try:
                result = await session.rollback(run.id, progress)
            except NothingToUndo as exc:
                from dataclasses import replace

                journal.save(replace(run, state=RunState.ROLLED_BACK))
                print(f"{exc}: marked rolled back")
                return console.EXIT_OK
        return console.run_outcome(command, result, args.json)
    except RunRefused as exc:
        return console.fail(command, str(exc), console.EXIT_FAILED)
    except Exception as exc:  # Azure errors reach the operator as one sentence
        return console.fail(command, describe_error(exc), console.EXIT_FAILED)
    finally:
        await session.close()
