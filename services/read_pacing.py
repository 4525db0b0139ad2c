"""Reads that respect ARM's throttling: paced from the remaining-reads headers, one wait per 429.

ARM meters reads per subscription and principal in a token bucket (250, refilled at 25 per
second; a global bucket 15 times larger is shared by every principal) and tells the caller
what is left in ``x-ms-ratelimit-remaining-subscription-reads`` (and ``...-global-reads``;
``...-tenant-reads`` for requests outside a subscription). An empty bucket answers 429 with
``Retry-After``.

``ReadPacer`` keeps, per scope (a subscription, or the tenant), the last remaining count it
saw and the requests in flight, and holds a read back while the estimate is under a small
reserve, for the time the refill needs. After a 429 the whole scope waits out ``Retry-After``
once, instead of every concurrent request retrying on its own (a retry storm that only
empties the bucket again). ``ReadPacingPolicy`` applies it to every GET of an SDK pipeline;
it sits after the retry policy so each retry goes through the same gate.

The pacer also spreads bursts over the event loop's turns (``services.loop_turns``): a read
that fits the budget still waits for a turn with room, and so does the handling of its
answer, so reads that start or come back together don't all run their pipeline steps in one
turn (the dashboard's longest stall while the fleet streamed in over Resource Graph).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy

from acrfence.services.loop_turns import LoopTurns

__all__ = ["ReadPacer", "ReadPacingPolicy", "PacingStatus", "scope_of_url"]

SUBSCRIPTION_READS = "x-ms-ratelimit-remaining-subscription-reads"
GLOBAL_READS = "x-ms-ratelimit-remaining-subscription-global-reads"
TENANT_READS = "x-ms-ratelimit-remaining-tenant-reads"
# Azure's documented refill for reads; used to estimate how fast the bucket comes back.
DEFAULT_REFILL_PER_S = 25.0
# Tokens left untouched so that other tools of the same principal (and our own writes'
# read-backs) aren't starved by a bulk inventory.
DEFAULT_RESERVE = 10
TENANT_SCOPE = ""


def scope_of_url(url: str) -> str:
    """The throttling scope of an ARM URL: the subscription ID (lower-case), or the tenant."""
    parts = urlsplit(url).path.split("/")
    if len(parts) > 2 and parts[1].lower() == "subscriptions" and parts[2]:
        return parts[2].lower()
    return TENANT_SCOPE


def _remaining(headers: Mapping[str, str]) -> float | None:
    values = []
    for name in (SUBSCRIPTION_READS, GLOBAL_READS, TENANT_READS):
        text = headers.get(name)
        if text is not None:
            try:
                values.append(float(text))
            except ValueError:
                continue
    return min(values) if values else None


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


@dataclass(frozen=True)
class PacingStatus:
    """What the pacer is doing now, for a status line."""

    waiting_scopes: int  # scopes with at least one read held back
    throttled: int  # 429s received since the pacer was made
    waited_s: float  # total time reads were held back
    quota_wait: bool = False  # waiting for Resource Graph's query quota to reset

    def describe(self) -> str | None:
        """What the status line says while reads wait (None: nothing waits)."""
        if self.quota_wait:
            return "waiting for Resource Graph's query quota"
        if self.waiting_scopes:
            scopes = "subscription" if self.waiting_scopes == 1 else "subscriptions"
            return f"pacing reads to ARM's throttling ({self.waiting_scopes} {scopes})"
        return None


@dataclass
class _Scope:
    remaining: float | None = None
    seen_at: float = 0.0
    in_flight: int = 0
    blocked_until: float = 0.0
    waiting: int = 0


class ReadPacer:
    """Per-scope read budget, learned from ARM's headers; shared by every client of a principal."""

    def __init__(
        self,
        refill_per_s: float = DEFAULT_REFILL_PER_S,
        reserve: int = DEFAULT_RESERVE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refill = refill_per_s
        self._reserve = reserve
        self._clock = clock
        self._scopes: dict[str, _Scope] = {}
        self.throttled = 0
        self.waited_s = 0.0
        self._turns = LoopTurns()

    def status(self) -> PacingStatus:
        # A copy first: the status line asks from the UI loop while the reads may run on
        # a reading loop's thread (services.reading_loop), adding scopes as they go.
        waiting = sum(1 for scope in list(self._scopes.values()) if scope.waiting)
        return PacingStatus(waiting, self.throttled, self.waited_s)

    def _delay(self, scope: _Scope, now: float) -> float:
        if scope.blocked_until > now:
            return scope.blocked_until - now
        if scope.remaining is None:
            return 0.0
        estimate = scope.remaining + (now - scope.seen_at) * self._refill - scope.in_flight
        if estimate >= self._reserve:
            return 0.0
        return (self._reserve - estimate) / self._refill

    async def before(self, key: str) -> None:
        """Wait until a read of `key` fits the budget, then count it in flight."""
        scope = self._scopes.setdefault(key, _Scope())
        while (delay := self._delay(scope, self._clock())) > 0:
            scope.waiting += 1
            started = self._clock()
            try:
                await asyncio.sleep(delay)
            finally:
                scope.waiting -= 1
                self.waited_s += self._clock() - started
        scope.in_flight += 1
        try:
            await self._turns.wait()
        except BaseException:
            scope.in_flight = max(0, scope.in_flight - 1)
            raise

    async def turn(self) -> None:
        """Wait for a turn of the loop with room: an answer's handling, spread like the reads."""
        await self._turns.wait()

    def after(self, key: str, status: int | None, headers: Mapping[str, str]) -> None:
        """Record the answer (None: no answer came) and release the read's slot."""
        scope = self._scopes.setdefault(key, _Scope())
        scope.in_flight = max(0, scope.in_flight - 1)
        now = self._clock()
        if status is None:
            return
        remaining = _remaining(headers)
        if remaining is not None:
            scope.remaining, scope.seen_at = remaining, now
        if status == 429:
            self.throttled += 1
            scope.blocked_until = max(scope.blocked_until, now + _retry_after(headers))
            scope.remaining, scope.seen_at = 0.0, now


class ReadPacingPolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """Paces every GET and HEAD through a ReadPacer; writes pass straight through."""

    def __init__(self, pacer: ReadPacer) -> None:
        super().__init__()
        self._pacer = pacer

    async def send(self, request: PipelineRequest) -> PipelineResponse:  # type: ignore[type-arg]
        http_request = request.http_request
        if http_request.method.upper() not in ("GET", "HEAD"):
            return await self.next.send(request)
        key = scope_of_url(http_request.url)
        await self._pacer.before(key)
        status: int | None = None
        headers: Any = {}
        try:
            response = await self.next.send(request)
            status = response.http_response.status_code
            headers = response.http_response.headers
        finally:
            self._pacer.after(key, status, headers)
        # The policies above (retry, decoding) and the caller handle the answer in a turn
        # with room, not all in the turn where a wave of answers lands.
        try:
            await self._pacer.turn()
        except BaseException:
            # Cancelled meanwhile: nobody will read this answer, so its connection goes back
            # now (a streamed answer left unread holds on to its pooled connection).
            internal = getattr(response.http_response, "internal_response", None)
            if internal is not None and callable(getattr(internal, "close", None)):
                internal.close()
            raise
        return response
