"""The dashboard's one-key probe: the selected registry, from this machine, verdict in a toast.

The full probe wizard (vantages, several registries, live stages) is a screen of its own; this
is the quick look an operator takes while reading the dashboard. It drives the same
``services.probe.ProbeRunner`` with the app's target (connect-to rules, CA bundle, token).
"""

from __future__ import annotations

from typing import Any

from services.models import Inventory, ProbeResult, Registry
from services.probe import ProbeOptions, ProbeRunner
from services.probe.wording import verdict_words

__all__ = ["probe_options_for", "quick_probe", "verdict_toast"]


def probe_options_for(services: Any) -> ProbeOptions:
    """Probe options for the app's target: where names connect, what to trust, the token."""
    target = getattr(services, "target", None)
    clients = getattr(services, "clients", None)
    extras = getattr(services, "extras", None) or {}
    token = getattr(clients, "arm_token", None)
    return ProbeOptions(
        connect_to=tuple(getattr(target, "connect_to", None) or ()),
        ca_cert=getattr(target, "ca_cert", None),
        token_provider=token if callable(token) else None,
        public_ip=extras.get("public_ip"),
    )


async def quick_probe(services: Any, registry: Registry, inventory: Inventory) -> ProbeResult:
    """Probe ``registry`` from this machine; the verdict is explained beside its rules, with
    the advice `acrfence probe` gives (it follows the journal's lockdown of the registry)."""
    from dataclasses import replace

    from services.probe.wording import probe_advice

    result = await ProbeRunner(probe_options_for(services), inventory).probe(registry)
    try:
        run = services.journal().latest_lockdown(registry.id)
    except Exception:  # no journal to read: the advice is only less specific
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
