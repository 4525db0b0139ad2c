"""`acrfence restore`: open a registry again, or undo exactly what a journaled run did."""

from __future__ import annotations

import argparse

HELP = (
    "restore a registry: back to before its latest journaled lockdown (default), "
    "before a given run (--run), or open it (--open)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("registry", metavar="REGISTRY", help="registry name or resource ID")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--open", action="store_true", help="remove subnet rules, default Allow")
    how.add_argument(
        "--run",
        metavar="RUN_ID",
        help="undo exactly what this run did (default: this registry's latest lockdown)",
    )
    parser.add_argument(
        "--remove-endpoints",
        action="store_true",
        help="with --open, also remove the endpoint from subnets no remaining rule needs",
    )
    parser.add_argument("--plan", action="store_true", help="show the plan, change nothing")
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    import sys

    from services.config import ConfigError, Target
    from services.errors import describe_error
    from services.models import same_resource_id
    from services.plans import console
    from services.plans.inputs import PlanInputError
    from services.plans.journal import Journal, JournalError
    from services.plans.render import render_plan
    from services.plans.restore import NothingToUndo
    from services.plans.session import PlanSession, RunRefused

    command = "restore"
    journal = Journal()
    try:
        target = Target.from_env()
        source = journal.load(args.run) if args.run else None
    except (ConfigError, JournalError) as exc:
        return console.fail(command, str(exc))
    session = PlanSession.for_target(target, journal)
    try:
        try:
            registry = await session.resolve_registry(args.registry)
        except PlanInputError as exc:
            return console.fail(command, str(exc))
        if source is None and not args.open:
            source = _latest_lockdown(journal, registry.id)
            if source is None:
                return console.fail(
                    command,
                    f"no finished lockdown of {registry.name} in the journal to undo; "
                    "pass --open to open it, or --run RUN_ID",
                )
        if source is not None:
            if not same_resource_id(source.plan.registry_id, registry.id):
                return console.fail(command, f"run {source.id} changed another registry")
            try:
                plan = session.undo_plan(source.id, kind="restore")
            except NothingToUndo as exc:
                print(f"acrfence {command}: {exc}", file=sys.stderr)
                return console.EXIT_OK
        else:
            plan = await session.open_plan(registry, remove_endpoints=args.remove_endpoints)
        if args.json and args.plan:
            console.print_json({"plan": plan.to_json(), "run": None})
        elif not args.json:
            print(render_plan(plan))
        if args.plan:
            return console.EXIT_OK
        refused = console.confirm(command, registry.name, args.yes)
        if refused is not None:
            return refused
        progress = console.progress_printer(sys.stderr if args.json else sys.stdout)
        if source is not None:
            run = await session.rollback(source.id, progress, kind="restore")
        else:
            run = await session.execute(plan, progress)
        return console.run_outcome(command, run, args.json)
    except (RunRefused, JournalError) as exc:
        return console.fail(command, str(exc), console.EXIT_FAILED)
    except Exception as exc:  # Azure errors reach the operator as one sentence
        return console.fail(command, describe_error(exc), console.EXIT_FAILED)
    finally:
        await session.close()


def _latest_lockdown(journal, registry_id: str):
    """This registry's newest lockdown run that finished and hasn't been undone yet."""
    from services.models import RunState, same_resource_id

    candidates = [
        run
        for run in journal.runs()
        if run.plan.kind == "lockdown"
        and run.state is RunState.DONE
        and not run.rolled_back_by
        and same_resource_id(run.plan.registry_id, registry_id)
    ]
    return max(candidates, key=lambda run: run.created_at, default=None)
