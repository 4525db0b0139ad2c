"""A plan built, then the world changes, then it is applied: others' changes survive, the
subnet step is re-planned from the new state. Real services, real SDK, the emulator."""

from __future__ import annotations

import json
from pathlib import Path

from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.models import RunState, StepKind
from acrfence.services.plans.journal import Journal
from acrfence.services.plans.lockdown import LockdownRequest
from acrfence.services.plans.session import PlanSession
from helpers import ACR, AKS, DOCKER_SUBNET, MYREGISTRY, registry_view, subnet_view


async def _plan(emulator, tmp_path: Path):
    session = PlanSession.for_target(Target.from_env(emulator.env), Journal(tmp_path))
    registry = await session.resolve_registry("mycontainerregistry")
    request = LockdownRequest(registry.id, (DOCKER_SUBNET,), ip_ranges=("203.0.113.9",))
    return session, await session.lockdown_plan(request, registry)


async def test_changes_between_plan_and_apply_survive(emulator, tmp_path):
    session, plan = await _plan(emulator, tmp_path)
    try:

        def their_subnet_change(raw: dict) -> None:
            raw["properties"].setdefault("serviceEndpoints", []).append(
                {"service": "Microsoft.EventHub", "locations": ["*"]}
            )

        def their_registry_change(raw: dict) -> None:
            rule_set = raw["properties"]["networkRuleSet"]
            rule_set.setdefault("virtualNetworkRules", []).append(
                {"action": "Allow", "virtualNetworkSubnetResourceId": AKS}
            )
            rule_set.setdefault("ipRules", []).append({"action": "Allow", "value": "192.0.2.1"})

        emulator.state.update_subnet(DOCKER_SUBNET, their_subnet_change)
        emulator.state.update_registry(MYREGISTRY, their_registry_change)

        run = await session.execute(plan)
        assert run.state is RunState.DONE, run.error
        endpoint_step = next(s for s in plan.steps if s.kind is StepKind.ENABLE_ENDPOINT)
        assert run.record(endpoint_step.index).note == "re-planned: subnet changed"
        assert subnet_view(emulator, DOCKER_SUBNET)["endpoints"] == sorted(
            [ACR, "Microsoft.EventHub"]
        )
        view = registry_view(emulator, MYREGISTRY)
        assert view["vnet_rules"] == sorted([AKS.lower(), DOCKER_SUBNET.lower()])
        assert view["ip_rules"] == ["192.0.2.1", "203.0.113.9"]
        assert view["default_action"] == "Deny"

        # The journal kept the state each step replaced: the registry as it was just before
        # our write, including their rule, which rollback therefore keeps.
        rules_step = next(s for s in plan.steps if s.kind is StepKind.WRITE_RULES)
        replaced = run.record(rules_step.index).replaced
        assert [s.lower() for s in replaced["virtual_network_rules"]] == [AKS.lower()]
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
        view = registry_view(emulator, MYREGISTRY)
        assert view["vnet_rules"] == [AKS.lower()] and view["ip_rules"] == ["192.0.2.1"]
        assert view["default_action"] == "Allow"
        assert subnet_view(emulator, DOCKER_SUBNET)["endpoints"] == ["Microsoft.EventHub"]
        assert session.journal.load(run.id).state is RunState.ROLLED_BACK
    finally:
        await session.close()


async def test_plan_is_read_only_and_journal_holds_no_token(emulator, tmp_path):
    before = registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)
    session, plan = await _plan(emulator, tmp_path)
    try:
        assert not plan.blocked
        assert (registry_view(emulator, MYREGISTRY), subnet_view(emulator, DOCKER_SUBNET)) == before
        run = await session.execute(plan)
        assert run.state is RunState.DONE
    finally:
        await session.close()
    token = emulator.env["ACRFENCE_TOKEN"]
    for path in tmp_path.iterdir():
        assert token not in path.read_text()


async def test_a_registry_is_named_through_services_lookup(emulator, tmp_path):
    import pytest

    from acrfence.services.plans.inputs import PlanInputError

    async with PlanSession.for_target(Target.from_env(emulator.env), Journal(tmp_path)) as session:
        by_name = await session.resolve_registry("mycontainerregistry")
        assert (await session.resolve_registry(by_name.id)).key == by_name.key
        # lookup's own sentences, as bad input (one line, exit 2 on the command line).
        with pytest.raises(PlanInputError, match="no registry named 'nosuchregistry'"):
            await session.resolve_registry("nosuchregistry")
        with pytest.raises(PlanInputError, match="not a registry name"):
            await session.resolve_registry("my registry!")
        with pytest.raises(PlanInputError, match="resource ID must start /subscriptions"):
            await session.resolve_registry("/subscriptions/x/oops/x/y/z/a/b/c")


async def test_the_vantages_a_session_stands_in_are_its_parameter(
    emulator, tmp_path, monkeypatch
) -> None:
    # The migration's per-network check stands in the vantages the session is given (the
    # wizard passes the demo's); without them, ACRFENCE_VANTAGES'; never swapped afterwards.
    monkeypatch.setenv("ACRFENCE_VANTAGES", json.dumps({DOCKER_SUBNET: "127.0.0.9"}))
    target = Target.from_env(emulator.env)
    given = {AKS.upper(): "127.0.1.2", "internet": "127.0.0.1"}
    async with PlanSession.for_target(target, Journal(tmp_path)) as from_env:
        assert from_env.services.vantage_check.vantages == {DOCKER_SUBNET.lower(): "127.0.0.9"}
    async with AzureClients(target) as clients:
        session = PlanSession.for_clients(clients, target, Journal(tmp_path), vantages=given)
        assert session.services.vantage_check.vantages == {AKS.lower(): "127.0.1.2"}
        assert session.services.vantage_check.source_in(AKS.rsplit("/subnets/", 1)[0])
