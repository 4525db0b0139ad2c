"""What the probe wizard is given: the target's data-plane settings, an optional token
provider and the demo's subnet vantages, built from the app's services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.connect_to import ConnectTo, ConnectToError, parse_connect_to
from services.probe.options import StageTimeouts, TokenProvider

__all__ = ["ProbeSetup", "Vantage", "address_rule", "setup_from_services"]


@dataclass(frozen=True)
class Vantage:
    """A place to probe from: a local source address, and the subnet it stands for."""

    label: str
    source_address: str | None = None
    subnet_id: str | None = None


@dataclass
class ProbeSetup:
    """What the screen is given: the target's data-plane settings and the demo's vantages."""

    connect_to: tuple[ConnectTo, ...] = ()
    ca_cert: str | None = None
    token_provider: TokenProvider | None = None
    public_ip: str | None = None
    vantages: Sequence[Vantage] = field(default_factory=tuple)
    timeouts: StageTimeouts = field(default_factory=StageTimeouts)


def setup_from_services(services: Any) -> ProbeSetup:
    """The app's target and clients as a ProbeSetup (demo vantages come from ``extras``)."""
    target = getattr(services, "target", None)
    clients = getattr(services, "clients", None)
    extras = getattr(services, "extras", None) or {}
    vantages: list[Vantage] = []
    for subnet_id, address in (extras.get("vantages") or {}).items():
        if subnet_id == "internet" or not str(subnet_id).startswith("/"):
            continue
        label = "/".join(str(subnet_id).split("/")[-3::2])
        vantages.append(Vantage(f"subnet {label} ({address})", address, subnet_id))
    token = getattr(clients, "arm_token", None)
    return ProbeSetup(
        connect_to=tuple(getattr(target, "connect_to", None) or ()),
        ca_cert=getattr(target, "ca_cert", None),
        token_provider=token if callable(token) else None,
        public_ip=extras.get("public_ip"),
        vantages=tuple(vantages),
    )


def address_rule(text: str) -> ConnectTo:
    """``IP`` or ``IP:PORT`` (or a full curl rule) as a rule for every registry host."""
    if not text:
        raise ValueError("type the address to connect to (an IP, or IP:PORT)")
    if text.count(":") >= 3:
        rule_text = text
    elif text.count(":") == 1:
        host, port = text.split(":")
        rule_text = f"::{host}:{port}"
    else:
        rule_text = f"::{text}:"
    try:
        return parse_connect_to(rule_text)
    except ConnectToError as error:
        if rule_text == text:  # the user wrote a whole curl rule: curl's words fit
            raise ValueError(str(error)) from None
        # Said about what was typed, not the rule it was turned into.
        raise ValueError(
            f"{text!r} is not an address to connect to: type an IP, IP:PORT, "
            "or a curl rule HOST1:PORT1:HOST2:PORT2"
        ) from None
