"""services.private_link.reads against the emulator: endpoints, zone groups, zones (records,
links) and replications built with Microsoft's SDKs, then read back into acrfence's models."""

from __future__ import annotations

from acrfence.emulator.seeds import SUB_NETWORKING, SUB_PRODUCTION
from acrfence.services.azure import AzureClients
from acrfence.services.config import Target
from acrfence.services.models.private_link import registry_private_names
from acrfence.services.private_link.reads import PrivateLinkReads
from helpers import PRIVATE_LINK_ZONE as ZONE
from helpers import build_private_link


async def test_reads_turn_endpoints_zones_and_replications_into_models(emulator) -> None:
    made = await build_private_link(emulator)
    async with AzureClients(Target.from_env(emulator.env), polling_interval=0.02) as clients:
        reads = PrivateLinkReads(clients)
        endpoints = await reads.list_private_endpoints(SUB_PRODUCTION)
        endpoint = next(e for e in endpoints if e.name == "myacr-pe")
        assert endpoint.id == made["endpoint"]
        assert endpoint.subnet_key == made["subnet"].lower()
        assert endpoint.connection_to(made["registry"]).status == "Approved"
        assert endpoint.has_zone_group is True
        assert [z.lower() for z in endpoint.zone_ids] == [made["zone"].lower()]
        fqdns = {c.fqdn for c in endpoint.dns_configs}
        assert fqdns == {
            "mycontainerregistry.azurecr.io",
            "mycontainerregistry.westus.data.azurecr.io",
            "mycontainerregistry.eastus.data.azurecr.io",
        }
        assert endpoint.address_count == 3
        # The demo's contosoprivate endpoint lists in the hub's subscription, zone group and all.
        hub = await reads.list_private_endpoints(SUB_NETWORKING)
        seeded = next(e for e in hub if e.name == "contosoprivate-pe")
        assert seeded.has_zone_group is True and seeded.address_count == 3

        zones = await reads.list_private_dns_zones(SUB_PRODUCTION)
        zone = next(z for z in zones if z.key == made["zone"].lower())
        assert zone.name == ZONE
        login = endpoint.addresses_of("mycontainerregistry.azurecr.io")
        assert zone.addresses_of("mycontainerregistry.azurecr.io") == login
        assert zone.a_record("mycontainerregistry.eastus.data").etag
        assert zone.linked_to(made["vnet"])
        assert zone.link_to(made["vnet"]).provisioning_state == "Succeeded"

        again = await reads.private_endpoint(made["endpoint"])
        assert again == endpoint
        assert await reads.private_dns_zone(made["zone"]) == zone
        assert await reads.private_endpoint(made["endpoint"] + "-gone") is None

        replications = await reads.replications(made["registry"], "mycontainerregistry.azurecr.io")
        assert [r.region for r in replications] == ["eastus", "westus"]
        assert replications[0].data_endpoint_host == "mycontainerregistry.eastus.data.azurecr.io"
        by_registry = await reads.list_replications(SUB_PRODUCTION)
        listed = by_registry[made["registry"].lower()]
        assert [r.region for r in listed] == ["eastus", "westus"]
        names = registry_private_names(
            "mycontainerregistry.azurecr.io", "mycontainerregistry", [r.region for r in listed]
        )
        assert set(names) == fqdns
