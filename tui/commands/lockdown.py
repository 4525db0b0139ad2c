"""`acrfence lockdown`: lock a registry down to subnets, shown as a plan, journaled, verified."""

from __future__ import annotations

import argparse

HELP = "lock a registry down to subnet(s): service endpoint, subnet rules, default Deny"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("registry", metavar="REGISTRY", help="registry name or resource ID")
    parser.add_argument(
        "--subnet", action="append", default=[], metavar="SUBNET_ID", help="subnet resource ID"
    )
    parser.add_argument(
        "--ip", action="append", default=[], metavar="CIDR", help="IP range to allow as well"
    )
    parser.add_argument("--public-access", choices=("enabled", "disabled"))
    parser.add_argument("--bypass", choices=("azure-services", "none"))
    parser.add_argument("--public-ip", metavar="IP", help="this machine's public IP, for warnings")
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
    from services.plans import console
    from services.plans.inputs import (
        PlanInputError,
        check_bypass,
        check_ip_ranges,
        check_public_access,
        check_subnet_ids,
    )
    from services.plans.journal import Journal
    from services.plans.lockdown import LockdownRequest
    from services.plans.render import render_plan
    from services.plans.session import PlanSession

    command = "lockdown"
    try:
        if not args.subnet:
            raise PlanInputError("give at least one --subnet SUBNET_ID")
        subnet_ids = check_subnet_ids(args.subnet)
        ip_ranges = check_ip_ranges(args.ip)
        public_access = check_public_access(args.public_access)
        bypass = check_bypass(args.bypass)
        target = Target.from_env()
    except (PlanInputError, ConfigError) as exc:
        return console.fail(command, str(exc))
    session = PlanSession.for_target(target, Journal())
    try:
        try:
            registry = await session.resolve_registry(args.registry)
        except PlanInputError as exc:
            return console.fail(command, str(exc))
        request = LockdownRequest(registry.id, subnet_ids, ip_ranges, public_access, bypass)
        plan = await session.lockdown_plan(request, registry, client_ip=args.public_ip)
        if args.json and (args.plan or plan.blocked):
            console.print_json({"plan": plan.to_json(), "run": None})
        elif not args.json:
            print(render_plan(plan))
        if plan.blocked:
            for check in plan.blocks:
                print(f"acrfence {command}: blocked: {check.message}", file=sys.stderr)
            return console.EXIT_FAILED
        if args.plan:
            return console.EXIT_OK
        refused = console.confirm(command, registry.name, args.yes)
        if refused is not None:
            return refused
        stream = sys.stderr if args.json else sys.stdout
        run = await session.execute(plan, console.progress_printer(stream))
        return console.run_outcome(command, run, args.json)
    except Exception as exc:  # Azure errors reach the operator as one sentence
        return console.fail(command, describe_error(exc), console.EXIT_FAILED)
    finally:
        await session.close()
