"""Lockdown and restore plans, and the journaled runs that apply them.

Everything here is a frozen dataclass of JSON-friendly values (str, bool, int, tuples, dicts of
those), so a plan can be shown as a diff, written to the journal and read back after a crash.
Steps carry *deltas* (typed records from ``step_change``: rules to add or remove, settings to
move) rather than whole states: the executor applies a delta to a fresh read, so a change
someone else made meanwhile survives.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from acrfence.services.models.step_change import (
    StepChange,
    VerifyChange,
    change_from_json,
    legacy_applied,
)

__all__ = [
    "CheckLevel",
    "Check",
    "StepKind",
    "Step",
    "Plan",
    "RunState",
    "StepStatus",
    "StepRecord",
    "RunRecord",
]


class CheckLevel(StrEnum):
    BLOCK = "block"  # the plan can't be applied
    WARN = "warn"  # applying is allowed, but someone should read this first
    INFO = "info"


@dataclass(frozen=True)
class Check:
    """One pre-flight finding: ``code`` is stable for scripts, ``message`` is for people."""

    level: CheckLevel
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"level": str(self.level), "code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Check:
        return cls(CheckLevel(data["level"]), data["code"], data["message"])


class StepKind(StrEnum):
    REGISTER_PROVIDER = "register-provider"
    ENABLE_ENDPOINT = "enable-endpoint"
    DISABLE_ENDPOINT = "disable-endpoint"
    WRITE_RULES = "write-rules"
    VERIFY = "verify"
    # The migration to a private endpoint (services.plans.migrate) and its undo.
    CREATE_DNS_ZONE = "create-dns-zone"
    DELETE_DNS_ZONE = "delete-dns-zone"
    LINK_DNS_ZONE = "link-dns-zone"
    UNLINK_DNS_ZONE = "unlink-dns-zone"
    CREATE_PRIVATE_ENDPOINT = "create-private-endpoint"
    DELETE_PRIVATE_ENDPOINT = "delete-private-endpoint"
    VERIFY_PRIVATE_LINK = "verify-private-link"  # from every network that pulls
    VERIFY_PUBLIC_REFUSED = "verify-public-refused"  # the internet is refused

    @property
    def verifies(self) -> bool:
        """A step that reads and checks, writing nothing."""
        return self in _VERIFY_KINDS


_VERIFY_KINDS = frozenset(
    {StepKind.VERIFY, StepKind.VERIFY_PRIVATE_LINK, StepKind.VERIFY_PUBLIC_REFUSED}
)


@dataclass(frozen=True)
class Step:
    """One ordered change.

    ``before``/``after`` are the states shown to the operator (diff-able dicts); ``change`` is
    the delta the executor applies to a fresh read (the record type matches ``kind``); ``az``
    the equivalent Azure CLI commands.
    """

    index: int
    kind: StepKind
    target: str  # subscription ID, subnet ID or registry ID
    title: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    change: StepChange = field(default_factory=VerifyChange)
    az: tuple[str, ...] = ()

    @property
    def writes(self) -> bool:
        return not self.kind.verifies

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": str(self.kind),
            "target": self.target,
            "title": self.title,
            "before": dict(self.before),
            "after": dict(self.after),
            "change": self.change.to_json(),
            "az": list(self.az),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        return cls(
            index=int(data["index"]),
            kind=StepKind(data["kind"]),
            target=data["target"],
            title=data["title"],
            before=dict(data.get("before") or {}),
            after=dict(data.get("after") or {}),
            change=change_from_json(data["kind"], data.get("change")),
            az=tuple(data.get("az") or ()),
        )


@dataclass(frozen=True)
class Plan:
    """What a lockdown, restore or rollback will do, after pre-flight checks."""

    kind: str  # "lockdown", "restore", "rollback" or "migrate"
    registry_id: str
    registry_name: str
    checks: tuple[Check, ...] = ()
    steps: tuple[Step, ...] = ()
    source_run_id: str | None = None  # the run a restore/rollback undoes

    @property
    def blocked(self) -> bool:
        return any(check.level is CheckLevel.BLOCK for check in self.checks)

    @property
    def blocks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.level is CheckLevel.BLOCK)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.level is CheckLevel.WARN)

    @property
    def changes_anything(self) -> bool:
        return any(step.writes for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "registry_id": self.registry_id,
            "registry_name": self.registry_name,
            "source_run_id": self.source_run_id,
            "checks": [check.to_json() for check in self.checks],
            "steps": [step.to_json() for step in self.steps],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            kind=data["kind"],
            registry_id=data["registry_id"],
            registry_name=data["registry_name"],
            source_run_id=data.get("source_run_id"),
            checks=tuple(Check.from_json(c) for c in data.get("checks") or ()),
            steps=tuple(Step.from_json(s) for s in data.get("steps") or ()),
        )


class RunState(StrEnum):
    PLANNED = "planned"
    APPLYING = "applying"
    DONE = "done"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"


class StepStatus(StrEnum):
    PENDING = "pending"
    APPLYING = "applying"  # intent journaled; the write may or may not have happened
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class StepRecord:
    """What happened to one step.

    ``replaced`` is the state read just before the step's first write, journaled before that
    write and kept whatever the outcome. ``applied`` is the part of the step's change OUR
    writes made (or, while a write is in flight, may have made): journaled as the write is
    sent, narrowed to nothing when Azure refused it. Rollback undoes exactly ``applied``, so a
    step whose write never happened is undone by doing nothing, and what someone else added
    is never ours to remove.
    """

    index: int
    status: StepStatus = StepStatus.PENDING
    replaced: dict[str, Any] | None = None
    applied: StepChange | None = None
    result: dict[str, Any] | None = None
    note: str | None = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": str(self.status),
            "replaced": self.replaced,
            "applied": None if self.applied is None else self.applied.to_json(),
            "result": self.result,
            "note": self.note,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], step: Step | None = None) -> StepRecord:
        """``data`` is the journal's entry for the step (the step and its record in one);
        an entry from before ``applied`` existed gets it derived from ``replaced``."""
        status = StepStatus(data.get("status", "pending"))
        kind = step.kind if step else data.get("kind")
        applied = None
        if data.get("applied") is not None and kind:
            applied = change_from_json(kind, data["applied"])
        elif "applied" not in data and step is not None:
            applied = legacy_applied(step.change, str(status), data.get("replaced"), step.before)
        return cls(
            index=int(data["index"]),
            status=status,
            replaced=data.get("replaced"),
            applied=applied,
            result=data.get("result"),
            note=data.get("note"),
            error=data.get("error"),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
        )


@dataclass(frozen=True)
class RunRecord:
    """One journaled run of a plan; one JSON file in the journal directory."""

    id: str
    plan: Plan
    state: RunState = RunState.PLANNED
    records: tuple[StepRecord, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    error: str | None = None
    rolled_back_by: str | None = None
    # The ARM endpoint the run was made against (None: a run journaled before it was kept).
    arm_endpoint: str | None = None

    @property
    def registry(self) -> str:
        return self.plan.registry_id

    @property
    def unfinished(self) -> bool:
        return self.state in (RunState.PLANNED, RunState.APPLYING, RunState.FAILED)

    def record(self, index: int) -> StepRecord:
        return next(r for r in self.records if r.index == index)

    def with_record(self, updated: StepRecord) -> RunRecord:
        records = tuple(updated if r.index == updated.index else r for r in self.records)
        return replace(self, records=records)

    def to_json(self) -> dict[str, Any]:
        steps = []
        for step in self.plan.steps:
            entry = step.to_json()
            entry.update(
                {k: v for k, v in self.record(step.index).to_json().items() if k != "index"}
            )
            steps.append(entry)
        return {
            "id": self.id,
            "kind": self.plan.kind,
            "registry": self.plan.registry_id,
            "registry_name": self.plan.registry_name,
            "state": str(self.state),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "error": self.error,
            "rolled_back_by": self.rolled_back_by,
            "arm_endpoint": self.arm_endpoint,
            "source_run_id": self.plan.source_run_id,
            "checks": [c.to_json() for c in self.plan.checks],
            "steps": steps,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        plan = Plan(
            kind=data["kind"],
            registry_id=data["registry"],
            registry_name=data.get("registry_name") or data["registry"].rsplit("/", 1)[-1],
            source_run_id=data.get("source_run_id"),
            checks=tuple(Check.from_json(c) for c in data.get("checks") or ()),
            steps=tuple(Step.from_json(s) for s in data.get("steps") or ()),
        )
        records = tuple(
            StepRecord.from_json(s, step)
            for s, step in zip(data.get("steps") or (), plan.steps, strict=True)
        )
        return cls(
            id=data["id"],
            plan=plan,
            state=RunState(data["state"]),
            records=records,
            created_at=data.get("created_at", ""),
            updated_at=data.get("updated_at", ""),
            error=data.get("error"),
            rolled_back_by=data.get("rolled_back_by"),
            arm_endpoint=data.get("arm_endpoint"),
        )
