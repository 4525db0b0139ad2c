"""`acrfence findings`: every finding, with the auditors' check IDs it maps to and its fix.

    acrfence findings                                  # the tenant, acrfence's own profile
    acrfence findings --profile azure-policy --json    # as Azure Policy's built-ins see it
    acrfence findings --registry myregistry --fail-on warning   # a CI gate

Exit codes: 0 nothing at or above --fail-on (default error); 1 something is; 2 bad input
(one line, nothing read); 3 Azure refused or couldn't be reached (one line), or a
subscription couldn't be read (the rest is still judged and printed; stderr names it).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from acrfence.tui.commands._audit import (
    BadInput,
    add_profile_option,
    choose_registries,
    load_profile,
    read_inventory,
    scope_of,
)
from acrfence.tui.commands.exit_codes import Exit

HELP = "list findings with the Azure Policy, PSRule, Prowler, Checkov, CloudSploit IDs they map to"

_RANK = {"error": 0, "warning": 1, "info": 2}
_MARK = {"error": "✖ error", "warning": "▲ warning", "info": "● info"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        action="append",
        default=None,
        metavar="REGISTRY",
        help="only this registry, by name or resource ID (repeatable)",
    )
    add_profile_option(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        default="error",
        help="exit 1 when a finding is at least this severe (default: error)",
    )


def failing(findings: Any, fail_on: str) -> list[Any]:
    return [f for f in findings if _RANK[str(f.severity)] <= _RANK[fail_on]]


def render_text(data: Any) -> str:
    from acrfence.services.models import group_verdicts

    counts = data.severity_counts()
    summary = ", ".join(f"{n} {severity}" for severity, n in counts.items())
    lines = [
        f"{len(data.findings)} findings in {len(data.registries)} registries ({summary}); "
        f"profile {data.profile.name}"
    ]
    for finding in data.findings:
        subject = data.subject(finding)
        lines.append("")
        lines.append(f"{_MARK[str(finding.severity)]}  {finding.code}  {subject}")
        lines.append(f"  {finding.title}")
        for checks, outcome, note in group_verdicts(finding.peers):
            remark = f" (acrfence: {note})" if note else ""
            lines.append(f"  {', '.join(checks)}: {outcome}{remark}")
        lines.append(f"  fix: {data.fix(finding)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from acrfence.services.report import build_report, report_to_json

    try:
        profile = load_profile(args)
        inventory = read_inventory(args, "findings")
        if inventory is None:
            return Exit.AZURE_REFUSED
        registry_ids = choose_registries(inventory, args.registry)
    except BadInput as error:
        print(f"acrfence findings: {error}", file=sys.stderr)
        return Exit.BAD_INPUT
    scope = scope_of(inventory, args.subscription)
    data = build_report(inventory, profile, registry_ids=registry_ids, scope=scope)
    # A gate that passes because a subscription couldn't be read must say so.
    for failure in inventory.failures:
        print(
            f"acrfence findings: warning: {failure.subscription_id} {failure.what} not read "
            f"({failure.code}); its registries and subnets are not judged",
            file=sys.stderr,
        )
    if args.json:
        document = report_to_json(data, args.fail_on)
        document["unread"] = [
            {"subscription_id": f.subscription_id, "what": f.what, "code": f.code}
            for f in inventory.failures
        ]
        print(json.dumps(document, indent=2))
    else:
        print(render_text(data))
    if inventory.failures:
        return Exit.AZURE_REFUSED  # a gate that didn't see everything can't say it passed
    return Exit.FAILED if failing(data.findings, args.fail_on) else Exit.OK
