"""The peer auditors' checks, evaluated as each tool's source does, and the policy profiles.

Each table row is one registry state and the verdict the tool's own rule gives it (the rules
are quoted in services/analysis/peers.py with where they were read)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from acrfence.services.analysis import find_findings
from acrfence.services.analysis.context import classify, context_for
from acrfence.services.analysis.peers import PEER_CHECKS, RELATED_CHECKS, peer_verdicts
from acrfence.services.analysis.posture import OPEN_TAG, POSTURE_CODES
from acrfence.services.analysis.profiles import PROFILES, ProfileError, load_profile
from acrfence.services.models import PeerOutcome, Severity
from helpers import make_connection, make_inventory, make_registry, make_subnet

P, F = PeerOutcome.PASS, PeerOutcome.FAIL


def verdicts(registry, subnets=()):
    inventory = make_inventory([registry], subnets)
    return peer_verdicts(registry, classify(registry, context_for(inventory)))


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        # Open Premium: every open-network check fails.
        (make_registry(default_action="Allow"),
         {"d0793b48": F, "psrule-firewall": F, "prowler-network": F, "c4857be7": F}),
        # Deny with no rule at all passes them all but c4857be7 (it wants a vnet rule).
        (make_registry(),
         {"d0793b48": P, "psrule-firewall": P, "prowler-network": P, "c4857be7": F}),
        # Public access Disabled with an unused default Allow: Azure Policy and PSRule pass,
        # Prowler reads only the default action and fails it.
        (make_registry(default_action="Allow", public="Disabled"),
         {"d0793b48": P, "psrule-firewall": P, "prowler-network": F, "0fdf0491": P,
          "prowler-public": P, "ckv-azure-139": P, "cloudsploit-public": P}),
        # A Pending connection: Azure Policy wants Approved, Prowler and CloudSploit count any.
        (make_registry(connections=(make_connection("pe", "/pe", status="Pending"),)),
         {"e8eef0a8": F, "prowler-private-link": P, "cloudsploit-private-endpoints": P,
          "e9585a95": PeerOutcome.NOT_EVALUATED}),
        (make_registry(bypass="None"), {"cloudsploit-trusted": F}),
        (make_registry(), {"cloudsploit-trusted": P, "ckv-azure-237": F,
                           "e9585a95": PeerOutcome.NOT_APPLICABLE}),
    ],
)  # fmt: skip
def test_peer_checks_evaluate_as_their_source_does(registry, expected) -> None:
    found = verdicts(registry)
    assert {key: found[key] for key in expected} == expected


def test_psrule_firewall_looks_at_premium_registries_only() -> None:
    basic = make_registry(sku="Basic", default_action="Allow")
    assert verdicts(basic)["psrule-firewall"] is PeerOutcome.NOT_APPLICABLE
    (finding,) = find_findings(make_inventory([basic]))
    (psrule,) = [p for p in finding.peers if p.tool == "PSRule for Azure"]
    assert psrule.outcome is PeerOutcome.NOT_APPLICABLE and "no firewall" in psrule.note


def test_data_endpoint_check() -> None:
    assert verdicts(replace(make_registry(), data_endpoint_enabled=True))["ckv-azure-237"] is P


def test_every_peer_check_maps_to_a_finding_code_and_every_code_exists() -> None:
    mapped = {key for keys in RELATED_CHECKS.values() for key in keys}
    assert mapped == {check.key for check in PEER_CHECKS}
    assert len({check.check_id for check in PEER_CHECKS}) == len(PEER_CHECKS)
    for check in PEER_CHECKS:
        assert check.tests and check.title


def test_deliberately_open_registry_is_information() -> None:
    registry = replace(
        make_registry(default_action="Allow"), tags=(("Acrfence-Open", "public images"),)
    )
    (finding,) = find_findings(make_inventory([registry]))
    assert finding.code == "registry-open" and finding.severity is Severity.INFO
    assert "public images" in finding.detail and OPEN_TAG in finding.detail


def test_a_working_lockdown_passes_and_says_nothing_in_the_default_profile() -> None:
    subnet = make_subnet()
    registry = make_registry(subnets=(subnet.id,))
    assert find_findings(make_inventory([registry], [subnet])) == ()
    all_codes = {
        f.code for f in find_findings(make_inventory([registry], [subnet]), PROFILES["all"])
    }
    # Posture: the auditors still want public access off, private link, data endpoints.
    assert all_codes == {"public-access-enabled", "no-private-link", "data-endpoint-disabled"}


def test_builtin_profiles_only_name_posture_codes() -> None:
    for profile in PROFILES.values():
        assert profile.posture <= set(POSTURE_CODES)
        assert "registry-open" in profile.posture
    assert PROFILES["all"].posture == set(POSTURE_CODES)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('extends = "nope"', "extends unknown profile 'nope'"),
        ('enable = ["registry-locked-out"]', "can't be enabled"),
        ('disable = ["no-such-code"]', "unknown finding code 'no-such-code'"),
        ("enable = 3", "must be a list of finding codes"),
        ("colour = 'red'", "unknown key 'colour'"),
        ("enable = [", "is not valid TOML"),
    ],
)
def test_profile_file_errors_are_one_line(tmp_path, content: str, says: str) -> None:
    path = tmp_path / "team.toml"
    path.write_text(content)
    with pytest.raises(ProfileError) as raised:
        load_profile(str(path))
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_profile_file_extends_and_adjusts(tmp_path) -> None:
    path = tmp_path / "team.toml"
    path.write_text('extends = "prowler"\nenable = ["data-endpoint-disabled"]\n'
                    'disable = ["no-private-link", "bypass-off"]\n')  # fmt: skip
    profile = load_profile(str(path))
    assert profile.name == "team"
    assert profile.applies("data-endpoint-disabled") and profile.applies("public-access-enabled")
    assert not profile.applies("no-private-link") and not profile.applies("bypass-off")
    assert profile.applies("registry-locked-out")


def test_locked_out_with_a_private_endpoint_says_who_still_pulls() -> None:
    connection = make_connection("pe1", "/pe1")
    (locked,) = [
        f for f in find_findings(make_inventory([make_registry(connections=(connection,))]))
        if f.code == "registry-locked-out"
    ]  # fmt: skip
    notes = {p.note for p in locked.peers if p.outcome is P}
    assert notes == {
        "passes, yet no rule lets anyone in: only hosts using its private endpoints pull"
    }
