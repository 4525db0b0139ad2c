"""What a reachability probe found: one timed stage at a time, per host, then a verdict.

A registry is probed on its login server and on each data endpoint host; every host goes
through DNS, TCP, TLS and ``GET /v2/``, and the login server optionally through the token
exchange and one authorised request. The verdict names the outcome and the stage that
decided it, so "denied at http" and "timeout at tls" read differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Stage",
    "Verdict",
    "ProbePath",
    "ProbeExpectation",
    "StageResult",
    "HostProbe",
    "ProbeResult",
    "verdict_matches",
]


class Stage(StrEnum):
    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    CHALLENGE = "v2"  # GET /v2/ without credentials: the firewall's answer
    EXCHANGE = "exchange"  # POST /oauth2/exchange: ARM token -> ACR refresh token
    TOKEN = "token"  # POST /oauth2/token: refresh token -> access token for one scope
    AUTHORISED = "authorised"  # one request with the access token (catalog)
    MANIFEST = "manifest"  # with --pull: the image's manifest, as `docker pull` fetches first


class Verdict(StrEnum):
    REACHABLE = "reachable"  # the network let us in and an authorised request worked
    AUTH_REQUIRED = "auth-required"  # the network let us in; no credentials were tried
    AUTH_FAILED = "auth-failed"  # the network let us in; the credentials were refused
    NOT_FOUND = "not-found"  # network and credentials let us in; the image to pull isn't there
    DENIED = "denied"  # ACR's firewall refused the client (403 DENIED)
    PRIVATE_ONLY = "private-only"  # the name resolves only to private (private link) addresses
    DNS_FAILURE = "dns-failure"
    CONNECT_FAILED = "connect-failed"
    TIMEOUT = "timeout"
    TLS_ERROR = "tls-error"
    UNEXPECTED_STATUS = "unexpected-status"

    @property
    def network_allowed(self) -> bool:
        """The data plane's firewall let the probe through (with or without credentials)."""
        return self in _NETWORK_ALLOWED

    @property
    def network_refused(self) -> bool:
        """The firewall said no: a 403 DENIED (the only answer that proves a network rule)."""
        return self is Verdict.DENIED


_NETWORK_ALLOWED = frozenset(
    {Verdict.REACHABLE, Verdict.AUTH_REQUIRED, Verdict.AUTH_FAILED, Verdict.NOT_FOUND}
)


class ProbePath(StrEnum):
    """The way a probe's connection reached the registry."""

    PRIVATE_ENDPOINT = "private endpoint"  # to a private endpoint's address (private link)
    SERVICE_ENDPOINT = "service endpoint"  # from a subnet with the ACR service endpoint
    PUBLIC = "public"  # the public endpoint, from a public address


class ProbeExpectation(StrEnum):
    """What ``--expect`` asks for."""

    REACHABLE = "reachable"
    DENIED = "denied"


def verdict_matches(verdict: Verdict, expectation: ProbeExpectation) -> bool:
    if expectation is ProbeExpectation.REACHABLE:
        return verdict.network_allowed
    return verdict.network_refused


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    ok: bool
    elapsed_ms: float
    detail: str  # one line a person can read: "127.0.0.1", "HTTP 401 challenge", "timed out"
    status: int | None = None  # HTTP status, for the HTTP stages


@dataclass(frozen=True)
class HostProbe:
    """One host of a registry (login server or a data endpoint) and how far the probe got."""

    host: str
    role: str  # "login server" or "data endpoint"
    stages: tuple[StageResult, ...]
    verdict: Verdict
    decided_at: Stage
    detail: str  # why, in one sentence
    addresses: tuple[str, ...] = ()
    client_ip: str | None = None  # as ACR saw us, parsed from a 403 DENIED message
    # With a DNS server to ask: the answer's chain, e.g. ("CNAME x.privatelink.azurecr.io",
    # "A 10.1.8.5"); () with the system resolver (it shows only the addresses).
    dns_chain: tuple[str, ...] = ()
    path: ProbePath | None = None  # None: no connection was made
    image: str | None = None  # the image whose manifest this host gave (a pull worked)

    @property
    def elapsed_ms(self) -> float:
        return sum(stage.elapsed_ms for stage in self.stages)


@dataclass(frozen=True)
class ProbeResult:
    """A registry's probe: each host's stages, one verdict, and the explanation beside the rules."""

    registry_name: str
    login_server: str
    hosts: tuple[HostProbe, ...]
    verdict: Verdict
    decided_at: Stage
    decided_host: str
    detail: str
    client_ip: str | None = None
    explanation: str | None = None  # the verdict against what the rules say (None: no rules read)
    registry_id: str | None = None
    image: str | None = None  # with --pull: the image whose manifest the probe fetched
    # The firewall's answer contradicts what the rules certainly say (None: rules not read).
    rules_disagree: bool | None = None
    path: ProbePath | None = None  # the deciding host's path (None: never connected)
    # The registry refuses its public endpoint outright: no IP rule would let a client in.
    public_access_disabled: bool = False

    @property
    def elapsed_ms(self) -> float:
        # Hosts are probed concurrently: the registry took as long as its slowest host.
        return max((host.elapsed_ms for host in self.hosts), default=0.0)

    def matches(self, expectation: ProbeExpectation) -> bool:
        if self.image is not None and expectation is ProbeExpectation.REACHABLE:
            # Asked to pull, "reachable" means the manifest came back, not only "let in".
            return self.verdict is Verdict.REACHABLE
        return verdict_matches(self.verdict, expectation)
