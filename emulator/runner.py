"""Start the emulator in a background thread with its own event loop.

```python
from acrfence.emulator.runner import start_emulator
with start_emulator(seed="demo") as handle:
    handle.info      # what `acrfence emulator` prints: arm_endpoint, ca_cert, registry_endpoint,
                     # vantages, public_ip, token, env, az_env (for the Azure CLI)
    handle.env       # ACRFENCE_ARM_ENDPOINT, ACRFENCE_CA_CERT, ACRFENCE_TOKEN, ACRFENCE_CONNECT_TO
    handle.faults    # emulator.faults.FaultController
    handle.throttle  # emulator.throttle.ReadThrottle (ARM's read buckets; configure() to change)
    handle.resource_graph  # emulator.resource_graph.ResourceGraph (.quota: queries per window)
    handle.state     # emulator.state.Tenant (thread-safe: get_subnet, update_subnet, ...)
    handle.vantage(subnet_id)  # the loopback source address for a subnet ("internet" too)
    handle.dns_server  # ("127.0.0.1", PORT): the DNS server (UDP and TCP) answering per vantage
    handle.private_addresses()  # {private endpoint IP: loopback address}, now
    handle.private_address(ip)  # the loopback address a private IP is reached at
```
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from acrfence.emulator.arm.context import Settings
from acrfence.emulator.certs import certificate_authority
from acrfence.emulator.connect_proxy import ConnectProxy
from acrfence.emulator.faults import FaultController
from acrfence.emulator.identity import IDENTITY_PATH, make_token
from acrfence.emulator.persistence import StateFile, load_state
from acrfence.emulator.private_addresses import (
    PRIVATE_ADDRESS_RULE,
    loopback_for,
    private_address_map,
)
from acrfence.emulator.resource_graph import ResourceGraph
from acrfence.emulator.seeds import build_tenant
from acrfence.emulator.server import EmulatorServer
from acrfence.emulator.state import INTERNET_VANTAGE, Tenant
from acrfence.emulator.throttle import ReadThrottle, ThrottleSettings


class EmulatorHandle:
    """A running emulator; stop it with `stop()` or by leaving its `with` block."""

    def __init__(
        self,
        server: EmulatorServer,
        loop: asyncio.AbstractEventLoop,
        thread: threading.Thread,
        ca_path: Path,
        proxy: ConnectProxy,
    ) -> None:
        self._server = server
        self._proxy = proxy
        self._loop = loop
        self._thread = thread
        self.state: Tenant = server.tenant
        self.faults: FaultController = server.faults
        self.settings: Settings = server.settings
        self.throttle: ReadThrottle = server.throttle
        self.resource_graph: ResourceGraph = server.resource_graph
        self.token: str = server.token
        host = server.host
        arm = f"https://{host}:{server.arm_port}"
        registry = f"{host}:{server.registry_port}"
        self.dns_server: tuple[str, int] = (server.dns.host, server.dns.port)
        dns = f"{server.dns.host}:{server.dns.port}"
        with self.state.lock:
            vantages = {"internet": INTERNET_VANTAGE}
            vantages.update(
                {self.state.subnets[k]["id"]: ip for k, ip in self.state.vantages.items()
                 if k in self.state.subnets}
            )  # fmt: skip
        env = {
            "ACRFENCE_ARM_ENDPOINT": arm,
            "ACRFENCE_CA_CERT": str(ca_path),
            "ACRFENCE_TOKEN": self.token,
            "ACRFENCE_CONNECT_TO": f"::{registry}",
            # The address the emulated internet sees us as: the app's public-IP discovery.
            "ACRFENCE_PUBLIC_IP": self.state.public_ip,
            # The vantages' resolver, and how a private IP it answers is reached here.
            "ACRFENCE_DNS_SERVER": dns,
            "ACRFENCE_PRIVATE_ADDRESS_RULE": PRIVATE_ADDRESS_RULE,
        }
        # What the Azure CLI (or any Azure SDK client) needs: the managed-identity endpoint
        # for `az login --identity`, the CA, and the proxy that routes *.azurecr.io here.
        # Register the cloud with `az cloud register --endpoint-resource-manager arm_endpoint`.
        az_env = {
            "IDENTITY_ENDPOINT": f"{arm}{IDENTITY_PATH}",
            "IDENTITY_HEADER": server.identity_header,
            "REQUESTS_CA_BUNDLE": str(ca_path),
            "HTTPS_PROXY": f"http://{host}:{proxy.port}",
            "NO_PROXY": f"{host},localhost",
        }
        self.info: dict = {
            "arm_endpoint": arm,
            "ca_cert": str(ca_path),
            "registry_endpoint": registry,
            "registry_port": server.registry_port,
            "vantages": vantages,
            "public_ip": self.state.public_ip,
            "token": self.token,
            "env": env,
            "proxy_port": proxy.port,
            "az_env": az_env,
            "dns": dns,
            "dns_port": server.dns.port,
            # Private endpoint IPs at start (more come with new endpoints, by the rule).
            "private_addresses": private_address_map(self.state),
            "private_address_rule": PRIVATE_ADDRESS_RULE,
        }
        self.env: dict[str, str] = env
        self.az_env: dict[str, str] = az_env
        self.arm_endpoint = arm
        self.ca_cert = str(ca_path)
        self.registry_endpoint = registry

    def vantage(self, subnet_id: str) -> str:
        """The source address that makes a request come from `subnet_id` (or "internet")."""
        if subnet_id == "internet":
            return INTERNET_VANTAGE
        with self.state.lock:
            return self.state.vantages[subnet_id.lower()]

    def private_addresses(self) -> dict[str, str]:
        """{private endpoint IP: the loopback address the data plane listens on for it}."""
        return private_address_map(self.state)

    def private_address(self, private_ip: str) -> str:
        """The loopback address a private IP is reached at (private_addresses.py's rule)."""
        loopback = loopback_for(private_ip)
        if loopback is None:
            raise ValueError(f"{private_ip!r} is not an IPv4 address")
        return loopback

    def listening_private_addresses(self) -> list[str]:
        """The loopback addresses the data plane listens on for private endpoints now."""
        future = asyncio.run_coroutine_threadsafe(self._server.sync_private_sites(), self._loop)
        future.result(timeout=10)
        return self._server.private_sites

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop)
        future.result(timeout=10)
        asyncio.run_coroutine_threadsafe(self._proxy.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(
    seed: str = "demo",
    latency_ms: int = 0,
    state_file: str | Path | None = None,
    host: str = "127.0.0.1",
    arm_port: int = 0,
    registry_port: int = 0,
    token: str | None = None,
    settings: Settings | None = None,
    throttle: ThrottleSettings | None = None,
    dns_port: int = 0,
) -> EmulatorHandle:
    """Start an emulator (ports 0 = any free port); raise ValueError for a bad seed."""
    tenant = None
    if state_file is not None:
        tenant = load_state(Path(state_file))
    if tenant is None:
        tenant = build_tenant(seed)
    if state_file is not None:
        StateFile(tenant, Path(state_file)).save()
    faults = FaultController(tenant)
    if latency_ms:
        faults.set_latency(latency_ms)
    _, ca_path = certificate_authority()
    server = EmulatorServer(
        tenant,
        # A JWT by default: Azure's clients decode the token (az reads its tenant from it).
        token or make_token(),
        faults,
        settings or Settings(),
        host=host,
        arm_port=arm_port,
        registry_port=registry_port,
        throttle=throttle,
        dns_port=dns_port,
    )
    loop = asyncio.new_event_loop()
    proxy = ConnectProxy(host, 0, INTERNET_VANTAGE)
    started = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
            proxy.registry_port = server.registry_port
            loop.run_until_complete(proxy.start())
        except BaseException as exc:  # reported to the starting thread
            failure.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="acrfence-emulator", daemon=True)
    thread.start()
    started.wait(timeout=30)
    if failure:
        raise failure[0]
    return EmulatorHandle(server, loop, thread, ca_path, proxy)
