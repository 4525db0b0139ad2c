"""Find a registry from what a user typed: a resource ID, or a name unique across the
subscriptions this identity can see."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Iterable

from azure.core.exceptions import ResourceNotFoundError

from acrfence.services.azure import AzureClients
from acrfence.services.errors import AcrfenceError
from acrfence.services.inventory import InventoryService
from acrfence.services.models.inventory import Inventory, Registry
from acrfence.services.models.resource_id import (
    REGISTRY_TYPE,
    ResourceIdError,
    is_registry_name,
    parse_resource_id,
)
from acrfence.services.registry_rules import RegistryRuleService

__all__ = ["RegistryNotFound", "AmbiguousRegistryName", "find_registry", "did_you_mean"]


class RegistryNotFound(AcrfenceError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="RegistryNotFound")


class AmbiguousRegistryName(AcrfenceError):
    def __init__(self, name: str, matches: list[Registry]) -> None:
        ids = ", ".join(r.id for r in matches)
        super().__init__(
            f"{len(matches)} registries are named {name!r}; give the resource ID: {ids}",
            code="AmbiguousRegistryName",
        )
        self.matches = tuple(matches)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ " (did you mean X?)" for the closest visible name to a misspelled one, else ""."""
    by_folded = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(name.casefold(), list(by_folded), n=2, cutoff=0.75)
    if not close:
        return ""
    return " (did you mean " + " or ".join(by_folded[c] for c in close) + "?)"


async def _all_registries(service: InventoryService) -> list[Registry]:
    limit = asyncio.Semaphore(16)
    subscriptions = await service.list_subscriptions(limit)
    found = await asyncio.gather(
        *(service.list_registries(s.subscription_id, limit) for s in subscriptions)
    )
    return [registry for batch in found for registry in batch]


async def find_registry(
    clients: AzureClients,
    inventory_or_service: Inventory | InventoryService | str | None,
    name_or_id: str | None = None,
) -> Registry:
    """The registry ``name_or_id`` names; RegistryNotFound / AmbiguousRegistryName otherwise.

    A resource ID is read fresh from Azure. A name is looked up in the given inventory, or,
    given a service (or None), in a fresh listing of every visible subscription's registries.
    """
    if name_or_id is None and isinstance(inventory_or_service, str):
        # Called as find_registry(clients, name): look it up in a fresh listing.
        inventory_or_service, name_or_id = None, inventory_or_service
    text = (name_or_id or "").strip()
    if text.startswith("/"):
        try:
            parse_resource_id(text, REGISTRY_TYPE)
        except ResourceIdError as error:
            raise AcrfenceError(str(error), code="InvalidResourceId") from None
        try:
            return await RegistryRuleService(clients).get(text)
        except ResourceNotFoundError:
            raise RegistryNotFound(f"no registry {text} (or it isn't visible)") from None
    if not is_registry_name(text):
        raise AcrfenceError(
            f"{name_or_id!r} is not a registry name (5-50 letters and digits) or resource ID",
            code="InvalidRegistryName",
        )
    if isinstance(inventory_or_service, Inventory):
        candidates = list(inventory_or_service.registries)
    else:
        service = (
            inventory_or_service
            if isinstance(inventory_or_service, InventoryService)
            else InventoryService(clients)
        )
        candidates = await _all_registries(service)
    matches = [r for r in candidates if r.name.casefold() == text.casefold()]
    if not matches:
        hint = did_you_mean(text, (r.name for r in candidates))
        raise RegistryNotFound(f"no registry named {text!r} in the visible subscriptions{hint}")
    if len(matches) > 1:
        raise AmbiguousRegistryName(text, matches)
    return matches[0]
