"""What a probe from the app is given: the target's data-plane settings, an optional token
provider and the demo's subnet vantages, built from the app's services. The one place the
app's services become probe options (the probe wizard, the quick probe, the wizards' final
probe all start here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from acrfence.services.analysis.context import subnet_label
from acrfence.services.connect_to import ConnectTo, ConnectToError, parse_connect_to
from acrfence.services.probe.options import ProbeOptions, StageTimeouts, TokenProvider

if TYPE_CHECKING:
    from acrfence.tui.app import AppServices

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
    # The target's resolver (the emulator's DNS server in the demo) and its address rule.
    dns_server: tuple[str, int] | None = None
    private_address_rule: str | None = None

    def options(self) -> ProbeOptions:
        """Probe options from this machine, without the token (sending it is a choice)."""
        from acrfence.services.probe.dns_server import address_map_for_rule

        rule = self.private_address_rule
        return ProbeOptions(
            timeouts=self.timeouts,
            connect_to=self.connect_to,
            ca_cert=self.ca_cert,
            public_ip=self.public_ip,
            dns_server=self.dns_server,
            address_map=address_map_for_rule(rule) if rule else None,
        )

    def vantage_for(self, subnet_id: str) -> Vantage | None:
        """The vantage standing in for ``subnet_id`` (the demo's), if there is one."""
        wanted = subnet_id.casefold()
        return next((v for v in self.vantages if (v.subnet_id or "").casefold() == wanted), None)


def setup_from_services(services: AppServices) -> ProbeSetup:
    """The app's target, clients and demo vantages as a ProbeSetup."""
    vantages = [
        Vantage(f"subnet {subnet_label(subnet_id)} ({address})", address, subnet_id)
        # The emulator also names the internet's vantage ("internet"): not a subnet.
        for subnet_id, address in services.vantages.items()
        if subnet_id.startswith("/")
    ]
    return ProbeSetup(
        connect_to=services.target.connect_to,
        ca_cert=services.target.ca_cert,
        token_provider=services.clients.arm_token,
        public_ip=services.public_ip,
        vantages=tuple(vantages),
        dns_server=services.target.dns_server,
        private_address_rule=services.target.private_address_rule,
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
