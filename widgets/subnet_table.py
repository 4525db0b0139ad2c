"""The networks pane: every subnet of every virtual network, with its service endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from acrfence.services.models import VirtualNetwork
from acrfence.widgets.keyed_table import KeyedTable, Row
from acrfence.widgets.palette import MUTED, OK, WARNING
from acrfence.widgets.row_store import Cell, Rank, cell_text, styled

__all__ = ["SubnetTable", "vnet_row_key"]

UPDATING = styled("… updating", WARNING)  # configured, not provisioned: no traffic yet
ENABLED = styled("✓ enabled", OK)
NONE = styled("✗ none", MUTED)


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
        self._rows_of: dict[str, tuple[VirtualNetwork, list[Row]]] = {}

    def natural_rank(self) -> Callable[[str, tuple[Cell, ...]], Rank]:
        return _by_network

    def show(self, virtual_networks: Iterable[VirtualNetwork]) -> None:
        """Show exactly the subnets of ``virtual_networks`` (the table orders them)."""
        previous, self._rows_of = self._rows_of, {}
        self.set_rows(self._rows(virtual_networks, previous))

    def add_networks(self, virtual_networks: Iterable[VirtualNetwork]) -> None:
        """Add (or change, by key) the subnets of a batch of networks: O(batch).

        A network read again with fewer subnets loses the rows of the ones gone.
        """
        gone: list[str] = []
        for vnet in virtual_networks:
            cached = self._rows_of.get(vnet.key)
            if cached is not None:
                keep = {key for key, _ in _rows(vnet)}
                gone.extend(key for key, _ in cached[1] if key not in keep)
        if gone:
            self.remove_rows(gone)
        self.add_rows(self._rows(virtual_networks, self._rows_of))

    def _rows(
        self,
        virtual_networks: Iterable[VirtualNetwork],
        previous: dict[str, tuple[VirtualNetwork, list[Row]]],
    ) -> list[Row]:
        rows: list[Row] = []
        for vnet in virtual_networks:
            cached = previous.get(vnet.key)
            vnet_rows = cached[1] if cached is not None and cached[0] is vnet else _rows(vnet)
            self._rows_of[vnet.key] = (vnet, vnet_rows)
            rows.extend(vnet_rows)
        return rows


def _by_network(key: str, cells: tuple[Cell, ...]) -> Rank:
    # The network's name, then its ID and the subnet's name (both in the key, case-free).
    name = cell_text(cells[0])
    folded = name.casefold()
    return (name if folded == name else folded, key)  # no copy per row when already lower


def _rows(vnet: VirtualNetwork) -> list[Row]:
    if not vnet.subnets:
        return [(vnet_row_key(vnet), (vnet.name, "(no subnets)", "", "", ""))]
    rows: list[Row] = []
    for subnet in vnet.subnets:
        acr = (
            UPDATING
            if subnet.acr_endpoint_updating
            else ENABLED
            if subnet.has_acr_endpoint
            else NONE
        )
        others = ", ".join(e.service.removeprefix("Microsoft.") for e in subnet.other_endpoints)
        prefixes = subnet.address_prefixes
        prefix = prefixes[0] if len(prefixes) == 1 else ", ".join(prefixes)
        rows.append((subnet.key, (vnet.name, subnet.name, prefix, acr, others or "-")))
    return rows
