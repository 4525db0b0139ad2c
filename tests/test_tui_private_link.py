"""The registry detail pane shows private link: each private endpoint with its connection
state, the IP per name and whether the zone holds each record; public access; replicas.
Built in the emulator with the SDKs, shown through the real app (Pilot)."""

from __future__ import annotations

from helpers import (
    build_private_link,
    delete_a_record,
    demo_app,
    inventory_loaded,
    open_registry,
)


async def test_the_detail_shows_each_endpoint_ip_and_record(emulator) -> None:
    made = await build_private_link(emulator, replicate_to=("eastus",))
    await delete_a_record(emulator, made["zone"], "mycontainerregistry.eastus.data")
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        text = await open_registry(pilot, "mycontainerregistry")
    lines = [line.strip() for line in text.splitlines()]
    assert "Private endpoints (1)" in lines
    header = next(line for line in lines if line.startswith("myacr-pe"))
    assert "app-vnet/private-endpoints" in header and "✓ Approved" in header
    assert any(line.startswith("zone privatelink.azurecr.io (app-rg)") for line in lines)
    login = next(line for line in lines if line.startswith("mycontainerregistry.azurecr.io"))
    assert "10.1.8." in login and login.endswith("✓ record")
    east = next(line for line in lines if line.startswith("mycontainerregistry.eastus.data"))
    assert east.endswith("✗ no record")
    assert "Public network access: ✓ Enabled" in lines
    assert "Replicas: westus, eastus" in lines
    # The finding says the same, in the same pane.
    assert any("lacks 1 record (data endpoint (eastus))" in line for line in lines)


async def test_an_endpoint_without_zone_group_says_so(emulator) -> None:
    app = demo_app(emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await inventory_loaded(pilot)
        text = await open_registry(pilot, "platformacr")
    assert "✗ no DNS zone group: Azure keeps no records" in text


async def test_the_demo_private_registry_shows_its_private_path(emulator) -> None:
    app = demo_app(emulator)
    async with app.run_test(size=(100, 40)) as pilot:
        await inventory_loaded(pilot)
        text = await open_registry(pilot, "contosoprivate")
    lines = [line.strip() for line in text.splitlines()]
    assert "Public network access: ✗ Disabled" in lines
    assert "no DNS zone group" not in text
    assert any(line.startswith("zone privatelink.azurecr.io (network-rg)") for line in lines)
    for name, ip in (
        ("contosoprivate.azurecr.io", "10.50.3.4"),
        ("contosoprivate.westus.data", "10.50.3.5"),
        ("contosoprivate.eastus.data", "10.50.3.6"),
    ):
        row = next(line for line in lines if line.startswith(name))
        assert ip in row and row.endswith("✓ record")
