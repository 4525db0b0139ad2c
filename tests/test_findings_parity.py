"""`acrfence findings` as a CI gate and as the auditors' line-by-line map, run as a real
subprocess against the emulator (a JSON-seeded tenant where every peer check passes and fails
somewhere, plus the demo tenant), over HTTPS with the real SDK."""

from __future__ import annotations

import json

import pytest
from parity_tenant import OPEN_REASON, PARITY_REGISTRIES, RG, SUB, write_parity_seed

from acrfence.services.analysis.peers import PEER_CHECKS
from helpers import acrfence


@pytest.fixture
def parity(make_emulator, tmp_path):
    return make_emulator(seed=str(write_parity_seed(tmp_path)))


def findings_json(handle, *args: str) -> dict:
    result = acrfence(handle, "findings", "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def by_registry(document: dict) -> dict[str, dict[str, dict]]:
    found: dict[str, dict[str, dict]] = {}
    for finding in document["findings"]:
        found.setdefault(finding["registry"], {})[finding["code"]] = finding
    return found


def peer(finding: dict, check_id: str) -> dict:
    return next(p for p in finding["peers"] if p["check_id"] == check_id)


def test_every_peer_check_passes_and_fails_somewhere_and_maps_to_a_finding(parity) -> None:
    document = findings_json(parity, "--profile", "all")
    rows = document["peer_checks"]
    catalog = {c["check_id"]: c for c in document["catalog"]}
    assert set(catalog) == {check.check_id for check in PEER_CHECKS}
    assert (
        "nor that it is linked to the networks that pull"
        in catalog["e9585a95-5b8c-4d03-b193-dc7eb5ac4c32"]["acrfence_knows_better"]
    )
    assert {r["registry"] for r in rows} == set(PARITY_REGISTRIES)
    assert len(rows) == len(PARITY_REGISTRIES) * len(PEER_CHECKS)
    for check in PEER_CHECKS:
        outcomes = {r["outcome"] for r in rows if r["check_id"] == check.check_id}
        # e9585a95 too, now that the endpoints' zone groups are read (issue 12).
        assert {"pass", "fail"} <= outcomes, check.check_id
        for row in rows:
            if row["check_id"] == check.check_id and row["outcome"] == "fail":
                # Every failing peer check is carried by an acrfence finding, or acrfence
                # says why it reports nothing there.
                assert row["acrfence_findings"] or row["acrfence_note"], row
    # Every finding names the auditors' IDs it answers, with acrfence's word where it differs.
    found = by_registry(document)
    opened = found["parityopen"]["registry-open"]
    assert opened["severity"] == "warning"
    assert {p["check_id"] for p in opened["peers"]} >= {
        "d0793b48-0edc-4296-a390-4c75d1bdfd71",
        "Azure.ACR.Firewall (AZR-000402)",
        "containerregistry_network_access_restricted",
        "c4857be7-912a-4c75-87e6-e30292bcdf78",
        "acrTrustedServiceEnabled",
    }
    assert all(p["outcome"] == "fail" for p in opened["peers"])
    assert "acrfence lockdown" in opened["fix"]
    public = found["parityopen"]["public-access-enabled"]
    assert {p["check_id"] for p in public["peers"]} == {
        "0fdf0491-d080-4575-b627-ad0e843cba0f",
        "containerregistry_not_publicly_accessible",
        "CKV_AZURE_139",
        "acrPublicAccess",
    }
    assert peer(found["parityopen"]["data-endpoint-disabled"], "CKV_AZURE_237")["outcome"] == "fail"
    assert peer(found["parityopen"]["no-private-link"], "acrPrivateEndpoints")["outcome"] == "fail"


def test_where_acrfence_knows_better_it_says_so_beside_the_mapping(parity) -> None:
    found = by_registry(findings_json(parity, "--profile", "all"))
    # Deny with no rule and no private endpoint passes Prowler's check; nothing can pull.
    locked = found["paritylocked"]["registry-locked-out"]
    assert locked["severity"] == "error"
    prowler = peer(locked, "containerregistry_network_access_restricted")
    assert prowler["outcome"] == "pass" and "nothing can pull" in prowler["acrfence_note"]
    assert peer(locked, "d0793b48-0edc-4296-a390-4c75d1bdfd71")["outcome"] == "pass"
    assert (
        peer(found["paritylocked"]["no-vnet-rule"], "c4857be7-912a-4c75-87e6-e30292bcdf78")[
            "outcome"
        ]
        == "fail"
    )
    # A rule on a subnet without the endpoint passes c4857be7, yet does nothing.
    missing = found["paritynoendpoint"]["rule-subnet-missing-endpoint"]
    c4857be7 = peer(missing, "c4857be7-912a-4c75-87e6-e30292bcdf78")
    assert c4857be7["outcome"] == "pass" and "does nothing" in c4857be7["acrfence_note"]
    # A Pending connection passes Prowler's and CloudSploit's private link checks, not Azure's.
    pending = found["paritypending"]["no-private-link"]
    assert peer(pending, "e8eef0a8-67cf-4eb4-9386-14b0e78733d4")["outcome"] == "fail"
    for check_id in ("containerregistry_uses_private_link", "acrPrivateEndpoints"):
        verdict = peer(pending, check_id)
        assert verdict["outcome"] == "pass" and "not Approved" in verdict["acrfence_note"]
    # Public access off with no private endpoint passes every public-access check.
    dark = found["paritydark"]["public-access-disabled-no-private-endpoint"]
    assert peer(dark, "CKV_AZURE_139")["outcome"] == "pass"
    assert "nothing can pull" in peer(dark, "acrPublicAccess")["acrfence_note"]
    # Private DNS: the pending registry's endpoint has no zone group (e9585a95 fails, carried
    # by acrfence's finding); the healthy private registry's has one.
    dns = peer(
        found["paritypending"]["private-endpoint-no-zone-group"],
        "e9585a95-5b8c-4d03-b193-dc7eb5ac4c32",
    )
    assert dns["outcome"] == "fail"
    # The healthy private registry passes every check but c4857be7 (it has no service
    # endpoint rule: it needs none).
    assert set(found["parityprivate"]) == {"no-vnet-rule"}


def test_a_registry_declared_open_is_information_with_its_reason(parity) -> None:
    document = findings_json(parity)
    public = by_registry(document)["paritypublic"]["registry-open"]
    assert public["severity"] == "info" and "deliberately" in public["title"]
    assert OPEN_REASON in public["detail"]
    assert {r["name"]: r["declared_open"] for r in document["registries"]}["paritypublic"] == (
        OPEN_REASON
    )


def test_profiles_choose_which_checks_apply(parity, tmp_path) -> None:
    default = {f["code"] for f in findings_json(parity)["findings"]}
    assert "registry-open" in default and "public-access-enabled" not in default
    policy = findings_json(parity, "--profile", "azure-policy")
    codes = {f["code"] for f in policy["findings"]}
    assert {"public-access-enabled", "no-private-link"} <= codes
    assert "data-endpoint-disabled" not in codes
    checkov = {f["code"] for f in findings_json(parity, "--profile", "checkov")["findings"]}
    assert "data-endpoint-disabled" in checkov and "no-private-link" not in checkov
    # A failing peer check whose finding the profile leaves out says so.
    row = next(
        r for r in policy["peer_checks"]
        if r["registry"] == "parityopen" and r["check_id"] == "CKV_AZURE_237"
    )  # fmt: skip
    assert row["outcome"] == "fail" and "leaves out" in row["acrfence_note"]
    custom = tmp_path / "team.toml"
    custom.write_text('extends = "default"\ndisable = ["registry-locked-out"]\n')
    document = findings_json(parity, "--profile", str(custom), "--registry", "paritylocked")
    assert {f["code"] for f in document["findings"]} == set()
    assert document["profile"]["name"] == "team"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--registry", "parityprivate", "--fail-on", "warning"], 0),
        (["--registry", "parityopen", "--fail-on", "warning"], 1),
        (["--registry", "parityopen", "--fail-on", "error"], 0),
        (["--registry", "parityopen"], 0),  # --fail-on defaults to error
        (["--registry", "paritylocked"], 1),
        # By resource ID, compared case-insensitively as ARM does.
        (["--registry", f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
          "Microsoft.ContainerRegistry/registries/PARITYLOCKED"], 1),
        (["--registry", "paritypublic", "--fail-on", "warning"], 0),  # declared open: info
        (["--registry", "paritypublic", "--fail-on", "info"], 1),
        (["--fail-on", "error"], 1),
    ],
)  # fmt: skip
def test_fail_on_exit_codes(parity, args: list[str], code: int) -> None:
    result = acrfence(parity, "findings", *args)
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--registry", "nosuchregistry"], "no registry 'nosuchregistry'"),
        (["--profile", "nosuchprofile"], "unknown profile 'nosuchprofile'"),
        (["--profile", "missing.toml"], "can't read profile missing.toml"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(parity, args: list[str], says: str) -> None:
    result = acrfence(parity, "findings", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and says in result.stderr


def test_fail_on_bad_value_is_exit_2(parity) -> None:
    assert acrfence(parity, "findings", "--fail-on", "fatal").returncode == 2


def test_demo_tenant_text_and_json(emulator) -> None:
    result = acrfence(emulator, "findings")
    assert result.returncode == 1  # the demo has lock-outs
    out = result.stdout
    assert "profile default" in out
    assert "▲ warning  registry-open  mycontainerregistry" in out
    assert "Prowler containerregistry_network_access_restricted: pass" in out
    document = findings_json(emulator, "--registry", "mycontainerregistry")
    assert [f["code"] for f in document["findings"]] == ["registry-open"]
    assert emulator.token not in out


def test_azure_refusing_is_one_line_and_exit_3(parity, tmp_path) -> None:
    parity.env["ACRFENCE_TOKEN"] = "not-the-token"  # this handle's env, for this test only
    report = tmp_path / "never.html"
    for command in (["findings"], ["report", "--output", str(report)]):
        result = acrfence(parity, *command)
        assert result.returncode == 3 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and "InvalidAuthenticationToken" in result.stderr
        assert "not-the-token" not in result.stderr and "Traceback" not in result.stderr
    assert not report.exists()


def test_an_unreadable_subscription_is_said_on_stderr(parity) -> None:
    registries = f"GET /subscriptions/{SUB}/providers/Microsoft.ContainerRegistry"
    parity.faults.server_error(count=50, status=500, match=registries)
    result = acrfence(parity, "findings", "--json")
    # A gate that didn't see the whole tenant can't pass: 3, as for Azure refusing.
    assert result.returncode == 3
    assert "not read" in result.stderr and SUB in result.stderr
    assert json.loads(result.stdout)["unread"][0]["subscription_id"] == SUB


def test_the_report_names_what_it_could_not_read(parity, tmp_path) -> None:
    registries = f"GET /subscriptions/{SUB}/providers/Microsoft.ContainerRegistry"
    parity.faults.server_error(count=50, status=500, match=registries)
    report = tmp_path / "partial.md"
    assert acrfence(parity, "report", "--output", str(report)).returncode == 0
    assert f"**Not read, so not judged:** {SUB} registries" in report.read_text()
