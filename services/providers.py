"""Resource provider registration, done as an explicit, visible step.

Clients are built without the SDK's silent auto-registration (see services/azure.py); a
subnet in another subscription needs Microsoft.ContainerRegistry registered there before
its service endpoint can be added, and the plan does it here, where the user can see it.
"""

from __future__ import annotations

import asyncio
import time

from acrfence.services.azure import AzureClients
from acrfence.services.errors import AcrfenceError
from acrfence.services.registry_rules import raw_json

__all__ = ["ProviderService", "ACR_NAMESPACE"]

ACR_NAMESPACE = "Microsoft.ContainerRegistry"
# Registration takes seconds to minutes in Azure; poll briskly at first, then ease off.
_POLL_START_S = 0.5
_POLL_MAX_S = 5.0


class ProviderService:
    def __init__(self, clients: AzureClients) -> None:
        self._clients = clients

    async def state(self, subscription_id: str, namespace: str = ACR_NAMESPACE) -> str:
        """Registered, Registering, NotRegistered or Unregistering."""
        client = self._clients.resources(subscription_id)
        raw = await client.providers.get(namespace, cls=raw_json)
        return str(raw.get("registrationState") or "NotRegistered")

    async def register(
        self, subscription_id: str, namespace: str = ACR_NAMESPACE, timeout_s: float = 120
    ) -> str:
        """Register ``namespace`` and wait until Azure says Registered; return that state."""
        client = self._clients.resources(subscription_id)
        raw = await client.providers.register(namespace, cls=raw_json)
        state = str(raw.get("registrationState") or "")
        deadline = time.monotonic() + timeout_s
        delay = _POLL_START_S
        while state.casefold() != "registered":
            if time.monotonic() >= deadline:
                raise AcrfenceError(
                    f"{namespace} is still {state or 'not registered'} in subscription "
                    f"{subscription_id} after {timeout_s:.0f} s",
                    code="RegistrationTimeout",
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX_S)
            state = await self.state(subscription_id, namespace)
        return state
