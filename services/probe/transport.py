"""An httpx transport whose TCP connect and TLS handshake are timed probe stages.

httpcore's pluggable network backend is the seam: ``connect_tcp`` is where ``--connect-to``
redirects the connection and ``--source-address`` binds it, and the returned stream's
``start_tls`` is the TLS stage. SNI, the certificate check and the Host header keep the
registry's own name, as curl's --connect-to does. Each stage has its own deadline.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterable, Callable
from typing import Any, cast

import httpcore
import httpx

from acrfence.services.models import Stage, StageResult, Verdict

__all__ = ["StageFailed", "StageRecorder", "TimedTransport"]


class StageFailed(Exception):
    """A stage ended the probe of a host; carries the verdict it decides."""

    def __init__(self, stage: Stage, verdict: Verdict, detail: str) -> None:
        super().__init__(detail)
        self.stage = stage
        self.verdict = verdict
        self.detail = detail


class StageRecorder:
    """Collects one host's stage results in order and tells a listener as each starts/ends."""

    def __init__(self, listener: Callable[[Stage, StageResult | None], None] | None = None):
        self.results: list[StageResult] = []
        self.addresses: tuple[str, ...] = ()  # what DNS answered, kept even when a stage fails
        self.chain: tuple[str, ...] = ()  # a DNS server's chain ("CNAME ...", "A ..."), if asked
        self._listener = listener

    def started(self, stage: Stage) -> tuple[float, int]:
        """A mark to pass to ``finish``: the time, and how many stages had ended by then."""
        if self._listener is not None:
            self._listener(stage, None)
        return time.perf_counter(), len(self.results)

    def finish(
        self,
        stage: Stage,
        mark: tuple[float, int],
        ok: bool,
        detail: str,
        status: int | None = None,
    ) -> StageResult:
        began, ended_before = mark
        # A request's first stage also opens the connection: TCP and TLS are timed as their
        # own stages, so they are taken out of this one and stage times add up.
        nested = sum(result.elapsed_ms for result in self.results[ended_before:])
        elapsed_ms = max(0.0, (time.perf_counter() - began) * 1000 - nested)
        result = StageResult(stage, ok, round(elapsed_ms, 2), detail, status)
        self.results.append(result)
        if self._listener is not None:
            self._listener(stage, result)
        return result


def _tls_failure(error: BaseException) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate rejected: {cause.verify_message or cause.reason}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed: {cause.reason or cause}"
        cause = cause.__cause__ or cause.__context__
    return f"TLS failed: {error or type(error).__name__}"


class _TimedStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream, backend: _TimedBackend) -> None:
        self._inner = inner
        self._backend = backend

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        recorder, limit = self._backend.recorder, self._backend.tls_timeout
        began = recorder.started(Stage.TLS)
        try:
            async with asyncio.timeout(limit):
                stream = await self._inner.start_tls(ssl_context, server_hostname, limit)
        except (TimeoutError, httpcore.ConnectTimeout):
            detail = f"no TLS answer within {limit:g}s"
            recorder.finish(Stage.TLS, began, False, detail)
            raise StageFailed(Stage.TLS, Verdict.TIMEOUT, detail) from None
        except (httpcore.ConnectError, ssl.SSLError, OSError) as error:
            detail = _tls_failure(error)
            recorder.finish(Stage.TLS, began, False, detail)
            raise StageFailed(Stage.TLS, Verdict.TLS_ERROR, detail) from None
        ssl_object = stream.get_extra_info("ssl_object")
        version = ssl_object.version() if ssl_object is not None else "TLS"
        recorder.finish(
            Stage.TLS, began, True, f"{version}, certificate valid for {server_hostname}"
        )
        return _TimedStream(stream, self._backend)


class _TimedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self,
        address: str,
        port: int,
        source_address: str | None,
        recorder: StageRecorder,
        tcp_timeout: float,
        tls_timeout: float,
    ) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._address = address
        self._port = port
        self._source_address = source_address
        self.recorder = recorder
        self.tcp_timeout = tcp_timeout
        self.tls_timeout = tls_timeout

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        # The host httpcore asks for is the registry's name; we connect to the address the
        # DNS stage (or --connect-to) chose for it.
        target = f"{self._address}:{self._port}"
        began = self.recorder.started(Stage.TCP)
        limit = self.tcp_timeout
        try:
            async with asyncio.timeout(limit):
                stream = await self._inner.connect_tcp(
                    self._address, self._port, limit, self._source_address, socket_options
                )
        except (TimeoutError, httpcore.ConnectTimeout):
            detail = f"no TCP answer from {target} within {limit:g}s"
            self.recorder.finish(Stage.TCP, began, False, detail)
            raise StageFailed(Stage.TCP, Verdict.TIMEOUT, detail) from None
        except (httpcore.ConnectError, OSError) as error:
            reason = error.__context__ or error
            detail = f"could not connect to {target}: {reason}"
            self.recorder.finish(Stage.TCP, began, False, detail)
            raise StageFailed(Stage.TCP, Verdict.CONNECT_FAILED, detail) from None
        via = f" from {self._source_address}" if self._source_address else ""
        self.recorder.finish(Stage.TCP, began, True, f"connected to {target}{via}")
        return _TimedStream(stream, self)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class TimedTransport(httpx.AsyncBaseTransport):
    """One connection to one host, its TCP and TLS stages recorded; bodies are small."""

    def __init__(
        self,
        *,
        address: str,
        port: int,
        source_address: str | None,
        ssl_context: ssl.SSLContext,
        recorder: StageRecorder,
        tcp_timeout: float,
        tls_timeout: float,
    ) -> None:
        backend = _TimedBackend(address, port, source_address, recorder, tcp_timeout, tls_timeout)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, network_backend=backend, max_connections=1, retries=0
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
        try:
            # An async pool's response streams are async iterables (httpcore's types say
            # either kind).
            stream = cast("AsyncIterable[bytes]", response.stream)
            body = b"".join([chunk async for chunk in stream])
        finally:
            await response.aclose()
        return httpx.Response(
            status_code=response.status, headers=response.headers, content=body, request=request
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
