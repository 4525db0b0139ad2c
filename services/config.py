"""Where acrfence talks to: Azure's ARM endpoint for a cloud, or any ARM-compatible endpoint
(the emulator) with its CA bundle, read from the environment.

Environment: ACRFENCE_ARM_ENDPOINT, ACRFENCE_CA_CERT, ACRFENCE_TOKEN (a static bearer token;
never printed or logged), ACRFENCE_CONNECT_TO (data plane only), ACRFENCE_CLOUD,
ACRFENCE_DNS_SERVER (HOST:PORT: the resolver probes ask, from their vantage) and
ACRFENCE_PRIVATE_ADDRESS_RULE (how a private IP is reached on this machine: the emulator's).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from acrfence.services.connect_to import ConnectTo, ConnectToError, parse_connect_to_list

__all__ = ["Target", "ConfigError", "CLOUD_ARM_ENDPOINTS", "DEFAULT_ARM_ENDPOINT"]

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"

# Each cloud's ARM endpoint; it is also the audience of ARM tokens there.
CLOUD_ARM_ENDPOINTS: dict[str, str] = {
    "AzureCloud": "https://management.azure.com",
    "AzureUSGovernment": "https://management.usgovcloudapi.net",
    "AzureChinaCloud": "https://management.chinacloudapi.cn",
}
# Service endpoints for container registries are not offered in these clouds.
_SOVEREIGN_CLOUDS = frozenset({"azureusgovernment", "azurechinacloud"})


class ConfigError(ValueError):
    """A setting that can't be used; the message is one line naming the variable."""


def _cloud_for_endpoint(endpoint: str) -> str:
    host = (urlsplit(endpoint).hostname or "").casefold()
    for cloud, cloud_endpoint in CLOUD_ARM_ENDPOINTS.items():
        if urlsplit(cloud_endpoint).hostname == host:
            return cloud
    # Any other endpoint (the emulator, a proxy) behaves as the public cloud.
    return "AzureCloud"


def _canonical_cloud(name: str) -> str:
    for cloud in CLOUD_ARM_ENDPOINTS:
        if cloud.casefold() == name.strip().casefold():
            return cloud
    known = ", ".join(CLOUD_ARM_ENDPOINTS)
    raise ConfigError(f"ACRFENCE_CLOUD {name!r} is not a known cloud ({known})")


def _checked_endpoint(value: str) -> str:
    endpoint = value.strip().rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"ACRFENCE_ARM_ENDPOINT must be an https:// URL, got {value!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that isn't a number
    except ValueError:
        raise ConfigError(f"ACRFENCE_ARM_ENDPOINT has an invalid port: {value!r}") from None
    return endpoint


@dataclass(frozen=True)
class Target:
    """Where acrfence talks to and how it authenticates."""

    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    ca_cert: str | None = None  # PEM bundle for a non-Azure endpoint (the emulator)
    token: str | None = field(default=None, repr=False)  # never printed or logged
    connect_to: tuple[ConnectTo, ...] = ()  # data plane only
    cloud: str = "AzureCloud"
    dns_server: tuple[str, int] | None = None  # the probe's resolver (the emulator's)
    private_address_rule: str | None = None  # e.g. the emulator's "a.b.c.d -> 127.b.c.d"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Target:
        env = os.environ if environ is None else environ
        raw_endpoint = env.get("ACRFENCE_ARM_ENDPOINT", "").strip()
        endpoint = _checked_endpoint(raw_endpoint) if raw_endpoint else None
        raw_cloud = env.get("ACRFENCE_CLOUD", "").strip()
        if raw_cloud:
            cloud = _canonical_cloud(raw_cloud)
        else:
            cloud = _cloud_for_endpoint(endpoint or DEFAULT_ARM_ENDPOINT)
        ca_cert = env.get("ACRFENCE_CA_CERT", "").strip() or None
        if ca_cert and not os.path.isfile(ca_cert):
            raise ConfigError(f"ACRFENCE_CA_CERT names no readable file: {ca_cert!r}")
        try:
            connect_to = parse_connect_to_list(env.get("ACRFENCE_CONNECT_TO"))
        except ConnectToError as error:
            raise ConfigError(f"ACRFENCE_CONNECT_TO: {error}") from None
        dns_server = None
        raw_dns = env.get("ACRFENCE_DNS_SERVER", "").strip()
        if raw_dns:
            from acrfence.services.probe.dns_server import parse_dns_server

            try:
                dns_server = parse_dns_server(raw_dns)
            except ValueError as error:
                raise ConfigError(f"ACRFENCE_DNS_SERVER: {error}") from None
        rule = env.get("ACRFENCE_PRIVATE_ADDRESS_RULE", "").strip() or None
        if rule is not None:
            from acrfence.services.probe.dns_server import address_map_for_rule

            try:
                address_map_for_rule(rule)
            except ValueError as error:
                raise ConfigError(f"ACRFENCE_PRIVATE_ADDRESS_RULE: {error}") from None
        return cls(
            arm_endpoint=endpoint or CLOUD_ARM_ENDPOINTS[cloud],
            ca_cert=ca_cert,
            token=env.get("ACRFENCE_TOKEN", "").strip() or None,
            connect_to=connect_to,
            cloud=cloud,
            dns_server=dns_server,
            private_address_rule=rule,
        )

    @property
    def is_sovereign_cloud(self) -> bool:
        return self.cloud.casefold() in _SOVEREIGN_CLOUDS

    @property
    def credential_scope(self) -> str:
        audience = CLOUD_ARM_ENDPOINTS.get(self.cloud, DEFAULT_ARM_ENDPOINT)
        return f"{audience}/.default"

    @property
    def is_azure(self) -> bool:
        """True when the endpoint is one of Azure's own, not an emulator or proxy."""
        return self.arm_endpoint.rstrip("/") in CLOUD_ARM_ENDPOINTS.values()
