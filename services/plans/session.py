"""One lockdown/restore session against a target: read the facts, build plans, run them.

Shared by the headless commands and the wizards. Owns the SDK clients it opens (close it).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from services.models import (
    Inventory,
    Plan,
    Registry,
    RunRecord,
    RunState,
    Subnet,
    normalize_resource_id,
    parse_resource_id,
)
from services.plans.executor import PlanExecutor, PlanServices, ProgressCallback
from services.plans.inputs import PlanInputError
from services.plans.journal import Journal, JournalError
from services.plans.lockdown import LockdownRequest, build_lockdown_plan
from services.plans.restore import build_open_plan, build_undo_plan

__all__ = ["PlanSession", "RunRefused"]


class RunRefused(ValueError):
    """A resume or rollback that makes no sense for this run (one line)."""


class PlanSession:
    def __init__(
        self,
        services: PlanServices,
        journal: Journal,
        *,
        sovereign: bool = False,
        find_registry: Any = None,
        load_inventory: Any = None,
        read_vnet: Any = None,
        closer: Any = None,
    ) -> None:
        self.services = services
        self.journal = journal
        self.sovereign = sovereign
        self._find_registry = find_registry
        self._load_inventory = load_inventory
        self._read_vnet = read_vnet
        self._closer = closer
        self._inventory: Inventory | None = None

    @classmethod
    def for_target(cls, target: Any, journal: Journal) -> PlanSession:
        """Real services pointed at ``target`` (Azure or the emulator)."""
        from services.plans.wiring import build_session

        return build_session(cls, target, journal)

    @classmethod
    def for_clients(
        cls, clients: Any, target: Any, journal: Journal, inventory: Inventory | None = None
    ) -> PlanSession:
        """Over clients someone else owns (the dashboard's); ``inventory``, when given, spares
        a second read of the tenant for the pre-flight warnings."""
        from services.plans.wiring import session_from_clients

        session = session_from_clients(cls, clients, target, journal)
        if inventory is not None and inventory.registries:
            session._inventory = inventory
        return session

    async def close(self) -> None:
        if self._closer is not None:
            await self._closer()

    async def __aenter__(self) -> PlanSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- reading -----------------------------------------------------------------------

    async def inventory(self) -> Inventory | None:
        """The tenant as far as this identity sees it; None when it can't be loaded (the
        plan then warns less precisely, it does not fail)."""
        if self._inventory is None and self._load_inventory is not None:
            try:
                self._inventory = await self._load_inventory()
            except Exception:  # warnings only get less specific without it
                self._inventory = None
        return self._inventory

    async def resolve_registry(self, text: str) -> Registry:
        """A registry by resource ID or by name (unique across visible subscriptions), read
        fresh through the rule service; PlanInputError when unknown or ambiguous."""
        text = (text or "").strip()
        if text.startswith("/"):
            try:
                parse_resource_id(text, "Microsoft.ContainerRegistry/registries")
            except ValueError as exc:
                raise PlanInputError(f"malformed registry ID: {exc}") from None
            registry_id = text
        else:
            registry_id = await self._registry_id_by_name(text)
        try:
            return await self.services.rules.get(registry_id)
        except Exception as exc:
            if _is_not_found(exc):
                raise PlanInputError(f"unknown registry: {text}") from None
            raise

    async def _registry_id_by_name(self, name: str) -> str:
        if self._find_registry is not None:
            found = await self._find_registry(name)
            if isinstance(found, str):
                return found
            return found.id
        inventory = await self.inventory()
        matches = [
            r
            for r in (inventory.registries if inventory else ())
            if r.name.casefold() == name.casefold()
        ]
        if not matches:
            raise PlanInputError(f"unknown registry: {name}")
        if len(matches) > 1:
            raise PlanInputError(f"registry name {name} is ambiguous: pass its resource ID")
        return matches[0].id

    async def read_subnets(self, subnet_ids: tuple[str, ...]) -> dict[str, Subnet | None]:
        async def one(subnet_id: str) -> Subnet | None:
            try:
                return await self.services.subnets.get(subnet_id)
            except Exception as exc:
                if _is_not_found(exc):
                    return None
                raise

        found = await asyncio.gather(*(one(s) for s in subnet_ids))
        return dict(zip(subnet_ids, found, strict=True))

    async def provider_states(self, subnets: dict[str, Subnet | None]) -> dict[str, str | None]:
        subscriptions = sorted(
            {s.subscription_id.lower() for s in subnets.values() if s and not s.has_acr_endpoint}
        )
        states: dict[str, str | None] = {}
        for subscription in subscriptions:
            value = await self.services.providers.state(subscription)
            states[subscription] = _state_text(value)
        return states

    # -- planning ----------------------------------------------------------------------

    async def lockdown_plan(
        self, request: LockdownRequest, registry: Registry, client_ip: str | None = None
    ) -> Plan:
        subnets = await self.read_subnets(request.subnet_ids)
        states = await self.provider_states(subnets)
        inventory = await self._with_vnets(await self.inventory(), subnets)
        return build_lockdown_plan(
            request,
            registry=registry,
            subnets=subnets,
            provider_states=states,
            sovereign=self.sovereign,
            inventory=inventory,
            client_ip=client_ip,
        )

    async def _with_vnets(
        self, inventory: Inventory | None, subnets: dict[str, Subnet | None]
    ) -> Inventory | None:
        """The inventory with the chosen subnets' virtual networks read fresh: the private
        link check needs every sibling subnet's private endpoints."""
        if self._read_vnet is None:
            return inventory
        vnet_ids = {normalize_resource_id(s.virtual_network_id): s.virtual_network_id
                    for s in subnets.values() if s is not None}  # fmt: skip
        vnets = list(await asyncio.gather(*(self._read_vnet(v) for v in vnet_ids.values())))
        fresh = {v.key for v in vnets}
        if inventory is not None:
            vnets += [v for v in inventory.virtual_networks if v.key not in fresh]
        return Inventory(
            subscriptions=inventory.subscriptions if inventory else (),
            registries=inventory.registries if inventory else (),
            virtual_networks=tuple(vnets),
            failures=inventory.failures if inventory else (),
        )

    async def open_plan(self, registry: Registry, *, remove_endpoints: bool = False) -> Plan:
        subnets: dict[str, Subnet | None] = {}
        if remove_endpoints:
            ids = tuple(r.subnet_id for r in registry.rules.virtual_network_rules)
            subnets = await self.read_subnets(ids)
        return build_open_plan(
            registry,
            remove_endpoints=remove_endpoints,
            subnets=subnets,
            inventory=await self.inventory() if remove_endpoints else None,
        )

    def undo_plan(self, run_id: str, kind: str = "rollback") -> Plan:
        return build_undo_plan(self.journal.load(run_id), kind=kind)

    # -- running -----------------------------------------------------------------------

    def executor(self, on_progress: ProgressCallback | None = None) -> PlanExecutor:
        return PlanExecutor(self.services, self.journal, on_progress)

    async def execute(self, plan: Plan, on_progress: ProgressCallback | None = None) -> RunRecord:
        """Journal a new run of ``plan`` and apply it."""
        if plan.blocked:
            raise RunRefused("the plan is blocked by its pre-flight checks")
        run = self.journal.new_run(plan)
        return await self._finish(run, on_progress)

    async def resume(self, run_id: str, on_progress: ProgressCallback | None = None) -> RunRecord:
        run = self.journal.load(run_id)
        if run.state is RunState.DONE:
            return run
        if run.state is RunState.ROLLED_BACK or run.rolled_back_by:
            raise RunRefused(f"run {run_id} was rolled back ({run.rolled_back_by}); not resuming")
        return await self._finish(run, on_progress)

    async def rollback(
        self, run_id: str, on_progress: ProgressCallback | None = None, kind: str = "rollback"
    ) -> RunRecord:
        """Undo ``run_id`` from whatever point it reached; running it again is harmless."""
        run = self.journal.load(run_id)
        if run.state is RunState.ROLLED_BACK:
            return self.journal.load(run.rolled_back_by) if run.rolled_back_by else run
        if run.rolled_back_by:
            # An earlier rollback was interrupted: finish that one, not a second.
            try:
                undo_run = self.journal.load(run.rolled_back_by)
            except JournalError:
                undo_run = None
            if undo_run is not None:
                return await self._finish(undo_run, on_progress)
        plan = build_undo_plan(run, kind=kind)
        undo_run = self.journal.new_run(plan)
        self.journal.save(replace(run, rolled_back_by=undo_run.id))
        return await self._finish(undo_run, on_progress)

    async def _finish(self, run: RunRecord, on_progress: ProgressCallback | None) -> RunRecord:
        run = await self.executor(on_progress).run(run)
        source = run.plan.source_run_id
        if run.state is RunState.DONE and source:
            original = self.journal.load(source)
            self.journal.save(replace(original, state=RunState.ROLLED_BACK, rolled_back_by=run.id))
        return run


def _state_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    for attribute in ("registration_state", "state"):
        inner = getattr(value, attribute, None)
        if isinstance(inner, str):
            return inner
    return str(value)


def _is_not_found(exc: BaseException) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    if isinstance(exc, ResourceNotFoundError):
        return True
    code = str(getattr(getattr(exc, "error", None), "code", "") or getattr(exc, "code", "") or "")
    status = getattr(exc, "status_code", None)
    return status == 404 or code in {"ResourceNotFound", "NotFound", "ResourceGroupNotFound"}


def same_registry(a: str, b: str) -> bool:
    return normalize_resource_id(a) == normalize_resource_id(b)
