"""A read-only copy of a tenant in the emulator's seed format, to rehearse on.

Reads, per subscription and concurrently: the registries (rule sets and private endpoint
connections inline, as ARM returns them), the virtual networks (subnets inline, with their
service endpoints, delegations, NSG and route table references and private endpoints) and the
registration state of the providers a lockdown touches. Nothing is written to Azure.

The document is what `emulator/tenant_json.py` loads: `subscriptions`, `registries`,
`virtualNetworks`, `privateEndpoints` (derived from the subnets that list them). A subscription
that a registry rule points into but this identity can't list is kept as `accessible: false`,
so a rehearsal shows that rule as "in a subscription you can't read", as the real tenant does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from acrfence.services.azure import NETWORK_API_VERSION, REGISTRY_API_VERSION, AzureClients
from acrfence.services.errors import AcrfenceError, describe_error, error_code
from acrfence.services.models import SubscriptionFailure

__all__ = ["SNAPSHOT_PROVIDERS", "Snapshot", "TenantSnapshotter"]

SUBSCRIPTIONS_API_VERSION = "2022-12-01"
PROVIDERS_API_VERSION = "2022-09-01"
# The providers whose registration a lockdown depends on (the endpoint's subnet subscription
# needs Microsoft.ContainerRegistry; Microsoft.Network holds the subnets).
SNAPSHOT_PROVIDERS = ("Microsoft.ContainerRegistry", "Microsoft.Network")
_ERROR_MAP = {401: ClientAuthenticationError, 404: ResourceNotFoundError}


@dataclass
class Snapshot:
    document: dict[str, Any]
    failures: list[SubscriptionFailure] = field(default_factory=list)


class TenantSnapshotter:
    def __init__(self, clients: AzureClients, max_in_flight: int = 32) -> None:
        self._clients = clients
        self._limit = asyncio.Semaphore(max_in_flight)

    async def _get(self, url: str) -> dict[str, Any]:
        async with self._limit:
            response = await self._clients.arm().send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            map_error(response.status_code, response, _ERROR_MAP)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        document: dict[str, Any] = response.json()
        return document

    async def _list(self, url: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            page = await self._get(next_url)
            items.extend(page.get("value") or ())
            next_url = page.get("nextLink")
        return items

    async def read(self, subscription_ids: Iterable[str] | None = None) -> Snapshot:
        """The tenant (or the named subscriptions) as a seed document; AcrfenceError when
        even the subscription list can't be read."""
        try:
            listed = await self._list(f"/subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}")
        except Exception as exc:
            raise AcrfenceError(describe_error(exc), code=error_code(exc)) from exc
        by_id = {s["subscriptionId"].casefold(): s for s in listed}
        if subscription_ids is None:
            wanted = [s["subscriptionId"] for s in listed]
        else:
            wanted = list(dict.fromkeys(subscription_ids))
        parts = await asyncio.gather(*(self._subscription(s) for s in wanted))
        snapshot = Snapshot({"subscriptions": [], "registries": [], "virtualNetworks": []})
        for subscription_id, (registries, vnets, providers, failures) in zip(
            wanted, parts, strict=True
        ):
            raw = by_id.get(subscription_id.casefold(), {})
            snapshot.failures.extend(failures)
            if not raw and failures:
                continue  # asked for by ID, not listed, and unreadable: Azure said why
            entry = {
                "subscriptionId": raw.get("subscriptionId", subscription_id),
                "displayName": raw.get("displayName") or subscription_id,
                "tenantId": raw.get("tenantId"),
                "state": raw.get("state") or "Enabled",
                "accessible": True,
                "providers": providers,
            }
            snapshot.document["subscriptions"].append(
                {key: value for key, value in entry.items() if value is not None}
            )
            snapshot.document["registries"].extend(registries)
            snapshot.document["virtualNetworks"].extend(vnets)
        snapshot.document["privateEndpoints"] = _private_endpoints(
            snapshot.document["virtualNetworks"]
        )
        _add_unreadable_subscriptions(snapshot.document)
        return snapshot

    async def _subscription(
        self, subscription_id: str
    ) -> tuple[
        list[dict[str, Any]], list[dict[str, Any]], dict[str, str], list[SubscriptionFailure]
    ]:
        base = f"/subscriptions/{subscription_id}/providers"
        calls = {
            "registries": self._list(
                f"{base}/Microsoft.ContainerRegistry/registries?api-version={REGISTRY_API_VERSION}"
            ),
            "virtual networks": self._list(
                f"{base}/Microsoft.Network/virtualNetworks?api-version={NETWORK_API_VERSION}"
            ),
            **{
                namespace: self._get(f"{base}/{namespace}?api-version={PROVIDERS_API_VERSION}")
                for namespace in SNAPSHOT_PROVIDERS
            },
        }
        results = await asyncio.gather(*calls.values(), return_exceptions=True)
        failures = []
        answers: dict[str, Any] = {}
        for what, result in zip(calls, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                code = error_code(result) or type(result).__name__
                failures.append(
                    SubscriptionFailure(subscription_id, what, code, describe_error(result))
                )
            else:
                answers[what] = result
        providers = {
            namespace: str(answers[namespace].get("registrationState") or "NotRegistered")
            for namespace in SNAPSHOT_PROVIDERS
            if namespace in answers
        }
        registries = sorted(answers.get("registries", []), key=lambda r: r["name"].casefold())
        vnets = sorted(answers.get("virtual networks", []), key=lambda v: v["name"].casefold())
        return registries, vnets, providers, failures


def _private_endpoints(vnets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Private endpoints as the seed format holds them, from the subnets that list them."""
    endpoints = []
    for vnet in vnets:
        for subnet in vnet.get("properties", {}).get("subnets") or []:
            for endpoint in subnet.get("properties", {}).get("privateEndpoints") or []:
                endpoints.append(
                    {"id": endpoint["id"], "location": vnet["location"], "subnetId": subnet["id"]}
                )
    return endpoints


def _add_unreadable_subscriptions(document: dict[str, Any]) -> None:
    """Subscriptions that rules point into but weren't read: kept, marked unreadable."""
    known = {s["subscriptionId"].casefold() for s in document["subscriptions"]}
    for registry in document["registries"]:
        rule_set = registry.get("properties", {}).get("networkRuleSet") or {}
        for rule in rule_set.get("virtualNetworkRules") or []:
            subnet_id = rule.get("virtualNetworkSubnetResourceId") or rule.get("id") or ""
            parts = subnet_id.split("/")
            if len(parts) > 2 and parts[2].casefold() not in known:
                known.add(parts[2].casefold())
                document["subscriptions"].append(
                    {
                        "subscriptionId": parts[2],
                        "displayName": parts[2],
                        "accessible": False,
                        "providers": {},
                    }
                )
