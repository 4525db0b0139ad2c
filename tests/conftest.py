"""Shared fixtures: a fresh emulator per test and a factory for custom ones (helpers for
talking to them with the real Azure SDK clients and httpx are in helpers.py; never mocks)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from acrfence.emulator.runner import EmulatorHandle, start_emulator
from helpers import StaticTokenCredential

# The suite's own knobs (read by dev.py and the tests, never by acrfence): kept.
HARNESS_VARIABLES = frozenset(
    {
        "ACRFENCE_AZ",
        "ACRFENCE_AZ_VENV",
        "ACRFENCE_PROPERTY_SEEDS",
        "ACRFENCE_TEST_ALL_BOUNDARIES",
        "ACRFENCE_TEST_SEED",
    }
)


@pytest.fixture(autouse=True)
def nothing_of_the_users_own(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test runs apart from the operator's own acrfence: its journal under a state
    directory of its own, and none of their ACRFENCE_* settings. An unfinished run left under
    ~/.local/state (a hand-made kill -9) put the resume prompt over every demo dashboard test
    after it; an ACRFENCE_JOURNAL_DIR in the shell sent the headless commands' journals there.
    Tests that look at their journal still point XDG_STATE_HOME at their own tmp_path."""
    for name in list(os.environ):
        if name.startswith("ACRFENCE_") and name not in HARNESS_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., EmulatorHandle]]:
    """Start emulators with custom arguments (see start_emulator); all stop at teardown."""
    started: list[EmulatorHandle] = []

    def make(**kwargs: object) -> EmulatorHandle:
        handle = start_emulator(**kwargs)
        started.append(handle)
        return handle

    yield make
    for handle in started:
        handle.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., EmulatorHandle]) -> EmulatorHandle:
    """A fresh demo tenant for this test."""
    return make_emulator(seed="demo")


@pytest.fixture
def credential(emulator: EmulatorHandle) -> StaticTokenCredential:
    return StaticTokenCredential(emulator.token)
