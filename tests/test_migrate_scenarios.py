"""The migration in the situations operators meet, each compared across the whole tenant
(``helpers.migration_view``): a geo-replicated registry (one A record per data endpoint, each
resolved by the emulator's DNS from the network that pulls), an endpoint subnet another
registry's endpoint has filled (refused in pre-flight, nothing written), a zone that already
links the pulling network and serves another registry (reused, not duplicated, left as it
was), and someone else changing the registry and the zone while the run is under way (their
changes survive the migration and its rollback).

tests/test_migrate_cli.py covers the same situations through the command line with narrower
views; these run in-process with fast polling and compare everything.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from acrfence.emulator.arm.replications import add_replication
from acrfence.services.models import RunRecord, RunState, StepKind, StepStatus
from helpers import (
    DOCKER_VNET,
    FULL_MIGRATION,
    MIGRATION_ZONE_KEY,
    MYREGISTRY,
    PE_SUBNET,
    PRIVATE_LINK_ZONE,
    fast_session,
    lock_down,
    migration_plan_of,
    migration_view,
    network,
    private_dns,
    same_view,
    with_vantages,
)


async def test_a_geo_replicated_registry_resolves_every_data_endpoint_privately(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replicated to eastus: the endpoint takes three private IPs (login server, two data
    endpoints), the zone gets an A record for each, the verification asks the emulator's DNS
    from the Docker VM's network and pulls through the endpoint; rollback is exact."""
    await lock_down(emulator)
    add_replication(emulator.state, MYREGISTRY, "eastus")
    start = migration_view(emulator)
    # This machine may stand in the pulling network (as --demo sets): DNS and a pull from it.
    for key, value in with_vantages(emulator, {}).items():
        monkeypatch.setenv(key, value)
    async with fast_session(emulator, tmp_path) as session:
        plan = await migration_plan_of(session)
        endpoint = next(s for s in plan.steps if s.kind is StepKind.CREATE_PRIVATE_ENDPOINT)
        fqdns = (
            "mycontainerregistry.azurecr.io",
            "mycontainerregistry.westus.data.azurecr.io",
            "mycontainerregistry.eastus.data.azurecr.io",
        )
        assert sorted(endpoint.change.fqdns) == sorted(fqdns)
        run = await session.execute(plan)
        assert run.state is RunState.DONE, run.error
        verify = next(s for s in plan.steps if s.kind is StepKind.VERIFY_PRIVATE_LINK)
        note = run.record(verify.index).note or ""
        assert "resolved and probed from myDockerVMVNET; pull ok: " in note

        view = migration_view(emulator)
        [(key, ours)] = [(k, e) for k, e in view["private_endpoints"].items() if "mycontainer" in k]
        addresses = dict(ours["addresses"])
        assert sorted(addresses) == sorted(fqdns)
        ips = [ip for name in fqdns for ip in addresses[name]]
        assert len(ips) == len(set(ips)) == 3
        records = view["zones"][MIGRATION_ZONE_KEY]["records"]
        for fqdn in fqdns:
            name = "a/" + fqdn.removesuffix(".azurecr.io")
            assert [a["ipv4Address"] for a in records[name]["aRecords"]] == list(addresses[fqdn])
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    same_view(migration_view(emulator), start, "the geo-replicated registry, rolled back")


async def _fill_the_endpoint_subnet(handle) -> None:
    """Shrink the endpoint subnet to a /29 (3 addresses Azure hands out) and let another
    registry's private endpoint take two of them, through the Network API."""
    with handle.state.changing():
        props = handle.state.subnets[PE_SUBNET.lower()]["properties"]
        props["addressPrefix"] = "10.1.8.0/29"
        props.pop("addressPrefixes", None)
    with handle.state.lock:
        other = next(
            r["id"]
            for r in handle.state.registries.values()
            if r["sku"]["name"] == "Premium" and r["name"] == "contosoiprules"
        )
    connection = {
        "name": "c",
        "properties": {"privateLinkServiceId": other, "groupIds": ["registry"]},
    }
    async with network(handle) as client:
        poller = await client.private_endpoints.begin_create_or_update(
            "app-rg",
            "contosoiprules-pe",
            {"location": "westus", "properties": {
                "subnet": {"id": PE_SUBNET}, "privateLinkServiceConnections": [connection]}},
        )  # fmt: skip
        await poller.result()


async def test_an_endpoint_subnet_filled_by_another_endpoint_is_refused_with_nothing_written(
    emulator, tmp_path: Path
) -> None:
    await lock_down(emulator)
    await _fill_the_endpoint_subnet(emulator)
    start = migration_view(emulator)
    async with fast_session(emulator, tmp_path) as session:
        plan = await migration_plan_of(session, **FULL_MIGRATION)
        assert plan.blocked and not plan.steps
        [full] = [c for c in plan.blocks if c.code == "subnet-full"]
        assert "1 free address(es); the endpoint needs 2" in full.message
        with pytest.raises(ValueError, match="blocked"):
            await session.execute(plan)
    assert session.journal.runs() == []
    same_view(migration_view(emulator), start, "a refused migration")


async def _their_zone(handle) -> None:
    """Another team's privatelink.azurecr.io zone: linked to the Docker VM's network (under
    their own link name) and holding their registry's record."""
    async with private_dns(handle) as dns:
        await (
            await dns.private_zones.begin_create_or_update(
                "myResourceGroup", PRIVATE_LINK_ZONE, {"location": "global"}
            )
        ).result()
        link = {"location": "global", "properties": {"virtualNetwork": {"id": DOCKER_VNET}}}
        await (
            await dns.virtual_network_links.begin_create_or_update(
                "myResourceGroup", PRIVATE_LINK_ZONE, "hub-dns", link
            )
        ).result()
        await dns.record_sets.create_or_update(
            "myResourceGroup", PRIVATE_LINK_ZONE, "A", "theirregistry",
            {"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.9.9.9"}]}},
        )  # fmt: skip


async def test_a_zone_already_linked_to_the_pulling_network_is_reused_and_left_as_it_was(
    emulator, tmp_path: Path
) -> None:
    await lock_down(emulator)
    await _their_zone(emulator)
    start = migration_view(emulator)
    async with fast_session(emulator, tmp_path) as session:
        plan = await migration_plan_of(session, **FULL_MIGRATION)
        kinds = [s.kind for s in plan.steps]
        # Neither a zone nor a link: the zone is there and already links the network.
        assert StepKind.CREATE_DNS_ZONE not in kinds and StepKind.LINK_DNS_ZONE not in kinds
        assert "zone-reused" in [c.code for c in plan.checks]
        run = await session.execute(plan)
        assert run.state is RunState.DONE, run.error
        zones = migration_view(emulator)["zones"]
        assert MIGRATION_ZONE_KEY in zones and set(zones) == set(start["zones"])  # no second zone
        assert zones[MIGRATION_ZONE_KEY]["links"] == start["zones"][MIGRATION_ZONE_KEY]["links"]
        records = sorted(zones[MIGRATION_ZONE_KEY]["records"])
        assert records == [
            "a/mycontainerregistry",
            "a/mycontainerregistry.westus.data",
            "a/theirregistry",
            "soa/@",
        ]
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    same_view(migration_view(emulator), start, "the reused zone after rollback")


THEIR_IP = "192.0.2.44"


class _SomeoneElse:
    """While the run is under way: an IP rule added to the registry between the rules step's
    read and its write (the emulator's concurrent writer), and, once the zone is made, a record
    set of their own put in it and then edited."""

    def __init__(self, emulator) -> None:
        self.emulator = emulator
        self.done: list[str] = []

    def __call__(self, run: RunRecord, index: int) -> None:
        if not index or run.record(index).status is not StepStatus.APPLYING:
            return
        kind = run.plan.steps[index - 1].kind
        if kind is StepKind.WRITE_RULES and "ip-rule" not in self.done:
            spec = {"op": "add_ip_rule", "registry": MYREGISTRY, "value": THEIR_IP}
            self.emulator.faults.concurrent_writer(MYREGISTRY, spec)
            self.done.append("ip-rule")
        if kind is StepKind.CREATE_PRIVATE_ENDPOINT and "record" not in self.done:
            self._their_record()
            self.done.append("record")

    def _their_record(self) -> None:
        def put(zone: dict, ttl: int) -> None:
            zone["records"]["a/build-cache"] = {
                "id": f"{zone['id']}/A/build-cache",
                "name": "build-cache",
                "type": "Microsoft.Network/privateDnsZones/A",
                "etag": f"etag-{ttl}",
                "properties": {"ttl": ttl, "aRecords": [{"ipv4Address": "10.1.8.200"}],
                               "fqdn": "build-cache.privatelink.azurecr.io.",
                               "isAutoRegistered": False},
            }  # fmt: skip

        with self.emulator.state.changing():
            zone = self.emulator.state.private_dns_zones[MIGRATION_ZONE_KEY]
            put(zone, 300)
            put(zone, 60)  # and edited (TTL) before our next step


async def test_someone_elses_changes_during_the_run_survive_it_and_its_rollback(
    emulator, tmp_path: Path
) -> None:
    await lock_down(emulator)
    start = migration_view(emulator)
    someone = _SomeoneElse(emulator)
    async with fast_session(emulator, tmp_path) as session:
        run = await session.execute(await migration_plan_of(session, **FULL_MIGRATION), someone)
        assert run.state is RunState.DONE, run.error
        assert someone.done == ["record", "ip-rule"]
        view = migration_view(emulator)
        assert view["registries"][MYREGISTRY.lower()]["ip_rules"] == [THEIR_IP]
        assert view["zones"][MIGRATION_ZONE_KEY]["records"]["a/build-cache"]["ttl"] == 60
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    # The start, plus their IP rule, plus the zone we made kept for their record (our link,
    # endpoint and records gone).
    want = copy.deepcopy(start)
    want["registries"][MYREGISTRY.lower()]["ip_rules"] = [THEIR_IP]
    want["zones"][MIGRATION_ZONE_KEY] = {
        "links": {},
        "records": {
            "a/build-cache": view["zones"][MIGRATION_ZONE_KEY]["records"]["a/build-cache"],
            "soa/@": view["zones"][MIGRATION_ZONE_KEY]["records"]["soa/@"],
        },
        "tags": {},
    }
    same_view(migration_view(emulator), want, "their changes after the rollback")
