"""Record sets in the private DNS zone the migration didn't make, of any type the API has
(A, AAAA, CNAME, MX, PTR, SRV, TXT): reported in pre-flight, never overwritten, never deleted
by a rollback. Against the emulator with Microsoft's azure-mgmt-privatedns client."""

from __future__ import annotations

from pathlib import Path

from acrfence.services.models import RunRecord, RunState, StepKind, StepStatus
from helpers import (
    DOCKER_VNET,
    FULL_MIGRATION,
    MIGRATION_ZONE_KEY,
    PRIVATE_LINK_ZONE,
    fast_session,
    lock_down,
    migration_plan_of,
    migration_view,
    private_dns,
    same_view,
)

GROUP = "myResourceGroup"
TXT = {"ttl": 300, "txtRecords": [{"value": ["owner=platform-team"]}]}
AAAA = {"ttl": 300, "aaaaRecords": [{"ipv6Address": "fd00:10:1::8"}]}
THEIR_A = {"ttl": 300, "aRecords": [{"ipv4Address": "10.9.9.9"}]}


async def _their_zone(handle, records: dict[tuple[str, str], dict]) -> None:
    """Another team's zone, linked to the network that pulls, holding their record sets."""
    async with private_dns(handle) as dns:
        zone = dns.private_zones.begin_create_or_update(GROUP, PRIVATE_LINK_ZONE, {})
        await (await zone).result()
        link = {"location": "global", "properties": {"virtualNetwork": {"id": DOCKER_VNET}}}
        made = dns.virtual_network_links.begin_create_or_update(
            GROUP, PRIVATE_LINK_ZONE, "hub-dns", link
        )
        await (await made).result()
        for (kind, name), properties in records.items():
            await dns.record_sets.create_or_update(
                GROUP, PRIVATE_LINK_ZONE, kind, name, {"properties": properties}
            )


async def test_their_txt_and_aaaa_for_the_name_are_said_kept_and_survive_rollback(
    emulator, tmp_path: Path
) -> None:
    await lock_down(emulator)
    await _their_zone(
        emulator,
        {("TXT", "mycontainerregistry"): TXT, ("AAAA", "mycontainerregistry"): AAAA},
    )
    start = migration_view(emulator)
    async with fast_session(emulator, tmp_path) as session:
        plan = await migration_plan_of(session, **FULL_MIGRATION)
        assert not plan.blocked
        [kept] = [c for c in plan.checks if c.code == "record-sets-kept"]
        assert "TXT mycontainerregistry" in kept.message
        assert "AAAA mycontainerregistry" in kept.message
        assert "IPv6" in kept.message and "kept as it is, and by a rollback" in kept.message
        run = await session.execute(plan)
        assert run.state is RunState.DONE, run.error
        records = migration_view(emulator)["zones"][MIGRATION_ZONE_KEY]["records"]
        assert (
            records["txt/mycontainerregistry"]
            == start["zones"][MIGRATION_ZONE_KEY]["records"]["txt/mycontainerregistry"]
        )
        assert records["aaaa/mycontainerregistry"]["aaaaRecords"] == AAAA["aaaaRecords"]
        assert records["a/mycontainerregistry"]["aRecords"]  # ours, beside theirs
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    same_view(migration_view(emulator), start, "their record sets after the rollback")


async def test_their_a_record_for_the_name_blocks_and_nothing_is_written(
    emulator, tmp_path: Path
) -> None:
    await lock_down(emulator)
    await _their_zone(emulator, {("A", "mycontainerregistry"): THEIR_A})
    start = migration_view(emulator)
    async with fast_session(emulator, tmp_path) as session:
        plan = await migration_plan_of(session, **FULL_MIGRATION)
        assert plan.blocked and not plan.steps
        [taken] = [c for c in plan.blocks if c.code == "record-set-taken"]
        assert "A mycontainerregistry" in taken.message and "overwrite" in taken.message
    same_view(migration_view(emulator), start, "a refused migration")


async def test_a_zone_the_run_made_is_kept_by_rollback_for_their_txt_record(
    emulator, tmp_path: Path
) -> None:
    await lock_down(emulator)
    start = migration_view(emulator)
    async with fast_session(emulator, tmp_path) as session:
        run = await session.execute(await migration_plan_of(session))
        assert run.state is RunState.DONE, run.error
        async with private_dns(emulator) as dns:
            await dns.record_sets.create_or_update(
                GROUP, PRIVATE_LINK_ZONE, "TXT", "build-info", {"properties": TXT}
            )
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    zone_steps = [r for r in undo.records if undo.plan.steps[r.index - 1].kind is (
        StepKind.DELETE_DNS_ZONE
    )]  # fmt: skip
    assert [r.note for r in zone_steps] == [
        "kept: the zone holds record sets someone else made (TXT build-info)"
    ]
    zone = migration_view(emulator)["zones"][MIGRATION_ZONE_KEY]
    assert sorted(zone["records"]) == ["soa/@", "txt/build-info"] and not zone["links"]
    del zone  # the rest of the tenant is as it was
    view = migration_view(emulator)
    view["zones"].pop(MIGRATION_ZONE_KEY)
    same_view(view, start, "the tenant but the kept zone")


class _TheirRecordMidRun:
    """Once the endpoint's step starts: an A record set for the registry's name appears in
    the zone (someone else's, made after the pre-flight)."""

    def __init__(self, emulator) -> None:
        self.emulator = emulator
        self.put = False

    def __call__(self, run: RunRecord, index: int) -> None:
        if self.put or not index or run.record(index).status is not StepStatus.APPLYING:
            return
        if run.plan.steps[index - 1].kind is not StepKind.CREATE_PRIVATE_ENDPOINT:
            return
        with self.emulator.state.changing():
            zone = self.emulator.state.private_dns_zones[MIGRATION_ZONE_KEY]
            zone["records"]["a/mycontainerregistry"] = {
                "id": f"{zone['id']}/A/mycontainerregistry",
                "name": "mycontainerregistry",
                "type": "Microsoft.Network/privateDnsZones/A",
                "etag": "theirs",
                "properties": {**THEIR_A, "fqdn": f"mycontainerregistry.{PRIVATE_LINK_ZONE}.",
                               "isAutoRegistered": False},
            }  # fmt: skip
        self.put = True


async def test_their_a_record_made_mid_run_is_not_overwritten_nor_rolled_back(
    emulator, tmp_path: Path
) -> None:
    await lock_down(emulator)
    someone = _TheirRecordMidRun(emulator)
    async with fast_session(emulator, tmp_path) as session:
        run = await session.execute(await migration_plan_of(session), someone)
        assert someone.put
        assert run.state is RunState.FAILED
        assert "A mycontainerregistry" in (run.error or "")
        assert "not made by this run: not overwritten" in (run.error or "")
        theirs = migration_view(emulator)["zones"][MIGRATION_ZONE_KEY]["records"][
            "a/mycontainerregistry"
        ]
        assert theirs["aRecords"] == THEIR_A["aRecords"]
        undo = await session.rollback(run.id)
        assert undo.state is RunState.DONE, undo.error
    records = migration_view(emulator)["zones"][MIGRATION_ZONE_KEY]["records"]
    assert records["a/mycontainerregistry"]["aRecords"] == THEIR_A["aRecords"]
