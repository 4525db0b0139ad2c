"""A plan step's change is a typed record, journaled with the field names the journal always
had, so journals written when it was a plain dict still load (and still roll back)."""

from __future__ import annotations

import json

import pytest

from acrfence.services.models import (
    EndpointChange,
    ProviderChange,
    RulesChange,
    RunRecord,
    SettingMove,
    Step,
    StepKind,
    StepStatus,
    VerifyChange,
    change_from_json,
    merge_changes,
)

SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
    "Microsoft.Network/virtualNetworks/vnet/subnets/app"
)
REGISTRY = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
    "Microsoft.ContainerRegistry/registries/acr"
)


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        (
            StepKind.WRITE_RULES,
            RulesChange(
                add_virtual_network_rules=(SUBNET,),
                add_ip_rules=("203.0.113.0/24",),
                settings=(SettingMove("default_action", "Deny"),),
            ),
        ),
        (StepKind.ENABLE_ENDPOINT, EndpointChange(SUBNET, True, planned_etag='W/"1"')),
        (
            StepKind.DISABLE_ENDPOINT,
            EndpointChange(SUBNET, False, registry_id=REGISTRY, rules_before=(SUBNET.lower(),)),
        ),
        (StepKind.REGISTER_PROVIDER, ProviderChange("00000000-0000-0000-0000-000000000002")),
        (StepKind.VERIFY, VerifyChange((SUBNET,))),
    ],
)
def test_each_change_round_trips_through_the_journal(kind: StepKind, change) -> None:
    step = Step(1, kind, SUBNET, "title", change=change)
    again = Step.from_json(json.loads(json.dumps(step.to_json())))
    assert again == step
    assert type(again.change) is type(change)


def test_the_dict_form_older_journals_hold_reads_as_the_typed_record() -> None:
    old = {
        "add_virtual_network_rules": [SUBNET],
        "remove_virtual_network_rules": [],
        "add_ip_rules": [],
        "remove_ip_rules": [],
        "settings": {"default_action": {"to": "Allow", "only_if": "Deny"}},
    }
    change = change_from_json("write-rules", old)
    assert change == RulesChange(
        add_virtual_network_rules=(SUBNET,),
        settings=(SettingMove("default_action", "Allow", only_if="Deny"),),
    )
    assert change.to_json() == old
    endpoint = change_from_json("enable-endpoint", {"subnet_id": SUBNET, "enabled": True})
    assert endpoint == EndpointChange(SUBNET, True)


def _old_journal_entry(status: str, replaced: dict | None) -> dict:
    """A run as journaled before ``applied`` existed (change as a plain dict)."""
    return {
        "id": "20260101T000000-abcdef",
        "kind": "lockdown",
        "registry": REGISTRY,
        "registry_name": "acr",
        "state": "failed",
        "steps": [
            {
                "index": 1,
                "kind": "write-rules",
                "target": REGISTRY,
                "title": "write acr's rule set",
                "before": {"default_action": "Allow", "virtual_network_rules": [], "ip_rules": []},
                "after": {},
                "change": {
                    "add_virtual_network_rules": [SUBNET],
                    "remove_virtual_network_rules": [],
                    "add_ip_rules": [],
                    "remove_ip_rules": [],
                    "settings": {"default_action": {"to": "Deny", "only_if": None}},
                },
                "az": [],
                "status": status,
                "replaced": replaced,
            }
        ],
    }


def test_an_old_journal_gets_what_its_steps_applied_from_replaced() -> None:
    replaced = {"default_action": "Allow", "virtual_network_rules": [], "ip_rules": []}
    run = RunRecord.from_json(_old_journal_entry("failed", replaced))
    assert run.record(1).status is StepStatus.FAILED
    assert run.record(1).applied == RulesChange(
        add_virtual_network_rules=(SUBNET,),
        settings=(SettingMove("default_action", "Deny", only_if="Allow"),),
    )
    # Written back, it carries ``applied`` from now on, and reads the same.
    assert RunRecord.from_json(json.loads(json.dumps(run.to_json()))) == run
    pending = RunRecord.from_json(_old_journal_entry("pending", None))
    assert pending.record(1).applied is None


def test_a_new_journal_says_when_a_step_changed_nothing() -> None:
    entry = _old_journal_entry("failed", {"default_action": "Allow"})
    entry["steps"][0]["applied"] = None  # the write was refused: nothing of ours to undo
    assert RunRecord.from_json(entry).record(1).applied is None


def test_inverse_and_merge() -> None:
    first = RulesChange(
        add_virtual_network_rules=(SUBNET,),
        settings=(SettingMove("default_action", "Deny", only_if="Allow"),),
    )
    later = RulesChange(
        add_ip_rules=("198.51.100.7",),
        settings=(
            SettingMove("default_action", "Deny", only_if="Deny"),
            SettingMove("network_rule_bypass_options", "None", only_if="AzureServices"),
        ),
    )
    merged = merge_changes(first, later)
    assert merged == RulesChange(
        add_virtual_network_rules=(SUBNET,),
        add_ip_rules=("198.51.100.7",),
        settings=(
            SettingMove("default_action", "Deny", only_if="Allow"),  # moved from Allow, first
            SettingMove("network_rule_bypass_options", "None", only_if="AzureServices"),
        ),
    )
    assert merged.inverse() == RulesChange(
        remove_virtual_network_rules=(SUBNET,),
        remove_ip_rules=("198.51.100.7",),
        settings=(
            SettingMove("default_action", "Allow", only_if="Deny"),
            SettingMove("network_rule_bypass_options", "AzureServices", only_if="None"),
        ),
    )
    assert merge_changes(None, first) == first and merge_changes(first, None) == first
