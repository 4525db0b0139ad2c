"""Shared fixtures: a fresh emulator per test and a factory for custom ones (helpers for
talking to them with the real Azure SDK clients and httpx are in helpers.py; never mocks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from acrfence.emulator.runner import EmulatorHandle, start_emulator
from helpers import StaticTokenCredential


@pytest.fixture(autouse=True)
def state_of_this_test_alone(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test journals under a directory of its own, never under the user's
    ~/.local/state: an unfinished run left there (a hand-made kill -9) put the resume prompt
    over the dashboard of every demo test that came after. Tests that look at their journal
    still point XDG_STATE_HOME at their own tmp_path."""
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
