"""ARM's read throttling, emulated and respected: the emulator's token buckets and headers,
and an inventory that paces itself from those headers instead of running into 429s."""

from __future__ import annotations

import ssl

import httpx
import pytest

from acrfence.emulator.arm.context import Settings
from acrfence.emulator.errors import ArmError
from acrfence.emulator.throttle import ReadThrottle, ThrottleSettings
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from acrfence.services.read_pacing import ReadPacer, scope_of_url

SUB = "00000000-0000-0000-0000-00000000aaaa"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_empties_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    throttle = ReadThrottle(ThrottleSettings(bucket=3, refill_per_s=2), clock=clock)
    path = f"/subscriptions/{SUB}/resourceGroups"
    remaining = [
        throttle.charge("alice", "GET", path)["x-ms-ratelimit-remaining-subscription-reads"]
        for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    with pytest.raises(ArmError) as refused:
        throttle.charge("alice", "GET", path)
    error = refused.value
    assert error.status == 429
    assert error.code == "SubscriptionRequestsThrottled"
    assert error.headers["Retry-After"] == "1"
    clock.now += 0.5  # one token back at 2 per second
    assert throttle.charge("alice", "GET", path)["x-ms-ratelimit-remaining-subscription-reads"]
    assert throttle.throttled == 1


def test_buckets_are_per_principal_and_subscription_with_a_shared_global_one() -> None:
    clock = FakeClock()
    throttle = ReadThrottle(
        ThrottleSettings(bucket=2, refill_per_s=1, global_multiplier=2), clock=clock
    )
    path = f"/subscriptions/{SUB}/providers/Microsoft.Network/virtualNetworks"
    for principal in ("alice", "alice", "bob", "bob"):
        headers = throttle.charge(principal, "GET", path)
    # Each principal spent its own 2; together they emptied the global bucket of 4.
    assert headers["x-ms-ratelimit-remaining-subscription-global-reads"] == "0"
    with pytest.raises(ArmError):
        throttle.charge("carol", "GET", path)
    # Another subscription has buckets of its own; writes and the tenant scope aren't these.
    other = "/subscriptions/11111111-0000-0000-0000-000000000000/resourceGroups"
    assert throttle.charge("alice", "GET", other)
    assert throttle.charge("alice", "PUT", path) == {}
    assert "x-ms-ratelimit-remaining-tenant-reads" in throttle.charge(
        "alice", "GET", "/subscriptions"
    )


def test_switched_off_it_meters_nothing() -> None:
    throttle = ReadThrottle(ThrottleSettings(enabled=False, bucket=1))
    for _ in range(5):
        assert throttle.charge("alice", "GET", f"/subscriptions/{SUB}/x") == {}


async def test_the_emulator_answers_remaining_reads_then_429_with_retry_after(
    make_emulator,
) -> None:
    handle = make_emulator(seed="demo", throttle=ThrottleSettings(bucket=3, refill_per_s=0.1))
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=handle.ca_cert)
    ) as client:
        listing = await client.get(
            f"{handle.arm_endpoint}/subscriptions?api-version=2022-12-01",
            headers={"Authorization": f"Bearer {handle.token}"},
        )
        assert listing.headers["x-ms-ratelimit-remaining-tenant-reads"] == "2"
        sub = listing.json()["value"][0]["subscriptionId"]
        url = (
            f"{handle.arm_endpoint}/subscriptions/{sub}/providers/Microsoft.ContainerRegistry"
            "/registries?api-version=2021-08-01-preview"
        )
        answers = [
            await client.get(url, headers={"Authorization": f"Bearer {handle.token}"})
            for _ in range(4)
        ]
    assert [a.headers.get("x-ms-ratelimit-remaining-subscription-reads") for a in answers] == [
        "2",
        "1",
        "0",
        "0",
    ]
    throttled = answers[-1]
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "x-ms-ratelimit-remaining-subscription-global-reads" in answers[0].headers
    assert handle.throttle.throttled == 1


async def test_throttling_is_configured_through_the_admin_api(make_emulator) -> None:
    handle = make_emulator(seed="demo")
    auth = {"Authorization": f"Bearer {handle.token}"}
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=handle.ca_cert)
    ) as client:
        default = await client.get(f"{handle.arm_endpoint}/_emulator/throttle", headers=auth)
        assert default.json()["bucket"] == 250 and default.json()["refill_per_s"] == 25
        changed = await client.post(
            f"{handle.arm_endpoint}/_emulator/throttle", headers=auth, json={"enabled": False}
        )
        assert changed.json()["enabled"] is False
        refused = await client.post(
            f"{handle.arm_endpoint}/_emulator/throttle", headers=auth, json={"bucket": 0}
        )
    assert refused.status_code == 400
    assert handle.throttle.settings.enabled is False


async def test_the_inventory_paces_itself_under_the_budget_with_no_429(make_emulator) -> None:
    # One subscription whose listings take more reads (pages of 5) than its bucket holds:
    # read without pacing they would run into 429s; paced, they wait for the refill.
    handle = make_emulator(
        seed="generate:1x120x6x2",
        settings=Settings(page_size=5),
        throttle=ThrottleSettings(bucket=15, refill_per_s=25),
    )
    async with AzureClients(Target.from_env(handle.env), polling_interval=0.02) as clients:
        inventory = await InventoryService(clients).load()
        status = clients.pacer.status()
    assert len(inventory.registries) == 120
    assert not inventory.failures
    assert handle.throttle.throttled == 0
    assert status.throttled == 0
    assert status.waited_s > 0


async def test_after_a_429_the_scope_waits_once_instead_of_every_request_retrying() -> None:
    import asyncio

    pacer = ReadPacer(refill_per_s=1000, reserve=0)
    pacer.after(
        SUB, 429, {"Retry-After": "0.2", "x-ms-ratelimit-remaining-subscription-reads": "0"}
    )
    assert pacer.status().throttled == 1
    # Every read of that subscription is held back until Retry-After has passed...
    waiting = [asyncio.ensure_future(pacer.before(SUB)) for _ in range(5)]
    await asyncio.sleep(0)
    assert pacer.status().waiting_scopes == 1
    await asyncio.gather(*waiting)
    held = pacer.status().waited_s
    assert held > 0
    # ...while another subscription is never held.
    await pacer.before("another")
    assert pacer.status().waited_s == held


def test_scope_of_an_arm_url() -> None:
    assert scope_of_url(f"https://management.azure.com/subscriptions/{SUB.upper()}/x?a=1") == SUB
    assert scope_of_url("https://management.azure.com/subscriptions?api-version=1") == ""
    assert scope_of_url("https://management.azure.com/providers/Microsoft.ResourceGraph") == ""
