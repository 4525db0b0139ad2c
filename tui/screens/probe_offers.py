"""Acting on a probe verdict: the lockdown wizard for a registry open against its rules, or
for an IP rule allowing the client IP the firewall refused. Both go through the same plan →
type the name → apply → verify → probe path as any lockdown."""

from __future__ import annotations

from acrfence.services.models import ProbeResult
from acrfence.tui.actions import WizardContext

__all__ = ["offers_lockdown", "open_lockdown"]


def offers_lockdown(result: ProbeResult) -> bool:
    """Open, though the rules say it should not be: the case a lockdown fixes."""
    return bool(result.verdict.network_allowed and result.rules_disagree)


def open_lockdown(context: WizardContext, registry_id: str, **preset: object) -> None:
    """Push the lockdown wizard for ``registry_id`` (refused in read-only mode)."""
    from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen

    app = context.app
    if context.read_only:
        app.notify("Read-only mode: changes are switched off.", severity="warning")
        return
    registry = context.inventory.registry(registry_id)
    if registry is None:
        app.notify(f"{registry_id} is not in the inventory; refresh and try again.")
        return
    wizard_context = WizardContext(app, context.inventory, registry, None, False)
    app.push_screen(LockdownWizardScreen(wizard_context, **preset))  # type: ignore[arg-type]
