"""``--connect-to`` with curl's semantics: ``HOST1:PORT1:HOST2:PORT2``.

A request for HOST1:PORT1 connects to HOST2:PORT2 instead, while TLS (SNI, certificate name)
and the Host header still use HOST1. An empty HOST1 or PORT1 matches any; an empty HOST2 or
PORT2 keeps the original. The first matching rule wins, as in curl. IPv6 literals go in
brackets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ConnectToError", "ConnectToRule", "parse_connect_to", "route_for"]

_PART = r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]*)"
_RULE = re.compile(rf"^{_PART}:(\d*):{_PART}:(\d*)$")
_HOST = re.compile(r"^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


class ConnectToError(ValueError):
    """A --connect-to value that isn't HOST1:PORT1:HOST2:PORT2."""


@dataclass(frozen=True)
class ConnectToRule:
    from_host: str  # "" = any host
    from_port: int | None  # None = any port
    to_host: str  # "" = same host
    to_port: int | None  # None = same port

    def applies_to(self, host: str, port: int) -> bool:
        host_ok = not self.from_host or self.from_host.casefold() == host.casefold()
        return host_ok and (self.from_port is None or self.from_port == port)


def _port(text: str, value: str) -> int | None:
    if not text:
        return None
    port = int(text)
    if not 0 < port < 65536:
        raise ConnectToError(f"--connect-to {value!r}: port {port} is out of range 1-65535")
    return port


def _host(text: str, value: str) -> str:
    host = text[1:-1] if text.startswith("[") else text
    if host and not text.startswith("[") and not _HOST.match(host):
        raise ConnectToError(f"--connect-to {value!r}: {host!r} is not a host name or address")
    return host


def parse_connect_to(value: str) -> ConnectToRule:
    match = _RULE.match(value.strip())
    if match is None:
        raise ConnectToError(f"--connect-to {value!r} is not HOST1:PORT1:HOST2:PORT2")
    from_host, from_port, to_host, to_port = match.groups()
    return ConnectToRule(
        _host(from_host, value),
        _port(from_port, value),
        _host(to_host, value),
        _port(to_port, value),
    )


def route_for(rules: tuple[ConnectToRule, ...], host: str, port: int) -> tuple[str, int]:
    """Where a connection for ``host:port`` really goes."""
    for rule in rules:
        if rule.applies_to(host, port):
            return rule.to_host or host, rule.to_port or port
    return host, port
