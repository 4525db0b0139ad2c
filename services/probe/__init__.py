"""The reachability probe: DNS, TCP, TLS and the ACR data plane, per registry host, timed.

Async and headless; the CLI (``acrfence probe``) and the TUI wizard both drive ``ProbeRunner``.
"""

from acrfence.services.probe.dns import Resolver, is_private_address, system_resolver
from acrfence.services.probe.dns_server import (
    DnsChain,
    DnsServerResolver,
    dns_server_resolver,
    parse_dns_server,
)
from acrfence.services.probe.options import ProbeOptions, StageTimeouts
from acrfence.services.probe.runner import ProbeEvent, ProbeRunner

__all__ = [
    "DnsChain",
    "DnsServerResolver",
    "dns_server_resolver",
    "parse_dns_server",
    "ProbeEvent",
    "ProbeOptions",
    "ProbeRunner",
    "Resolver",
    "StageTimeouts",
    "is_private_address",
    "system_resolver",
]
