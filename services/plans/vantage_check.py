"""The migration's verification as the networks see it: ask each pulling network's DNS (the
resolver its vantage uses) for every name, then probe the registry from there; and, once
public access is off, probe from the internet.

This is ``services.plans.migration_steps.VantageCheck`` over the DNS resolver and the probe
(services.probe): a network this machine can't stand in (no vantage address for any of its
subnets, or no DNS server to ask as it) answers None, "not checked from here", and the
verification rests on Azure's configuration for it.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from acrfence.services.models import ProbePath, normalize_resource_id
from acrfence.services.probe.dns_server import address_map_for_rule, dns_server_resolver
from acrfence.services.probe.options import ProbeOptions, StageTimeouts
from acrfence.services.probe.runner import ProbeRunner
from acrfence.services.probe.wording import verdict_words

__all__ = ["ProbeVantageCheck"]

PROBE_TIMEOUT_S = 5.0


class ProbeVantageCheck:
    def __init__(self, rules: Any, target: Any, vantages: Mapping[str, str]) -> None:
        self.rules = rules  # services.registry_rules.RegistryRuleService: the registry, fresh
        self.target = target  # services.config.Target: DNS server, address rule, connect-to, CA
        self.vantages = vantages  # {lower-cased subnet ID: source address}

    def source_in(self, network_id: str) -> str | None:
        """A source address inside ``network_id`` (one of its subnets' vantages), or None."""
        key = normalize_resource_id(network_id)
        for subnet_key, source in sorted(self.vantages.items()):
            if subnet_key.rsplit("/subnets/", 1)[0] == key:
                return source
        return None

    def _options(self, source: str | None) -> ProbeOptions:
        rule = getattr(self.target, "private_address_rule", None)
        return ProbeOptions(
            timeouts=StageTimeouts.uniform(PROBE_TIMEOUT_S),
            connect_to=tuple(getattr(self.target, "connect_to", None) or ()),
            ca_cert=getattr(self.target, "ca_cert", None),
            source_address=source,
            dns_server=getattr(self.target, "dns_server", None),
            address_map=address_map_for_rule(rule) if rule else None,
        )

    async def from_network(
        self, registry_id: str, network_id: str, expected: Mapping[str, tuple[str, ...]]
    ) -> list[str] | None:
        """Problems seen from the network: names not resolving to the endpoint's IPs, or a
        probe that isn't let in through the private endpoint. None: not checked from here."""
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
            return problems
        registry = await self.rules.get(registry_id)
        result = await ProbeRunner(self._options(source)).probe(registry)
        if not result.verdict.network_allowed or result.path is not ProbePath.PRIVATE_ENDPOINT:
            path = result.path or "no connection"
            return [f"a probe from {source} was {verdict_words(result.verdict)} ({path})"]
        return []

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
