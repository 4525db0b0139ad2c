"""`acrfence lockdown`: lock a registry down to subnets, shown as a plan, journaled, verified."""

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

HELP = "lock a registry down to subnet(s): service endpoint, subnet rules, default Deny"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("registry", metavar="REGISTRY", help="registry name or resource ID")
    parser.add_argument(
        "--subnet",
        action="append",
        default=[],
        metavar="SUBNET",
        help="subnet resource ID, or VNET/SUBNET when that names one visible subnet",
    )
    parser.add_argument(
        "--ip", action="append", default=[], metavar="CIDR", help="IP range to allow as well"
    )
    parser.add_argument("--public-access", choices=("enabled", "disabled"))
    parser.add_argument("--bypass", choices=("azure-services", "none"))
    parser.add_argument(
        "--tasks-bypass",
        choices=("allow", "deny"),
        help="let ACR Tasks through the firewall or not (networkRuleBypassAllowedForTasks; "
        "default: keep)",
    )
    parser.add_argument("--public-ip", metavar="IP", help="this machine's public IP, for warnings")
    add_apply_flags(parser)


def run(args: argparse.Namespace) -> int:
    return run_async(_run, args)


async def _run(args: argparse.Namespace) -> int:
    import sys

    from acrfence.services.config import ConfigError, Target
    from acrfence.services.plans.inputs import (
        PlanInputError,
        check_bypass,
        check_ip_ranges,
        check_public_access,
        check_subnet_ids,
        check_tasks_bypass,
        resolve_subnet_name,
        split_subnet_args,
    )
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.lockdown import LockdownRequest
    from acrfence.services.plans.session import PlanSession
    from acrfence.services.public_ip import known_public_ip
    from acrfence.tui.commands import plan_console as console

    command = "lockdown"
    try:
        if not args.subnet:
            raise PlanInputError("give at least one --subnet SUBNET_ID")
        given_ids, subnet_names = split_subnet_args(args.subnet)
        ip_ranges = check_ip_ranges(args.ip)
        public_access = check_public_access(args.public_access)
        bypass = check_bypass(args.bypass)
        tasks_bypass = check_tasks_bypass(args.tasks_bypass)
        if args.public_ip and known_public_ip({}, given=args.public_ip) is None:
            raise PlanInputError(f"--public-ip {args.public_ip!r} is not an IP address")
        target = Target.from_env()
    except (PlanInputError, ConfigError) as exc:
        return console.fail(command, str(exc))
    session = PlanSession.for_target(target, Journal(arm_endpoint=target.arm_endpoint))
    session.settle_seconds = args.wait  # Azure still applying: wait as long

    async def plan_and_apply() -> int:
        try:
            registry = await session.resolve_registry(args.registry)
        except PlanInputError as exc:
            return console.fail(command, str(exc))
        try:
            inventory = await session.inventory() if subnet_names else None
            named = [resolve_subnet_name(name, inventory) for name in subnet_names]
            subnet_ids = check_subnet_ids([*given_ids, *named])
        except PlanInputError as exc:
            return console.fail(command, str(exc))
        request = LockdownRequest(
            registry.id, subnet_ids, ip_ranges, public_access, bypass, tasks_bypass
        )
        client_ip = known_public_ip(given=args.public_ip)
        plan = await session.lockdown_plan(request, registry, client_ip=client_ip)
        show_plan(plan, args, as_json=args.plan or plan.blocked)
        if plan.blocked:
            for check in plan.blocks:
                print(f"acrfence {command}: blocked: {check.message}", file=sys.stderr)
            return Exit.FAILED
        if args.plan:
            return Exit.OK
        return await confirm_and_apply(
            command,
            registry.name,
            args,
            lambda progress: session.execute(plan, progress),
            effect_checker(session, target, args),
        )

    return await in_session(command, session, plan_and_apply)
