"""Snapshots of the main screen, a registry's detail and the findings view at 80x24 and 120x40,
on the emulator's demo tenant read through the real services.

Deterministic: the demo tenant has fixed names and IDs and every table is sorted; each snap
waits until the inventory is read; the header shows no clock; toasts are cleared (their
timeouts would make the picture depend on timing); no input has focus (no cursor blink).
"""

from __future__ import annotations

import pytest

from helpers import demo_app, inventory_loaded, open_registry, until

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


# Without colour (NO_COLOR; Textual reads it when the app is made): every state, the focused
# pane, the cursor row and the placeholders must still read (bold, reverse, underline, words).


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_color_main_screen(snap_compare, emulator, size, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def ready(pilot):
        await pilot.press("2", "j", "j", "j")  # the cursor on contosodark (an error)

    assert snap_compare(demo_app(emulator), terminal_size=size, run_before=settled(ready))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_color_findings_view(snap_compare, emulator, size, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def ready(pilot):
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(demo_app(emulator), terminal_size=size, run_before=settled(ready))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_color_filter_placeholder(snap_compare, emulator, size, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def ready(pilot):
        await pilot.press("3", "slash")
        pilot.app.screen.query_one("#filter").cursor_blink = False  # a still picture
        await pilot.pause()

    assert snap_compare(demo_app(emulator), terminal_size=size, run_before=settled(ready))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_color_lockdown_review(snap_compare, emulator, size, monkeypatch, tmp_path):
    """The plan to confirm: Apply is off until the name is typed, the name field is empty."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # no journal of other tests

    async def ready(pilot):
        app = pilot.app
        await pilot.press("2")
        registry = next(r for r in app.data.inventory.registries if r.name == "mycontainerregistry")
        app.screen.query_one("#registries").select_key(registry.key)
        await pilot.press("3")
        subnet = next(s for s in app.data.inventory.subnets if s.name == "myDockerVMSubnet")
        app.screen.query_one("#networks").select_key(subnet.key)
        await pilot.press("l")  # from the networks pane: the wizard ticks the subnet pointed at
        await pilot.pause()
        app.screen.query_one("#make-plan").press()
        await until(pilot, lambda: getattr(app.screen, "plan", None) is not None, "the plan")
        app.screen.query_one("#confirm").cursor_blink = False
        await pilot.pause()

    assert snap_compare(demo_app(emulator), terminal_size=size, run_before=settled(ready))
