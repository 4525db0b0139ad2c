"""Microsoft's ACR data-plane SDK (`azure-containerregistry`) and a requests-based OCI client
(oras-py), pointed at the emulator from a vantage: a transport choice, not a mock.

The SDK's own aiohttp transport gets a session whose connector binds the vantage's source
address and resolves every registry host name to the emulator's data-plane listener (as curl's
--connect-to does); TLS still checks the real host name against the emulator's CA, and the
SDK's pipeline, challenge policy and token exchange run unchanged. oras-py gets a requests
adapter that does the same."""

from __future__ import annotations

import socket
from contextlib import asynccontextmanager

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from azure.containerregistry.aio import ContainerRegistryClient
from azure.core.pipeline.transport import AioHttpTransport
from requests.adapters import HTTPAdapter
from urllib3.util import parse_url

from acrfence.emulator.dns_answers import answer
from acrfence.emulator.private_addresses import loopback_for
from acrfence.emulator.runner import EmulatorHandle
from helpers import StaticTokenCredential


class ConnectToResolver(AbstractResolver):
    """Every host name resolves to the emulator's data-plane address and port; with
    ``private_link`` (a vantage's address and the tenant), a name the vantage's own DNS answers
    with a private endpoint's IP resolves to that endpoint's loopback address instead, as a
    host in that network reaches it."""

    def __init__(
        self, host: str, port: int, private_link: tuple[str, EmulatorHandle] | None = None
    ) -> None:
        self._host = host
        self._port = port
        self._private_link = private_link

    def _address(self, name: str) -> str:
        if self._private_link is None:
            return self._host
        source, handle = self._private_link
        records = answer(handle.state, source, name).records
        last = records[-1].value if records and records[-1].kind == "A" else ""
        return loopback_for(last) if last.startswith("10.") and loopback_for(last) else self._host

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": self._address(host),
                "port": self._port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def vantage_session(
    handle: EmulatorHandle, vantage: str = "internet", *, through_dns: bool = False
) -> aiohttp.ClientSession:
    """A session from ``vantage``; ``through_dns``: to where the vantage's DNS sends it (a
    private endpoint's address, when a zone linked to its network holds the name)."""
    host, port = handle.registry_endpoint.rsplit(":", 1)
    private_link = (handle.vantage(vantage), handle) if through_dns else None
    connector = aiohttp.TCPConnector(
        resolver=ConnectToResolver(host, int(port), private_link),
        local_addr=(handle.vantage(vantage), 0),
        use_dns_cache=False,
    )
    return aiohttp.ClientSession(connector=connector)


@asynccontextmanager
async def acr_client(
    handle: EmulatorHandle, registry: str, vantage: str = "internet", *, through_dns: bool = False
):
    """A ContainerRegistryClient for https://<registry>.azurecr.io as seen from `vantage`,
    signed in with the emulator's ARM token (``through_dns``: see ``vantage_session``).

    (Not anonymous: the SDK's anonymous token client is built without the caller's transport,
    so it would look the registry up in real DNS; anonymous pulls are tested over httpx.)"""
    session = vantage_session(handle, vantage, through_dns=through_dns)
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


class ConnectToAdapter(HTTPAdapter):
    """A requests transport for OCI clients built on requests (oras-py): every https URL is sent
    to the emulator's data-plane listener from the vantage's source address, with the original
    host name kept for the Host header, SNI and the certificate check."""

    def __init__(self, handle: EmulatorHandle, vantage: str = "internet") -> None:
        host, port = handle.registry_endpoint.rsplit(":", 1)
        self._address, self._port = host, int(port)
        self._source = handle.vantage(vantage)
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self._source, 0)
        super().init_poolmanager(*args, **kwargs)

    def send(self, request, **kwargs):
        url = parse_url(request.url)
        request.headers["Host"] = url.host
        request.url = url._replace(host=self._address, port=self._port).url
        return super().send(request, **kwargs)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        name = request.headers["Host"]
        pool_kwargs.update(server_hostname=name, assert_hostname=name)
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)
