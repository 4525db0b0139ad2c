"""The networks pane: every subnet of every virtual network, with its service endpoints."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from acrfence.services.models import VirtualNetwork
from acrfence.widgets.keyed_table import KeyedTable, Row
from acrfence.widgets.palette import MUTED, OK, WARNING

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

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # Rows of each virtual network object, reused while the inventory keeps that object
        # (a refresh of one subscription leaves the others' networks as they were).
        self._rows_of: dict[int, tuple[VirtualNetwork, list[Row]]] = {}

    def show(self, virtual_networks: Iterable[VirtualNetwork]) -> None:
        rows: list[Row] = []
        cache: dict[int, tuple[VirtualNetwork, list[Row]]] = {}
        for vnet in sorted(virtual_networks, key=lambda v: (v.name.casefold(), v.key)):
            cached = self._rows_of.get(id(vnet))
            vnet_rows = cached[1] if cached is not None and cached[0] is vnet else _rows(vnet)
            cache[id(vnet)] = (vnet, vnet_rows)
            rows.extend(vnet_rows)
        self._rows_of = cache
        self.set_rows(rows)


def _rows(vnet: VirtualNetwork) -> list[Row]:
    if not vnet.subnets:
        return [(vnet_row_key(vnet), (vnet.name, "(no subnets)", "", "", ""))]
    rows: list[Row] = []
    for subnet in sorted(vnet.subnets, key=lambda s: s.name.casefold()):
        acr = (
            Text("… updating", style=WARNING)  # configured, not provisioned: no traffic yet
            if subnet.acr_endpoint_updating
            else Text("✓ enabled", style=OK)
            if subnet.has_acr_endpoint
            else Text("✗ none", style=MUTED)
        )
        others = ", ".join(e.service.removeprefix("Microsoft.") for e in subnet.other_endpoints)
        rows.append(
            (
                subnet.key,
                (vnet.name, subnet.name, ", ".join(subnet.address_prefixes), acr, others or "-"),
            )
        )
    return rows
