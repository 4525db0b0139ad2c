"""The dashboard's wizards, by the name their action passes (``wizard('lockdown')``).

Imported when a wizard key is first pressed (``AcrFenceApp.action_wizard``), so the dashboard
starts without loading the plan and probe machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from acrfence.tui.screens.migrate_wizard import MigrateWizardScreen
from acrfence.tui.screens.probe_wizard import probe_wizard
from acrfence.tui.screens.restore_wizard import OPEN, UNDO, RestoreWizardScreen

__all__ = ["WIZARDS", "WizardFactory", "find_wizard"]

WizardFactory = Callable[[WizardContext], Screen[Any]]

WIZARDS: dict[str, WizardFactory] = {
    "lockdown": LockdownWizardScreen,
    "restore": lambda context: RestoreWizardScreen(context, mode=UNDO),
    "open": lambda context: RestoreWizardScreen(context, mode=OPEN),
    "probe": probe_wizard,
    "migrate": MigrateWizardScreen,
}


def find_wizard(name: str) -> WizardFactory | None:
    return WIZARDS.get(name)
