"""`acrfence migrate`: move a registry from service endpoint rules to a private endpoint,
shown as a plan, journaled step by step, verified from every network that pulls."""

from __future__ import annotations

import argparse

from acrfence.tui.commands._plan_command import (
    add_apply_flags,
    confirm_and_apply,
    in_session,
    run_async,
    show_plan,
)
from acrfence.tui.commands.exit_codes import Exit

HELP = (
    "migrate a registry to a private endpoint: DNS zone and links, the endpoint, verify, "
    "then remove the service endpoint rules (and, when asked, public access)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("registry", metavar="REGISTRY", help="registry name or resource ID")
    parser.add_argument(
        "--pe-subnet",
        required=True,
        metavar="SUBNET_ID",
        help="the subnet the private endpoint goes in (resource ID, or VNET/SUBNET)",
    )
    parser.add_argument(
        "--link-vnet",
        action="append",
        default=[],
        metavar="VNET_ID",
        help="a virtual network to link the DNS zone to, besides those the rules name",
    )
    parser.add_argument(
        "--zone-resource-group",
        metavar="RG",
        help="where a new privatelink.azurecr.io zone goes (default: the registry's group; "
        "an existing zone is reused)",
    )
    parser.add_argument(
        "--disable-public-access",
        action="store_true",
        help="last, set public network access Disabled and verify the internet is refused",
    )
    parser.add_argument(
        "--bypass",
        choices=("azure-services", "none"),
        help="with --disable-public-access: the trusted-services bypass (default: keep "
        "today's, set explicitly)",
    )
    parser.add_argument(
        "--remove-service-endpoints",
        action="store_true",
        help="also remove the Microsoft.ContainerRegistry endpoint from the rules' subnets "
        "when no remaining rule needs it",
    )
    parser.add_argument(
        "--endpoint-name", metavar="NAME", help="the private endpoint's name (default REGISTRY-pe)"
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
        check_resource_group,
        check_vnet_ids,
        resolve_subnet_name,
        split_subnet_args,
    )
    from acrfence.services.plans.journal import Journal
    from acrfence.services.plans.migrate import MigrateRequest
    from acrfence.services.plans.session import PlanSession
    from acrfence.services.public_ip import known_public_ip
    from acrfence.tui.commands import plan_console as console

    command = "migrate"
    try:
        given_ids, subnet_names = split_subnet_args([args.pe_subnet], "--pe-subnet")
        link_vnets = check_vnet_ids(args.link_vnet)
        zone_group = check_resource_group(args.zone_resource_group)
        bypass = check_bypass(args.bypass)
        if bypass is not None and not args.disable_public_access:
            raise PlanInputError("--bypass applies only with --disable-public-access")
        if args.endpoint_name is not None and not _endpoint_name_ok(args.endpoint_name):
            raise PlanInputError(f"--endpoint-name {args.endpoint_name!r} is not a valid name")
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
            inventory = await session.inventory() if subnet_names else None
            named = [resolve_subnet_name(n, inventory, "--pe-subnet") for n in subnet_names]
        except PlanInputError as exc:
            return console.fail(command, str(exc))
        request = MigrateRequest(
            registry_id=registry.id,
            pe_subnet_id=[*given_ids, *named][0],
            link_vnet_ids=link_vnets,
            zone_resource_group=zone_group,
            disable_public_access=args.disable_public_access,
            bypass=bypass,
            remove_service_endpoints=args.remove_service_endpoints,
            endpoint_name=args.endpoint_name,
        )
        client_ip = known_public_ip(given=args.public_ip)
        plan = await session.migration_plan(request, registry, client_ip=client_ip)
        show_plan(plan, args, as_json=args.plan or plan.blocked)
        if plan.blocked:
            for check in plan.blocks:
                print(f"acrfence {command}: blocked: {check.message}", file=sys.stderr)
            return Exit.FAILED
        if args.plan:
            return Exit.OK
        # The plan's own verification steps probe every network that pulls: no extra check.
        return await confirm_and_apply(
            command, registry.name, args, lambda progress: session.execute(plan, progress)
        )

    return await in_session(command, session, plan_and_apply)


def _endpoint_name_ok(name: str) -> bool:
    """Azure's rule for a private endpoint's name: 2-64 letters, digits, _ . -, starting with
    a letter or digit and ending with a letter, digit or _."""
    import re

    return re.fullmatch(r"[A-Za-z0-9][-\w.]{0,62}\w", name) is not None
