"""A read-only copy of a tenant in the emulator's seed format, to rehearse on.

Reads, per subscription and concurrently: the registries (rule sets and private endpoint
connections inline, as ARM returns them), the virtual networks (subnets inline, with their
service endpoints, delegations, NSG and route table references and private endpoints) and the
registration state of the providers a lockdown touches, and private link: the private
endpoints (with their addresses and DNS zone groups) and the registries' private DNS zones
(``privatelink.azurecr.*``, with their virtual network links and record sets). Nothing is
written to Azure.

The document is what `emulator/tenant_json.py` loads: `subscriptions`, `registries`,
`virtualNetworks`, `privateEndpoints` (as listed, or derived from the subnets that list them
where the listing couldn't be read), `privateDnsZones` and `replications` (the regions of the
registries' data endpoints). A subscription
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
from acrfence.services.models.private_link import is_registry_zone
from acrfence.services.private_link.reads import PRIVATE_DNS_API_VERSION

__all__ = ["SNAPSHOT_PROVIDERS", "Snapshot", "TenantSnapshotter"]

SUBSCRIPTIONS_API_VERSION = "2022-12-01"
PROVIDERS_API_VERSION = "2022-09-01"
# The providers whose registration a lockdown depends on (the endpoint's subnet subscription
# needs Microsoft.ContainerRegistry; Microsoft.Network holds the subnets).
SNAPSHOT_PROVIDERS = ("Microsoft.ContainerRegistry", "Microsoft.Network")
_ERROR_MAP = {401: ClientAuthenticationError, 404: ResourceNotFoundError}
# Reads whose failure (a provider or API a tenant lacks) leaves the rest of the copy useful.
_OPTIONAL_READS = ("private endpoints", "private DNS zones")


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
        private_link = []
        for subscription_id, (registries, vnets, providers, failures, endpoints, zones) in zip(
            wanted, parts, strict=True
        ):
            private_link.append((endpoints, zones))
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
        listed_endpoints = [e for endpoints, _ in private_link for e in endpoints]
        listed_zones = [z for _, zones in private_link for z in zones]
        snapshot.document["privateEndpoints"] = await self._private_endpoints(
            snapshot.document["virtualNetworks"], listed_endpoints
        )
        snapshot.document["privateDnsZones"] = await asyncio.gather(
            *(self._zone(zone) for zone in listed_zones)
        )
        replications = _replications(snapshot.document["registries"])
        if replications:
            snapshot.document["replications"] = replications
        _add_unreadable_subscriptions(snapshot.document)
        return snapshot

    async def _private_endpoints(
        self, vnets: list[dict[str, Any]], listed: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Each listed endpoint as the emulator stores it (its ARM body, its subnet, its
        addresses, its zone groups); an endpoint a subnet names but no listing returned (its
        subscription's listing failed) in the short form, so connections still resolve."""
        groups = await asyncio.gather(*(self._zone_groups(e["id"]) for e in listed))
        endpoints = [_stored_endpoint(e, found) for e, found in zip(listed, groups, strict=True)]
        known = {e["id"].casefold() for e in endpoints}
        endpoints += [e for e in _derived_endpoints(vnets) if e["id"].casefold() not in known]
        return endpoints

    async def _zone_groups(self, endpoint_id: str) -> list[dict[str, Any]]:
        url = f"{endpoint_id}/privateDnsZoneGroups?api-version={NETWORK_API_VERSION}"
        try:
            return await self._list(url)
        except HttpResponseError:
            return []  # unreadable: the rehearsal shows the endpoint without a zone group

    async def _zone(self, zone: dict[str, Any]) -> dict[str, Any]:
        """A zone with its links and record sets, keyed as the emulator stores them."""
        version = f"api-version={PRIVATE_DNS_API_VERSION}"
        links, records = await asyncio.gather(
            self._list(f"{zone['id']}/virtualNetworkLinks?{version}"),
            self._list(f"{zone['id']}/ALL?{version}"),
        )
        return {
            **zone,
            "links": {str(link["name"]).lower(): link for link in links},
            "records": {_record_key(record): record for record in records},
        }

    async def _subscription(
        self, subscription_id: str
    ) -> tuple[
        list[dict[str, Any]],
        list[dict[str, Any]],
        dict[str, str],
        list[SubscriptionFailure],
        list[dict[str, Any]],
        list[dict[str, Any]],
    ]:
        base = f"/subscriptions/{subscription_id}/providers"
        network = f"{base}/Microsoft.Network"
        calls = {
            "registries": self._list(
                f"{base}/Microsoft.ContainerRegistry/registries?api-version={REGISTRY_API_VERSION}"
            ),
            "virtual networks": self._list(
                f"{network}/virtualNetworks?api-version={NETWORK_API_VERSION}"
            ),
            "private endpoints": self._list(
                f"{network}/privateEndpoints?api-version={NETWORK_API_VERSION}"
            ),
            "private DNS zones": self._list(
                f"{network}/privateDnsZones?api-version={PRIVATE_DNS_API_VERSION}"
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
                if what in _OPTIONAL_READS:
                    continue  # private link unreadable: endpoints derived from the subnets
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
        endpoints = answers.get("private endpoints", [])
        zones = [z for z in answers.get("private DNS zones", []) if is_registry_zone(z["name"])]
        return registries, vnets, providers, failures, endpoints, zones


def _stored_endpoint(endpoint: dict[str, Any], groups: list[dict[str, Any]]) -> dict[str, Any]:
    properties = endpoint.get("properties") or {}
    addresses = [
        address
        for config in properties.get("customDnsConfigs") or ()
        for address in config.get("ipAddresses") or ()
    ]
    return {
        **endpoint,
        "subnetId": (properties.get("subnet") or {}).get("id", ""),
        "ipAddresses": addresses,
        "zoneGroups": {str(group["name"]).lower(): group for group in groups},
    }


def _record_key(record: dict[str, Any]) -> str:
    """`a/name`: a record set's type and relative name, as the emulator keys them."""
    kind = str(record.get("type") or "").rsplit("/", 1)[-1]
    return f"{kind}/{record['name']}".lower()


def _replications(registries: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The regions of each geo-replicated registry (home first), from its data endpoints
    (`<name>.<region>.data.azurecr.io`, one per region): no extra read per registry."""
    found: dict[str, list[str]] = {}
    for registry in registries:
        hosts = (registry.get("properties") or {}).get("dataEndpointHostNames") or ()
        regions = [str(h).split(".")[1].lower() for h in hosts if str(h).count(".") >= 4]
        home = str(registry.get("location") or "").lower()
        if len(set(regions)) > 1 and home:
            found[registry["id"]] = [home, *dict.fromkeys(r for r in regions if r != home)]
    return found


def _derived_endpoints(vnets: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
