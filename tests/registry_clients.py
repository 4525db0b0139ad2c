"""Microsoft's ACR data-plane SDK (`azure-containerregistry`), pointed at the emulator from a
vantage: a transport choice, not a mock. The SDK's own aiohttp transport gets a session whose
connector binds the vantage's source address and resolves every registry host name to the
emulator's data-plane listener (as curl's --connect-to does); TLS still checks the real host
name against the emulator's CA, and the SDK's pipeline, challenge policy and token exchange run
unchanged."""

from __future__ import annotations

import socket
from contextlib import asynccontextmanager

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from azure.containerregistry.aio import ContainerRegistryClient
from azure.core.pipeline.transport import AioHttpTransport
from conftest import StaticTokenCredential

from emulator.runner import EmulatorHandle


class ConnectToResolver(AbstractResolver):
    """Every host name resolves to the emulator's data-plane address and port."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": self._host,
                "port": self._port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def vantage_session(handle: EmulatorHandle, vantage: str = "internet") -> aiohttp.ClientSession:
    host, port = handle.registry_endpoint.rsplit(":", 1)
    connector = aiohttp.TCPConnector(
        resolver=ConnectToResolver(host, int(port)),
        local_addr=(handle.vantage(vantage), 0),
        use_dns_cache=False,
    )
    return aiohttp.ClientSession(connector=connector)


@asynccontextmanager
async def acr_client(handle: EmulatorHandle, registry: str, vantage: str = "internet"):
    """A ContainerRegistryClient for https://<registry>.azurecr.io as seen from `vantage`,
    signed in with the emulator's ARM token.

    (Not anonymous: the SDK's anonymous token client is built without the caller's transport,
    so it would look the registry up in real DNS; anonymous pulls are tested over httpx.)"""
    session = vantage_session(handle, vantage)
    transport = AioHttpTransport(
        session=session, session_owner=False, connection_verify=handle.ca_cert
    )
    credential = StaticTokenCredential(handle.token)
    client = ContainerRegistryClient(
        f"https://{registry}.azurecr.io",
        credential,
        audience="https://containerregistry.azure.net",
        transport=transport,
        retry_total=0,
    )
    try:
        async with client:
            yield client
    finally:
        await session.close()
