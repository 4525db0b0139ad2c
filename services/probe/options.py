"""How a probe runs: where it connects from and to, what it trusts, and how long each stage gets."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from acrfence.services.connect_to import ConnectTo
from acrfence.services.probe.dns import Resolver, system_resolver
from acrfence.services.probe.pull import ImageReference

__all__ = ["StageTimeouts", "ProbeOptions", "TokenProvider"]

# Returns an ARM access token for the signed-in identity; never printed or logged.
TokenProvider = Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class StageTimeouts:
    """Seconds each stage may take; a stage that runs over gives the verdict ``timeout``."""

    dns: float = 5.0
    tcp: float = 5.0
    tls: float = 5.0
    http: float = 10.0

    @classmethod
    def uniform(cls, seconds: float) -> StageTimeouts:
        return cls(seconds, seconds, seconds, seconds)


@dataclass(frozen=True)
class ProbeOptions:
    timeouts: StageTimeouts = field(default_factory=StageTimeouts)
    connect_to: tuple[ConnectTo, ...] = ()
    source_address: str | None = None  # bind the local address (a subnet vantage in the demo)
    ca_cert: str | None = None  # CA bundle for the data plane's certificates (the emulator's)
    resolver: Resolver = system_resolver
    # Ask this DNS server (host, port) instead, from ``source_address``: the vantage's own
    # resolver, so private DNS zones linked to its network answer; the chain is shown.
    dns_server: tuple[str, int] | None = None
    # Where an answered address is really reached (the emulator maps private IPs onto
    # loopback addresses); None: connect to the address itself.
    address_map: Callable[[str], str | None] | None = None
    token_provider: TokenProvider | None = None
    # With a token provider: fetch this image's manifest (a pull) instead of reading the catalog.
    pull: ImageReference | None = None
    # With a token provider and no ``pull``: after the catalog, pull an image it lists (its
    # first repository's ``latest`` tag, else its first tag), for a caller that can't name
    # one (the migration's verification). An empty registry ends at the catalog read.
    pull_listed: bool = False
    # A name resolving only to private addresses points at private link; connecting to them
    # is only meaningful from inside a linked network, so it is opt-in.
    follow_private: bool = False
    port: int = 443
    # Registries in flight at once. A probe costs ~1 ms of CPU here (mostly the TLS handshake)
    # and waits a round trip or more per stage, so 32 left the CPU idle between waves:
    # 200 registries at 50 ms latency took ~430-540 ms at 32, ~275-305 ms at 64.
    concurrency: int = 64
    # What the explanation assumes about the caller when the data plane doesn't say:
    public_ip: str | None = None  # the public IP ACR would see (the 403 message wins)
    subnet_id: str | None = None  # the subnet this host sits in, if any

    def ssl_context(self) -> ssl.SSLContext:
        """Certificate checks on, hostname included: a certificate for another name fails."""
        context = ssl.create_default_context(cafile=self.ca_cert)
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        return context
