"""The migration to a private endpoint as a plan (services.plans.migrate), applied and rolled
back through PlanSession: real services, the real SDKs, the emulator."""

from __future__ import annotations

from pathlib import Path

from acrfence.emulator.seeds import SUB_PRODUCTION
from acrfence.services.config import Target
from acrfence.services.models import RunState
from acrfence.services.models.resource_id import subnet_id
from acrfence.services.plans.journal import Journal
from acrfence.services.plans.migrate import MigrateRequest
from acrfence.services.plans.session import PlanSession
from helpers import DOCKER_SUBNET, MYREGISTRY, lock_down, registry_view

PE_SUBNET = subnet_id(SUB_PRODUCTION, "app-rg", "app-vnet", "private-endpoints")


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
