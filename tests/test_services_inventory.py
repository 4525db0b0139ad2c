"""Inventory over the emulator: streamed events, a failing subscription reported (not fatal),
subscriptions asked for by ID, paging, and the endpoint status beside each registry rule."""

from __future__ import annotations

import pytest

from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PLATFORM, SUB_PRODUCTION, SUB_RESTRICTED
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.errors import AcrfenceError
from acrfence.services.inventory import (
    InventoryService,
    LoadFailed,
    RegistriesLoaded,
    SubscriptionsLoaded,
    VirtualNetworksLoaded,
    build_inventory,
)
from acrfence.services.models import EndpointStatus


def clients_for(handle) -> AzureClients:
    return AzureClients(Target.from_env(handle.env), polling_interval=0.02)


async def test_stream_starts_with_subscriptions_then_one_event_per_listing(emulator) -> None:
    async with clients_for(emulator) as clients:
        events = [event async for event in InventoryService(clients).stream()]
    assert isinstance(events[0], SubscriptionsLoaded)
    visible = {s.subscription_id for s in events[0].subscriptions}
    assert visible == {SUB_PRODUCTION, SUB_NETWORKING, SUB_PLATFORM}  # restricted is hidden
    registries = [e for e in events if isinstance(e, RegistriesLoaded)]
    vnets = [e for e in events if isinstance(e, VirtualNetworksLoaded)]
    assert sorted(e.subscription_id for e in registries) == sorted(visible)
    assert sorted(e.subscription_id for e in vnets) == sorted(visible)
    assert not [e for e in events if isinstance(e, LoadFailed)]

    inventory = build_inventory(events)
    names = {r.name for r in inventory.registries}
    assert {"mycontainerregistry", "contosobasic", "platformacr"} <= names
    docker = next(s for s in inventory.subnets if s.name == "myDockerVMSubnet")
    assert docker.address_prefixes == ("10.0.0.0/24",) and not docker.has_acr_endpoint
    workers = next(s for s in inventory.subnets if s.name == "workers")
    assert {e.service for e in workers.service_endpoints} == {
        "Microsoft.Storage",
        "Microsoft.KeyVault",
    }
    assert workers.delegations == ("Microsoft.ContainerInstance/containerGroups",)


async def test_rule_endpoint_status_covers_every_case(emulator) -> None:
    async with clients_for(emulator) as clients:
        inventory = await InventoryService(clients).load()

    def statuses(name: str) -> dict[str, EndpointStatus]:
        registry = next(r for r in inventory.registries if r.name == name)
        return {
            rule.subnet_id.rsplit("/", 1)[-1]: inventory.endpoint_status(rule.subnet_id)
            for rule in registry.rules.virtual_network_rules
        }

    assert statuses("contosodangling") == {
        "decommissioned": EndpointStatus.SUBNET_NOT_FOUND,
        "build-agents": EndpointStatus.ENABLED,
    }
    assert statuses("contosonoendpoint") == {"aks-nodes": EndpointStatus.MISSING}
    assert statuses("contososecretrule") == {"secret-subnet": EndpointStatus.UNREADABLE}
    assert statuses("contosocrosssub") == {"hub-agents": EndpointStatus.ENABLED}


async def test_a_failing_subscription_is_reported_and_the_rest_loads(emulator) -> None:
    # More 500s than the retry policy rides out, only for one subscription's registries.
    emulator.faults.server_error(
        count=20,
        status=500,
        match=f"GET /subscriptions/{SUB_PLATFORM}/providers/Microsoft.ContainerRegistry",
    )
    async with clients_for(emulator) as clients:
        inventory = await InventoryService(clients).load()
    assert [(f.subscription_id, f.what, f.code) for f in inventory.failures] == [
        (SUB_PLATFORM, "registries", "InternalServerError")
    ]
    assert "\n" not in inventory.failures[0].message
    assert not [r for r in inventory.registries if r.subscription_id == SUB_PLATFORM]
    assert any(r.name == "mycontainerregistry" for r in inventory.registries)
    assert any(v.subscription_id == SUB_PLATFORM for v in inventory.virtual_networks)


async def test_subscriptions_by_id_including_one_we_cannot_read(emulator) -> None:
    async with clients_for(emulator) as clients:
        inventory = await InventoryService(clients).load([SUB_PLATFORM, SUB_RESTRICTED.upper()])
    assert [s.subscription_id for s in inventory.subscriptions] == [SUB_PLATFORM]
    assert {r.subscription_id for r in inventory.registries} == {SUB_PLATFORM}
    failures = {(f.what, f.code) for f in inventory.failures}
    assert failures == {
        ("registries", "AuthorizationFailed"),
        ("virtual networks", "AuthorizationFailed"),
    }


async def test_malformed_subscription_id_is_one_line(emulator) -> None:
    async with clients_for(emulator) as clients:
        with pytest.raises(AcrfenceError, match="not a subscription ID"):
            await InventoryService(clients).load(["not-a-guid"])


async def test_bad_token_fails_the_whole_stream_with_one_line(emulator) -> None:
    target = Target.from_env({**emulator.env, "ACRFENCE_TOKEN": "wrong"})
    async with AzureClients(target) as clients:
        with pytest.raises(AcrfenceError) as caught:
            await InventoryService(clients).load()
    assert "InvalidAuthenticationToken" in str(caught.value) and "wrong" not in str(caught.value)


async def test_paged_listings_are_followed_to_the_end(make_emulator) -> None:
    handle = make_emulator(seed="generate:2x150x3x4")
    async with clients_for(handle) as clients:
        sequential = await InventoryService(clients, max_in_flight=1).load()
        concurrent = await InventoryService(clients, max_in_flight=8).load()
    assert len(sequential.registries) == 300
    assert len(sequential.subnets) == 2 * 3 * 4
    assert sequential == concurrent


async def test_a_refresh_folds_over_the_last_inventory_listing_by_listing(emulator) -> None:
    from acrfence.services.inventory import finished_listings, fold_events
    from acrfence.services.models import SubscriptionFailure

    async with clients_for(emulator) as clients:
        events = [event async for event in InventoryService(clients).stream()]
    before = build_inventory(events)
    production = [r for r in before.registries if r.subscription_id == SUB_PRODUCTION]
    assert fold_events(before, []) is before
    # A refresh: until a subscription's new listing arrives, its old one stays on screen.
    failed = LoadFailed(SubscriptionFailure(SUB_PRODUCTION, "registries", "Throttled", "429"))
    during = fold_events(before, [events[0], failed])
    assert set(during.registries) == set(before.registries)
    assert during.failures == (failed.failure,)
    assert finished_listings(failed) == {(SUB_PRODUCTION.casefold(), "registries")}
    # Its listing arrives: replaced, and the failure is gone.
    after = fold_events(during, [RegistriesLoaded(SUB_PRODUCTION, tuple(production[:1]))])
    assert not after.failures
    assert [r for r in after.registries if r.subscription_id == SUB_PRODUCTION] == production[:1]
    # A subscription no longer listed takes its resources with it.
    listed = tuple(s for s in before.subscriptions if s.subscription_id != SUB_PRODUCTION)
    gone = fold_events(after, [SubscriptionsLoaded(listed)])
    assert not [r for r in gone.registries if r.subscription_id == SUB_PRODUCTION]
    assert not [v for v in gone.virtual_networks if v.subscription_id == SUB_PRODUCTION]


class _CountingWindow(InventoryService):
    """Counts the subscriptions being read at once (started, their private link not done)."""

    reading: set[str]
    most = 0

    async def _registries(self, subscription_id, limit):
        self.reading.add(subscription_id)
        self.most = max(self.most, len(self.reading))
        return await super()._registries(subscription_id, limit)

    async def _private_link(self, subscription_id, limit, registries, networks):
        try:
            return await super()._private_link(subscription_id, limit, registries, networks)
        finally:
            self.reading.discard(subscription_id)


async def test_subscriptions_are_read_a_window_at_a_time_and_all_of_them(make_emulator) -> None:
    handle = make_emulator(seed="generate:12x2x1x2")
    async with clients_for(handle) as clients:
        windowed = _CountingWindow(clients, max_in_flight=3)
        windowed.reading = set()
        events = [event async for event in windowed.stream()]
        everything_at_once = await InventoryService(clients, max_in_flight=64).load()
    # A fleet's thousand subscriptions were a thousand sets of tasks in one turn of the loop.
    assert windowed.most == 3
    assert sum(isinstance(e, RegistriesLoaded) for e in events) == 12
    assert sum(isinstance(e, VirtualNetworksLoaded) for e in events) == 12
    assert build_inventory(events) == everything_at_once


async def test_counts_per_subscription_come_from_the_builder_and_equal_a_count(
    make_emulator,
) -> None:
    from dataclasses import replace

    from acrfence.services.models import Inventory

    handle = make_emulator(seed="generate:3x4x2x1")
    async with clients_for(handle) as clients:
        built = await InventoryService(clients).load()
    counted = Inventory(
        subscriptions=built.subscriptions,
        registries=built.registries,
        virtual_networks=built.virtual_networks,
    )
    assert built._counts is not None  # handed in by the builder, not counted again
    assert built.counts_by_subscription() == counted.counts_by_subscription()
    registries, networks = counted.counts_by_subscription()
    assert sorted(registries.values()) == [4, 4, 4] and sorted(networks.values()) == [2, 2, 2]
    # Another inventory made from this one counts its own resources.
    first = built.registries[0].subscription_id.casefold()
    fewer = replace(built, registries=built.registries[1:])
    assert fewer.counts_by_subscription()[0][first] == 3
