"""Messages the app's workers post; handlers on the app turn them into state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from acrfence.services.inventory import InventoryEvent
    from acrfence.services.models import Finding, ProbeResult, Registry

__all__ = [
    "FindingsWorkedOut",
    "InventoryEventArrived",
    "InventoryLoadFinished",
    "InventoryLoadStarted",
    "QuickProbeFinished",
    "ResourcesReread",
]


@dataclass
class InventoryLoadStarted(Message):
    """A fresh read of the inventory began; the panes keep what they show until data arrives."""


@dataclass
class InventoryEventArrived(Message):
    """One streamed piece of the inventory (subscriptions, registries, networks, or a failure)."""

    event: InventoryEvent


@dataclass
class InventoryLoadFinished(Message):
    """The inventory stream ended; ``error`` says why when it ended early."""

    error: str | None = None


@dataclass
class QuickProbeFinished(Message):
    """The one-key probe of a registry answered; ``result`` is a services ProbeResult."""

    result: ProbeResult


@dataclass
class ResourcesReread(Message):
    """What a change touched, read again (a ``tui.after_change.Reread``) after ``plan`` ran."""

    plan: Any
    reread: Any


@dataclass
class FindingsWorkedOut(Message):
    """The findings thread's latest: every finding so far, and each registry's (by key);
    ``pending`` while the read goes on or some findings are not yet up to date."""

    generation: int  # which read they belong to; a later read's worker supersedes it
    findings: tuple[Finding, ...]
    by_registry: dict[str, tuple[Finding, ...]]
    changed: tuple[Registry, ...]  # analysed first, or findings changed, since the last post
    pending: bool
