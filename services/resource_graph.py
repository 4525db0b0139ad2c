"""The fleet pass: the inventory through Azure Resource Graph, then ARM only where it matters.

One query per resource kind covers up to 1,000 subscriptions and answers 1,000 rows a page
(``$skipToken`` for the next), where the ARM path needs two listings per subscription. But
Resource Graph shows resources through the STABLE registry API, which has no virtual network
rules, and it can lag Azure by minutes. So the registries whose rules matter — Premium
(the only tier with network rules) and either denying by default or carrying IP rules, which
is when virtual network rules decide anything — are read again through ARM with the preview
API, and the UI says the rest came from Resource Graph.

The query quota (``x-ms-user-quota-remaining``, ``x-ms-user-quota-resets-after``: 15 queries
per 5 seconds by default) is respected: when it runs out, the next query waits for the reset
instead of collecting 429s.

Events are the same as the ARM path's (``services.inventory``), so the dashboard and
``acrfence inventory`` don't care which path read the tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import replace
from itertools import groupby
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from acrfence.services.errors import AcrfenceError, describe_error, error_code
from acrfence.services.graph_coverage import GRAPH_SOURCE
from acrfence.services.inventory import (
    InventoryBuilder,
    InventoryEvent,
    InventoryService,
    PrivateLinkLoaded,
    RegistriesLoaded,
    SubscriptionsLoaded,
    VirtualNetworksLoaded,
    chosen_subscriptions,
    on_parsing_thread,
)
from acrfence.services.json_rows import decode_rows
from acrfence.services.loop_first import UI_LOOP
from acrfence.services.models.inventory import Inventory, Registry
from acrfence.services.models.private_link import (
    PrivateDnsZone,
    PrivateEndpoint,
    private_endpoint_from_arm,
)
from acrfence.services.models.resource_id import subscription_of
from acrfence.services.packed_json import PackedItems, PackedJson
from acrfence.services.read_pacing import PacingStatus
from acrfence.services.registry_rules import registry_from_arm
from acrfence.services.subnet_endpoints import virtual_network_from_arm

if TYPE_CHECKING:
    from acrfence.services.azure import AzureClients

__all__ = [
    "LAG_NOTE",
    "NETWORK_QUERY",
    "PRIVATE_ENDPOINT_QUERY",
    "REGISTRY_QUERY",
    "ResourceGraphInventory",
    "needs_preview_read",
]

# Said wherever the fleet pass's data is shown.
LAG_NOTE = "read through Azure Resource Graph, which can lag Azure by a few minutes"

# The version azure-mgmt-resourcegraph 8 speaks.
GRAPH_API_VERSION = "2021-03-01"
SUBSCRIPTIONS_PER_QUERY = 1000
ROWS_PER_PAGE = 1000
# A virtual network's row carries its subnets (~27 KB with 50 of them, 20 times a
# registry's): a page of 1,000 was 27 MB, and joining and decoding it held the interpreter
# 20-50 ms at a time, on the loop and on the parsing thread (the fleet tenant's longest UI
# stalls over Resource Graph, per-turn accounting of benchmarks/dashboard.py --fleet). Five
# times the queries for networks (10 rather than 2 on that tenant) against quota for 15.
NETWORK_ROWS_PER_PAGE = 200
# `order by id`: rows of one subscription arrive together, so each subscription can be shown
# as soon as the page after its last row has arrived.
REGISTRY_QUERY = (
    "Resources | where type =~ 'microsoft.containerregistry/registries' "
    "| project id, name, type, location, sku, tags, properties, subscriptionId, resourceGroup "
    "| order by id asc"
)
NETWORK_QUERY = (
    "Resources | where type =~ 'microsoft.network/virtualnetworks' "
    "| project id, name, type, location, tags, properties, subscriptionId, resourceGroup "
    "| order by id asc"
)
PRIVATE_ENDPOINT_QUERY = (
    "Resources | where type =~ 'microsoft.network/privateendpoints' "
    "| project id, name, type, location, tags, properties, subscriptionId, resourceGroup "
    "| order by id asc"
)
# Concurrent ARM reads of the registries whose rules matter.
PREVIEW_READS_IN_FLIGHT = 64
# Pages of registries queried ahead of the one whose re-reads are being awaited.
PAGES_AHEAD = 2


def needs_preview_read(registry: Registry) -> bool:
    """Whether Resource Graph's view (no virtual network rules) could misstate this registry."""
    if registry.sku.casefold() != "premium":
        return False
    rule_set = registry.network_rule_set
    if rule_set is None:
        return False
    return rule_set.default_action.casefold() == "deny" or bool(rule_set.ip_rules)


def _seconds(text: str | None) -> float:
    """`hh:mm:ss` (Resource Graph's reset time) in seconds; 1 when it can't be read."""
    try:
        hours, minutes, seconds = (float(part) for part in (text or "").split(":"))
        return hours * 3600 + minutes * 60 + seconds
    except ValueError:
        return 1.0


def _subscription_of(row: Mapping[str, Any]) -> str:
    return str(row.get("subscriptionId") or subscription_of(str(row.get("id", "")))).casefold()


class ResourceGraphInventory:
    """Streams inventory events read through Resource Graph (plus ARM where it must)."""

    # What it leaves unread is said where its results are shown (services.graph_coverage).
    reads_through_resource_graph = True

    def __init__(self, arm_inventory: InventoryService) -> None:
        self._arm = arm_inventory
        self._clients = arm_inventory.clients
        self._quota_wait_until = 0.0
        self._preview_limit = asyncio.Semaphore(PREVIEW_READS_IN_FLIGHT)
        self.preview_reads = 0  # registries read again through ARM, for figures
        self.quota_waits = 0
        self._waiting_on_quota = False

    @property
    def clients(self) -> AzureClients:
        return self._clients

    def with_clients(self, clients: AzureClients) -> ResourceGraphInventory:
        """The same pass through other clients (another loop's: services.reading_loop)."""
        return ResourceGraphInventory(self._arm.with_clients(clients))

    def pacing(self) -> PacingStatus:
        """ARM's pacing of the preview re-reads, and whether a query waits for its quota."""
        return replace(self._arm.pacing(), quota_wait=self._waiting_on_quota)

    async def _wait_for_quota(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._quota_wait_until - loop.time()
        if delay > 0:
            self.quota_waits += 1
            self._waiting_on_quota = True
            try:
                await asyncio.sleep(delay)
            finally:
                self._waiting_on_quota = False

    async def _pages(
        self,
        query: str,
        subscriptions: list[str],
        build: Callable[[dict[str, Any], PackedJson], Any],
        rows_per_page: int = ROWS_PER_PAGE,
    ) -> AsyncIterator[list[tuple[str, Any]]]:
        """Every page of `query` over `subscriptions`, as (subscription key, ``build(row)``).

        The request is azure-mgmt-resourcegraph's own ``QueryRequest``, sent through the
        shared ARM pipeline (auth, retries, pacing) with ``send_request``; the answer stays raw
        JSON because the SDK's operation deserializes every node of a 1,000-row page (profiled:
        1.2 s of a 3.5 s fleet pass over 1,000 registries), and its client has no public
        ``send_request``. Each page is parsed and its models built on the inventory's parsing
        thread, as the ARM path's are: built on the event loop, a page of 1,000 networks froze
        the dashboard for over a second (benchmarks/dashboard.py --fleet --via resource-graph).
        """
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        client = self._clients.arm()
        url = f"/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API_VERSION}"
        skip_token: str | None = None
        # Serialized once per query, not per page: the SDK's serializer took 5-10 ms of the
        # event loop for a request naming 1,000 subscriptions. Pages differ in the token alone.
        first = QueryRequest(
            subscriptions=subscriptions,
            query=query,
            options=QueryRequestOptions(top=rows_per_page, result_format="objectArray"),
        ).serialize()
        while True:
            await self._wait_for_quota()
            body = first
            if skip_token:
                body = {**first, "options": {**first["options"], "$skipToken": skip_token}}
            # stream=True: the pipeline would otherwise parse the page on the event loop.
            response = await client.send_request(HttpRequest("POST", url, json=body), stream=True)
            await response.read()
            if response.status_code != 200:
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            headers = response.headers
            if headers.get("x-ms-user-quota-remaining") == "0":
                loop = asyncio.get_running_loop()
                wait = _seconds(headers.get("x-ms-user-quota-resets-after"))
                self._quota_wait_until = loop.time() + wait
            rows, skip_token = await on_parsing_thread(_build_page, response.content, build)
            yield rows
            if not skip_token:
                return

    async def _refined_page(
        self, groups: list[tuple[str, list[Registry]]]
    ) -> list[tuple[str, list[Registry]]]:
        """A page's registries whose rules matter, read again through ARM's preview API, in
        place. One read for the whole page: a read per subscription made ~260 tasks in one
        turn of the loop for each page of the fleet tenant (their first steps: 30-45 ms)."""
        # Only the registries to read again are read: the rest (built with GRAPH_SOURCE on
        # the parsing thread) cost the event loop nothing here.
        again = [
            (items, index)
            for _, items in groups
            for index, registry in enumerate(items)
            if registry.api_version != GRAPH_SOURCE
        ]
        if not again:
            return groups
        self.preview_reads += len(again)
        fresh = await self._arm.read_registries(
            [items[index].id for items, index in again], self._preview_limit
        )
        for (items, index), registry in zip(again, fresh, strict=True):
            items[index] = registry
        return groups

    async def _registries(self, batch: list[str]) -> AsyncIterator[InventoryEvent]:
        """Each subscription's registries, page by page, with the re-reads of one page running
        while the next pages are queried: waiting for a page's re-reads before asking for the
        next page left the re-reads idle during every query and the queries idle during the
        re-reads (50 pages in a row on the fleet tenant)."""
        seen: set[str] = set()
        loop = asyncio.get_running_loop()
        pending: asyncio.Queue[asyncio.Future[list[tuple[str, list[Registry]]]] | None]
        pending = asyncio.Queue(maxsize=PAGES_AHEAD)
        # Every page started and not yet taken, queued or not, is cancelled and awaited when
        # the stream ends: one started while the queue was full, its `put` then cancelled,
        # read on into closed clients and printed "Session is closed" when quitting mid-load.
        started: set[asyncio.Future[list[tuple[str, list[Registry]]]]] = set()

        async def read_pages() -> None:
            try:
                async for groups in self._grouped(
                    REGISTRY_QUERY, batch, _registry_from_graph, seen
                ):
                    page = asyncio.ensure_future(self._refined_page(groups))
                    started.add(page)
                    await pending.put(page)
            except Exception as exc:  # the consumer raises it, in its turn
                failed: asyncio.Future[list[tuple[str, list[Registry]]]] = loop.create_future()
                failed.set_exception(exc)
                started.add(failed)
                await pending.put(failed)
                return
            await pending.put(None)

        reader = asyncio.ensure_future(read_pages())
        try:
            while (page := await pending.get()) is not None:
                for subscription_id, registries in await page:
                    registries.sort(key=lambda r: (r.name.casefold(), r.key))
                    yield RegistriesLoaded(subscription_id, tuple(registries))
                started.discard(page)
        finally:
            left: list[asyncio.Future[Any]] = [reader, *started]
            for future in left:
                future.cancel()
            await asyncio.gather(*left, return_exceptions=True)
        for subscription_id in batch:
            if subscription_id.casefold() not in seen:
                yield RegistriesLoaded(subscription_id, ())

    async def _networks(self, batch: list[str]) -> AsyncIterator[InventoryEvent]:
        seen: set[str] = set()
        async for events in self._grouped(
            NETWORK_QUERY, batch, virtual_network_from_arm, seen, NETWORK_ROWS_PER_PAGE
        ):
            for subscription_id, networks in events:
                networks.sort(key=lambda v: (v.name.casefold(), v.key))
                yield VirtualNetworksLoaded(subscription_id, tuple(networks))
        for subscription_id in batch:
            if subscription_id.casefold() not in seen:
                yield VirtualNetworksLoaded(subscription_id, ())

    async def _grouped(
        self,
        query: str,
        batch: list[str],
        build: Callable[[dict[str, Any], PackedJson], Any],
        seen: set[str],
        rows_per_page: int = ROWS_PER_PAGE,
    ) -> AsyncIterator[list[tuple[str, list[Any]]]]:
        """Per page: the subscriptions whose rows are all in, with their built resources."""
        by_key = {s.casefold(): s for s in batch}
        carried: list[tuple[str, Any]] = []
        async for page in self._pages(query, batch, build, rows_per_page):
            rows = carried + page
            if not rows:
                continue
            last = rows[-1][0]
            # The last subscription of a page may go on in the next one: hold it back.
            split = len(rows)
            while split and rows[split - 1][0] == last:
                split -= 1
            carried = rows[split:]
            yield self._group(rows[:split], by_key, seen)
        yield self._group(carried, by_key, seen)

    @staticmethod
    def _group(
        rows: list[tuple[str, Any]], by_key: dict[str, str], seen: set[str]
    ) -> list[tuple[str, list[Any]]]:
        groups = []
        for key, items in groupby(rows, key=lambda pair: pair[0]):
            seen.add(key)
            groups.append((by_key.get(key, key), [item for _, item in items]))
        return groups

    async def _private_link(self, batch: list[str]) -> AsyncIterator[InventoryEvent]:
        """Private endpoints through Resource Graph; then through ARM only what it can't show:
        the zone groups of endpoints to registries and the zones they name (with records and
        links). Replications aren't read on this path (a registry's data endpoint host names
        still list its regions once it has a private endpoint)."""
        from acrfence.services.private_link.reads import PrivateLinkReads, registry_endpoint

        reads = PrivateLinkReads(self._clients)
        endpoints: list[PrivateEndpoint] = []
        async for page in self._pages(PRIVATE_ENDPOINT_QUERY, batch, _endpoint_from_graph):
            endpoints += [endpoint for _, endpoint in page]
        endpoints = [e for e in endpoints if registry_endpoint(e)]
        groups = await asyncio.gather(*(reads.zone_groups(e.id) for e in endpoints))
        endpoints = [replace(e, zone_groups=g) for e, g in zip(endpoints, groups, strict=True)]
        zone_ids = {z.casefold(): z for e in endpoints for z in e.zone_ids}
        zones = await asyncio.gather(*(reads.private_dns_zone(z) for z in zone_ids.values()))
        found: list[PrivateDnsZone] = [z for z in zones if z is not None]
        in_batch = {s.casefold() for s in batch}

        def home(zone: PrivateDnsZone) -> str:
            """A zone goes with its own subscription, or (outside this batch) with the first
            endpoint's that names it."""
            if zone.subscription_id.casefold() in in_batch:
                return zone.subscription_id.casefold()
            naming = (e for e in endpoints if zone.key in {z.casefold() for z in e.zone_ids})
            return next(naming).subscription_id.casefold()

        for subscription_id in batch:
            key = subscription_id.casefold()
            yield PrivateLinkLoaded(
                subscription_id,
                tuple(e for e in endpoints if e.subscription_id.casefold() == key),
                tuple(z for z in found if home(z) == key),
                (),
            )

    async def stream(
        self, subscription_ids: Iterable[str] | None = None
    ) -> AsyncIterator[InventoryEvent]:
        """SubscriptionsLoaded first, then each subscription's registries and networks."""
        try:
            visible = await self._arm.list_subscriptions()
        except Exception as exc:
            raise AcrfenceError(describe_error(exc), code=error_code(exc)) from exc
        subscriptions, missing = chosen_subscriptions(visible, subscription_ids)
        yield SubscriptionsLoaded(subscriptions)
        ids = [s.subscription_id for s in subscriptions]
        for start in range(0, len(ids), SUBSCRIPTIONS_PER_QUERY):
            batch = ids[start : start + SUBSCRIPTIONS_PER_QUERY]
            try:
                async for event in _merged(
                    self._registries(batch), self._networks(batch), self._private_link(batch)
                ):
                    yield event
            except Exception as exc:
                raise AcrfenceError(
                    f"Resource Graph: {describe_error(exc)}", code=error_code(exc)
                ) from exc
        # Asked for by ID but not listed: Resource Graph would say nothing; ARM says why.
        async for event in self._arm.stream_listings(missing):
            yield event

    async def load(self, subscription_ids: Iterable[str] | None = None) -> Inventory:
        builder = InventoryBuilder()
        async for event in self.stream(subscription_ids):
            builder.add(event)
        return builder.build()


def _registry_from_graph(row: dict[str, Any], packed: PackedJson) -> Registry:
    """A registry as Resource Graph shows it (its JSON kept packed, as the ARM path keeps it);
    marked as such unless it is to be read again."""
    registry = replace(registry_from_arm(row), raw=packed)
    return registry if needs_preview_read(registry) else replace(registry, api_version=GRAPH_SOURCE)


def _endpoint_from_graph(row: dict[str, Any], _packed: PackedJson) -> PrivateEndpoint:
    return private_endpoint_from_arm(row)


def _build_page(
    body: bytes, build: Callable[[dict[str, Any], PackedJson], Any]
) -> tuple[list[tuple[str, Any]], str | None]:
    """On the parsing thread: one page's rows as (subscription key, built), and its skip token.

    Each model keeps its row's JSON packed (the page's, compressed and shared), not the parsed
    dicts: kept as dicts, a fleet pass's rows doubled the dashboard's peak memory (688 MB
    against ~340 MB on the ARM path, benchmarks/dashboard.py --fleet).
    """
    rows_json = PackedJson(PackedItems.of_json(body), "data")
    rows: list[tuple[str, Any]] = []

    def add(index: int, row: Any) -> None:
        UI_LOOP.defer()  # the dashboard's loop first, while it works (services.loop_first)
        rows.append((_subscription_of(row), build(row, PackedJson(rows_json, index))))

    # Row by row, not json.loads: a page of 1,000 networks (27 MB) held the interpreter lock
    # for half a second in one call (services.json_rows).
    page = decode_rows(body, "data", add)
    return rows, page.get("$skipToken")


async def _merged(*streams: AsyncIterator[InventoryEvent]) -> AsyncIterator[InventoryEvent]:
    """The events of several streams as they come (the two queries run side by side)."""
    queue: asyncio.Queue[tuple[InventoryEvent | None, BaseException | None]] = asyncio.Queue()

    async def drain(stream: AsyncIterator[InventoryEvent]) -> None:
        try:
            async for event in stream:
                await queue.put((event, None))
                # One event per turn of the loop: a page of networks holds 500 subscriptions,
                # and their events, read off an unbounded queue, all reached the dashboard
                # (and its message queue) in one turn (45 ms of its loop's CPU on the fleet).
                await asyncio.sleep(0)
        except Exception as exc:  # handed to the consumer, which raises it
            await queue.put((None, exc))
        else:
            await queue.put((None, None))

    tasks = [asyncio.ensure_future(drain(stream)) for stream in streams]
    try:
        running = len(tasks)
        while running:
            event, error = await queue.get()
            if error is not None:
                raise error
            if event is None:
                running -= 1
            else:
                yield event
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
