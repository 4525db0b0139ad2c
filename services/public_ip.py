"""This machine's public IP, as ACR's firewall would see it: one discovery for the dashboard
and the headless commands, so a plan's "this machine loses access" warning reads the same in
both.

Sources, first found wins: an address the operator gave (``--public-ip``), then the
ACRFENCE_PUBLIC_IP variable (which the emulator exports with the rest of its settings: its
"internet" is a documentation-range address). acrfence never asks a third-party "what is my
IP" service on its own: that would tell someone else who is about to change a registry.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

__all__ = ["PUBLIC_IP_VARIABLE", "known_public_ip"]

PUBLIC_IP_VARIABLE = "ACRFENCE_PUBLIC_IP"


def known_public_ip(env: Mapping[str, str] | None = None, given: str | None = None) -> str | None:
    """The public IP from ``given`` or the environment; None when nothing says (or it's not an
    IP address: a warning built on a wrong address would mislead)."""
    env = os.environ if env is None else env
    for value in (given, env.get(PUBLIC_IP_VARIABLE)):
        text = (value or "").strip()
        if not text:
            continue
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            continue
    return None
