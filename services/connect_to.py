"""curl's ``--connect-to HOST1:PORT1:HOST2:PORT2`` for the data plane.

A rule sends a connection meant for HOST1:PORT1 to HOST2:PORT2 while TLS (SNI, certificate
check) and the Host header still use the original name. That is how the probe reaches
``<name>.azurecr.io`` on the emulator without touching DNS. An empty HOST1 or PORT1 matches
any; an empty HOST2 or PORT2 keeps the original. IPv6 addresses go in brackets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ConnectTo",
    "ConnectToError",
    "parse_connect_to",
    "parse_connect_to_list",
    "resolve_connect_to",
]

# One field: a bracketed IPv6 address, or anything up to the next colon.
_FIELD = r"(\[[0-9A-Fa-f:.]*\]|[^:\[\]]*)"
_RULE = re.compile(rf"^{_FIELD}:(\d*):{_FIELD}:(\d*)$")
_HOST = re.compile(r"^[A-Za-z0-9_.*-]*$")


class ConnectToError(ValueError):
    """A connect-to rule that does not read as HOST1:PORT1:HOST2:PORT2."""


@dataclass(frozen=True)
class ConnectTo:
    """One rule; empty ``from_host`` / ``from_port`` match anything, empty targets keep."""

    from_host: str = ""
    from_port: int | None = None
    to_host: str = ""
    to_port: int | None = None

    def matches(self, host: str, port: int) -> bool:
        if self.from_host and self.from_host.casefold() != _bare(host).casefold():
            return False
        return self.from_port is None or self.from_port == port

    def apply(self, host: str, port: int) -> tuple[str, int] | None:
        """Where to connect for ``host:port``, or None when this rule doesn't match."""
        if not self.matches(host, port):
            return None
        return (self.to_host or _bare(host), self.to_port if self.to_port is not None else port)

    def __str__(self) -> str:
        return ":".join(
            (
                _bracket(self.from_host),
                "" if self.from_port is None else str(self.from_port),
                _bracket(self.to_host),
                "" if self.to_port is None else str(self.to_port),
            )
        )


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _port(text: str, rule: str) -> int | None:
    if not text:
        return None
    port = int(text)
    if not 0 < port < 65536:
        raise ConnectToError(f"connect-to port {port} is out of range 1-65535 in {rule!r}")
    return port


def _host(text: str, rule: str) -> str:
    host = _bare(text)
    if not text.startswith("[") and not _HOST.fullmatch(host):
        raise ConnectToError(f"connect-to host {text!r} is not a host name or address in {rule!r}")
    return host


def parse_connect_to(text: str) -> ConnectTo:
    """Parse one ``HOST1:PORT1:HOST2:PORT2`` rule; raise ConnectToError with one line."""
    rule = (text or "").strip()
    match = _RULE.fullmatch(rule)
    if not match:
        raise ConnectToError(
            f"connect-to rule {text!r} must read HOST1:PORT1:HOST2:PORT2 "
            "(empty parts allowed, IPv6 in brackets)"
        )
    from_host, from_port, to_host, to_port = match.groups()
    return ConnectTo(
        _host(from_host, rule), _port(from_port, rule), _host(to_host, rule), _port(to_port, rule)
    )


def parse_connect_to_list(text: str | None) -> tuple[ConnectTo, ...]:
    """Rules separated by commas or whitespace, as ACRFENCE_CONNECT_TO holds them."""
    entries = [entry for entry in re.split(r"[,\s]+", text or "") if entry]
    return tuple(parse_connect_to(entry) for entry in entries)


def resolve_connect_to(rules: tuple[ConnectTo, ...], host: str, port: int) -> tuple[str, int]:
    """The first matching rule wins, as in curl; without one, connect where asked."""
    for rule in rules:
        target = rule.apply(host, port)
        if target is not None:
            return target
    return (_bare(host), port)
