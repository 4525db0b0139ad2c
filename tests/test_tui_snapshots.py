"""Snapshots of the main screen, a registry's detail and the findings view at 80x24 and 120x40,
on the emulator's demo tenant read through the real services.

Deterministic: the demo tenant has fixed names and IDs and every table is sorted; each snap
waits until the inventory is read; the header shows no clock; toasts are cleared (their
timeouts would make the picture depend on timing); no input has focus (no cursor blink).
"""

from __future__ import annotations

import pytest
from helpers import demo_app, inventory_loaded, open_registry

SIZES = [(80, 24), (120, 40)]


def settled(ready):
    async def run(pilot):
        await inventory_loaded(pilot)
        await ready(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(snap_compare, emulator, size):
    async def ready(pilot):
        await pilot.press("2")

    assert snap_compare(demo_app(emulator), terminal_size=size, run_before=settled(ready))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_registry_detail(snap_compare, emulator, size):
    async def ready(pilot):
        # A rule whose subnet lacks the endpoint, beside the effective access in words.
        await open_registry(pilot, "contosonoendpoint")

    assert snap_compare(demo_app(emulator), terminal_size=size, run_before=settled(ready))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_findings_view(snap_compare, emulator, size):
    async def ready(pilot):
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(demo_app(emulator), terminal_size=size, run_before=settled(ready))
