"""The migration to a private endpoint as a plan (services.plans.migrate), applied and rolled
back through PlanSession: real services, the real SDKs, the emulator."""

from __future__ import annotations

from pathlib import Path

from acrfence.services.config import Target
from acrfence.services.models import RunState
from acrfence.services.models.private_link import PrivateDnsZone, VirtualNetworkLink
from acrfence.services.plans.journal import Journal
from acrfence.services.plans.migrate import MigrateRequest, MigrationFacts, build_migration_plan
from acrfence.services.plans.session import PlanSession
from helpers import (
    DOCKER_SUBNET,
    MYREGISTRY,
    PE_SUBNET,
    SUB,
    lock_down,
    make_registry,
    make_subnet,
    registry_view,
)


async def test_migration_plan_then_apply_then_rollback(emulator, tmp_path: Path) -> None:
    await lock_down(emulator)
    session = PlanSession.for_target(Target.from_env(emulator.env), Journal(tmp_path))
    async with session:
        registry = await session.resolve_registry("mycontainerregistry")
        plan = await session.migration_plan(MigrateRequest(registry.id, PE_SUBNET), registry)
        assert not plan.blocked
        run = await session.execute(plan)
        assert run.state is RunState.DONE, run.error
        assert registry_view(emulator, MYREGISTRY)["vnet_rules"] == []
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
        assert registry_view(emulator, MYREGISTRY)["vnet_rules"] == [DOCKER_SUBNET.lower()]


# ---- the plan alone, from hand-built facts (pure) -------------------------------------------


def _facts(registry, pe_subnet, **kw) -> MigrationFacts:
    return MigrationFacts(registry=registry, pe_subnet=pe_subnet, **kw)


def _codes(plan) -> set[str]:
    return {c.code for c in plan.checks}


def _kinds(plan) -> list[str]:
    return [str(s.kind) for s in plan.steps]


RULE_SUBNET = make_subnet("myDockerVMVNET", "myDockerVMSubnet")
ENDPOINT_SUBNET = make_subnet("app-vnet", "private-endpoints", acr=False)


def test_a_basic_registry_is_blocked_and_gets_no_steps() -> None:
    registry = make_registry(sku="Basic", subnets=(RULE_SUBNET.id,))
    plan = build_migration_plan(
        MigrateRequest(registry.id, ENDPOINT_SUBNET.id), _facts(registry, ENDPOINT_SUBNET)
    )
    assert plan.blocked and "not-premium" in _codes(plan) and plan.steps == ()


def test_the_endpoint_subnet_may_not_share_a_network_with_a_rule() -> None:
    sibling = make_subnet("myDockerVMVNET", "endpoints", acr=False)
    registry = make_registry(subnets=(RULE_SUBNET.id,))
    plan = build_migration_plan(MigrateRequest(registry.id, sibling.id), _facts(registry, sibling))
    assert "pe-subnet-in-rule-network" in {c.code for c in plan.blocks}


def test_an_unknown_network_to_link_blocks() -> None:
    registry = make_registry(subnets=(RULE_SUBNET.id,))
    missing = RULE_SUBNET.virtual_network_id.replace("myDockerVMVNET", "gone")
    facts = _facts(registry, ENDPOINT_SUBNET, networks_found={missing: False})
    plan = build_migration_plan(
        MigrateRequest(registry.id, ENDPOINT_SUBNET.id, link_vnet_ids=(missing,)), facts
    )
    assert "network-not-found" in {c.code for c in plan.blocks}


def test_no_network_to_link_is_said_in_words_the_wizard_user_knows() -> None:
    registry = make_registry(subnets=())
    plan = build_migration_plan(
        MigrateRequest(registry.id, ENDPOINT_SUBNET.id), _facts(registry, ENDPOINT_SUBNET)
    )
    [warning] = [c for c in plan.checks if c.code == "no-pulling-network"]
    assert "no network to link was chosen (--link-vnet, or a tick in the wizard)" in warning.message


def test_an_existing_linked_zone_needs_no_zone_or_link_step() -> None:
    registry = make_registry(subnets=(RULE_SUBNET.id,))
    zone_id = (
        f"/subscriptions/{SUB}/resourceGroups/dns-rg/providers/Microsoft.Network"
        "/privateDnsZones/privatelink.azurecr.io"
    )
    zone = PrivateDnsZone(
        id=zone_id,
        name="privatelink.azurecr.io",
        resource_group="dns-rg",
        subscription_id=SUB,
        links=(VirtualNetworkLink("l", "l", RULE_SUBNET.virtual_network_id, "Succeeded"),),
    )
    facts = _facts(registry, ENDPOINT_SUBNET, zones=(zone,), free_addresses=100)
    plan = build_migration_plan(MigrateRequest(registry.id, ENDPOINT_SUBNET.id), facts)
    assert not plan.blocked
    assert "zone-reused" in _codes(plan)
    assert _kinds(plan) == [
        "create-private-endpoint",
        "verify-private-link",
        "write-rules",
        "verify",
    ]
    endpoint = plan.steps[0].change
    assert endpoint.zone_id == zone_id
    assert endpoint.fqdns == (
        "mycontainerregistry.azurecr.io",
        "mycontainerregistry.westus.data.azurecr.io",
    )


def test_public_access_goes_last_with_the_bypass_explicit() -> None:
    registry = make_registry(subnets=(RULE_SUBNET.id,), bypass="AzureServices")
    request = MigrateRequest(registry.id, ENDPOINT_SUBNET.id, disable_public_access=True)
    plan = build_migration_plan(request, _facts(registry, ENDPOINT_SUBNET, client_ip="203.0.113.9"))
    assert _kinds(plan)[-3:] == ["write-rules", "verify-public-refused", "verify"]
    public = plan.steps[-3]
    assert public.az == (
        "az acr update --name mycontainerregistry --public-network-enabled false "
        "--allow-trusted-services true",
    )
    assert "this-machine-loses-access" in _codes(plan)
    # The rules go before public access does: nobody is cut off in between.
    assert _kinds(plan).index("write-rules") < _kinds(plan).index("verify-public-refused")
