"""The tenant's inventory: subscriptions, then each one's registries and virtual networks,
read concurrently and streamed as each listing completes.

At most ``max_in_flight`` requests are outstanding at once (one per page of a listing), so a
tenant of hundreds of subscriptions neither floods ARM's throttling limits nor waits on a
sequential walk. A subscription that can't be read becomes a LoadFailed event; the rest
still loads.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, replace
from itertools import chain, repeat
from typing import Any, TypeVar, cast

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from acrfence.services.analysis.incremental import FindingsAccumulator
from acrfence.services.azure import NETWORK_API_VERSION, AzureClients
from acrfence.services.errors import AcrfenceError, describe_error, error_code
from acrfence.services.loop_first import UI_LOOP
from acrfence.services.models.inventory import (
    PRIVATE_LINK_LISTING,
    Inventory,
    Registry,
    Subnet,
    SubnetIndex,
    Subscription,
    SubscriptionFailure,
    VirtualNetwork,
)
from acrfence.services.models.private_link import PrivateDnsZone, PrivateEndpoint, Replication
from acrfence.services.models.resource_id import (
    REGISTRY_TYPE,
    is_subscription_id,
    parse_resource_id,
    subscription_of,
)
from acrfence.services.packed_json import PackedItems, PackedJson
from acrfence.services.read_pacing import PacingStatus
from acrfence.services.registry_rules import registry_from_arm
from acrfence.services.subnet_endpoints import virtual_network_from_arm

__all__ = [
    "SubscriptionsLoaded",
    "RegistriesLoaded",
    "VirtualNetworksLoaded",
    "PrivateLinkLoaded",
    "LoadFailed",
    "InventoryEvent",
    "InventoryService",
    "InventoryBuilder",
    "build_inventory",
    "chosen_subscriptions",
    "fold_events",
    "finished_listings",
    "feed_findings",
    "DEFAULT_MAX_IN_FLIGHT",
    "on_parsing_thread",
]

SUBSCRIPTIONS_API_VERSION = "2022-12-01"
# Requests outstanding at once. ARM throttles reads per subscription and principal (a bucket
# of 250, refilled at 25/s) and one subscription never has more than two listings running
# here, so the bound is about our own sockets and CPU. Below ~50 the waves of round trips
# show (100 listings at 16 in flight = 7 latencies in a row); aiohttp's pool holds 100.
DEFAULT_MAX_IN_FLIGHT = 64
# The same exception types the generated operations raise for these statuses.
_ERROR_MAP = {401: ClientAuthenticationError, 404: ResourceNotFoundError}
# The listings a subscription failure names (SubscriptionFailure.what).
_REGISTRIES = "registries"
_NETWORKS = "virtual networks"
# Registries and virtual networks, grouped by their subscription.
_Item = TypeVar("_Item", Registry, VirtualNetwork)
_Built = TypeVar("_Built")
_Result = TypeVar("_Result")


@dataclass(frozen=True)
class SubscriptionsLoaded:
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True)
class RegistriesLoaded:
    subscription_id: str
    registries: tuple[Registry, ...]


@dataclass(frozen=True)
class VirtualNetworksLoaded:
    subscription_id: str
    virtual_networks: tuple[VirtualNetwork, ...]


@dataclass(frozen=True)
class PrivateLinkLoaded:
    """A subscription's private endpoints to registries (with their zone groups), ACR's
    private DNS zones (records, links) and its registries' replications."""

    subscription_id: str
    private_endpoints: tuple[PrivateEndpoint, ...]
    private_dns_zones: tuple[PrivateDnsZone, ...]
    replications: tuple[Replication, ...]


@dataclass(frozen=True)
class LoadFailed:
    failure: SubscriptionFailure


InventoryEvent = (
    SubscriptionsLoaded | RegistriesLoaded | VirtualNetworksLoaded | PrivateLinkLoaded | LoadFailed
)


def subscription_from_arm(raw: dict[str, Any]) -> Subscription:
    return Subscription(
        subscription_id=raw.get("subscriptionId", ""),
        display_name=raw.get("displayName") or raw.get("subscriptionId", ""),
        state=raw.get("state") or "Enabled",
        tenant_id=raw.get("tenantId"),
        raw=raw,
    )


def _failure(subscription_id: str, what: str, exc: BaseException) -> LoadFailed:
    code = error_code(exc) or type(exc).__name__
    return LoadFailed(SubscriptionFailure(subscription_id, what, code, describe_error(exc)))


def chosen_subscriptions(
    visible: tuple[Subscription, ...], subscription_ids: Iterable[str] | None
) -> tuple[tuple[Subscription, ...], list[str]]:
    """The visible subscriptions asked for (all when None), and the IDs asked for but not
    visible; AcrfenceError for an ID that isn't a GUID."""
    if subscription_ids is None:
        return visible, []
    wanted = [s.strip() for s in subscription_ids if s.strip()]
    for subscription_id in wanted:
        if not is_subscription_id(subscription_id):
            raise AcrfenceError(
                f"not a subscription ID (a GUID): {subscription_id!r}",
                code="InvalidSubscriptionId",
            )
    by_id = {s.subscription_id.casefold(): s for s in visible}
    subscriptions = tuple(by_id[w.casefold()] for w in wanted if w.casefold() in by_id)
    missing = [w for w in wanted if w.casefold() not in by_id]
    return subscriptions, missing


class InventoryService:
    """Loads the inventory visible to one identity, concurrently and as a stream of events."""

    def __init__(self, clients: AzureClients, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._clients = clients
        self._max_in_flight = max_in_flight

    @property
    def clients(self) -> AzureClients:
        return self._clients

    def with_clients(self, clients: AzureClients) -> InventoryService:
        """The same reads through other clients (another loop's: services.reading_loop)."""
        return InventoryService(clients, self._max_in_flight)

    def pacing(self) -> PacingStatus:
        """How the reads are being paced against ARM's throttling, for a status line."""
        return self._clients.pacer.status()

    async def _collect(
        self, client: Any, url: str, limit: asyncio.Semaphore
    ) -> list[dict[str, Any]]:
        """Every item of an ARM listing, following nextLink; the semaphore is held per page.

        The request goes through the SDK client's own pipeline (auth, retries, TLS) via its
        public ``send_request``, but the items stay raw JSON: the generated models would
        cost more CPU to build and take apart again than the whole round trip (profiled:
        0.7 s of 1.1 s for 500 registries) and could drop keys they don't know.
        """
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            async with limit:
                response = await client.send_request(HttpRequest("GET", next_url))
            if response.status_code != 200:
                map_error(response.status_code, response, _ERROR_MAP)
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            page = response.json()
            items.extend(page.get("value") or ())
            next_url = page.get("nextLink")
        return items

    async def _collect_built(
        self, client: Any, url: str, limit: asyncio.Semaphore, build: Callable[[Any, Any], _Built]
    ) -> list[_Built]:
        """Every item of an ARM listing as ``build(item, packed JSON)`` makes it, following
        nextLink. Each page is parsed and built on the parsing thread (``_off_loop``)."""
        built: list[_Built] = []
        next_url: str | None = url
        while next_url:
            async with limit:
                # stream=True: the pipeline's ContentDecodePolicy would parse every page on
                # the event loop (the longest stall left in the sampled fleet run); it is
                # read here and parsed once, on the parsing thread.
                response = await client.send_request(HttpRequest("GET", next_url), stream=True)
                await response.read()
            if response.status_code != 200:
                map_error(response.status_code, response, _ERROR_MAP)
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            page, next_url = await _off_loop(_build_page, response.content, build)
            built.extend(page)
        return built

    async def list_subscriptions(
        self, limit: asyncio.Semaphore | None = None
    ) -> tuple[Subscription, ...]:
        limit = limit or asyncio.Semaphore(self._max_in_flight)
        url = f"/subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}"
        raw = await self._collect(self._clients.arm(), url, limit)
        return tuple(subscription_from_arm(item) for item in raw)

    async def list_registries(
        self, subscription_id: str, limit: asyncio.Semaphore | None = None
    ) -> tuple[Registry, ...]:
        """One subscription's registries, sorted by name; Azure's errors propagate.

        Read with the subscription's registry api-version; if Azure refuses it there, once
        more with the fallback (services.azure), and each registry says which it was read with.
        """
        limit = limit or asyncio.Semaphore(self._max_in_flight)
        clients = self._clients

        def url() -> str:
            return (
                f"/subscriptions/{subscription_id}/providers/Microsoft.ContainerRegistry"
                f"/registries?api-version={clients.registry_api_version(subscription_id)}"
            )

        def collect() -> Awaitable[list[Registry]]:
            version = clients.registry_api_version(subscription_id)
            note = clients.registry_api_note(subscription_id)

            def build(item: Any, raw: PackedJson) -> Registry:
                registry = registry_from_arm(item)
                return replace(registry, api_version=version, api_version_note=note, raw=raw)

            return self._collect_built(clients.arm(), url(), limit, build)

        try:
            registries = await collect()
        except HttpResponseError as error:
            if not clients.fall_back_on_registry_api(subscription_id, error):
                raise
            registries = await collect()
        return tuple(sorted(registries, key=lambda r: (r.name.casefold(), r.key)))

    async def read_registry(
        self, registry_id: str, limit: asyncio.Semaphore | None = None
    ) -> Registry:
        """One registry through its subscription's registry API (virtual network rules in)."""
        (registry,) = await self.read_registries((registry_id,), limit)
        return registry

    async def read_registries(
        self, registry_ids: Sequence[str], limit: asyncio.Semaphore | None = None
    ) -> list[Registry]:
        """Registries by ID through their subscriptions' registry API (virtual network rules
        in), read concurrently; Azure's errors propagate.

        Raw GETs on the shared ARM client (building a registry SDK client per subscription
        costs more CPU than the round trip when thousands are read), each answer kept as it
        came (stream=True: the pipeline would parse it on the event loop) and all of them
        parsed and built together on the parsing thread: on the loop, a wave of answers
        parsed there stalled the dashboard (the fleet pass over Resource Graph re-reads
        13,000).
        """
        limit = limit or asyncio.Semaphore(self._max_in_flight)
        answers: dict[int, tuple[bytes, str, str | None]] = {}
        to_read = iter(enumerate(registry_ids))

        async def reader() -> None:
            # Readers share one iterator: no more tasks than requests can be in flight (a
            # task per registry was hundreds made, and first run, in one turn of the loop).
            for index, registry_id in to_read:
                answers[index] = await self._registry_json(registry_id, limit)

        readers = min(len(registry_ids), self._max_in_flight)
        await asyncio.gather(*(reader() for _ in range(readers)))
        in_order = [answers[index] for index in range(len(registry_ids))]
        return await _off_loop(_build_registries, in_order)

    async def _registry_json(
        self, registry_id: str, limit: asyncio.Semaphore
    ) -> tuple[bytes, str, str | None]:
        """One registry's JSON as ARM sent it, with the api-version (and its note) read with."""
        clients = self._clients
        subscription_id = parse_resource_id(registry_id, REGISTRY_TYPE).subscription_id

        async def read() -> Any:
            version = clients.registry_api_version(subscription_id)
            async with limit:
                response = await clients.arm().send_request(
                    HttpRequest("GET", f"{registry_id}?api-version={version}"), stream=True
                )
                await response.read()
            if response.status_code != 200:
                map_error(response.status_code, response, _ERROR_MAP)
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            return response

        try:
            response = await read()
        except HttpResponseError as error:
            if not clients.fall_back_on_registry_api(subscription_id, error):
                raise
            response = await read()
        return (
            response.content,
            clients.registry_api_version(subscription_id),
            clients.registry_api_note(subscription_id),
        )

    async def list_virtual_networks(
        self, subscription_id: str, limit: asyncio.Semaphore | None = None
    ) -> tuple[VirtualNetwork, ...]:
        """One subscription's virtual networks with their subnets; Azure's errors propagate."""
        limit = limit or asyncio.Semaphore(self._max_in_flight)
        url = (
            f"/subscriptions/{subscription_id}/providers/Microsoft.Network"
            f"/virtualNetworks?api-version={NETWORK_API_VERSION}"
        )
        vnets = await self._collect_built(
            self._clients.arm(), url, limit, lambda item, raw: virtual_network_from_arm(item, raw)
        )
        return tuple(sorted(vnets, key=lambda v: (v.name.casefold(), v.key)))

    async def _registries(self, subscription_id: str, limit: asyncio.Semaphore) -> InventoryEvent:
        try:
            return RegistriesLoaded(
                subscription_id, await self.list_registries(subscription_id, limit)
            )
        except Exception as exc:  # any failure is reported; the rest loads on
            return _failure(subscription_id, _REGISTRIES, exc)

    async def _virtual_networks(
        self, subscription_id: str, limit: asyncio.Semaphore
    ) -> InventoryEvent:
        try:
            return VirtualNetworksLoaded(
                subscription_id, await self.list_virtual_networks(subscription_id, limit)
            )
        except Exception as exc:  # any failure is reported; the rest loads on
            return _failure(subscription_id, _NETWORKS, exc)

    async def list_private_link(
        self,
        subscription_id: str,
        registries: tuple[Registry, ...] | None,
        networks: tuple[VirtualNetwork, ...] | None,
        limit: asyncio.Semaphore | None = None,
    ) -> PrivateLinkLoaded:
        """One subscription's private link, read only where there is some, given the
        subscription's registries (None: that listing failed) and networks as just listed
        (None: read the endpoints anyway, as after a change that made one).

        A private endpoint lives in its network's subscription and every subnet lists the
        endpoints in it, so a subscription whose subnets hold none costs no read at all (a
        fleet of 50 subscriptions without private link measured 0.48 s before private link,
        0.80 s with three listings per subscription always, on benchmarks/inventory.py at
        50 ms). Otherwise: its endpoints (one listing, then one zone-group read per endpoint
        to a registry), its ACR private DNS zones (one listing, then records and links per
        zone) and the zones its endpoints' zone groups name elsewhere (one read each). Each
        registry with private endpoint connections gets its replications read (one listing
        per registry: ACR lists them only per registry).
        """
        from acrfence.services.private_link.reads import PrivateLinkReads

        limit = limit or asyncio.Semaphore(self._max_in_flight)
        reads = PrivateLinkReads(self._clients)
        has_endpoints = networks is None or any(
            subnet.private_endpoint_ids for vnet in networks for subnet in vnet.subnets
        )

        async def endpoints_and_zones() -> tuple[tuple[PrivateEndpoint, ...], list[PrivateDnsZone]]:
            if not has_endpoints:
                return (), []
            endpoints, zones = await asyncio.gather(
                reads.list_private_endpoints(subscription_id, limit=limit),
                reads.list_private_dns_zones(subscription_id, limit=limit),
            )
            here = {zone.key for zone in zones}
            elsewhere = {z.casefold(): z for e in endpoints for z in e.zone_ids}
            more = await asyncio.gather(
                *(reads.private_dns_zone(z) for k, z in elsewhere.items() if k not in here)
            )
            return endpoints, [*zones, *(zone for zone in more if zone is not None)]

        linked = [r for r in registries or () if r.private_endpoint_connections]

        async def replications() -> list[Replication]:
            found = await asyncio.gather(
                *(reads.replications(r.id, r.login_server) for r in linked)
            )
            return [replication for items in found for replication in items]

        (endpoints, zones), replicated = await asyncio.gather(endpoints_and_zones(), replications())
        return PrivateLinkLoaded(subscription_id, endpoints, tuple(zones), tuple(replicated))

    async def _private_link(
        self,
        subscription_id: str,
        limit: asyncio.Semaphore,
        registries: asyncio.Future[InventoryEvent],
        networks: asyncio.Future[InventoryEvent],
    ) -> InventoryEvent | None:
        """None when the subscription's networks couldn't be listed: its private endpoints
        can't be placed then, and that failure is already reported once."""
        listed_registries = await registries
        listed_networks = await networks
        if not isinstance(listed_networks, VirtualNetworksLoaded):
            return None
        try:
            return await self.list_private_link(
                subscription_id,
                (
                    listed_registries.registries
                    if isinstance(listed_registries, RegistriesLoaded)
                    else None
                ),
                listed_networks.virtual_networks,
                limit,
            )
        except Exception as exc:  # any failure is reported; the rest loads on
            return _failure(subscription_id, PRIVATE_LINK_LISTING, exc)

    async def stream(
        self, subscription_ids: Iterable[str] | None = None
    ) -> AsyncIterator[InventoryEvent]:
        """Events as each listing completes: SubscriptionsLoaded first, then the rest.

        Raises AcrfenceError when even the subscription list can't be read (bad credentials,
        unreachable endpoint): there is nothing to show then.
        """
        limit = asyncio.Semaphore(self._max_in_flight)
        # No pool warming: opening connections through aiohttp's internals while the
        # subscription list was in flight measured 0.52 s (then 1.41 s with the machine
        # busier) against 1.73 s without, on benchmarks/inventory.py's 50 subscriptions at
        # 50 ms; a public route (HEAD requests) measured 1.78 s: within this noise, not worth
        # a dependency on aiohttp's private connector calls.
        try:
            visible = await self.list_subscriptions(limit)
        except Exception as exc:
            raise AcrfenceError(describe_error(exc), code=error_code(exc)) from exc
        # aclosing: a consumer that stops early stops the listings' requests right away.
        async with aclosing(self._stream_listings(visible, subscription_ids, limit)) as events:
            async for event in events:
                yield event

    async def _stream_listings(
        self,
        visible: tuple[Subscription, ...],
        subscription_ids: Iterable[str] | None,
        limit: asyncio.Semaphore,
    ) -> AsyncGenerator[InventoryEvent, None]:
        subscriptions, missing = chosen_subscriptions(visible, subscription_ids)
        yield SubscriptionsLoaded(subscriptions)
        # A subscription asked for by ID but not listed is still tried: Azure's own answer
        # (AuthorizationFailed, SubscriptionNotFound) says more than our guess would.
        to_load = [s.subscription_id for s in subscriptions] + missing
        async with aclosing(self.stream_listings(to_load, limit)) as events:
            async for event in events:
                yield event

    async def stream_listings(
        self, subscription_ids: Iterable[str], limit: asyncio.Semaphore | None = None
    ) -> AsyncGenerator[InventoryEvent, None]:
        """Each subscription's registries and networks, as each listing completes.

        Subscriptions are started a window at a time (as many as requests in flight), the
        next as one finishes. Starting all of a fleet's at once made 3,000 tasks in one turn
        of the loop and ran their first steps in the next: 35-50 ms with the screen frozen
        (per-turn accounting of benchmarks/dashboard.py --fleet). The window keeps the
        semaphore's requests all in flight, so the reads are as fast."""
        limit = limit or asyncio.Semaphore(self._max_in_flight)
        waiting = iter(subscription_ids)
        finished: asyncio.Queue[asyncio.Future[InventoryEvent | None]] = asyncio.Queue()
        running: set[asyncio.Future[InventoryEvent | None]] = set()
        last_of_subscription: set[asyncio.Future[InventoryEvent | None]] = set()

        def start_next() -> None:
            subscription_id = next(waiting, None)
            if subscription_id is None:
                return
            registries: asyncio.Future[InventoryEvent] = asyncio.ensure_future(
                self._registries(subscription_id, limit)
            )
            networks: asyncio.Future[InventoryEvent] = asyncio.ensure_future(
                self._virtual_networks(subscription_id, limit)
            )
            # Private link follows the two listings: they say where there is some to read,
            # so it is the subscription's last to finish.
            private_link = asyncio.ensure_future(
                self._private_link(subscription_id, limit, registries, networks)
            )
            last_of_subscription.add(private_link)
            started: list[asyncio.Future[InventoryEvent | None]] = [
                cast("asyncio.Future[InventoryEvent | None]", registries),
                cast("asyncio.Future[InventoryEvent | None]", networks),
                private_link,
            ]
            for task in started:
                running.add(task)
                task.add_done_callback(finished.put_nowait)

        # Two listings each: the window keeps twice the requests allowed in flight queued.
        for _ in range(self._max_in_flight):
            start_next()
        try:
            while running:
                done = await finished.get()
                running.discard(done)
                if done in last_of_subscription:
                    last_of_subscription.discard(done)
                    start_next()
                event = done.result()
                if event is not None:
                    yield event
        finally:
            # The consumer may stop early (a refresh, the app quitting): stop our requests too.
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def load(self, subscription_ids: Iterable[str] | None = None) -> Inventory:
        builder = InventoryBuilder()
        async for event in self.stream(subscription_ids):
            builder.add(event)
        return builder.build()


class InventoryBuilder:
    """Folds inventory events into an Inventory; ``build()`` may be called at any point.

    Started from an earlier inventory (a refresh), each subscription's registries and networks
    are replaced as its new listing arrives, so the panes never empty out while Azure is read
    again; a listing that arrives clears that listing's earlier failure, and a subscription
    gone from the subscription list takes its resources with it.
    """

    def __init__(self, start: Inventory | None = None) -> None:
        self._subscriptions: tuple[Subscription, ...] = ()
        self._registries: dict[str, tuple[Registry, ...]] = {}
        self._vnets: dict[str, tuple[VirtualNetwork, ...]] = {}
        self._private_link: dict[str, PrivateLinkLoaded] = {}
        # By (subscription, listing): a listing's latest failure replaces its earlier one.
        self._failures: dict[tuple[str, str], SubscriptionFailure] = {}
        # Subnets by key, kept up to date per listing so build() doesn't index them all again.
        # Copied on write: build() hands this very index to its Inventory (which must never
        # see it change), and the next listing that changes it changes a copy. At rest, the
        # builder and the inventory on screen share one (100,000 subnets: ~5 MB each).
        self._subnet_index: dict[str, Subnet] = SubnetIndex()
        self._index_handed_out = False
        if start is not None:
            self._subscriptions = start.subscriptions
            self._registries = _by_subscription(start.registries)
            self._vnets = _by_subscription(start.virtual_networks)
            self._private_link = _private_link_by_subscription(start)
            self._subnet_index = start._subnet_index  # indexes exactly start's networks
            self._index_handed_out = True
            for failure in start.failures:
                self._failures[_failure_key(failure.subscription_id, failure.what)] = failure

    def add(self, event: InventoryEvent) -> None:
        match event:
            case SubscriptionsLoaded(subscriptions):
                self._subscriptions = subscriptions
                listed = {s.subscription_id.casefold() for s in subscriptions}
                for key in [k for k in self._registries if k not in listed]:
                    del self._registries[key]
                for key in [k for k in self._vnets if k not in listed]:
                    self._forget_subnets(self._vnets.pop(key))
                for key in [k for k in self._private_link if k not in listed]:
                    del self._private_link[key]
            case RegistriesLoaded(subscription_id, registries):
                self._registries[subscription_id.casefold()] = registries
                self._failures.pop(_failure_key(subscription_id, _REGISTRIES), None)
            case VirtualNetworksLoaded(subscription_id, vnets):
                self._forget_subnets(self._vnets.get(subscription_id.casefold(), ()))
                self._vnets[subscription_id.casefold()] = vnets
                index = self._own_index()
                for vnet in vnets:
                    for subnet in vnet.subnets:
                        index[subnet.key] = subnet
                self._failures.pop(_failure_key(subscription_id, _NETWORKS), None)
            case PrivateLinkLoaded(subscription_id):
                self._private_link[subscription_id.casefold()] = event
                self._failures.pop(_failure_key(subscription_id, PRIVATE_LINK_LISTING), None)
            case LoadFailed(failure):
                failure_key = _failure_key(failure.subscription_id, failure.what)
                self._failures.pop(failure_key, None)  # the latest goes last
                self._failures[failure_key] = failure

    def registries_of(self, subscription_id: str) -> tuple[Registry, ...]:
        """The subscription's registries as folded in so far."""
        return self._registries.get(subscription_id.casefold(), ())

    def networks_of(self, subscription_id: str) -> tuple[VirtualNetwork, ...]:
        return self._vnets.get(subscription_id.casefold(), ())

    def _own_index(self) -> dict[str, Subnet]:
        """The subnet index, to change: a copy of it first if an Inventory holds it."""
        if self._index_handed_out:
            # A C-level dict copy, ~3 ms for 100,000 subnets.
            self._subnet_index = SubnetIndex(self._subnet_index)
            self._index_handed_out = False
        return self._subnet_index

    def _forget_subnets(self, vnets: Iterable[VirtualNetwork]) -> None:
        if not any(vnet.subnets for vnet in vnets):
            return
        index = self._own_index()
        for vnet in vnets:
            for subnet in vnet.subnets:
                index.pop(subnet.key, None)

    def build(self) -> Inventory:
        order = [s.subscription_id.casefold() for s in self._subscriptions]
        listed = set(order)  # a set: `not in order` made this quadratic in subscriptions
        order += [
            k
            for k in dict.fromkeys((*self._registries, *self._vnets, *self._private_link))
            if k not in listed
        ]
        # chain over each subscription's tuple: a generator per item cost ~10 ms a publish
        # on the UI loop for the fleet tenant's 50,000 registries and networks.
        empty = repeat(())
        vnets = tuple(chain.from_iterable(map(self._vnets.get, order, empty)))
        registries = tuple(chain.from_iterable(map(self._registries.get, order, empty)))
        links = [self._private_link[key] for key in order if key in self._private_link]
        inventory = Inventory(
            subscriptions=self._subscriptions,
            registries=registries,
            virtual_networks=vnets,
            failures=tuple(self._failures.values()),
            private_endpoints=tuple(e for link in links for e in link.private_endpoints),
            private_dns_zones=tuple(z for link in links for z in link.private_dns_zones),
            replications=tuple(r for link in links for r in link.replications),
            private_link_read=tuple(sorted(self._private_link)),
            _subnet_index=self._hand_out_index(vnets),
        )
        # Counted per subscription here for free; the subscriptions pane counted 50,000
        # registries one by one at each redraw (10-20 ms of the UI loop on the fleet tenant).
        counts = (
            {key: len(items) for key, items in self._registries.items() if items},
            {key: len(items) for key, items in self._vnets.items() if items},
        )
        object.__setattr__(inventory, "_counts", counts)
        return inventory

    def _hand_out_index(self, vnets: tuple[VirtualNetwork, ...]) -> SubnetIndex:
        """The subnet index for an Inventory of ``vnets``: this builder's own, no longer
        changed in place (``_own_index`` copies it first)."""
        index = self._subnet_index
        if not isinstance(index, SubnetIndex):  # start's own (a plain dict): copied once
            index = self._subnet_index = SubnetIndex(index)
        # Says which networks it indexes; an earlier Inventory sharing it (nothing changed
        # since) indexes the same subnets, and only reads this when it is made.
        index.virtual_networks = vnets
        self._index_handed_out = True
        return index


# What a registry's JSON shares with every other's (ARM's keys and usual values for
# Microsoft.ContainerRegistry/registries), to pack one read on its own (PackedItems.of_json).
# Any text would do for correctness; this one packs such a registry to a third.
REGISTRY_JSON_DICTIONARY = json.dumps(
    {
        "id": "/subscriptions//resourceGroups//providers/Microsoft.ContainerRegistry/registries/",
        "name": "",
        "type": "Microsoft.ContainerRegistry/registries",
        "location": "",
        "tags": {},
        "systemData": {
            "createdBy": "",
            "createdByType": "User",
            "createdAt": "T00:00:00.0000000Z",
            "lastModifiedBy": "",
            "lastModifiedByType": "User",
            "lastModifiedAt": "T00:00:00.0000000Z",
        },
        "sku": {"name": "Premium", "tier": "Premium"},
        "properties": {
            "loginServer": ".azurecr.io",
            "creationDate": "T00:00:00.0000000Z",
            "provisioningState": "Succeeded",
            "adminUserEnabled": False,
            "networkRuleSet": {
                "defaultAction": "Deny",
                "ipRules": [{"action": "Allow", "value": ""}],
                "virtualNetworkRules": [
                    {
                        "action": "Allow",
                        "virtualNetworkSubnetResourceId": "/subscriptions//resourceGroups/"
                        "/providers/Microsoft.Network/virtualNetworks//subnets/",
                    }
                ],
            },
            "policies": {
                "quarantinePolicy": {"status": "disabled"},
                "trustPolicy": {"type": "Notary", "status": "disabled"},
                "retentionPolicy": {"days": 7, "lastUpdatedTime": "", "status": "disabled"},
                "exportPolicy": {"status": "enabled"},
                "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
            },
            "encryption": {"status": "disabled"},
            "status": None,
            "dataEndpointEnabled": False,
            "dataEndpointHostNames": [],
            "privateEndpointConnections": [],
            "publicNetworkAccess": "Enabled",
            "networkRuleBypassOptions": "AzureServices",
            "networkRuleBypassAllowedForTasks": False,
            "zoneRedundancy": "Disabled",
            "anonymousPullEnabled": False,
            "roleAssignmentMode": "LegacyRegistryPermissions",
        },
    }
).encode()


# Pages are parsed and their models built on one thread of their own: with 64 listings in
# flight, a burst of answers parsed on the event loop (~5 ms each: JSON, models, packing the
# raw view's JSON) ran in one turn of it, and the dashboard froze for that long (1.5 s at
# 15,000 registries, benchmarks/dashboard.py --fleet). On a thread, the interpreter hands the
# loop its turn every few milliseconds. One thread: the work is CPU-bound under one GIL.
_parsing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="acrfence-parse")


async def _off_loop(function: Callable[..., _Result], *args: Any) -> _Result:
    return await asyncio.get_running_loop().run_in_executor(_parsing, function, *args)


# The Resource Graph path (services.resource_graph) parses its pages on the same thread.
on_parsing_thread = _off_loop


# Items built between two defers to the dashboard's loop (services.loop_first): ~0.5 ms.
BUILT_BETWEEN_DEFERS = 10


def _build_page(
    body: bytes, build: Callable[[Any, PackedJson], _Built]
) -> tuple[list[_Built], str | None]:
    """One page of a listing: each item built, holding its JSON packed (for the raw view),
    and the next page's link."""
    UI_LOOP.defer()  # the dashboard's loop first, while it works (services.loop_first)
    page = json.loads(body)
    packed = PackedItems.of_json(body)
    items = page.get("value") or ()
    values = PackedJson(packed, "value")  # the page's items, shared by each item's own
    built = []
    for index, item in enumerate(items):
        if index % BUILT_BETWEEN_DEFERS == BUILT_BETWEEN_DEFERS - 1:
            UI_LOOP.defer()  # a page of 50 registries is ~3 ms of models: in slices
        built.append(build(item, PackedJson(values, index)))
    return built, page.get("nextLink")


def _build_registries(answers: Sequence[tuple[bytes, str, str | None]]) -> list[Registry]:
    """Registries read one by one (``read_registries``), each keeping its JSON packed."""
    built = []
    for body, version, note in answers:
        UI_LOOP.defer()  # the dashboard's loop first, while it works (services.loop_first)
        built.append(
            replace(
                registry_from_arm(json.loads(body)),
                # packed with what every registry's JSON shares: the Resource Graph path
                # reads a quarter of the fleet tenant's registries again (~720 -> ~230 bytes)
                raw=PackedJson(PackedItems.of_json(body, REGISTRY_JSON_DICTIONARY), ()),
                api_version=version,
                api_version_note=note,
            )
        )
    return built


def _failure_key(subscription_id: str, what: str) -> tuple[str, str]:
    return subscription_id.casefold(), what


def _private_link_by_subscription(inventory: Inventory) -> dict[str, PrivateLinkLoaded]:
    """An earlier inventory's private link, as the events that built it (a refresh keeps it
    until each subscription's new listing arrives)."""
    by_key: dict[str, PrivateLinkLoaded] = {}
    for key in inventory.private_link_read:

        def mine(resource_id: str, key: str = key) -> bool:
            return subscription_of(resource_id).casefold() == key

        by_key[key] = PrivateLinkLoaded(
            key,
            tuple(e for e in inventory.private_endpoints if mine(e.id)),
            tuple(z for z in inventory.private_dns_zones if mine(z.id)),
            tuple(r for r in inventory.replications if mine(r.registry_id)),
        )
    return by_key


def _by_subscription(items: Iterable[_Item]) -> dict[str, tuple[_Item, ...]]:
    grouped: dict[str, list[_Item]] = {}
    for item in items:
        grouped.setdefault(item.subscription_id.casefold(), []).append(item)
    return {key: tuple(value) for key, value in grouped.items()}


def build_inventory(events: Iterable[InventoryEvent]) -> Inventory:
    return fold_events(Inventory(), events)


def fold_events(start: Inventory, events: Iterable[InventoryEvent]) -> Inventory:
    """``start`` with ``events`` applied in order, built once (a big tenant streams in a
    hundred pieces, and each Inventory indexes every subnet); ``start`` itself when there are
    none."""
    builder: InventoryBuilder | None = None
    for event in events:
        builder = builder or InventoryBuilder(start)
        builder.add(event)
    return start if builder is None else builder.build()


def finished_listings(event: InventoryEvent) -> set[tuple[str, str]]:
    """The (subscription, listing) pairs this event completes, for a progress count."""
    match event:
        case RegistriesLoaded(subscription_id, _):
            return {(subscription_id.casefold(), _REGISTRIES)}
        case VirtualNetworksLoaded(subscription_id, _):
            return {(subscription_id.casefold(), _NETWORKS)}
        case LoadFailed(failure) if failure.what in (_REGISTRIES, _NETWORKS):
            return {_failure_key(failure.subscription_id, failure.what)}
        case LoadFailed(failure) if failure.what == PRIVATE_LINK_LISTING:
            # Not among the counted listings (two per subscription: registries, networks).
            return set()
        case LoadFailed(failure):
            subscription = failure.subscription_id.casefold()
            return {(subscription, _REGISTRIES), (subscription, _NETWORKS)}
        case _:
            return set()


def feed_findings(accumulator: FindingsAccumulator, event: InventoryEvent) -> None:
    """Hand one inventory event to the incremental findings, as ``InventoryBuilder.add``
    folds it into the inventory."""
    match event:
        case SubscriptionsLoaded(subscriptions):
            accumulator.subscriptions_listed(subscriptions)
        case RegistriesLoaded(subscription_id, registries):
            accumulator.registries_read(subscription_id, registries)
        case VirtualNetworksLoaded(subscription_id, vnets):
            accumulator.networks_read(subscription_id, vnets)
        case PrivateLinkLoaded(subscription_id, endpoints, zones, replications):
            accumulator.private_link_read(subscription_id, endpoints, zones, replications)
        case LoadFailed(failure):
            accumulator.failed(failure)
