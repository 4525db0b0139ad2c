"""The words an operator reads for a probe: one vocabulary for the headless table, the TUI's
probe screens, the lockdown's data-plane check and the advice that follows a verdict.

The verdict codes (``auth-required``...) stay in JSON for scripts; people read these.
"""

from __future__ import annotations

from dataclasses import dataclass

from acrfence.services.models import ProbeExpectation, ProbeResult, Verdict

__all__ = [
    "Advice",
    "EXPECT_MET",
    "EXPECT_NOT_MET",
    "EXPECT_RULES_DISAGREE",
    "expectation_status",
    "path_line",
    "probe_advice",
    "verdict_words",
]

_WORDS = {
    Verdict.REACHABLE: "reachable (signed in)",
    Verdict.AUTH_REQUIRED: "reachable (login required)",
    Verdict.AUTH_FAILED: "reachable (login refused)",
    Verdict.NOT_FOUND: "reachable, image not found",
    Verdict.DENIED: "denied",
    Verdict.PRIVATE_ONLY: "private link only",
    Verdict.DNS_FAILURE: "no DNS answer",
    Verdict.CONNECT_FAILED: "connection failed",
    Verdict.TIMEOUT: "timed out",
    Verdict.TLS_ERROR: "TLS error",
    Verdict.UNEXPECTED_STATUS: "unexpected answer",
}

EXPECT_MET = "met"
EXPECT_NOT_MET = "NOT MET"
# The verdict is the one asked for, but the registry's rules say it should be the other:
# the rules aren't in force (yet), or the probe isn't where the operator thinks it is.
EXPECT_RULES_DISAGREE = "RULES DISAGREE"


def verdict_words(verdict: Verdict | str) -> str:
    try:
        return _WORDS[Verdict(verdict)]
    except (ValueError, KeyError):  # a code this version has no words for: say the code
        return str(verdict)


def expectation_status(result: ProbeResult, expectation: ProbeExpectation) -> str:
    """met, NOT MET, or RULES DISAGREE (met, but against what the rules say): only "met"
    passes `--expect`, so a disagreement is reported instead of hidden."""
    if not result.matches(expectation):
        return EXPECT_NOT_MET
    if result.rules_disagree:
        return EXPECT_RULES_DISAGREE
    return EXPECT_MET


@dataclass(frozen=True)
class Advice:
    """What to say (and offer) after a verdict. ``offer`` is "lockdown", "ip-rule" or None."""

    text: str
    offer: str | None = None


def probe_advice(
    result: ProbeResult, locked_down_by: str | None = None, from_subnet: bool = False
) -> Advice | None:
    """Advice that follows what the operator intends.

    ``locked_down_by`` is the journaled lockdown run of this registry still in force (the
    operator's intent: keep the internet out); ``from_subnet`` says the probe ran from inside
    a subnet (a vantage), not from this machine's own address.
    """
    verdict = result.verdict
    if verdict.network_refused:
        if locked_down_by and result.rules_disagree:
            return Advice(
                f"denied, though the rules of the lockdown (run {locked_down_by}) let this "
                "client in: a rule changed in the last few minutes may not have reached the "
                "data plane yet; probe again shortly"
            )
        if locked_down_by:
            where = "from this subnet" if from_subnet else "from the internet"
            return Advice(f"denied {where}: the lockdown (run {locked_down_by}) is working")
        if result.public_access_disabled:
            # IP rules apply to the public endpoint only, and it refuses everyone.
            return Advice(
                "public access is disabled, so no IP rule lets this client in: reach it through "
                "a private endpoint, from a network linked to its privatelink.azurecr.io zone"
            )
        if result.client_ip:
            return Advice(f"add an IP rule for {result.client_ip}", "ip-rule")
        return None
    if verdict.network_allowed and result.rules_disagree:
        if locked_down_by:
            return Advice(
                f"reachable although locked down (run {locked_down_by}): the rules may not "
                "have reached the data plane yet; probe again in a few minutes"
            )
        return Advice("lock it down", "lockdown")
    return None


def path_line(result: ProbeResult) -> str | None:
    """``path: private endpoint (CNAME x.privatelink.azurecr.io, A 10.1.8.5)``: the way the
    deciding host was reached, with the DNS chain when a DNS server was asked; None when the
    probe never connected."""
    if result.path is None:
        return None
    deciding = next((h for h in result.hosts if h.host == result.decided_host), None)
    chain = f" ({', '.join(deciding.dns_chain)})" if deciding and deciding.dns_chain else ""
    return f"path: {result.path}{chain}"
