"""Terminal side of the headless plan commands: confirm, report progress, print results.

Plain stdio (no Textual) so `acrfence lockdown` starts fast; exit codes are shared:
0 applied and verified (or a plan shown), 1 blocked / failed / declined, 2 bad input,
4 applied but not yet effective on the data plane.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from acrfence.services.models import RunRecord, RunState, StepStatus
from acrfence.tui.commands.exit_codes import Exit
from acrfence.tui.commands.headless_modes import again

__all__ = [
    "fail",
    "confirm",
    "progress_printer",
    "print_json",
    "run_outcome",
]

# The run applied every step and its configuration reads back right, but the data plane
# doesn't agree yet (or couldn't be probed): not verified.


def fail(command: str, message: str, code: int = Exit.BAD_INPUT) -> int:
    print(f"acrfence {command}: {message}", file=sys.stderr)
    return code


def confirm(
    command: str, registry_name: str, assume_yes: bool, stdin: TextIO | None = None
) -> int | None:
    """None to go ahead; otherwise the exit code. Asks the operator to type the registry's
    name, which is harder to do by reflex than answering y."""
    if assume_yes:
        return None
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return fail(
            command, f"refusing to change {registry_name} without --yes: stdin is not a terminal"
        )
    print(
        f"Type the registry's name ({registry_name}) to apply, anything else cancels: ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    answer = stdin.readline().strip()
    if answer != registry_name:
        return fail(command, "cancelled: nothing changed", Exit.FAILED)
    return None


def progress_printer(stream: TextIO) -> Callable[[RunRecord, int], None]:
    """One line per step as it starts and as it ends."""
    seen: set[tuple[int, str]] = set()

    def report(run: RunRecord, index: int) -> None:
        if not index:
            return
        record = run.record(index)
        if (index, record.status) in seen:
            return
        seen.add((index, record.status))
        step = next(s for s in run.plan.steps if s.index == index)
        if record.status is StepStatus.APPLYING:
            print(f"  [{index}/{len(run.plan.steps)}] {step.title} ...", file=stream, flush=True)
        elif record.status is StepStatus.DONE:
            note = f" ({record.note})" if record.note else ""
            print(f"  [{index}/{len(run.plan.steps)}] done{note}", file=stream, flush=True)

    return report


def interrupted(command: str, run_id: str) -> None:
    """The line for a run stopped halfway (Ctrl-C): which run, and what finishes it."""
    print(
        f"acrfence {command}: run {run_id} was interrupted; finish it with "
        f"`{again(f'resume {run_id}')}` or undo it with `{again(f'rollback {run_id}')}`",
        file=sys.stderr,
    )


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def run_outcome(command: str, run: RunRecord, as_json: bool, effect: Any = None) -> int:
    """Report a finished run; ``effect`` (an EffectCheck) is what the data plane said."""
    done = run.state is RunState.DONE
    verified = done and (effect is None or (effect.effective and bool(effect.outcomes)))
    if as_json:
        document = run.to_json()
        if effect is not None:
            document["data_plane"] = effect.to_json()
        document["verified"] = verified
        print_json(document)
    if verified:
        if not as_json:
            seen = f": the data plane agrees ({effect.summary})" if effect is not None else ""
            print(f"run {run.id}: applied and verified{seen}")
        return Exit.OK
    if done:
        if not effect.outcomes:
            why = f"the data plane couldn't be probed from here ({effect.summary})"
        else:
            why = f"after {effect.waited_seconds:.0f} s: {effect.summary}"
        print(
            f"acrfence {command}: run {run.id}: applied, not yet effective: {why}; "
            f"probe again with `acrfence probe {run.plan.registry_name} --expect ... --wait 300`",
            file=sys.stderr,
        )
        return Exit.NOT_EFFECTIVE
    failed = next((r for r in run.records if r.status is StepStatus.FAILED), None)
    reason = (failed.error if failed else None) or run.error or f"run ended {run.state}"
    where = f"step {failed.index}: " if failed else ""
    print(
        f"acrfence {command}: run {run.id} failed at {where}{reason}; "
        f"`{again(f'resume {run.id}')}` retries, `{again(f'rollback {run.id}')}` undoes",
        file=sys.stderr,
    )
    return Exit.FAILED
