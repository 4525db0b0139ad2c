"""`acrfence probe`: can this machine reach a registry's data plane, and why (not)?

    acrfence probe myregistry                       # table: verdict, stage, client IP, why
    acrfence probe --all --json                     # every visible registry, as JSON
    acrfence probe myregistry --expect denied --wait 300   # CI after a lockdown
    acrfence probe myregistry --connect-to ::10.1.8.4:     # a private endpoint IP, no DNS yet
    acrfence probe myregistry --pull hello-world:latest --expect reachable   # can we pull?
    acrfence probe myregistry --dns-server 168.63.129.16:53   # ask this resolver; show the chain

Exit codes: 0 done (and, with --expect, every verdict met); 1 some verdict didn't match, or
matched against what the registry's rules say (RULES DISAGREE);
2 bad input (one line, nothing read); 3 Azure refused or couldn't be reached (one line).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from acrfence.tui.commands.arguments import positive_seconds, seconds
from acrfence.tui.commands.exit_codes import Exit

HELP = "probe registries' data plane (DNS, TCP, TLS, /v2/, token) and explain the verdict"

# Azure's rule for registry names.


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("registries", nargs="*", metavar="REGISTRY", help="name or resource ID")
    parser.add_argument("--all", action="store_true", help="every registry this identity can see")
    parser.add_argument(
        "--expect",
        choices=("reachable", "denied"),
        help="exit 0 only if every verdict matches and the rules agree (reachable: the "
        "network let us in)",
    )
    parser.add_argument(
        "--wait",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="with --expect, keep probing until it matches or SECONDS pass",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="HOST1:PORT1:HOST2:PORT2",
        help="connect to HOST2:PORT2 for HOST1:PORT1, as curl does (also ACRFENCE_CONNECT_TO)",
    )
    parser.add_argument(
        "--source-address", metavar="IP", help="bind the probe's local address to IP"
    )
    parser.add_argument(
        "--dns-server",
        metavar="HOST:PORT",
        help="resolve through this DNS server (from --source-address) and show the chain, "
        "e.g. CNAME x.privatelink.azurecr.io then A 10.1.8.5 (also ACRFENCE_DNS_SERVER)",
    )
    parser.add_argument(
        "--from-subnet",
        metavar="SUBNET_ID",
        help="the subnet this host sits in, for the explanation",
    )
    parser.add_argument(
        "--public-ip", metavar="IP", help="this host's public IP, for the explanation"
    )
    parser.add_argument(
        "--token",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use the signed-in identity for the token exchange and a catalog read",
    )
    parser.add_argument(
        "--pull",
        metavar="REPO:TAG",
        help="fetch this image's manifest through the token exchange, as docker pull does "
        "first (implies --token; with --expect reachable, only a fetched manifest matches)",
    )
    parser.add_argument(
        "--follow-private",
        action="store_true",
        help="connect even when the name resolves only to private (private link) addresses",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=5.0,
        metavar="SECONDS",
        help="per-stage timeout",
    )
    parser.add_argument(
        "--concurrency", type=int, default=64, metavar="N", help="registries probed at once"
    )


def _fail(message: str) -> int:
    print(f"acrfence probe: {message}", file=sys.stderr)
    return Exit.BAD_INPUT


def _is_local_address(address: str) -> bool:
    """Whether this machine can send from ``address`` (binding a socket to it asks the OS)."""
    import socket
    from ipaddress import ip_address

    family = socket.AF_INET6 if ip_address(address).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def _validate(args: argparse.Namespace) -> tuple[Any, str | None]:
    """(connect-to rules, error line): everything checkable before touching Azure."""
    from ipaddress import ip_address

    from acrfence.services.connect_to import ConnectToError, parse_connect_to
    from acrfence.services.models import ResourceIdError, is_registry_name, parse_resource_id

    if not args.registries and not args.all:
        return (), "name at least one REGISTRY, or pass --all"
    if args.registries and args.all:
        # Which one was meant? --all probed everything and dropped the names silently.
        return (), "name REGISTRY or pass --all, not both"
    for name in args.registries:
        if name.startswith("/"):
            try:
                parse_resource_id(name, "Microsoft.ContainerRegistry/registries")
            except ResourceIdError as error:
                return (), f"REGISTRY: {error}"
        elif not is_registry_name(name):
            return (), f"{name!r} is not a registry name (5-50 letters and digits) or resource ID"
    if args.wait < 0 or args.timeout <= 0 or args.concurrency < 1:
        return (), "--wait must be >= 0, --timeout > 0 and --concurrency >= 1"
    if args.wait and not args.expect:
        return (), "--wait needs --expect (what to wait for)"
    for flag, value in (("--source-address", args.source_address), ("--public-ip", args.public_ip)):
        if value is None:
            continue
        try:
            ip_address(value)
        except ValueError:
            return (), f"{flag} {value!r} is not an IP address"
    if args.source_address is not None and not _is_local_address(args.source_address):
        # Otherwise every stage failed with "Cannot assign requested address" as a verdict.
        return (), f"--source-address {args.source_address} is not an address of this machine"
    if args.pull is not None:
        from acrfence.services.probe.pull import ImageReference, ImageReferenceError

        if args.token is False:
            return (), "--pull needs the signed-in identity: drop --no-token"
        try:
            ImageReference.parse(args.pull)
        except ImageReferenceError as error:
            return (), f"--pull {args.pull!r}: {error}"
    if getattr(args, "dns_server", None) is not None:
        from acrfence.services.probe.dns_server import parse_dns_server

        try:
            parse_dns_server(args.dns_server)
        except ValueError as error:
            return (), f"--dns-server: {error}"
    if args.from_subnet:
        try:
            parse_resource_id(args.from_subnet, "Microsoft.Network/virtualNetworks/subnets")
        except ResourceIdError as error:
            return (), f"--from-subnet: {error}"
    # ACRFENCE_CONNECT_TO is read (and checked) with the rest of the target's settings.
    try:
        return tuple(parse_connect_to(v) for v in args.connect_to), None
    except ConnectToError as error:
        return (), str(error)


def run(args: argparse.Namespace) -> int:
    connect_to, error = _validate(args)
    if error:
        return _fail(error)
    import asyncio

    from acrfence.services.config import ConfigError
    from acrfence.services.errors import describe_error
    from acrfence.tui.commands.probe_session import ProbeInputError, run_probe_command

    try:
        return asyncio.run(run_probe_command(args, connect_to))
    except (ProbeInputError, ConfigError) as error:
        return _fail(str(error))
    except Exception as error:  # noqa: BLE001 - Azure errors reach users as one sentence
        print(f"acrfence probe: {describe_error(error)}", file=sys.stderr)
        return Exit.AZURE_REFUSED
