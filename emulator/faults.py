"""Fault injection, switchable per run: in-process through `handle.faults`, or over HTTP with
`POST /_emulator/faults` on the ARM port (bearer-authenticated like ARM).

Methods (all thread-safe; `match` is an optional "METHOD path-substring" filter such as
"PUT /subnets/" or "/registries", case-insensitive; None matches every ARM request):

- ``set_latency(ms, match=None)``: add latency to every (matching) request, both listeners.
- ``throttle(count=1, retry_after=0, match=None)``: the next `count` matching requests get 429
  with ``Retry-After``.
- ``server_error(count=1, status=500, match=None)``: the next `count` get a 5xx.
- ``conflict(count=1, match=None)``: the next `count` get 409 ``AnotherOperationInProgress``.
- ``fail_next_lro(count=1, code=..., message=...)``: the next long-running operations end
  ``Failed`` with that error (the resource keeps its old content).
- ``concurrent_writer(resource_id, mutation)``: right after the next GET of exactly that
  resource, apply `mutation` (a callable taking the Tenant, or a spec from mutations.py), so a
  client's read-then-write races someone else.
- ``set_propagation_delay(seconds)``: changed registry network rules reach the data plane
  only after this delay (it answers from the old rules until then).
- ``clear()``: remove every fault.
- ``apply(spec)``: the JSON form used by the admin route, e.g. {"fault": "throttle",
  "count": 2, "retry_after": 1, "match": "GET /registries"}.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from acrfence.emulator.mutations import Mutation, mutation_from_spec
from acrfence.emulator.state import Tenant


@dataclass
class _CountedFault:
    kind: str  # "throttle" | "server_error" | "conflict"
    remaining: int
    match: str | None
    status: int = 0
    retry_after: int = 0


def matches(match: str | None, method: str, path: str) -> bool:
    if not match:
        return True
    wanted_method, _, fragment = match.strip().partition(" ")
    if not fragment:
        wanted_method, fragment = "", wanted_method
    if wanted_method and wanted_method.upper() != method.upper():
        return False
    return fragment.lower() in path.lower()


class FaultController:
    def __init__(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self._lock = threading.Lock()
        self._latency: list[tuple[int, str | None]] = []
        self._counted: list[_CountedFault] = []
        self._lro_failures: list[tuple[str, str]] = []
        self._writers: list[tuple[str, Mutation]] = []

    # ---- switching faults on -------------------------------------------------------------

    def set_latency(self, ms: int, match: str | None = None) -> None:
        with self._lock:
            self._latency = [(m, x) for m, x in self._latency if x != match]
            if ms > 0:
                self._latency.append((int(ms), match))

    def throttle(self, count: int = 1, retry_after: int = 0, match: str | None = None) -> None:
        with self._lock:
            self._counted.append(_CountedFault("throttle", count, match, 429, retry_after))

    def server_error(self, count: int = 1, status: int = 500, match: str | None = None) -> None:
        with self._lock:
            self._counted.append(_CountedFault("server_error", count, match, status))

    def conflict(self, count: int = 1, match: str | None = None) -> None:
        with self._lock:
            self._counted.append(_CountedFault("conflict", count, match, 409))

    def fail_next_lro(
        self,
        count: int = 1,
        code: str = "InternalServerError",
        message: str = "An error occurred while processing the operation (injected fault).",
    ) -> None:
        with self._lock:
            self._lro_failures.extend([(code, message)] * count)

    def concurrent_writer(self, resource_id: str, mutation: Mutation | dict) -> None:
        if isinstance(mutation, dict):
            mutation = mutation_from_spec(mutation)
        with self._lock:
            self._writers.append((resource_id.lower().rstrip("/"), mutation))

    def set_propagation_delay(self, seconds: float) -> None:
        with self._tenant.lock:
            self._tenant.propagation_delay_s = max(0.0, float(seconds))

    def clear(self) -> None:
        with self._lock:
            self._latency.clear()
            self._counted.clear()
            self._lro_failures.clear()
            self._writers.clear()
        self.set_propagation_delay(0)

    def apply(self, spec: dict) -> None:
        """Switch on a fault from its JSON spec; raise ValueError when the spec is wrong."""
        kind = spec.get("fault")
        match = spec.get("match")
        try:
            if kind == "latency":
                self.set_latency(int(spec["ms"]), match)
            elif kind == "throttle":
                self.throttle(int(spec.get("count", 1)), int(spec.get("retry_after", 0)), match)
            elif kind == "server_error":
                self.server_error(int(spec.get("count", 1)), int(spec.get("status", 500)), match)
            elif kind == "conflict":
                self.conflict(int(spec.get("count", 1)), match)
            elif kind == "fail_next_lro":
                self.fail_next_lro(
                    int(spec.get("count", 1)), spec.get("code", "InternalServerError")
                )
            elif kind == "concurrent_writer":
                self.concurrent_writer(spec["resource_id"], dict(spec["mutation"]))
            elif kind == "propagation_delay":
                self.set_propagation_delay(float(spec["seconds"]))
            elif kind == "clear":
                self.clear()
            else:
                raise ValueError(f"unknown fault {kind!r}")
        except (KeyError, TypeError) as exc:
            raise ValueError(f"fault {kind!r} is missing or has a bad field: {exc}") from exc

    # ---- consulted by the server ---------------------------------------------------------

    def latency_ms(self, method: str, path: str) -> int:
        with self._lock:
            return sum(ms for ms, match in self._latency if matches(match, method, path))

    def take_counted(self, method: str, path: str) -> _CountedFault | None:
        """The counted fault this request triggers, if any (consuming one of its uses)."""
        with self._lock:
            for fault in self._counted:
                if fault.remaining > 0 and matches(fault.match, method, path):
                    fault.remaining -= 1
                    hit = _CountedFault(**vars(fault))
                    self._counted = [f for f in self._counted if f.remaining > 0]
                    return hit
            return None

    def take_lro_failure(self) -> tuple[str, str] | None:
        with self._lock:
            return self._lro_failures.pop(0) if self._lro_failures else None

    def take_writer(self, path: str) -> Callable[[Tenant], None] | None:
        key = path.lower().rstrip("/")
        with self._lock:
            for index, (resource_id, mutation) in enumerate(self._writers):
                if resource_id == key:
                    del self._writers[index]
                    return mutation
            return None
