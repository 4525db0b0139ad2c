"""One lockdown/restore session against a target: read the facts, build plans, run them.

Shared by the headless commands and the wizards. Owns the SDK clients it opens (close it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from azure.core.exceptions import ResourceNotFoundError

from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.errors import AcrfenceError
from acrfence.services.inventory import InventoryService
from acrfence.services.lookup import find_registry
from acrfence.services.models import (
    Inventory,
    Plan,
    Registry,
    RunRecord,
    RunState,
    Subnet,
    VirtualNetwork,
    normalize_resource_id,
    parse_resource_id,
)
from acrfence.services.plans.effect import subnet_vantages, vantages_from_env
from acrfence.services.plans.executor import (
    VERIFY_SETTLE_S,
    PlanExecutor,
    PlanServices,
    ProgressCallback,
)
from acrfence.services.plans.inputs import PlanInputError
from acrfence.services.plans.journal import Journal, JournalError
from acrfence.services.plans.lockdown import LockdownRequest, build_lockdown_plan
from acrfence.services.plans.migrate import MigrateRequest, build_migration_plan
from acrfence.services.plans.restore import build_open_plan, build_undo_plan
from acrfence.services.plans.vantage_check import ProbeVantageCheck
from acrfence.services.private_link.writes import PrivateLinkWrites
from acrfence.services.providers import ProviderService
from acrfence.services.registry_rules import RegistryRuleService, raw_json
from acrfence.services.subnet_endpoints import SubnetEndpointService, virtual_network_from_arm

__all__ = ["PlanSession", "RunRefused"]

# services.lookup's codes for "that text names no (single) registry": bad input, not Azure's.
_BAD_NAME_CODES = {
    "RegistryNotFound",
    "AmbiguousRegistryName",
    "InvalidRegistryName",
    "InvalidResourceId",
}


class RunRefused(ValueError):
    """A resume or rollback that makes no sense for this run (one line)."""


class PlanSession:
    def __init__(
        self,
        clients: AzureClients,
        target: Target,
        journal: Journal,
        *,
        owns_clients: bool = False,
        inventory: Inventory | None = None,
        vantages: Mapping[str, str] | None = None,
    ) -> None:
        """``vantages``: {subnet ID: source address} this machine can stand in (the demo's
        subnets), from which the migration's verification resolves and probes each network
        that pulls; None takes them from ACRFENCE_VANTAGES (``acrfence --demo migrate``)."""
        self.clients = clients
        rules = RegistryRuleService(clients)
        stands_in = vantages_from_env() if vantages is None else subnet_vantages(vantages)
        self.services = PlanServices(
            rules=rules,
            subnets=SubnetEndpointService(clients),
            providers=ProviderService(clients),
            private_link=PrivateLinkWrites(clients),
            # The migration's per-network check: DNS as each network asks it, then a pull
            # through the private endpoint with the signed-in identity's token.
            vantage_check=ProbeVantageCheck(rules, target, stands_in, clients.arm_token),
        )
        # A session's runs are made against its target, and only runs made there are its
        # to resume or undo, whatever journal the caller opened.
        self.journal = Journal(journal.directory, target.arm_endpoint)
        # How long a run's verification waits for what Azure is still applying.
        self.settle_seconds = VERIFY_SETTLE_S
        self.sovereign = target.is_sovereign_cloud
        self._owns_clients = owns_clients
        # Given (the dashboard's), it spares a second read of the tenant for the warnings.
        self._inventory = inventory if inventory is not None and inventory.registries else None

    @classmethod
    def for_target(cls, target: Target, journal: Journal) -> PlanSession:
        """Real services pointed at ``target`` (Azure or the emulator), closed with the session."""
        return cls(AzureClients(target), target, journal, owns_clients=True)

    @classmethod
    def for_clients(
        cls,
        clients: AzureClients,
        target: Target,
        journal: Journal,
        inventory: Inventory | None = None,
        vantages: Mapping[str, str] | None = None,
    ) -> PlanSession:
        """Over clients someone else owns (the dashboard's); ``inventory``, when given, spares
        a second read of the tenant for the pre-flight warnings; ``vantages`` as in __init__."""
        return cls(clients, target, journal, inventory=inventory, vantages=vantages)

    async def close(self) -> None:
        if self._owns_clients:
            await self.clients.close()

    async def __aenter__(self) -> PlanSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- reading -----------------------------------------------------------------------

    async def inventory(self) -> Inventory | None:
        """The tenant as far as this identity sees it; None when it can't be loaded (the
        plan then warns less precisely, it does not fail)."""
        if self._inventory is None:
            try:
                self._inventory = await InventoryService(self.clients).load()
            except Exception:  # warnings only get less specific without it
                self._inventory = None
        return self._inventory

    async def resolve_registry(self, text: str) -> Registry:
        """A registry by resource ID or by name (unique across visible subscriptions; see
        ``services.lookup``), read fresh; PlanInputError when unknown, ambiguous or malformed."""
        try:
            found = await find_registry(self.clients, text)
        except AcrfenceError as exc:
            if exc.code in _BAD_NAME_CODES:
                raise PlanInputError(str(exc)) from None
            raise
        if (text or "").strip().startswith("/"):
            return found  # already read on its own
        # A name was found in a listing: the plan starts from the registry read on its own.
        return await self.services.rules.get(found.id)

    async def read_subnets(self, subnet_ids: tuple[str, ...]) -> dict[str, Subnet | None]:
        async def one(subnet_id: str) -> Subnet | None:
            try:
                return await self.services.subnets.get(subnet_id)
            except ResourceNotFoundError:  # the SDK's error for any 404
                return None

        found = await asyncio.gather(*(one(s) for s in subnet_ids))
        return dict(zip(subnet_ids, found, strict=True))

    async def provider_states(self, subnets: dict[str, Subnet | None]) -> dict[str, str | None]:
        subscriptions = sorted(
            {s.subscription_id.lower() for s in subnets.values() if s and not s.has_acr_endpoint}
        )
        states: dict[str, str | None] = {}
        for subscription in subscriptions:
            states[subscription] = await self.services.providers.state(subscription)
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
        vnet_ids = {normalize_resource_id(s.virtual_network_id): s.virtual_network_id
                    for s in subnets.values() if s is not None}  # fmt: skip
        vnets = list(await asyncio.gather(*(self.read_vnet(v) for v in vnet_ids.values())))
        fresh = {v.key for v in vnets}
        if inventory is not None:
            vnets += [v for v in inventory.virtual_networks if v.key not in fresh]
        return Inventory(
            subscriptions=inventory.subscriptions if inventory else (),
            registries=inventory.registries if inventory else (),
            virtual_networks=tuple(vnets),
            failures=inventory.failures if inventory else (),
        )

    async def read_vnet(self, vnet_id: str) -> VirtualNetwork:
        """A virtual network (its subnets inline) read fresh; raises what the SDK raises
        (ResourceNotFoundError, HttpResponseError) and ValueError for a malformed ID."""
        parsed = parse_resource_id(vnet_id, "Microsoft.Network/virtualNetworks")
        client = self.clients.network(parsed.subscription_id)
        raw = await client.virtual_networks.get(parsed.resource_group, parsed.name, cls=raw_json)
        return virtual_network_from_arm(raw)

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

    async def migration_plan(
        self, request: MigrateRequest, registry: Registry, client_ip: str | None = None
    ) -> Plan:
        """The migration of ``registry`` to a private endpoint (services.plans.migrate), from
        facts read fresh now; blocked plans carry their reasons in ``checks``."""
        from acrfence.services.plans.migration_reads import read_migration_facts

        facts = await read_migration_facts(self, request, registry, client_ip)
        return build_migration_plan(request, facts)

    def undo_plan(self, run_id: str, kind: str = "rollback") -> Plan:
        return build_undo_plan(self.journal.load(run_id), kind=kind)

    # -- running -----------------------------------------------------------------------

    def executor(self, on_progress: ProgressCallback | None = None) -> PlanExecutor:
        return PlanExecutor(
            self.services, self.journal, on_progress, settle_seconds=self.settle_seconds
        )

    async def execute(self, plan: Plan, on_progress: ProgressCallback | None = None) -> RunRecord:
        """Journal a new run of ``plan`` and apply it."""
        if plan.blocked:
            raise RunRefused("the plan is blocked by its pre-flight checks")
        run = await self.journal.anew_run(plan)
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
        undo_run = await self.journal.anew_run(plan)
        await self.journal.asave(replace(run, rolled_back_by=undo_run.id))
        return await self._finish(undo_run, on_progress)

    async def _finish(self, run: RunRecord, on_progress: ProgressCallback | None) -> RunRecord:
        run = await self.executor(on_progress).run(run)
        source = run.plan.source_run_id
        if run.state is RunState.DONE and source:
            original = self.journal.load(source)
            await self.journal.asave(
                replace(original, state=RunState.ROLLED_BACK, rolled_back_by=run.id)
            )
        return run
