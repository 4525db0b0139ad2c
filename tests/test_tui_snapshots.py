"""Snapshots of the main screen, a registry's detail and the findings view at 80x24 and 120x40.

Deterministic: the hand-built tenant has fixed IDs, every snap waits for the inventory to be
read, the header shows no clock and no input has focus (no cursor blink).
"""

from __future__ import annotations

import pytest
from test_tui_dashboard import GROUP, PROD, loaded, make_app

from services.models import registry_id
from widgets.registry_table import RegistryTable

SIZES = [(80, 24), (120, 40)]


def settled(ready):
    """Run ``ready``, then drop toasts: their timeouts would make the picture depend on timing."""

    async def run(pilot):
        await ready(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(snap_compare, size):
    async def ready(pilot):
        await loaded(pilot)
        await pilot.press("2")

    assert snap_compare(make_app(), terminal_size=size, run_before=settled(ready))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_registry_detail(snap_compare, size):
    async def ready(pilot):
        await loaded(pilot)
        await pilot.press("2")
        table = pilot.app.screen.query_one(RegistryTable)
        table.select_key(registry_id(PROD, GROUP, "lockedregistry").casefold())
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=settled(ready))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_findings_view(snap_compare, size):
    async def ready(pilot):
        await loaded(pilot)
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=settled(ready))
