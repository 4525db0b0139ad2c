"""Issue 12's six private link findings, each on a situation built in the emulator with
Microsoft's SDKs (private endpoints, zones, links, records, replications), read back through
acrfence's inventory; and Azure Policy e9585a95 now evaluated from the zone groups."""

from __future__ import annotations

from acrfence.emulator.arm.replications import add_replication
from acrfence.services.analysis import find_findings
from acrfence.services.analysis.parity import peer_table
from acrfence.services.analysis.profiles import PROFILES
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.inventory import InventoryService
from helpers import (
    MYREGISTRY,
    PREVIEW,
    RG,
    acr,
    build_private_link,
    delete_a_record,
    lock_down,
    network,
)


async def _findings(handle, profile: str = "default") -> dict[str, list]:
    """The findings on mycontainerregistry, by code."""
    async with AzureClients(Target.from_env(handle.env), polling_interval=0.02) as clients:
        inventory = await InventoryService(clients).load()
    found: dict[str, list] = {}
    for finding in find_findings(inventory, PROFILES[profile]):
        if (finding.registry_id or "").casefold() == MYREGISTRY.casefold():
            found.setdefault(finding.code, []).append(finding)
    return found


async def test_a_healthy_private_endpoint_has_nothing_to_say(emulator) -> None:
    await build_private_link(emulator, replicate_to=("eastus",))
    found = await _findings(emulator)
    assert not set(found) & {
        "private-dns-record-missing",
        "private-dns-zone-not-linked",
        "private-endpoint-no-zone-group",
        "private-endpoint-subnet-full",
    }


async def test_a_zone_missing_a_data_endpoint_record_names_its_region(emulator) -> None:
    made = await build_private_link(emulator, replicate_to=("eastus",))
    await delete_a_record(emulator, made["zone"], "mycontainerregistry.eastus.data")
    [finding] = (await _findings(emulator))["private-dns-record-missing"]
    assert finding.severity == "error"
    assert "data endpoint (eastus)" in finding.title
    assert "westus" not in finding.title and "login server" not in finding.title
    assert "mycontainerregistry.eastus.data.azurecr.io" in finding.detail


async def test_a_replica_added_after_the_endpoint_has_no_record_yet(emulator) -> None:
    made = await build_private_link(emulator, replicate_to=())
    add_replication(emulator.state, made["registry"], "northeurope")
    [finding] = (await _findings(emulator))["private-dns-record-missing"]
    assert "data endpoint (northeurope)" in finding.title


async def test_networks_that_pull_but_arent_linked(emulator) -> None:
    await lock_down(emulator)  # myDockerVMVNET pulls through its service endpoint rule
    await build_private_link(emulator, link_vnets=())  # the endpoint's own app-vnet: no link
    found = await _findings(emulator)
    titles = sorted(f.title for f in found["private-dns-zone-not-linked"])
    assert titles == [
        "mycontainerregistry: privatelink.azurecr.io is not linked to app-vnet",
        "mycontainerregistry: privatelink.azurecr.io is not linked to myDockerVMVNET",
    ]
    severity = {
        f.title.rsplit(" ", 1)[-1]: f.severity for f in found["private-dns-zone-not-linked"]
    }
    # The rule's network pulls today: a warning. The endpoint's own: only if hosts there pull.
    assert severity == {"myDockerVMVNET": "warning", "app-vnet": "info"}
    # Rules and an endpoint side by side: a migration half done.
    [both] = found["service-endpoint-rules-with-private-endpoint"]
    assert "myacr-pe" in both.detail and both.severity == "info"


async def test_an_endpoint_without_a_zone_group_fails_azure_policy_e9585a95(emulator) -> None:
    await build_private_link(emulator, zone_group=False)
    found = await _findings(emulator, "azure-policy")
    [finding] = found["private-endpoint-no-zone-group"]
    assert finding.severity == "warning" and "new replica" in finding.detail
    assert "dns-zone-group create" in finding.detail
    [verdict] = [p for p in finding.peers if p.check_id.startswith("e9585a95")]
    assert verdict.outcome == "fail"
    # The zone is linked to app-vnet but holds no record: said too.
    assert "private-dns-record-missing" in found
    assert "private-dns-unchecked" not in found  # the zone groups were read


async def test_e9585a95_passes_with_a_zone_group_and_acrfence_says_what_it_misses(
    emulator,
) -> None:
    made = await build_private_link(emulator, link_vnets=())
    async with AzureClients(Target.from_env(emulator.env), polling_interval=0.02) as clients:
        inventory = await InventoryService(clients).load()
    profile = PROFILES["azure-policy"]
    rows = peer_table(inventory, find_findings(inventory, profile), profile)
    [row] = [
        r
        for r in rows
        if r.registry_id.casefold() == made["registry"].casefold()
        and r.check_id.startswith("e9585a95")
    ]
    assert row.outcome == "pass"
    assert "private-dns-zone-not-linked" in row.acrfence_codes


async def test_public_access_disabled_cuts_off_service_endpoint_rules(emulator) -> None:
    await lock_down(emulator)
    async with acr(emulator, api_version=PREVIEW) as client:
        body = {"properties": {"publicNetworkAccess": "Disabled"}}
        await (await client.registries.begin_update(RG, "mycontainerregistry", body)).result()
    [finding] = (await _findings(emulator))["public-access-disabled-with-vnet-rules"]
    assert finding.severity == "error"
    assert "myDockerVMVNET/myDockerVMSubnet" in finding.detail
    public = {p.check_id for p in finding.peers}
    assert "0fdf0491-d080-4575-b627-ad0e843cba0f" in public  # passes, yet they are cut off


async def test_an_endpoint_subnet_without_room_for_another_replica(emulator) -> None:
    async with network(emulator) as client:
        await (
            await client.subnets.begin_create_or_update(
                "app-rg", "app-vnet", "pe-small", {"properties": {"addressPrefix": "10.1.20.0/29"}}
            )
        ).result()
    # A /29 keeps 5 of its 8 addresses: the endpoint (login, westus and eastus) takes the rest.
    await build_private_link(emulator, subnet=("app-vnet", "pe-small"), replicate_to=("eastus",))
    [finding] = (await _findings(emulator))["private-endpoint-subnet-full"]
    assert finding.severity == "warning"
    assert "app-vnet/pe-small" in finding.title
    assert "0 free addresses" in finding.detail
