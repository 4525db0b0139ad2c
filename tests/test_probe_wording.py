"""The probe's words and advice: one vocabulary, advice that follows the operator's intent."""

from __future__ import annotations

import pytest

from acrfence.services.models import ProbeExpectation, ProbeResult, Stage, Verdict
from acrfence.services.probe.wording import expectation_status, probe_advice, verdict_words


def _result(verdict: Verdict, *, disagree: bool | None = False, client_ip: str | None = None):
    return ProbeResult(
        registry_name="reg1",
        login_server="reg1.azurecr.io",
        hosts=(),
        verdict=verdict,
        decided_at=Stage.CHALLENGE,
        decided_host="reg1.azurecr.io",
        detail="",
        client_ip=client_ip,
        rules_disagree=disagree,
    )


def test_every_verdict_has_words_and_none_is_a_code():
    for verdict in Verdict:
        assert verdict_words(verdict) != str(verdict) or verdict is Verdict.DENIED
    assert verdict_words(Verdict.AUTH_REQUIRED) == "reachable (login required)"


@pytest.mark.parametrize(
    ("verdict", "disagree", "expect", "status"),
    [
        (Verdict.AUTH_REQUIRED, False, ProbeExpectation.REACHABLE, "met"),
        (Verdict.AUTH_REQUIRED, True, ProbeExpectation.REACHABLE, "RULES DISAGREE"),
        (Verdict.AUTH_REQUIRED, False, ProbeExpectation.DENIED, "NOT MET"),
        (Verdict.DENIED, False, ProbeExpectation.DENIED, "met"),
        (Verdict.DENIED, True, ProbeExpectation.DENIED, "RULES DISAGREE"),
        (Verdict.TIMEOUT, None, ProbeExpectation.DENIED, "NOT MET"),
    ],
)
def test_expectation_status(verdict, disagree, expect, status):
    assert expectation_status(_result(verdict, disagree=disagree), expect) == status


def test_advice_follows_the_lockdown_in_the_journal():
    denied = _result(Verdict.DENIED, client_ip="203.0.113.10")
    assert probe_advice(denied).offer == "ip-rule"  # nobody's lockdown: an IP rule may be meant
    after = probe_advice(denied, "RUN1")
    assert after.offer is None and after.text.startswith("denied from the internet")
    assert "is working" in after.text
    late = probe_advice(_result(Verdict.DENIED, disagree=True, client_ip="1.2.3.4"), "RUN1")
    assert late.offer is None and "may not have reached" in late.text
    open_against_rules = _result(Verdict.AUTH_REQUIRED, disagree=True)
    assert probe_advice(open_against_rules).offer == "lockdown"
    assert probe_advice(open_against_rules, "RUN1").offer is None
    assert probe_advice(_result(Verdict.AUTH_REQUIRED)) is None


def test_no_ip_rule_is_advised_when_public_access_is_disabled():
    # contosoprivate in the demo: IP rules apply to the public endpoint, which refuses everyone.
    closed = ProbeResult(
        registry_name="reg1",
        login_server="reg1.azurecr.io",
        hosts=(),
        verdict=Verdict.DENIED,
        decided_at=Stage.CHALLENGE,
        decided_host="reg1.azurecr.io",
        detail="",
        client_ip="203.0.113.10",
        rules_disagree=False,
        public_access_disabled=True,
    )
    advice = probe_advice(closed)
    assert advice is not None and advice.offer is None
    assert "IP rule" in advice.text and "private endpoint" in advice.text
