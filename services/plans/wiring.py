"""Real services for a PlanSession: SDK clients for the target, the registry, subnet and
provider services, registry lookup by name, and the inventory for pre-flight warnings."""

from __future__ import annotations

from typing import Any

from services.plans.executor import PlanServices

__all__ = ["build_session", "session_from_clients"]

# services.lookup's codes for "that name names no (single) registry": bad input, not Azure's.
_BAD_NAME_CODES = {"RegistryNotFound", "AmbiguousRegistryName", "InvalidRegistryName"}


def build_session(cls: Any, target: Any, journal: Any) -> Any:
    from services.azure import AzureClients

    return session_from_clients(cls, AzureClients(target), target, journal, owns_clients=True)


def session_from_clients(
    cls: Any, clients: Any, target: Any, journal: Any, *, owns_clients: bool = False
) -> Any:
    """A session over existing clients (the dashboard's); it closes them only if it owns them."""
    from services.providers import ProviderService
    from services.registry_rules import RegistryRuleService
    from services.subnet_endpoints import SubnetEndpointService

    services = PlanServices(
        rules=RegistryRuleService(clients),
        subnets=SubnetEndpointService(clients),
        providers=ProviderService(clients),
    )

    async def load_inventory() -> Any:
        from services.inventory import InventoryService

        return await InventoryService(clients).load()

    async def find(name: str) -> Any:
        try:
            from services.lookup import find_registry
        except ImportError:  # the shared lookup is not there: list registries ourselves
            return await _find_by_listing(clients, name)
        from services.errors import AcrfenceError
        from services.plans.inputs import PlanInputError

        try:
            return await find_registry(clients, name)
        except AcrfenceError as exc:
            if exc.code in _BAD_NAME_CODES:
                raise PlanInputError(str(exc)) from None
            raise

    async def read_vnet(vnet_id: str) -> Any:
        from services.models import parse_resource_id
        from services.registry_rules import raw_json
        from services.subnet_endpoints import virtual_network_from_arm

        parsed = parse_resource_id(vnet_id, "Microsoft.Network/virtualNetworks")
        client = clients.network(parsed.subscription_id)
        raw = await client.virtual_networks.get(parsed.resource_group, parsed.name, cls=raw_json)
        return virtual_network_from_arm(raw)

    return cls(
        services,
        journal,
        sovereign=bool(getattr(target, "is_sovereign_cloud", False)),
        find_registry=find,
        load_inventory=load_inventory,
        read_vnet=read_vnet,
        closer=clients.close if owns_clients else None,
    )


async def _find_by_listing(clients: Any, name: str) -> str:
    from azure.core.exceptions import HttpResponseError

    from services.plans.inputs import PlanInputError

    async def ids_in(subscription_id: str) -> list[str]:
        client = clients.registries(subscription_id)
        return [r.id async for r in client.registries.list() if (r.name or "").casefold()
                == name.casefold()]  # fmt: skip

    matches: list[str] = []
    async for subscription in clients.subscriptions().subscriptions.list():
        try:
            matches += await ids_in(subscription.subscription_id)
        except HttpResponseError as error:
            # Azure refused the preferred registry api-version there: once more on the fallback.
            if not clients.fall_back_on_registry_api(subscription.subscription_id, error):
                raise
            matches += await ids_in(subscription.subscription_id)
    if not matches:
        raise PlanInputError(f"unknown registry: {name}")
    if len(matches) > 1:
        raise PlanInputError(f"registry name {name} is ambiguous: pass its resource ID")
    return matches[0]
