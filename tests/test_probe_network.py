"""Probe verdicts decided before any HTTP: DNS, TCP and TLS, on 127.0.0.1 only.

Names are resolved by an injected resolver, so a "private link" name resolves to a private
address without the probe ever connecting to it.
"""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from acrfence.services.connect_to import parse_connect_to
from acrfence.services.models import Registry, Stage, Verdict
from acrfence.services.probe import ProbeOptions, ProbeRunner, StageTimeouts
from acrfence.services.probe.dns import is_private_address, static_resolver

REGISTRY = Registry(
    id="/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
    "/providers/Microsoft.ContainerRegistry/registries/probeme",
    name="probeme",
    resource_group="rg",
    subscription_id="00000000-0000-0000-0000-000000000001",
    location="westeurope",
    sku="Premium",
    login_server="probeme.azurecr.io",
)


def _to(port: int) -> tuple:
    return (parse_connect_to(f"::127.0.0.1:{port}"),)


@pytest.fixture
def silent_port():
    """A socket that listens (the kernel completes the handshake) but never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


async def test_a_port_that_never_answers_times_out_at_tls(silent_port: int) -> None:
    options = ProbeOptions(connect_to=_to(silent_port), timeouts=StageTimeouts.uniform(0.2))
    result = await ProbeRunner(options).probe(REGISTRY)
    assert result.verdict is Verdict.TIMEOUT
    assert result.decided_at is Stage.TLS
    stages = [(s.stage, s.ok) for s in result.hosts[0].stages]
    assert stages == [(Stage.DNS, True), (Stage.TCP, True), (Stage.TLS, False)]
    assert 150 <= result.hosts[0].stages[-1].elapsed_ms < 2000


async def test_a_closed_port_fails_to_connect(closed_port: int) -> None:
    result = await ProbeRunner(ProbeOptions(connect_to=_to(closed_port))).probe(REGISTRY)
    assert result.verdict is Verdict.CONNECT_FAILED
    assert result.decided_at is Stage.TCP
    assert f"127.0.0.1:{closed_port}" in result.detail


async def test_a_name_that_does_not_resolve_is_a_dns_failure() -> None:
    options = ProbeOptions(resolver=static_resolver({"probeme.azurecr.io": []}))
    result = await ProbeRunner(options).probe(REGISTRY)
    assert result.verdict is Verdict.DNS_FAILURE
    assert result.decided_at is Stage.DNS
    assert [s.stage for s in result.hosts[0].stages] == [Stage.DNS]


async def test_a_private_only_name_is_private_link_and_never_connected_to() -> None:
    options = ProbeOptions(resolver=static_resolver({"probeme.azurecr.io": ["10.1.2.4"]}))
    result = await ProbeRunner(options).probe(REGISTRY)
    assert result.verdict is Verdict.PRIVATE_ONLY
    assert result.hosts[0].addresses == ("10.1.2.4",)
    # Decided at DNS: no TCP stage ran, so nothing was sent to 10.1.2.4.
    assert [s.stage for s in result.hosts[0].stages] == [Stage.DNS]
    assert "private link" in result.detail


async def test_connect_to_is_resolved_instead_of_the_registry_name(closed_port: int) -> None:
    # The resolver knows nothing of the registry's name: only the connect-to target is looked up.
    options = ProbeOptions(connect_to=_to(closed_port), resolver=static_resolver({}))
    result = await ProbeRunner(options).probe(REGISTRY)
    assert result.hosts[0].addresses == ("127.0.0.1",)
    assert result.decided_at is Stage.TCP


async def test_a_data_endpoint_that_fails_decides_for_the_registry(closed_port: int) -> None:
    with_data = replace(REGISTRY, data_endpoint_host_names=("probeme.westeurope.data.azurecr.io",))
    resolver = static_resolver(
        {"probeme.azurecr.io": ["10.0.0.9"], "probeme.westeurope.data.azurecr.io": []}
    )
    result = await ProbeRunner(ProbeOptions(resolver=resolver)).probe(with_data)
    assert [h.role for h in result.hosts] == ["login server", "data endpoint"]
    assert [h.verdict for h in result.hosts] == [Verdict.PRIVATE_ONLY, Verdict.DNS_FAILURE]
    assert result.verdict is Verdict.PRIVATE_ONLY  # the login server speaks first


def test_private_addresses_are_the_private_link_ranges_not_loopback() -> None:
    assert is_private_address("10.0.0.4")
    assert is_private_address("172.20.1.1")
    assert is_private_address("192.168.3.3")
    assert is_private_address("fd00::1")
    assert not is_private_address("127.0.0.1")
    assert not is_private_address("20.50.1.1")
    assert not is_private_address("not-an-ip")


async def test_stage_events_arrive_live_in_order(silent_port: int) -> None:
    events = []
    options = ProbeOptions(connect_to=_to(silent_port), timeouts=StageTimeouts.uniform(0.1))
    await ProbeRunner(options).probe(REGISTRY, events.append)
    ended = [(e.stage, e.result.ok) for e in events if e.result is not None]
    assert ended == [(Stage.DNS, True), (Stage.TCP, True), (Stage.TLS, False)]
    assert all(e.registry_name == "probeme" and e.host == "probeme.azurecr.io" for e in events)
