"""Probe registries: every host of each concurrently, many registries at once (bounded)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import httpx

from acrfence.services.connect_to import resolve_connect_to
from acrfence.services.models import (
    HostProbe,
    Inventory,
    ProbeResult,
    Registry,
    Stage,
    StageResult,
    Verdict,
)
from acrfence.services.probe.dns import is_private_address
from acrfence.services.probe.options import ProbeOptions
from acrfence.services.probe.stages import HttpOutcome, run_http_stages
from acrfence.services.probe.transport import StageFailed, StageRecorder, TimedTransport
from acrfence.services.probe.verdict import combine_hosts, judge

__all__ = ["ProbeEvent", "ProbeRunner"]


@dataclass(frozen=True)
class ProbeEvent:
    """A stage of one host started (``result`` None) or ended; for live progress."""

    registry_name: str
    host: str
    stage: Stage
    result: StageResult | None


EventListener = Callable[[ProbeEvent], None]


class ProbeRunner:
    """Runs probes with one set of options; the SSL context is built once and shared."""

    def __init__(self, options: ProbeOptions | None = None, inventory: Inventory | None = None):
        self.options = options or ProbeOptions()
        self.inventory = inventory  # when given, each verdict is explained beside the rules
        self._ssl_context = self.options.ssl_context()

    async def probe(self, registry: Registry, listener: EventListener | None = None) -> ProbeResult:
        hosts = [(registry.login_server, "login server")]
        hosts += [(name, "data endpoint") for name in registry.data_endpoint_host_names]
        probes = await asyncio.gather(
            *(self.probe_host(registry.name, host, role, listener) for host, role in hosts)
        )
        deciding = combine_hosts(tuple(probes))
        via_private = any(is_private_address(a) for p in probes for a in p.addresses)
        explanation, disagree = judge(
            deciding,
            registry,
            self.inventory,
            public_ip=self.options.public_ip,
            subnet_id=self.options.subnet_id,
            via_private_endpoint=via_private,
        )
        return ProbeResult(
            registry_name=registry.name,
            login_server=registry.login_server,
            hosts=tuple(probes),
            verdict=deciding.verdict,
            decided_at=deciding.decided_at,
            decided_host=deciding.host,
            detail=deciding.detail,
            client_ip=next((p.client_ip for p in probes if p.client_ip), None),
            explanation=explanation,
            registry_id=registry.id,
            image=str(self.options.pull) if self.options.pull is not None else None,
            rules_disagree=disagree,
        )

    async def probe_many(
        self, registries: Sequence[Registry], listener: EventListener | None = None
    ) -> list[ProbeResult]:
        """Every registry probed, at most ``options.concurrency`` at a time; input order kept."""
        results: dict[int, ProbeResult] = {}
        async for index, result in self.iter_probes(registries, listener):
            results[index] = result
        return [results[i] for i in range(len(registries))]

    async def iter_probes(
        self, registries: Sequence[Registry], listener: EventListener | None = None
    ) -> AsyncIterator[tuple[int, ProbeResult]]:
        """(input index, result) as each registry's probe finishes."""
        limit = asyncio.Semaphore(max(1, self.options.concurrency))

        async def bounded(index: int, registry: Registry) -> tuple[int, ProbeResult]:
            async with limit:
                return index, await self.probe(registry, listener)

        tasks = [asyncio.ensure_future(bounded(i, r)) for i, r in enumerate(registries)]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            # A consumer that stops early: the probes still running end here, not later on
            # their own (a cancelled task still runs until it sees the cancellation).
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def probe_host(
        self, registry_name: str, host: str, role: str, listener: EventListener | None = None
    ) -> HostProbe:
        def tell(stage: Stage, result: StageResult | None) -> None:
            if listener is not None:
                listener(ProbeEvent(registry_name, host, stage, result))

        recorder = StageRecorder(tell)
        try:
            addresses, target_port = await self._resolve(host, recorder)
            address = _pick_address(addresses, self.options.source_address)
            outcome = await self._http(host, role, address, target_port, recorder)
        except StageFailed as failure:
            return HostProbe(
                host,
                role,
                tuple(recorder.results),
                failure.verdict,
                failure.stage,
                failure.detail,
                recorder.addresses,
            )
        return HostProbe(
            host,
            role,
            tuple(recorder.results),
            outcome.verdict,
            outcome.stage,
            outcome.detail,
            addresses,
            outcome.client_ip,
        )

    async def _resolve(self, host: str, recorder: StageRecorder) -> tuple[tuple[str, ...], int]:
        options = self.options
        target_host, target_port = resolve_connect_to(options.connect_to, host, options.port)
        redirected = (target_host, target_port) != (host, options.port)
        began = recorder.started(Stage.DNS)
        try:
            async with asyncio.timeout(options.timeouts.dns):
                addresses = tuple(await options.resolver(target_host, target_port))
        except TimeoutError:
            detail = f"{target_host} did not resolve within {options.timeouts.dns:g}s"
            recorder.finish(Stage.DNS, began, False, detail)
            raise StageFailed(Stage.DNS, Verdict.TIMEOUT, detail) from None
        except (socket.gaierror, OSError, UnicodeError) as error:
            detail = f"{target_host} does not resolve: {getattr(error, 'strerror', None) or error}"
            recorder.finish(Stage.DNS, began, False, detail)
            raise StageFailed(Stage.DNS, Verdict.DNS_FAILURE, detail) from None
        if not addresses:
            detail = f"{target_host} resolves to no address"
            recorder.finish(Stage.DNS, began, False, detail)
            raise StageFailed(Stage.DNS, Verdict.DNS_FAILURE, detail)
        recorder.addresses = addresses
        shown = ", ".join(addresses)
        via = f" (--connect-to {target_host}:{target_port})" if redirected else ""
        private = all(is_private_address(a) for a in addresses)
        # An explicit --connect-to is the operator choosing the address: always follow it.
        if private and not redirected and not options.follow_private:
            detail = (
                f"{host} resolves only to private addresses ({shown}): private link; "
                "probe from a linked network or pass --follow-private"
            )
            recorder.finish(Stage.DNS, began, True, detail)
            raise StageFailed(Stage.DNS, Verdict.PRIVATE_ONLY, detail)
        note = " (private: private link)" if private else ""
        recorder.finish(Stage.DNS, began, True, f"{shown}{note}{via}")
        return addresses, target_port

    async def _http(
        self, host: str, role: str, address: str, port: int, recorder: StageRecorder
    ) -> HttpOutcome:
        options = self.options
        transport = TimedTransport(
            address=address,
            port=port,
            source_address=options.source_address,
            ssl_context=self._ssl_context,
            recorder=recorder,
            tcp_timeout=options.timeouts.tcp,
            tls_timeout=options.timeouts.tls,
        )
        timeout = httpx.Timeout(
            options.timeouts.http, connect=options.timeouts.tcp + options.timeouts.tls
        )
        port_part = "" if options.port == 443 else f":{options.port}"
        async with httpx.AsyncClient(
            transport=transport, timeout=timeout, trust_env=False
        ) as client:
            return await run_http_stages(
                client,
                recorder,
                f"https://{host}{port_part}",
                host,
                options.token_provider if role == "login server" else None,
                options.pull,
            )


def _pick_address(addresses: tuple[str, ...], source_address: str | None) -> str:
    """The first address of the source address's family (a bound IPv4 can't reach IPv6)."""
    if source_address is None:
        return addresses[0]
    want_v6 = ":" in source_address
    return next((a for a in addresses if (":" in a) == want_v6), addresses[0])
