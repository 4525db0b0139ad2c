"""`acrfence restore`: open a registry again, or undo exactly what a journaled run did."""

from __future__ import annotations

import argparse

from acrfence.tui.commands._plan_command import (
    add_apply_flags,
    confirm_and_apply,
    effect_checker,
    in_session,
    run_async,
    show_plan,
)
from acrfence.tui.commands.exit_codes import Exit

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
    add_apply_flags(parser)


def run(args: argparse.Namespace) -> int:
    return run_async(_run, args)


async def _run(args: argparse.Namespace) -> int:
    import sys

    from acrfence.services.config import ConfigError, Target
    from acrfence.services.models import RunRecord, same_resource_id
    from acrfence.services.plans.executor import ProgressCallback
    from acrfence.services.plans.inputs import PlanInputError
    from acrfence.services.plans.journal import Journal, JournalError
    from acrfence.services.plans.restore import NothingToUndo
    from acrfence.services.plans.session import PlanSession, RunRefused
    from acrfence.tui.commands import plan_console as console

    command = "restore"
    try:
        target = Target.from_env()
        journal = Journal(arm_endpoint=target.arm_endpoint)
        source = journal.load(args.run) if args.run else None
    except (ConfigError, JournalError) as exc:
        return console.fail(command, str(exc))
    session = PlanSession.for_target(target, journal)
    session.settle_seconds = args.wait  # Azure still applying: wait as long

    async def plan_and_apply() -> int:
        undo = source  # the journaled run this restore undoes; None opens the registry
        try:
            registry = await session.resolve_registry(args.registry)
        except PlanInputError as exc:
            return console.fail(command, str(exc))
        if undo is None and not args.open:
            undo = journal.latest_lockdown(registry.id)
            if undo is None:
                return console.fail(
                    command,
                    f"no finished lockdown of {registry.name} in the journal to undo; "
                    "pass --open to open it, or --run RUN_ID",
                )
        if undo is not None:
            if not same_resource_id(undo.plan.registry_id, registry.id):
                return console.fail(command, f"run {undo.id} changed another registry")
            try:
                plan = session.undo_plan(undo.id, kind="restore")
            except NothingToUndo as exc:
                print(f"acrfence {command}: {exc}", file=sys.stderr)
                return Exit.OK
        else:
            plan = await session.open_plan(registry, remove_endpoints=args.remove_endpoints)
        show_plan(plan, args, as_json=args.plan)
        if args.plan:
            return Exit.OK

        async def apply(progress: ProgressCallback) -> RunRecord:
            if undo is not None:
                return await session.rollback(undo.id, progress, kind="restore")
            return await session.execute(plan, progress)

        return await confirm_and_apply(
            command, registry.name, args, apply, effect_checker(session, target, args)
        )

    return await in_session(command, session, plan_and_apply, refusals=(RunRefused, JournalError))
