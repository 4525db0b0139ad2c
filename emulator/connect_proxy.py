"""An HTTPS proxy (HTTP CONNECT) that sends `*.azurecr.io` to the emulator's data plane.

Clients that take the registry's login server from ARM (`az acr login`, `az acr repository`,
docker) connect to `https://<name>.azurecr.io`, which is not this machine. With
`HTTPS_PROXY=http://127.0.0.1:<proxy_port>` (and `NO_PROXY` for the ARM endpoint) their
connections to any `*.azurecr.io:443` are tunnelled to the data-plane listener instead; TLS
stays end to end (the data plane's certificate names `*.azurecr.io`, issued by the emulator's
CA). Tunnels leave from the internet vantage (127.0.0.1), so the registry's network rules see
the caller as the internet, as a laptop running az would be. Other hosts get 403: the proxy
keeps a rehearsing client off the real Azure.
"""

from __future__ import annotations

import asyncio
import contextlib

REGISTRY_SUFFIXES = (".azurecr.io",)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class ConnectProxy:
    def __init__(self, host: str, registry_port: int, source: str) -> None:
        self.host = host
        self.registry_port = registry_port
        self.source = source
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _refuse(self, writer: asyncio.StreamWriter, status: str) -> None:
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        with contextlib.suppress(Exception):
            await writer.drain()
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        method, _, rest = head.decode("latin-1").partition(" ")
        target = rest.partition(" ")[0]
        host, _, port = target.rpartition(":")
        if method.upper() != "CONNECT":
            await self._refuse(writer, "405 Method Not Allowed")
            return
        if port != "443" or not host.lower().endswith(REGISTRY_SUFFIXES):
            await self._refuse(writer, "403 Forbidden")
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.host, self.registry_port, local_addr=(self.source, 0)
            )
        except OSError:
            await self._refuse(writer, "502 Bad Gateway")
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )
