"""The run journal: one JSON file per run under ``$XDG_STATE_HOME/acrfence``.

Written atomically (temp file, fsync, rename, fsync of the directory) so a kill -9 at any
instant leaves either the previous or the next version of a run, never a torn file. Holds
plans, states and outcomes only: no tokens, no credentials.

Each run keeps the ARM endpoint it was made against, and a journal opened for an endpoint
shows, resumes and rolls back only the runs made there: a lockdown interrupted against the
emulator serving a snapshot of the tenant (real resource IDs) must never be offered for
resume against Azure.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from acrfence.services.models import Plan, RunRecord, RunState, StepRecord

__all__ = ["Journal", "JournalError", "journal_directory", "now_text", "same_place"]

_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")


class JournalError(ValueError):
    """An unknown or unreadable run: one line for the operator."""


def journal_directory(env: Mapping[str, str] | None = None) -> Path:
    """ACRFENCE_JOURNAL_DIR (set by `--demo` for its own journal), else the XDG state dir."""
    env = os.environ if env is None else env
    if env.get("ACRFENCE_JOURNAL_DIR"):
        return Path(env["ACRFENCE_JOURNAL_DIR"])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "acrfence"


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def same_place(endpoint: str, other: str) -> bool:
    """Whether two ARM endpoints are the same Azure: scheme and host alike, and on the
    loopback any port (the emulator takes a free port at each start, its tenant kept)."""
    one, two = urlsplit(endpoint.strip().rstrip("/")), urlsplit(other.strip().rstrip("/"))
    if (one.scheme.casefold(), one.hostname) != (two.scheme.casefold(), two.hostname):
        return False
    return _loopback(one.hostname) or one.port == two.port


def _loopback(host: str | None) -> bool:
    return host in ("localhost", "::1") or (host or "").startswith("127.")


class Journal:
    """The runs under `directory`; with `arm_endpoint`, only those made against it (and
    those journaled before runs kept their endpoint), and new runs are marked with it."""

    def __init__(self, directory: Path | None = None, arm_endpoint: str | None = None) -> None:
        self.directory = directory or journal_directory()
        self.arm_endpoint = arm_endpoint

    def path(self, run_id: str) -> Path:
        if not _RUN_ID.fullmatch(run_id or ""):
            raise JournalError(f"not a run ID: {run_id!r} (see `acrfence journal`)")
        return self.directory / f"{run_id}.json"

    def new_run(self, plan: Plan) -> RunRecord:
        stamp = datetime.now(UTC)
        run_id = f"{stamp:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        record = RunRecord(
            id=run_id,
            plan=plan,
            state=RunState.PLANNED,
            records=tuple(StepRecord(index=step.index) for step in plan.steps),
            created_at=stamp.isoformat(timespec="milliseconds"),
            arm_endpoint=self.arm_endpoint,
        )
        return self.save(record)

    async def anew_run(self, plan: Plan) -> RunRecord:
        """``new_run`` in a worker thread (see ``asave``)."""
        return await asyncio.to_thread(self.new_run, plan)

    async def asave(self, record: RunRecord) -> RunRecord:
        """``save`` in a worker thread, for callers on the event loop: its two fsyncs take
        milliseconds (far longer on a busy disk) that the TUI's redraws and the other
        requests in flight must not wait out. Awaited, so the order of writes is kept."""
        return await asyncio.to_thread(self.save, record)

    def save(self, record: RunRecord) -> RunRecord:
        record = replace(record, updated_at=now_text())
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps(record.to_json(), indent=2, sort_keys=True)
        fd, temp = tempfile.mkstemp(prefix=".run-", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path(record.id))
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._sync_directory()
        return record

    def _sync_directory(self) -> None:
        try:
            fd = os.open(self.directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass  # some filesystems refuse fsync on directories; the rename is still atomic
        finally:
            os.close(fd)

    def made_here(self, run: RunRecord) -> bool:
        if self.arm_endpoint is None or run.arm_endpoint is None:
            return True
        return same_place(run.arm_endpoint, self.arm_endpoint)

    def load(self, run_id: str) -> RunRecord:
        """The run, when it was made here; a run made against another endpoint is refused:
        resuming or undoing it here would change resources it never planned for."""
        run = self._read(run_id)
        if not self.made_here(run):
            raise JournalError(
                f"run {run_id} was made against {run.arm_endpoint}, not {self.arm_endpoint}: "
                f"finish or undo it with ACRFENCE_ARM_ENDPOINT={run.arm_endpoint}"
            )
        return run

    def _read(self, run_id: str) -> RunRecord:
        path = self.path(run_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise JournalError(f"no run {run_id} in {self.directory}") from None
        except (OSError, ValueError) as exc:
            raise JournalError(f"run {run_id} can't be read: {exc}") from None
        try:
            return RunRecord.from_json(data)
        except (KeyError, ValueError, TypeError) as exc:
            raise JournalError(f"run {run_id} is not a valid journal entry: {exc}") from None

    def runs(self) -> list[RunRecord]:
        """Every readable run made here, oldest first; unreadable files are skipped, not
        fatal."""
        return self.here_and_elsewhere()[0]

    def made_elsewhere(self) -> list[RunRecord]:
        """The runs made against other endpoints, which this journal leaves alone."""
        return self.here_and_elsewhere()[1]

    def here_and_elsewhere(self) -> tuple[list[RunRecord], list[RunRecord]]:
        """The runs made here and those made elsewhere, from one read of the directory."""
        here: list[RunRecord] = []
        elsewhere: list[RunRecord] = []
        for run in self._every_run():
            (here if self.made_here(run) else elsewhere).append(run)
        return here, elsewhere

    def _every_run(self) -> list[RunRecord]:
        if not self.directory.is_dir():
            return []
        runs = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                runs.append(self._read(path.stem))
            except JournalError:
                continue
        return sorted(runs, key=lambda r: (r.created_at, r.id))

    def unfinished(self) -> list[RunRecord]:
        """Runs a crash or failure left halfway, which resume or rollback can finish."""
        return [
            r
            for r in self.runs()
            if r.state in (RunState.APPLYING, RunState.FAILED) and not r.rolled_back_by
        ]

    def latest_lockdown(self, registry_id: str) -> RunRecord | None:
        """This registry's newest lockdown run that finished and hasn't been undone: what the
        operator intends for it (advice after a probe follows it)."""
        key = registry_id.strip().casefold()
        candidates = [
            run
            for run in self.runs()
            if run.plan.kind == "lockdown"
            and run.state is RunState.DONE
            and not run.rolled_back_by
            and run.plan.registry_id.strip().casefold() == key
        ]
        return max(candidates, key=lambda run: (run.created_at, run.id), default=None)
