"""Shared fixtures: a fresh emulator per test, a factory for custom ones, and small helpers
for talking to it with the real Azure SDK clients and httpx (never mocks)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator

import httpcore
import httpx
import pytest
from azure.core.credentials import AccessToken

from emulator.runner import EmulatorHandle, start_emulator


class StaticTokenCredential:
    """An async credential that hands out one fixed bearer token (the emulator's)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def sdk_kwargs(handle: EmulatorHandle) -> dict:
    """Keyword arguments that point any azure-mgmt `.aio` client at the emulator."""
    return {
        "base_url": handle.arm_endpoint,
        "connection_verify": handle.ca_cert,
        "credential_scopes": [f"{handle.arm_endpoint}/.default"],
        "polling_interval": 0.02,
        "retry_backoff_factor": 0.01,
    }


class _ConnectTo(httpcore.AsyncNetworkBackend):
    """Connect every host name to the emulator's data-plane port (curl's --connect-to)."""

    def __init__(self, host: str, port: int) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._host = host
        self._port = port

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return await self._inner.connect_tcp(
            self._host, self._port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise OSError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class ConnectToTransport(httpx.AsyncBaseTransport):
    """An httpx transport that keeps the URL's host (Host header and SNI) but connects to the
    emulator from a given source address (the vantage)."""

    def __init__(self, handle: EmulatorHandle, local_address: str) -> None:
        host, port = handle.registry_endpoint.rsplit(":", 1)
        context = ssl.create_default_context(cafile=handle.ca_cert)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            local_address=local_address,
            network_backend=_ConnectTo(host, int(port)),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)
        content = await response.aread()
        await response.aclose()
        return httpx.Response(
            status_code=response.status, headers=response.headers, content=content,
            extensions=response.extensions,
        )  # fmt: skip

    async def aclose(self) -> None:
        await self._pool.aclose()


def dataplane_client(handle: EmulatorHandle, vantage: str = "internet") -> httpx.AsyncClient:
    """An httpx client whose requests to *.azurecr.io reach the emulator from `vantage`
    ("internet" or a subnet resource ID)."""
    return httpx.AsyncClient(transport=ConnectToTransport(handle, handle.vantage(vantage)))


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
