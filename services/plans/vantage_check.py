"""The migration's verification as the networks see it: ask each pulling network's DNS (the
resolver its vantage uses) for every name, then pull through the private endpoint from there
(the token exchange with the signed-in identity, the catalog, and the manifest of an image it
lists: what ``docker pull`` fetches first); and, once public access is off, probe from the
internet. Tokens stay inside the probe: never kept, printed or journaled.

This is ``services.plans.migration_steps.VantageCheck`` over the DNS resolver and the probe
(services.probe): a network this machine can't stand in (no vantage address for any of its
subnets, or no DNS server to ask as it) answers None, "not checked from here", and the
verification rests on Azure's configuration for it.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acrfence.services.models import ProbePath, ProbeResult, Verdict, normalize_resource_id
from acrfence.services.probe.dns_server import address_map_for_rule, dns_server_resolver
from acrfence.services.probe.options import ProbeOptions, StageTimeouts, TokenProvider
from acrfence.services.probe.runner import ProbeRunner
from acrfence.services.probe.wording import verdict_words

__all__ = ["ProbeVantageCheck", "NetworkSeen"]

PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class NetworkSeen:
    """What one network saw: its problems (none: names resolve to the endpoint's IPs and it
    got in through the private endpoint), and what the pull through the endpoint did."""

    problems: tuple[str, ...] = ()
    pull: str | None = None  # "pull ok: hello-world:latest", "catalog read, no image to pull"


class ProbeVantageCheck:
    def __init__(
        self,
        rules: Any,
        target: Any,
        vantages: Mapping[str, str],
        token_provider: TokenProvider | None = None,
    ) -> None:
        self.rules = rules  # services.registry_rules.RegistryRuleService: the registry, fresh
        self.target = target  # services.config.Target: DNS server, address rule, connect-to, CA
        self.vantages = vantages  # {lower-cased subnet ID: source address}
        # The signed-in identity's ARM token for the data plane's exchange (None: no pull).
        self.token_provider = token_provider

    def source_in(self, network_id: str) -> str | None:
        """A source address inside ``network_id`` (one of its subnets' vantages), or None."""
        key = normalize_resource_id(network_id)
        for subnet_key, source in sorted(self.vantages.items()):
            if subnet_key.rsplit("/subnets/", 1)[0] == key:
                return source
        return None

    def _options(self, source: str | None, pull: bool = False) -> ProbeOptions:
        rule = getattr(self.target, "private_address_rule", None)
        return ProbeOptions(
            timeouts=StageTimeouts.uniform(PROBE_TIMEOUT_S),
            connect_to=tuple(getattr(self.target, "connect_to", None) or ()),
            ca_cert=getattr(self.target, "ca_cert", None),
            source_address=source,
            dns_server=getattr(self.target, "dns_server", None),
            address_map=address_map_for_rule(rule) if rule else None,
            token_provider=self.token_provider if pull else None,
            pull_listed=pull,
        )

    async def from_network(
        self, registry_id: str, network_id: str, expected: Mapping[str, tuple[str, ...]]
    ) -> NetworkSeen | None:
        """What the network sees: names not resolving to the endpoint's IPs, or a probe that
        isn't let in through the private endpoint, are problems; then the pull through it.
        None: not checked from here."""
        server = getattr(self.target, "dns_server", None)
        source = self.source_in(network_id)
        if server is None or source is None:
            return None
        resolver = dns_server_resolver(server, source, PROBE_TIMEOUT_S)
        problems = []
        for fqdn, addresses in expected.items():
            try:
                chain = await resolver.chain(fqdn)
            except socket.gaierror as error:
                problems.append(f"{fqdn} can't be resolved: {error.strerror or error}")
                continue
            if sorted(chain.addresses) != sorted(addresses):
                problems.append(
                    f"{fqdn} resolves to {chain.describe()}, not {', '.join(addresses)}"
                )
        if problems:
            return NetworkSeen(tuple(problems))
        registry = await self.rules.get(registry_id)
        pull = self.token_provider is not None
        result = await ProbeRunner(self._options(source, pull)).probe(registry)
        if not result.verdict.network_allowed or result.path is not ProbePath.PRIVATE_ENDPOINT:
            path = result.path or "no connection"
            return NetworkSeen(
                (f"a probe from {source} was {verdict_words(result.verdict)} ({path})",)
            )
        return NetworkSeen((), _pull_words(result) if pull else None)

    async def from_internet(self, registry_id: str) -> list[str] | None:
        """Problems seen from this machine as the internet (empty: refused). None when this
        machine reaches the registry through the private endpoint: it is inside, and can't
        speak for the internet."""
        registry = await self.rules.get(registry_id)
        result = await ProbeRunner(self._options(None)).probe(registry)
        if result.path is ProbePath.PRIVATE_ENDPOINT:
            return None
        if result.verdict.network_refused:
            return []
        return [f"from the internet the registry answered {verdict_words(result.verdict)}"]


def _pull_words(result: ProbeResult) -> str:
    """What the pull through the endpoint did, in a few words. Let in but not pulled (the
    identity may not pull, the image went meanwhile) is said, not a problem: the network path
    is what the migration changes."""
    if result.verdict is Verdict.REACHABLE and result.image:
        return f"pull ok: {result.image}"
    if result.verdict is Verdict.REACHABLE:
        return "catalog read, no image to pull"
    return f"let in, not pulled: {result.detail}"
