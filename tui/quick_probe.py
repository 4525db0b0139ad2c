"""The dashboard's one-key probe: the selected registry, from this machine, verdict in a toast.

The full probe wizard (vantages, several registries, live stages) is a screen of its own; this
is the quick look an operator takes while reading the dashboard. It drives the same
``services.probe.ProbeRunner`` with the app's target (connect-to rules, CA bundle, token).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from services.models import Inventory, ProbeResult, Registry
from services.probe import ProbeRunner
from tui.screens.probe_setup import setup_from_services

if TYPE_CHECKING:
    from tui.app import AppServices

__all__ = ["quick_probe", "verdict_toast"]


async def quick_probe(
    services: AppServices, registry: Registry, inventory: Inventory
) -> ProbeResult:
    """Probe ``registry`` from this machine, token exchange included; the verdict is explained
    beside its rules."""
    setup = setup_from_services(services)
    options = replace(setup.options(), token_provider=setup.token_provider)
    return await ProbeRunner(options, inventory).probe(registry)


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
        headline = f"? no answer from the registry ({verdict})"
    lines = [f"{headline}: {result.detail}"]
    if result.client_ip:
        lines.append(f"ACR saw client IP {result.client_ip}.")
    if result.explanation:
        lines.append(result.explanation)
    title = f"Probe of {result.registry_name}: {verdict}"
    return title, "\n".join(lines), severity
