"""The probe's connection to a host: TCP connect and TLS handshake as timed stages, then HTTP/1.1.

Plain asyncio streams and h11, not an httpx client: a probe sends at most four small requests
on one connection, and building an httpx client, httpcore pool and anyio stream per host cost
more CPU than the TLS handshake itself when hundreds of registries are probed at once.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import h11

from services.models import Stage, StageResult, Verdict

__all__ = ["ProbeConnection", "Reply", "StageFailed", "StageRecorder"]


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


@dataclass(frozen=True)
class Reply:
    """A whole HTTP response; probe bodies are small."""

    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ProbeConnection:
    """One HTTP/1.1 connection to one host, opened on the first request.

    Opening it records the TCP stage (to the address DNS or --connect-to chose, bound to
    --source-address) and the TLS stage (SNI and the certificate check use the registry's own
    name, as curl's --connect-to does); each has its own deadline. A request the server closes
    after is followed by a fresh connection, recorded the same way.
    """

    def __init__(
        self,
        *,
        host: str,
        authority: str,
        address: str,
        port: int,
        source_address: str | None,
        ssl_context: ssl.SSLContext,
        recorder: StageRecorder,
        tcp_timeout: float,
        tls_timeout: float,
        http_timeout: float,
    ) -> None:
        self.host = host  # SNI and the certificate check
        self._authority = authority  # the Host header: the name, and the port unless 443
        self._address = address
        self._port = port
        self._source_address = source_address
        self._ssl_context = ssl_context
        self.recorder = recorder
        self._tcp_timeout = tcp_timeout
        self._tls_timeout = tls_timeout
        self._http_timeout = http_timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._h11: h11.Connection | None = None

    async def request(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes = b""
    ) -> Reply:
        """Send one request and read its whole response (TimeoutError past the HTTP limit)."""
        if self._h11 is None or self._h11.our_state is not h11.IDLE:
            await self.aclose()
            await self._open()
        async with asyncio.timeout(self._http_timeout):
            return await self._exchange(method, target, headers, body)

    async def _exchange(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> Reply:
        assert self._reader is not None and self._writer is not None and self._h11 is not None
        conn = self._h11
        fields = [("Host", self._authority), *headers]
        if body:
            fields.append(("Content-Length", str(len(body))))
        data = conn.send(h11.Request(method=method, target=target, headers=fields))
        if body:
            data += conn.send(h11.Data(data=body))
        data += conn.send(h11.EndOfMessage())
        self._writer.write(data)
        response: h11.Response | None = None
        chunks: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await self._reader.read(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("the server closed the connection mid-response")
        assert response is not None
        headers_seen = {name.decode("latin-1").lower(): value.decode("latin-1")
                        for name, value in response.headers}  # fmt: skip
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        return Reply(response.status_code, headers_seen, b"".join(chunks))

    async def _open(self) -> None:
        target = f"{self._address}:{self._port}"
        recorder, limit = self.recorder, self._tcp_timeout
        local = (self._source_address, 0) if self._source_address else None
        began = recorder.started(Stage.TCP)
        try:
            async with asyncio.timeout(limit):
                reader, writer = await asyncio.open_connection(
                    self._address, self._port, local_addr=local, limit=65536
                )
        except TimeoutError:
            detail = f"no TCP answer from {target} within {limit:g}s"
            recorder.finish(Stage.TCP, began, False, detail)
            raise StageFailed(Stage.TCP, Verdict.TIMEOUT, detail) from None
        except OSError as error:
            detail = f"could not connect to {target}: {error}"
            recorder.finish(Stage.TCP, began, False, detail)
            raise StageFailed(Stage.TCP, Verdict.CONNECT_FAILED, detail) from None
        via = f" from {self._source_address}" if self._source_address else ""
        recorder.finish(Stage.TCP, began, True, f"connected to {target}{via}")
        self._reader, self._writer = reader, writer

        limit = self._tls_timeout
        began = recorder.started(Stage.TLS)
        try:
            async with asyncio.timeout(limit):
                await writer.start_tls(
                    self._ssl_context, server_hostname=self.host, ssl_handshake_timeout=limit
                )
        except TimeoutError:
            detail = f"no TLS answer within {limit:g}s"
            recorder.finish(Stage.TLS, began, False, detail)
            raise StageFailed(Stage.TLS, Verdict.TIMEOUT, detail) from None
        except (ssl.SSLError, OSError) as error:
            detail = _tls_failure(error)
            recorder.finish(Stage.TLS, began, False, detail)
            raise StageFailed(Stage.TLS, Verdict.TLS_ERROR, detail) from None
        ssl_object = writer.get_extra_info("ssl_object")
        version = ssl_object.version() if ssl_object is not None else "TLS"
        recorder.finish(Stage.TLS, began, True, f"{version}, certificate valid for {self.host}")
        self._h11 = h11.Connection(h11.CLIENT)

    async def aclose(self) -> None:
        writer, self._writer, self._reader, self._h11 = self._writer, None, None, None
        if writer is not None:
            # No TLS close_notify round trip: the probe has its answer, the socket just goes.
            writer.transport.abort()
