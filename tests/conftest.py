"""Shared fixtures: a fresh emulator per test and a factory for custom ones (helpers for
talking to them with the real Azure SDK clients and httpx are in helpers.py; never mocks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from acrfence.emulator.runner import EmulatorHandle, start_emulator
from helpers import StaticTokenCredential


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
