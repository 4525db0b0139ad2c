"""The dashboard's one-key probe: the selected registry, from this machine, verdict in a toast.

The full probe wizard (vantages, several registries, live stages) is a screen of its own; this
is the quick look an operator takes while reading the dashboard. It drives the same
``services.probe.ProbeRunner`` with the app's target (connect-to rules, CA bundle, token).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from acrfence.services.models import Inventory, ProbeResult, Registry
from acrfence.services.probe import ProbeRunner
from acrfence.services.probe.wording import probe_advice, verdict_words
from acrfence.tui.screens.probe_setup import setup_from_services

if TYPE_CHECKING:
    from acrfence.tui.app import AppServices

__all__ = ["quick_probe", "verdict_toast"]


async def quick_probe(
    services: AppServices, registry: Registry, inventory: Inventory
) -> ProbeResult:
    """Probe ``registry`` from this machine, token exchange included; the verdict is explained
    beside its rules, with the advice `acrfence probe` gives (it follows the journal's lockdown
    of the registry)."""
    setup = setup_from_services(services)
    options = replace(setup.options(), token_provider=setup.token_provider)
    result = await ProbeRunner(options, inventory).probe(registry)
    try:
        run = services.journal().latest_lockdown(registry.id)
    except OSError:  # no journal to read: the advice is only less specific
        run = None
    advice = probe_advice(result, run.id if run else None)
    if advice is None or advice.offer:
        return result  # offers belong to the probe wizard, where their keys are
    explanation = "\n".join(part for part in (result.explanation, advice.text) if part)
    return replace(result, explanation=explanation)


def verdict_toast(result: ProbeResult) -> tuple[str, str, str]:
    """(title, message, severity) for the notification that reports ``result``."""
    verdict = result.verdict
    if verdict.network_allowed:
        severity = "information"
        headline = "✓ the network lets this machine in"
    elif verdict.network_refused:
        severity = "warning"
        headline = "✗ the firewall refuses this machine (403 DENIED)"
    else:
        severity = "error"
        headline = f"? no answer from the registry ({verdict_words(verdict)})"
    lines = [f"{headline}: {result.detail}"]
    if result.client_ip:
        lines.append(f"ACR saw client IP {result.client_ip}.")
    if result.explanation:
        lines.append(result.explanation)
    title = f"Probe of {result.registry_name}: {verdict_words(verdict)}"
    return title, "\n".join(lines), severity
