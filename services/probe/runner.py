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
    ProbePath,
    ProbeResult,
    Registry,
    Stage,
    StageResult,
    Verdict,
)
from acrfence.services.probe.dns import Resolver, is_private_address
from acrfence.services.probe.dns_server import (
    DnsServerResolver,
    dns_server_resolver,
    raise_for_failure,
)
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
        # A DNS server to ask is asked from the probe's own source address: a vantage's
        # resolver answers by where the question comes from.
        self._resolver: Resolver = self.options.resolver
        if self.options.dns_server is not None:
            self._resolver = dns_server_resolver(
                self.options.dns_server, self.options.source_address, self.options.timeouts.dns
            )

    async def probe(self, registry: Registry, listener: EventListener | None = None) -> ProbeResult:
        hosts = [(registry.login_server, "login server")]
        hosts += [(name, "data endpoint") for name in registry.data_endpoint_host_names]
        probes = await asyncio.gather(
            *(self.probe_host(registry.name, host, role, listener) for host, role in hosts)
        )
        deciding = combine_hosts(tuple(probes))
        via_private = any(p.path is ProbePath.PRIVATE_ENDPOINT for p in probes) or any(
            is_private_address(a) for p in probes for a in p.addresses
        )
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
            image=str(self.options.pull)
            if self.options.pull is not None
            else next((p.image for p in probes if p.image), None),
            rules_disagree=disagree,
            path=deciding.path,
            public_access_disabled=not registry.public_access_enabled,
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
        path: ProbePath | None = None
        try:
            addresses, address, target_port = await self._resolve(host, recorder)
            path = self._path(addresses, address)
            outcome = await self._http(host, role, address, target_port, recorder)
        except StageFailed as failure:
            reached = failure.stage not in (Stage.DNS, Stage.TCP)
            return HostProbe(
                host,
                role,
                tuple(recorder.results),
                failure.verdict,
                failure.stage,
                failure.detail,
                recorder.addresses,
                dns_chain=recorder.chain,
                path=path if reached else None,
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
            dns_chain=recorder.chain,
            path=_seen_path(path, outcome.client_ip),
            image=outcome.image,
        )

    def _path(self, addresses: tuple[str, ...], address: str) -> ProbePath:
        """How the connection reaches the registry: to a private endpoint's address, or the
        public endpoint (from a subnet with the ACR service endpoint, or from a public IP)."""
        if is_private_address(address) or (
            address not in addresses and all(is_private_address(a) for a in addresses)
        ):
            return ProbePath.PRIVATE_ENDPOINT
        subnet = (
            self.inventory.subnet(self.options.subnet_id)
            if self.inventory is not None and self.options.subnet_id
            else None
        )
        if subnet is not None and subnet.has_acr_endpoint:
            return ProbePath.SERVICE_ENDPOINT
        return ProbePath.PUBLIC

    async def _resolve(
        self, host: str, recorder: StageRecorder
    ) -> tuple[tuple[str, ...], str, int]:
        """(the addresses DNS answered, the address to connect to, its port)."""
        options = self.options
        target_host, target_port = resolve_connect_to(options.connect_to, host, options.port)
        redirected = (target_host, target_port) != (host, options.port)
        resolver = self._resolver
        # A DNS server resolves the registry's own name (that is the point of asking it);
        # --connect-to then only says where a public answer is really reached.
        by_server = isinstance(resolver, DnsServerResolver)
        asked = host if by_server else target_host
        began = recorder.started(Stage.DNS)
        try:
            async with asyncio.timeout(options.timeouts.dns):
                if isinstance(resolver, DnsServerResolver):
                    chain = await resolver.chain(asked)
                    recorder.chain = tuple(str(link) for link in chain.links)
                    addresses = raise_for_failure(chain).addresses
                else:
                    addresses = tuple(await resolver(asked, target_port))
        except TimeoutError:
            detail = f"{asked} did not resolve within {options.timeouts.dns:g}s"
            recorder.finish(Stage.DNS, began, False, detail)
            raise StageFailed(Stage.DNS, Verdict.TIMEOUT, detail) from None
        except (socket.gaierror, OSError, UnicodeError) as error:
            detail = f"{asked} does not resolve: {getattr(error, 'strerror', None) or error}"
            recorder.finish(Stage.DNS, began, False, detail)
            raise StageFailed(Stage.DNS, Verdict.DNS_FAILURE, detail) from None
        if not addresses:
            detail = f"{asked} resolves to no address"
            recorder.finish(Stage.DNS, began, False, detail)
            raise StageFailed(Stage.DNS, Verdict.DNS_FAILURE, detail)
        recorder.addresses = addresses
        picked = _pick_address(addresses, options.source_address)
        mapped = options.address_map(picked) if options.address_map is not None else None
        shown = ", ".join(recorder.chain) if recorder.chain else ", ".join(addresses)
        server = (
            f" (DNS {resolver.server[0]}:{resolver.server[1]})"
            if isinstance(resolver, DnsServerResolver)
            else ""
        )
        private = all(is_private_address(a) for a in addresses)
        if mapped is not None:
            # The emulator's private endpoint address, reached at its loopback stand-in.
            note = f" (private: private endpoint, reached at {mapped}:{target_port})"
            recorder.finish(Stage.DNS, began, True, f"{shown}{note}{server}")
            return addresses, mapped, target_port
        via = f" (--connect-to {target_host}:{target_port})" if redirected else ""
        # An explicit --connect-to is the operator choosing the address: always follow it.
        # A DNS server's private answer is only followed where it is mapped (above).
        if private and (by_server or not redirected) and not options.follow_private:
            detail = (
                f"{host} resolves only to private addresses ({shown}): private link; "
                "probe from a linked network or pass --follow-private"
            )
            recorder.finish(Stage.DNS, began, True, detail)
            raise StageFailed(Stage.DNS, Verdict.PRIVATE_ONLY, detail)
        note = " (private: private link)" if private else ""
        recorder.finish(Stage.DNS, began, True, f"{shown}{note}{via}{server}")
        if by_server and redirected and not private:
            # The answer is the public endpoint: --connect-to says where it really is.
            return addresses, target_host, target_port
        if by_server:
            return addresses, picked, options.port
        return addresses, _pick_address(addresses, options.source_address), target_port

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
                pull_listed=options.pull_listed,
            )


def _pick_address(addresses: tuple[str, ...], source_address: str | None) -> str:
    """The first address of the source address's family (a bound IPv4 can't reach IPv6)."""
    if source_address is None:
        return addresses[0]
    want_v6 = ":" in source_address
    return next((a for a in addresses if (":" in a) == want_v6), addresses[0])


def _seen_path(path: ProbePath | None, client_ip: str | None) -> ProbePath | None:
    """The path, corrected by what ACR's 403 says it saw: a private client IP on the public
    endpoint means the subnet came over its service endpoint."""
    if path is ProbePath.PUBLIC and client_ip is not None and is_private_address(client_ip):
        return ProbePath.SERVICE_ENDPOINT
    return path
