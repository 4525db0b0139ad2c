"""HTTP/1.1 framing for the probe's few small requests: one request out, one whole response in.

A general client library (h11, httpx) validated and tracked state per event at about a tenth
of a probe's CPU; the probe only sends requests it builds itself and reads short bodies, so
this reads the three framings a server may use (Content-Length, chunked, until close) and
nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

__all__ = ["HttpProtocolError", "encode_request", "read_response"]

_MAX_HEAD = 64 * 1024
_MAX_BODY = 4 * 1024 * 1024


class HttpProtocolError(Exception):
    """A request we must not send, or an answer that is not HTTP/1.1 we can read."""


def encode_request(
    method: str, target: str, authority: str, headers: Sequence[tuple[str, str]], body: bytes
) -> bytes:
    fields = [("Host", authority), *headers]
    if body:
        fields.append(("Content-Length", str(len(body))))
    for name, value in fields:
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            # Never echo the value: it may be a token.
            raise HttpProtocolError(f"request header {name!r} holds a line break")
    head = "".join(f"{name}: {value}\r\n" for name, value in fields)
    return f"{method} {target} HTTP/1.1\r\n{head}\r\n".encode("latin-1") + body


Read = Callable[[], Awaitable[bytes]]


async def read_response(
    read: Read, pending: bytearray, method: str
) -> tuple[int, dict[str, str], bytes, bool]:
    """(status, lower-cased headers, body, connection reusable); ``pending`` keeps the rest."""
    while True:
        head = await _take_until(read, pending, b"\r\n\r\n", _MAX_HEAD)
        status, version, headers = _parse_head(head)
        if not (100 <= status < 200) or status == 101:
            break  # 1xx interim answers (100 Continue) are followed by the real one
    reusable = version == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if method == "HEAD" or status in (204, 304):
        return status, headers, b"", reusable
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, headers, await _chunked(read, pending), reusable
    length = headers.get("content-length")
    if length is not None:
        try:
            size = int(length.split(",")[0].strip())
        except ValueError:
            raise HttpProtocolError(f"bad Content-Length {length!r}") from None
        if not 0 <= size <= _MAX_BODY:
            raise HttpProtocolError(f"Content-Length {size} out of range")
        return status, headers, await _take(read, pending, size), reusable
    while len(pending) <= _MAX_BODY:  # no framing: the body runs until the server closes
        data = await read()
        if not data:
            body = bytes(pending)
            pending.clear()
            return status, headers, body, False
        pending += data
    raise HttpProtocolError("body too large")


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpProtocolError("not an HTTP/1.x status line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpProtocolError("malformed header line")
        key, value = name.lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return int(parts[1]), parts[0], headers


async def _chunked(read: Read, pending: bytearray) -> bytes:
    body = bytearray()
    while True:
        size_line = await _take_until(read, pending, b"\r\n", _MAX_HEAD)
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise HttpProtocolError("bad chunk size") from None
        if size == 0:
            while await _take_until(read, pending, b"\r\n", _MAX_HEAD):
                pass  # trailer fields, up to the empty line
            return bytes(body)
        if len(body) + size > _MAX_BODY:
            raise HttpProtocolError("body too large")
        body += await _take(read, pending, size)
        if await _take(read, pending, 2) != b"\r\n":
            raise HttpProtocolError("chunk not followed by CRLF")


async def _take_until(read: Read, pending: bytearray, mark: bytes, limit: int) -> bytes:
    """Bytes up to ``mark`` (consumed, not returned)."""
    start = 0
    while (end := pending.find(mark, start)) < 0:
        if len(pending) > limit:
            raise HttpProtocolError("header section too large")
        start = max(0, len(pending) - len(mark) + 1)
        await _fill(read, pending)
    data = bytes(pending[:end])
    del pending[: end + len(mark)]
    return data


async def _take(read: Read, pending: bytearray, size: int) -> bytes:
    while len(pending) < size:
        await _fill(read, pending)
    data = bytes(pending[:size])
    del pending[:size]
    return data


async def _fill(read: Read, pending: bytearray) -> None:
    data = await read()
    if not data:
        raise ConnectionResetError("the server closed the connection mid-response")
    pending += data
