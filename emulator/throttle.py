"""ARM's read throttling: token buckets per subscription and principal, plus the global ones.

Azure Resource Manager (since 2024, "regional throttling and token bucket algorithm" in
Microsoft's "Understand how Azure Resource Manager throttles requests"):

- subscription reads: a bucket of 250 tokens refilled at 25 per second, per subscription,
  per principal;
- a global subscription bucket, 15 times the per-principal one, shared by every principal;
- tenant reads (requests without a subscription ID, such as ``GET /subscriptions``): 250 / 25.

Every read answers how many tokens are left in ``x-ms-ratelimit-remaining-subscription-reads``
(or ``...-tenant-reads``) and ``x-ms-ratelimit-remaining-subscription-global-reads``; an empty
bucket answers 429 ``SubscriptionRequestsThrottled`` (``TenantRequestsThrottled``) with
``Retry-After`` in whole seconds, the time until one token is back. Only reads are metered
here: they are what an inventory spends.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from acrfence.emulator.errors import ArmError

__all__ = ["ReadThrottle", "ThrottleSettings", "TokenBucket"]

SUBSCRIPTION_HEADER = "x-ms-ratelimit-remaining-subscription-reads"
GLOBAL_HEADER = "x-ms-ratelimit-remaining-subscription-global-reads"
TENANT_HEADER = "x-ms-ratelimit-remaining-tenant-reads"


@dataclass
class ThrottleSettings:
    enabled: bool = True
    bucket: int = 250
    refill_per_s: float = 25.0
    global_multiplier: int = 15  # the global bucket is this many times a principal's


@dataclass
class TokenBucket:
    capacity: float
    refill_per_s: float
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_s)
        self.updated = now

    def available(self, now: float) -> float:
        self._refill(now)
        return self.tokens

    def seconds_until_token(self, now: float) -> float:
        self._refill(now)
        return max(0.0, (1 - self.tokens) / self.refill_per_s)

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


def _subscription_of(path: str) -> str | None:
    parts = path.split("/")
    # /subscriptions/{id}/...: the listing of subscriptions itself is tenant-scoped.
    if len(parts) > 2 and parts[1].lower() == "subscriptions" and parts[2]:
        return parts[2].lower()
    return None


class ReadThrottle:
    """Charges each ARM read against its buckets; thread-safe (the admin API reconfigures it)."""

    def __init__(
        self,
        settings: ThrottleSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings or ThrottleSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self.throttled = 0  # 429s answered, for tests and benchmarks

    @property
    def settings(self) -> ThrottleSettings:
        return self._settings

    def configure(self, settings: ThrottleSettings) -> None:
        with self._lock:
            self._settings = settings
            self._buckets.clear()

    def _bucket(self, scope: str, key: str, principal: str, capacity: float) -> TokenBucket:
        bucket = self._buckets.get((scope, key, principal))
        if bucket is None:
            refill = self._settings.refill_per_s * capacity / self._settings.bucket
            bucket = TokenBucket(capacity, refill)
            self._buckets[(scope, key, principal)] = bucket
        return bucket

    def charge(self, principal: str, method: str, path: str) -> dict[str, str]:
        """The remaining-reads headers for this request, or ArmError 429 when a bucket is empty.

        Writes and the emulator's own admin routes are not metered.
        """
        if method.upper() not in ("GET", "HEAD") or path.startswith("/_emulator/"):
            return {}
        with self._lock:
            settings = self._settings
            if not settings.enabled:
                return {}
            now = self._clock()
            subscription = _subscription_of(path)
            if subscription is None:
                buckets = {TENANT_HEADER: self._bucket("tenant", "", principal, settings.bucket)}
                code, scope_text = "TenantRequestsThrottled", "tenant"
            else:
                buckets = {
                    SUBSCRIPTION_HEADER: self._bucket(
                        "subscription", subscription, principal, settings.bucket
                    ),
                    GLOBAL_HEADER: self._bucket(
                        "global",
                        subscription,
                        "*",
                        settings.bucket * settings.global_multiplier,
                    ),
                }
                code, scope_text = "SubscriptionRequestsThrottled", f"subscription '{subscription}'"
            wait = max(bucket.seconds_until_token(now) for bucket in buckets.values())
            if wait > 0:
                self.throttled += 1
                retry_after = max(1, math.ceil(wait))
                headers = {name: "0" for name in buckets}
                headers["Retry-After"] = str(retry_after)
                raise ArmError(
                    429,
                    code,
                    f"Number of 'read' requests for {scope_text} actor '{principal[:8]}' "
                    f"exceeded. Please try again after '{retry_after}' seconds after "
                    "additional tokens are available. Refer to https://aka.ms/arm-throttling",
                    headers,
                )
            for bucket in buckets.values():
                bucket.take(now)
            return {name: str(int(bucket.tokens)) for name, bucket in buckets.items()}
