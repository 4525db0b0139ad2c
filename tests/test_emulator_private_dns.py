"""Private DNS zones, virtual network links and record sets, driven by Microsoft's own
azure-mgmt-privatedns client (unchanged) against the emulator: long-running zone and link
PUTs, record sets with etags, paging, deletes, and errors as Azure gives them."""

from __future__ import annotations

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import StaticTokenCredential, sdk_kwargs

ZONE = "privatelink.azurecr.io"
GROUP = "app-rg"


def _vnet_id(handle, name: str = "app-vnet") -> str:
    with handle.state.lock:
        return next(v["id"] for v in handle.state.vnets.values() if v["name"] == name)


def client_for(handle) -> PrivateDnsManagementClient:
    return PrivateDnsManagementClient(
        StaticTokenCredential(handle.token), SUB_PRODUCTION, **sdk_kwargs(handle)
    )


async def test_a_zone_is_created_linked_and_given_records(emulator) -> None:
    async with client_for(emulator) as client:
        poller = await client.private_zones.begin_create_or_update(
            GROUP, ZONE, {"location": "global", "tags": {"owner": "platform"}}
        )
        zone = await poller.result()
        assert zone.name == ZONE and zone.location == "global"
        assert zone.properties.provisioning_state == "Succeeded"
        assert zone.properties.number_of_record_sets == 1  # the SOA

        link_poller = await client.virtual_network_links.begin_create_or_update(
            GROUP,
            ZONE,
            "app-vnet-link",
            {
                "location": "global",
                "properties": {
                    "virtualNetwork": {"id": _vnet_id(emulator)},
                    "registrationEnabled": False,
                },
            },
        )
        link = await link_poller.result()
        assert link.properties.virtual_network_link_state == "Completed"
        assert link.properties.provisioning_state == "Succeeded"

        record = await client.record_sets.create_or_update(
            GROUP,
            ZONE,
            "A",
            "mycontainerregistry",
            {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": "10.1.8.5"}]}},
        )
        assert record.properties.fqdn == f"mycontainerregistry.{ZONE}."
        assert record.properties.a_records[0].ipv4_address == "10.1.8.5"
        assert record.etag

        names = [r.name async for r in client.record_sets.list(GROUP, ZONE)]
        assert sorted(names) == ["@", "mycontainerregistry"]
        links = [x.name async for x in client.virtual_network_links.list(GROUP, ZONE)]
        assert links == ["app-vnet-link"]
        zones = [z.name async for z in client.private_zones.list()]
        assert zones == [ZONE]
        zone = await client.private_zones.get(GROUP, ZONE)
        assert zone.properties.number_of_virtual_network_links == 1
        assert zone.properties.number_of_record_sets == 2


async def test_a_stale_etag_is_refused_and_a_deleted_record_is_gone(emulator) -> None:
    async with client_for(emulator) as client:
        await (
            await client.private_zones.begin_create_or_update(GROUP, ZONE, {"location": "global"})
        ).result()
        first = await client.record_sets.create_or_update(
            GROUP, ZONE, "A", "r1", {"properties": {"ttl": 10, "aRecords": []}}
        )
        await client.record_sets.create_or_update(
            GROUP, ZONE, "A", "r1", {"properties": {"ttl": 20, "aRecords": []}}
        )
        with pytest.raises(HttpResponseError) as stale:
            await client.record_sets.create_or_update(
                GROUP, ZONE, "A", "r1", {"properties": {"ttl": 30, "aRecords": []}},
                etag=first.etag, match_condition=MatchConditions.IfNotModified,
            )  # fmt: skip
        assert stale.value.status_code == 412
        await client.record_sets.delete(GROUP, ZONE, "A", "r1")
        with pytest.raises(ResourceNotFoundError):
            await client.record_sets.get(GROUP, ZONE, "A", "r1")


async def test_a_zone_with_links_cannot_be_deleted_until_they_are(emulator) -> None:
    async with client_for(emulator) as client:
        await (
            await client.private_zones.begin_create_or_update(GROUP, ZONE, {"location": "global"})
        ).result()
        body = {"location": "global", "properties": {"virtualNetwork": {"id": _vnet_id(emulator)}}}
        await (
            await client.virtual_network_links.begin_create_or_update(GROUP, ZONE, "l1", body)
        ).result()
        with pytest.raises(HttpResponseError) as twice:
            await (
                await client.virtual_network_links.begin_create_or_update(GROUP, ZONE, "l2", body)
            ).result()
        assert twice.value.status_code == 409
        with pytest.raises(HttpResponseError) as nested:
            await (await client.private_zones.begin_delete(GROUP, ZONE)).result()
        assert nested.value.status_code == 409
        await (await client.virtual_network_links.begin_delete(GROUP, ZONE, "l1")).result()
        await (await client.private_zones.begin_delete(GROUP, ZONE)).result()
        with pytest.raises(ResourceNotFoundError):
            await client.private_zones.get(GROUP, ZONE)


async def test_bad_requests_answer_as_azure_does(emulator) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(HttpResponseError) as located:
            await (
                await client.private_zones.begin_create_or_update(
                    GROUP, ZONE, {"location": "westus"}
                )
            ).result()
        assert located.value.status_code == 400
        with pytest.raises(ResourceNotFoundError):
            await client.private_zones.get(GROUP, "nowhere.example")
        await (
            await client.private_zones.begin_create_or_update(GROUP, ZONE, {"location": "global"})
        ).result()
        with pytest.raises(HttpResponseError) as no_vnet:
            await (
                await client.virtual_network_links.begin_create_or_update(
                    GROUP, ZONE, "x",
                    {"location": "global", "properties": {"virtualNetwork": {"id": "/nope"}}},
                )
            ).result()  # fmt: skip
        assert no_vnet.value.status_code == 400


async def test_zones_survive_a_restart_through_the_state_file(make_emulator, tmp_path) -> None:
    state = tmp_path / "state.json"
    first = make_emulator(seed="demo", state_file=state)
    async with client_for(first) as client:
        await (
            await client.private_zones.begin_create_or_update(GROUP, ZONE, {"location": "global"})
        ).result()
        await client.record_sets.create_or_update(
            GROUP,
            ZONE,
            "CNAME",
            "alias",
            {"properties": {"ttl": 5, "cnameRecord": {"cname": "x.y."}}},
        )
    first.stop()
    second = make_emulator(seed="demo", state_file=state)
    async with client_for(second) as client:
        record = await client.record_sets.get(GROUP, ZONE, "CNAME", "alias")
    assert record.properties.cname_record.cname == "x.y."


OTHER_RECORD_SETS = {
    "AAAA": ("aaaaRecords", [{"ipv6Address": "fd00::5"}], "aaaa_records"),
    "TXT": ("txtRecords", [{"value": ["owner=platform", "ticket=42"]}], "txt_records"),
    "MX": ("mxRecords", [{"preference": 10, "exchange": "mail.contoso.com"}], "mx_records"),
    "PTR": ("ptrRecords", [{"ptrdname": "host.contoso.com"}], "ptr_records"),
    "SRV": (
        "srvRecords",
        [{"priority": 1, "weight": 5, "port": 443, "target": "svc.contoso.com"}],
        "srv_records",
    ),
}


@pytest.mark.parametrize("kind", sorted(OTHER_RECORD_SETS))
async def test_every_record_type_of_the_api_is_kept_as_written(emulator, kind: str) -> None:
    field, records, attribute = OTHER_RECORD_SETS[kind]
    async with client_for(emulator) as client:
        await (await client.private_zones.begin_create_or_update(GROUP, ZONE, {})).result()
        made = await client.record_sets.create_or_update(
            GROUP, ZONE, kind, "build-info", {"properties": {"ttl": 60, field: records}}
        )
        assert made.type == f"Microsoft.Network/privateDnsZones/{kind}"
        read = await client.record_sets.get(GROUP, ZONE, kind, "build-info")
        assert [r.as_dict() for r in getattr(read.properties, attribute)] == records
        listed = [(r.type.rsplit("/", 1)[-1], r.name) async for r in client.record_sets.list(
            GROUP, ZONE
        )]  # fmt: skip
        assert (kind, "build-info") in listed
        with pytest.raises(HttpResponseError) as bad:
            await client.record_sets.create_or_update(
                GROUP, ZONE, kind, "broken", {"properties": {"ttl": 60, field: [{"x": 1}]}}
            )
        assert bad.value.status_code == 400


async def test_a_name_holding_other_types_only_answers_no_data(emulator) -> None:
    # The zone holds a TXT record set for the name and no A: a resolver answers NOERROR with
    # no address (the name exists), not NXDOMAIN.
    from acrfence.emulator.dns_answers import answer_name

    async with client_for(emulator) as client:
        await (await client.private_zones.begin_create_or_update(GROUP, ZONE, {})).result()
        link = {"location": "global", "properties": {"virtualNetwork": {"id": _vnet_id(emulator)}}}
        await (
            await client.virtual_network_links.begin_create_or_update(GROUP, ZONE, "l", link)
        ).result()
        await client.record_sets.create_or_update(
            GROUP,
            ZONE,
            "TXT",
            "notes",
            {"properties": {"ttl": 60, "txtRecords": [{"value": ["x"]}]}},
        )
    vnet = _vnet_id(emulator).lower()
    assert answer_name(emulator.state, "notes.privatelink.azurecr.io", vnet).rcode == "NOERROR"
    assert answer_name(emulator.state, "notes.privatelink.azurecr.io", vnet).records == ()
    assert answer_name(emulator.state, "other.privatelink.azurecr.io", vnet).rcode == "NXDOMAIN"


async def test_a_network_resolves_a_namespace_through_one_zone_only(emulator) -> None:
    # The demo's hub-vnet already resolves privatelink.azurecr.io through the networking
    # subscription's zone. Azure accepts a link from a second zone of that name and fails the
    # operation: "A virtual network cannot be linked to multiple zones with overlapping
    # namespaces" (BadRequest); the link is not left behind.
    hub_vnet = _vnet_id(emulator, "hub-vnet")
    async with client_for(emulator) as client:
        await (
            await client.private_zones.begin_create_or_update(GROUP, ZONE, {"location": "global"})
        ).result()
        poller = await client.virtual_network_links.begin_create_or_update(
            GROUP,
            ZONE,
            "hub-link",
            {"location": "global", "properties": {"virtualNetwork": {"id": hub_vnet}}},
        )
        with pytest.raises(HttpResponseError) as refused:
            await poller.result()
        assert "overlapping namespaces" in str(refused.value)
        assert refused.value.error is not None and refused.value.error.code == "BadRequest"
        assert [link.name async for link in client.virtual_network_links.list(GROUP, ZONE)] == []

        # A network no zone of that name serves links as before.
        app_link = await (
            await client.virtual_network_links.begin_create_or_update(
                GROUP,
                ZONE,
                "app-link",
                {
                    "location": "global",
                    "properties": {"virtualNetwork": {"id": _vnet_id(emulator)}},
                },
            )
        ).result()
        assert app_link.properties.provisioning_state == "Succeeded"
