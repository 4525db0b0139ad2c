"""The headless probe command's work: find the registries, probe them, report, pick the exit code.

Kept out of ``tui/commands/probe.py`` so that module stays import-light for ``--help``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from acrfence.services.connect_to import ConnectTo
from acrfence.services.models import Inventory, ProbeExpectation, ProbeResult, Registry
from acrfence.services.probe.options import ProbeOptions, StageTimeouts, TokenProvider
from acrfence.services.probe.runner import ProbeRunner
from acrfence.services.probe.watch import probe_until
from acrfence.services.public_ip import known_public_ip
from acrfence.tui.commands.exit_codes import Exit
from acrfence.tui.commands.probe_report import render_table, result_to_json

if TYPE_CHECKING:
    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target

__all__ = ["ProbeInputError", "run_probe_command", "pick_registries", "exit_code"]


class ProbeInputError(ValueError):
    """Bad input found once Azure was read (an unknown or ambiguous registry): one line, exit 2."""


# services.lookup's codes for "that text names no (single) registry": bad input, not Azure's.
_BAD_NAME_CODES = {
    "RegistryNotFound",
    "AmbiguousRegistryName",
    "InvalidRegistryName",
    "InvalidResourceId",
}


async def pick_registries(
    clients: AzureClients, inventory: Inventory, names: Sequence[str], every: bool
) -> list[Registry]:
    """Registries by resource ID or by name (unique across the visible subscriptions), found
    by ``services.lookup``; ProbeInputError (one line) for one that names none or several."""
    from acrfence.services.errors import AcrfenceError
    from acrfence.services.lookup import find_registry

    if every:
        return list(inventory.registries)
    picked: dict[str, Registry] = {}
    for name in names:
        try:
            registry = await find_registry(clients, inventory, name)
        except AcrfenceError as error:
            if error.code in _BAD_NAME_CODES:
                raise ProbeInputError(str(error)) from None
            raise
        picked.setdefault(registry.key, registry)
    return list(picked.values())


def exit_code(results: Sequence[ProbeResult], expectation: ProbeExpectation | None) -> int:
    if expectation is None:
        return Exit.OK
    # Only "met" passes: a verdict that matches --expect while the rules say otherwise is
    # reported (RULES DISAGREE), not waved through.
    from acrfence.services.probe.wording import EXPECT_MET, expectation_status

    met = all(expectation_status(r, expectation) == EXPECT_MET for r in results)
    return Exit.OK if met else Exit.FAILED


def _advice(
    results: Sequence[ProbeResult], *, from_subnet: bool, arm_endpoint: str | None
) -> dict[str, Any]:
    """What to say after each verdict, following the journal's record of what the operator
    intends for the registry (its lockdown still in force, if any)."""
    from acrfence.services.plans.journal import Journal
    from acrfence.services.probe.wording import probe_advice

    journal = Journal(arm_endpoint=arm_endpoint)
    advice = {}
    for result in results:
        run = journal.latest_lockdown(result.registry_id) if result.registry_id else None
        item = probe_advice(result, run.id if run else None, from_subnet=from_subnet)
        if item is not None:
            advice[result.registry_name] = item
    return advice


def options_from_args(
    args: argparse.Namespace,
    connect_to: tuple[ConnectTo, ...],
    ca_cert: str | None,
    target: Target | None = None,
) -> ProbeOptions:
    from acrfence.services.probe.dns_server import address_map_for_rule, parse_dns_server

    given = getattr(args, "dns_server", None)
    dns_server = parse_dns_server(given) if given else (target.dns_server if target else None)
    rule = target.private_address_rule if target else None
    return ProbeOptions(
        dns_server=dns_server,
        address_map=address_map_for_rule(rule) if rule else None,
        timeouts=StageTimeouts.uniform(args.timeout),
        connect_to=connect_to,
        source_address=args.source_address,
        ca_cert=ca_cert,
        follow_private=args.follow_private,
        concurrency=args.concurrency,
        public_ip=known_public_ip(given=args.public_ip),
        subnet_id=args.from_subnet or _vantage_subnet(args.source_address),
    )


def _vantage_subnet(source_address: str | None) -> str | None:
    """The subnet a source address stands in for (ACRFENCE_VANTAGES, set by the demo), so
    the explanation judges the probe from where it really came from."""
    if not source_address:
        return None
    from acrfence.services.plans.effect import vantages_from_env

    return next(
        (subnet for subnet, address in vantages_from_env().items() if address == source_address),
        None,
    )


async def probe_and_report(
    runner: ProbeRunner,
    registries: Sequence[Registry],
    args: argparse.Namespace,
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    arm_endpoint: str | None = None,
) -> int:
    # Looked up per call, not bound at import: callers (and tests) may swap the streams.
    out = out or sys.stdout
    err = err or sys.stderr
    expectation = ProbeExpectation(args.expect) if args.expect else None
    if expectation is not None and args.wait > 0:
        total = len(registries)

        def progress(results: list[ProbeResult], left: float) -> None:
            if args.json:
                return
            matched = sum(r.matches(expectation) for r in results)
            print(
                f"acrfence probe: {matched}/{total} {expectation}, {left:.0f}s left",
                file=err,
                flush=True,
            )

        results = await probe_until(runner, registries, expectation, args.wait, on_round=progress)
    else:
        results = await runner.probe_many(registries)
    advice = _advice(
        results, from_subnet=runner.options.subnet_id is not None, arm_endpoint=arm_endpoint
    )
    if args.json:
        documents = [result_to_json(r, expectation) for r in results]
        for document, result in zip(documents, results, strict=True):
            item = advice.get(result.registry_name)
            document["advice"] = item.text if item else None
        json.dump(documents, out, indent=2)
        out.write("\n")
    else:
        out.write(render_table(results, expectation, advice) + "\n")
    return exit_code(results, expectation)


async def run_probe_command(args: argparse.Namespace, connect_to: tuple[ConnectTo, ...]) -> int:
    """Read the tenant, pick the registries, probe, print; exit code per --expect."""
    from acrfence.services.azure import AzureClients
    from acrfence.services.config import Target
    from acrfence.services.inventory import InventoryService

    target = Target.from_env()
    # The target's connect-to (the emulator's) comes after the command line's: first match wins.
    connect_to = connect_to + target.connect_to
    async with AzureClients(target) as clients:
        inventory = await InventoryService(clients).load()
        registries = await pick_registries(clients, inventory, args.registries, args.all)
        options = options_from_args(args, connect_to, target.ca_cert, target)
        if args.token or getattr(args, "pull", None):
            options = _with_token(options, clients.arm_token)
        if getattr(args, "pull", None):
            from dataclasses import replace

            from acrfence.services.probe.pull import ImageReference

            options = replace(options, pull=ImageReference.parse(args.pull))
        runner = ProbeRunner(options, inventory)
        return await probe_and_report(runner, registries, args, arm_endpoint=target.arm_endpoint)


def _with_token(options: ProbeOptions, provider: TokenProvider) -> ProbeOptions:
    from dataclasses import replace

    return replace(options, token_provider=provider)
