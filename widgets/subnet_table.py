"""The networks pane: every subnet of every virtual network, with its service endpoints."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from services.models import VirtualNetwork
from widgets.keyed_table import KeyedTable, Row

__all__ = ["SubnetTable", "vnet_row_key"]


def vnet_row_key(vnet: VirtualNetwork) -> str:
    """A virtual network without subnets still gets a row, keyed by its own ID."""
    return vnet.key


class SubnetTable(KeyedTable):
    COLUMNS = (
        ("vnet", "Virtual network"),
        ("subnet", "Subnet"),
        ("prefix", "Prefix"),
        ("acr", "ACR endpoint"),
        ("other", "Other endpoints"),
    )

    def show(self, virtual_networks: Iterable[VirtualNetwork]) -> None:
        rows: list[Row] = []
        for vnet in sorted(virtual_networks, key=lambda v: (v.name.casefold(), v.key)):
            if not vnet.subnets:
                rows.append((vnet_row_key(vnet), (vnet.name, "(no subnets)", "", "", "")))
            for subnet in sorted(vnet.subnets, key=lambda s: s.name.casefold()):
                acr = (
                    Text("✓ enabled", style="green")
                    if subnet.has_acr_endpoint
                    else Text("✗ none", style="dim")
                )
                others = ", ".join(
                    e.service.removeprefix("Microsoft.") for e in subnet.other_endpoints
                )
                rows.append(
                    (
                        subnet.key,
                        (
                            vnet.name,
                            subnet.name,
                            ", ".join(subnet.address_prefixes),
                            acr,
                            others or "-",
                        ),
                    )
                )
        self.set_rows(rows)
