"""`acrfence emulator`: run the local Azure (ARM + ACR data plane) in the foreground.

Prints exactly one JSON line on stdout when ready (arm_endpoint, ca_cert, registry_endpoint,
vantages, public_ip, token, env, dns, private_addresses) and exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse

from acrfence.tui.commands.arguments import port_number
from acrfence.tui.commands.exit_codes import Exit

HELP = "run the local Azure emulator (ARM + ACR data plane) in the foreground"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed",
        default="demo",
        help="demo, a tenant JSON file, or generate:SUBSxREGSxVNETSxSUBNETS (default: demo)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port_number, default=0, help="ARM port (0: any free port)")
    parser.add_argument(
        "--registry-port", type=port_number, default=0, help="data-plane port (0: any free port)"
    )
    parser.add_argument(
        "--dns-port",
        type=port_number,
        default=0,
        help="DNS server port on 127.0.0.1, UDP and TCP (0: any free port)",
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="latency added to each request")
    parser.add_argument("--state", default=None, help="state file: loaded if present, kept saved")
    parser.add_argument(
        "--refuse-api-version",
        action="append",
        default=[],
        metavar="VERSION",
        help="answer this api-version as not served here, as Azure does where a preview hasn't "
        "rolled out (repeatable; e.g. 2026-09-01-preview to rehearse acrfence's fallback)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="the bearer token to accept (default: a fresh JWT; az needs a JWT it can decode)",
    )
    parser.add_argument(
        "--read-throttle",
        default="250:25",
        type=_read_throttle,
        metavar="BUCKET:REFILL|off",
        help="ARM's read buckets per subscription and principal: size and refill per second "
        "(default 250:25, as Azure; the global bucket is 15 times that), or off",
    )


def _read_throttle(text: str) -> tuple[int, float] | None:
    """`250:25` -> (250, 25.0); `off` -> None."""
    if text.strip().lower() == "off":
        return None
    bucket, sep, refill = text.partition(":")
    try:
        size, rate = int(bucket), float(refill)
    except ValueError:
        size, rate = 0, 0.0
    if not sep or size < 1 or not 0 < rate < float("inf"):
        raise argparse.ArgumentTypeError(f"expected BUCKET:REFILL such as 250:25, or off: {text!r}")
    return size, rate


def run(args: argparse.Namespace) -> int:
    import json
    import signal
    import sys
    import threading

    from acrfence.emulator.arm.context import Settings
    from acrfence.emulator.runner import start_emulator
    from acrfence.emulator.seeds import SeedError
    from acrfence.emulator.throttle import ThrottleSettings

    if args.latency_ms < 0:
        print("acrfence emulator: --latency-ms must be 0 or more", file=sys.stderr)
        return Exit.BAD_INPUT
    if args.token is not None and (not args.token.strip() or any(c.isspace() for c in args.token)):
        print(
            "acrfence emulator: --token must be a non-empty string without spaces", file=sys.stderr
        )
        return Exit.BAD_INPUT
    try:
        handle = start_emulator(
            seed=args.seed,
            latency_ms=args.latency_ms,
            state_file=args.state,
            host=args.host,
            arm_port=args.port,
            registry_port=args.registry_port,
            dns_port=args.dns_port,
            token=args.token,
            # Retry-After: 1 on long-running operations, not 0: the Azure CLI waits its
            # default 30 s between polls when told 0, which would stall a rehearsed script.
            settings=Settings(
                lro_retry_after=1, refused_api_versions=frozenset(args.refuse_api_version)
            ),
            throttle=(
                ThrottleSettings(bucket=args.read_throttle[0], refill_per_s=args.read_throttle[1])
                if args.read_throttle
                else ThrottleSettings(enabled=False)
            ),
        )
    except (SeedError, ValueError, OSError) as exc:
        print(f"acrfence emulator: {exc}", file=sys.stderr)
        return Exit.BAD_INPUT
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(json.dumps(handle.info), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        handle.stop()
    return Exit.OK
