"""`acrfence migrate` against the emulator: the tutorial's registry, locked down to its VM
subnet, moved to a private endpoint headless; --plan writes nothing; rollback ends exactly
where it started; pre-flight refuses a full endpoint subnet; an existing zone is reused; a
geo-replicated registry gets a record per data endpoint."""

from __future__ import annotations

import asyncio
import json

import pytest
from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

from acrfence.emulator.arm.private_dns import new_link, new_zone
from acrfence.emulator.arm.replications import add_replication
from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import (
    ACR,
    DOCKER_SUBNET,
    DOCKER_VNET,
    MYREGISTRY,
    PE_SUBNET,
    PRIVATE_LINK_ZONE,
    RG,
    StaticTokenCredential,
    assert_migrated,
    cli_env,
    journal_runs,
    lock_down,
    registry_view,
    run_cli,
    sdk_kwargs,
    subnet_view,
    with_vantages,
    world,
    zone_of,
)

MIGRATE = ["migrate", "mycontainerregistry", "--pe-subnet", PE_SUBNET]


def _only_run(state_dir, kind: str = "migrate") -> dict:
    [run] = [r for r in journal_runs(state_dir) if r["kind"] == kind]
    return run


def test_headless_migration_after_the_lockdown(emulator, tmp_path, monkeypatch, capsys):
    asyncio.run(lock_down(emulator))
    env = with_vantages(emulator, cli_env(emulator, tmp_path))
    assert run_cli(monkeypatch, env, *MIGRATE, "--yes", "--json") == 0, capsys.readouterr().err
    printed = capsys.readouterr()
    document = json.loads(printed.out)
    assert document["state"] == "done" and document["verified"] is True
    kinds = [s["kind"] for s in document["steps"]]
    assert kinds == [
        "create-dns-zone",
        "link-dns-zone",
        "create-private-endpoint",
        "verify-private-link",
        "write-rules",
        "verify",
    ]
    assert_migrated(emulator)
    # Verified from the network that pulls: its DNS answered the endpoint's IPs, and from
    # there a pull went through the private endpoint (token exchange, catalog, a manifest).
    verify = next(s for s in document["steps"] if s["kind"] == "verify-private-link")
    assert "resolved and probed from myDockerVMVNET; pull ok: " in verify["note"]
    # No token (the identity's, or ACR's refresh and access tokens, JWTs) printed or kept.
    journal = "".join(p.read_text() for p in (tmp_path / "acrfence").glob("*.json"))
    for text in (printed.out, printed.err, journal):
        assert emulator.token not in text and "eyJ" not in text
    # The endpoint stays on the subnet (nobody asked to remove it); public access untouched.
    assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]
    assert registry_view(emulator, MYREGISTRY)["public"] == "Enabled"
    # The journal says what the run created and removed (rollback's material).
    run = _only_run(tmp_path)
    applied = {s["kind"]: s["applied"] for s in run["steps"]}
    assert applied["create-private-endpoint"]["endpoint_id"].endswith("/mycontainerregistry-pe")
    assert applied["write-rules"]["remove_virtual_network_rules"] == [DOCKER_SUBNET]


def test_public_access_disabled_last_with_the_bypass_said(emulator, tmp_path, monkeypatch):
    asyncio.run(lock_down(emulator))
    env = with_vantages(emulator, cli_env(emulator, tmp_path))
    args = [*MIGRATE, "--disable-public-access", "--bypass", "none", "--yes"]
    args += ["--remove-service-endpoints"]
    assert run_cli(monkeypatch, env, *args) == 0
    assert_migrated(emulator)
    view = registry_view(emulator, MYREGISTRY)
    assert (view["public"], view["bypass"]) == ("Disabled", "None")
    assert ACR not in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]
    steps = _only_run(tmp_path)["steps"]
    assert [s["kind"] for s in steps][-4:] == [
        "disable-endpoint",
        "write-rules",
        "verify-public-refused",
        "verify",
    ]
    assert "a probe from the internet was refused" in steps[-2]["note"]
    # Rollback puts back every rule, endpoint and setting it moved.
    run = _only_run(tmp_path)
    assert run_cli(monkeypatch, env, "rollback", run["id"], "--yes") == 0
    view = registry_view(emulator, MYREGISTRY)
    assert view["vnet_rules"] == [DOCKER_SUBNET.lower()]
    assert (view["public"], view["bypass"]) == ("Enabled", "AzureServices")
    assert ACR in subnet_view(emulator, DOCKER_SUBNET)["endpoints"]


def test_plan_writes_nothing(emulator, tmp_path, monkeypatch, capsys):
    asyncio.run(lock_down(emulator))
    before = world(emulator)
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, *MIGRATE, "--plan") == 0
    out = capsys.readouterr().out
    for command in (
        "az network private-dns zone create",
        "az network private-dns link vnet create",
        "az network private-endpoint create",
        "az network private-endpoint dns-zone-group create",
        "az acr network-rule remove",
    ):
        assert command in out
    assert world(emulator) == before
    assert journal_runs(tmp_path) == []


def test_rollback_ends_exactly_where_it_started(emulator, tmp_path, monkeypatch, capsys):
    asyncio.run(lock_down(emulator))
    before = world(emulator)
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, *MIGRATE, "--yes") == 0
    assert world(emulator) != before
    run = _only_run(tmp_path)
    assert run_cli(monkeypatch, env, "rollback", run["id"], "--yes") == 0
    assert world(emulator) == before
    assert _only_run(tmp_path)["state"] == "rolled-back"
    # The data plane agrees from the network that pulls: the data endpoints the endpoint
    # turned on are off again, so the probe asks for no data endpoint name (Azure lists none).
    vantage = emulator.info["vantages"][DOCKER_SUBNET]
    capsys.readouterr()
    probe = ("probe", "mycontainerregistry", "--source-address", vantage, "--json")
    assert run_cli(monkeypatch, env, *probe) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "auth-required"  # the network lets it in: 401
    hosts = [h["host"] for h in result["hosts"]]
    assert hosts == ["mycontainerregistry.azurecr.io"]


def test_a_full_endpoint_subnet_is_refused_in_pre_flight(emulator, tmp_path, monkeypatch, capsys):
    asyncio.run(lock_down(emulator))
    with emulator.state.changing():
        props = emulator.state.subnets[PE_SUBNET.lower()]["properties"]
        props["addressPrefix"] = "10.1.8.0/29"  # 8 addresses, Azure keeps 5: 3 free
        props.pop("addressPrefixes", None)
    add_replication(emulator.state, MYREGISTRY, "eastus")
    add_replication(emulator.state, MYREGISTRY, "northeurope")  # 4 names now
    before = world(emulator)
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, *MIGRATE, "--yes") == 1
    err = capsys.readouterr().err
    assert "blocked" in err and "3 free address(es); the endpoint needs 4" in err
    assert world(emulator) == before
    assert journal_runs(tmp_path) == []


def test_an_existing_zone_is_reused_and_kept_by_rollback(emulator, tmp_path, monkeypatch):
    asyncio.run(lock_down(emulator))
    asyncio.run(_create_zone(emulator, "app-rg"))
    before = world(emulator)
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, *MIGRATE, "--yes") == 0
    run = _only_run(tmp_path)
    assert "create-dns-zone" not in [s["kind"] for s in run["steps"]]
    assert "zone-reused" in [c["code"] for c in run["checks"]]
    zones = [k for k in emulator.state.private_dns_zones if k.endswith(PRIVATE_LINK_ZONE)]
    assert zones == [k for k in before["zones"]]  # one zone, the one that was there
    zone = zone_of(emulator, "app-rg")
    assert "a/mycontainerregistry" in zone["records"]
    assert run_cli(monkeypatch, env, "rollback", run["id"], "--yes") == 0
    assert world(emulator) == before


def test_a_geo_replicated_registry_gets_a_record_per_data_endpoint(emulator, tmp_path, monkeypatch):
    asyncio.run(lock_down(emulator))
    add_replication(emulator.state, MYREGISTRY, "eastus")
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, *MIGRATE, "--yes") == 0
    assert_migrated(emulator, regions=("westus", "eastus"))
    records = sorted(zone_of(emulator)["records"])
    assert records == [
        "a/mycontainerregistry",
        "a/mycontainerregistry.eastus.data",
        "a/mycontainerregistry.westus.data",
        "soa/@",
    ]


async def _create_zone(handle, group: str) -> None:
    credential = StaticTokenCredential(handle.token)
    async with PrivateDnsManagementClient(credential, SUB_PRODUCTION, **sdk_kwargs(handle)) as dns:
        poller = await dns.private_zones.begin_create_or_update(
            group, PRIVATE_LINK_ZONE, {"location": "global"}
        )
        await poller.result()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--pe-subnet", "not-a-subnet"], "give a subnet resource ID or VNET/SUBNET"),
        (["--pe-subnet", PE_SUBNET, "--link-vnet", "/nope"], "malformed virtual network ID"),
        (["--pe-subnet", PE_SUBNET, "--bypass", "none"], "only with --disable-public-access"),
        (["--pe-subnet", PE_SUBNET, "--zone-resource-group", "bad/rg"], "not a resource group"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(emulator, tmp_path, monkeypatch, capsys, argv, message):
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, "migrate", "mycontainerregistry", *argv, "--yes") == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


async def _someone_elses_dns(handle) -> None:
    """Another team's record and link in the zone the migration created."""
    credential = StaticTokenCredential(handle.token)
    async with PrivateDnsManagementClient(credential, SUB_PRODUCTION, **sdk_kwargs(handle)) as dns:
        await dns.record_sets.create_or_update(
            "myResourceGroup", PRIVATE_LINK_ZONE, "A", "theirregistry",
            {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": "10.1.8.200"}]}},
        )  # fmt: skip
        app_vnet = PE_SUBNET.rsplit("/subnets/", 1)[0]
        link = {"location": "global", "properties": {"virtualNetwork": {"id": app_vnet}}}
        poller = await dns.virtual_network_links.begin_create_or_update(
            "myResourceGroup", PRIVATE_LINK_ZONE, "their-link", link
        )
        await poller.result()


def test_a_network_linked_to_another_zone_is_refused_in_pre_flight(
    emulator, tmp_path, monkeypatch, capsys
):
    # The registry's group holds a zone linked to the network that pulls (so the plan reuses
    # it), and hub-vnet, also to be linked, resolves privatelink.azurecr.io through the
    # networking subscription's zone (the demo's). Azure would fail the link from the first
    # zone to hub-vnet halfway through the run, so the plan refuses before writing anything.
    asyncio.run(lock_down(emulator))
    zone_id = (
        f"/subscriptions/{SUB_PRODUCTION}/resourceGroups/{RG}"
        f"/providers/Microsoft.Network/privateDnsZones/{PRIVATE_LINK_ZONE}"
    )
    with emulator.state.changing():
        zone = new_zone(zone_id)
        link = new_link(zone, "docker-link", DOCKER_VNET, done=True)
        zone["links"][link["name"].lower()] = link
        emulator.state.private_dns_zones[zone_id.lower()] = zone
        hub_id = next(v["id"] for v in emulator.state.vnets.values() if v["name"] == "hub-vnet")
    before = world(emulator)
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, *MIGRATE, "--link-vnet", hub_id, "--yes") == 1
    err = capsys.readouterr().err
    assert "blocked" in err and "hub-vnet is already linked to another" in err
    assert "--zone-resource-group network-rg" in err
    assert world(emulator) == before
    assert journal_runs(tmp_path) == []


def test_rollback_keeps_what_someone_else_added(emulator, tmp_path, monkeypatch, capsys):
    asyncio.run(lock_down(emulator))
    env = cli_env(emulator, tmp_path)
    assert run_cli(monkeypatch, env, *MIGRATE, "--yes") == 0
    asyncio.run(_someone_elses_dns(emulator))
    run = next(r for r in journal_runs(tmp_path) if r["kind"] == "migrate")
    assert run_cli(monkeypatch, env, "rollback", run["id"], "--yes") == 0
    capsys.readouterr()
    view = registry_view(emulator, MYREGISTRY)
    assert view["vnet_rules"] == [DOCKER_SUBNET.lower()]  # ours back
    zone = zone_of(emulator)  # the zone we made stays: it holds their record and link
    assert sorted(zone["records"]) == ["a/theirregistry", "soa/@"]
    assert sorted(zone["links"]) == ["their-link"]
    assert not [k for k in emulator.state.private_endpoints if "mycontainerregistry-pe" in k]
    undo = next(r for r in journal_runs(tmp_path) if r["kind"] == "rollback")
    notes = [s["note"] or "" for s in undo["steps"] if s["kind"] == "delete-dns-zone"]
    assert notes and notes[0].startswith("kept:")


def test_an_azure_failure_is_one_sentence_with_its_code_then_resume(
    emulator, tmp_path, monkeypatch, capsys
):
    asyncio.run(lock_down(emulator))
    env = cli_env(emulator, tmp_path)
    emulator.faults.fail_next_lro(1, "ZoneProvisioningFailed", "The zone could not be made.")
    assert run_cli(monkeypatch, env, *MIGRATE, "--yes") == 1
    err = capsys.readouterr().err
    assert "ZoneProvisioningFailed" in err and "Traceback" not in err
    assert registry_view(emulator, MYREGISTRY)["vnet_rules"] == [DOCKER_SUBNET.lower()]
    run = next(r for r in journal_runs(tmp_path) if r["kind"] == "migrate")
    assert run["state"] == "failed"
    assert run_cli(monkeypatch, env, "resume", run["id"], "--yes") == 0
    assert_migrated(emulator)
