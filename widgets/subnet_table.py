"""The networks pane: every subnet of every virtual network, with its service endpoints."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence

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
        # The network object each network's rows were drawn from: while the inventory keeps
        # handing that object (a refresh of one subscription leaves the others' networks as
        # they were) its rows are the cells the table holds already. Only the object, not its
        # rows again: a (key, cells) pair per subnet kept here cost ~6 MB at 100,000 subnets.
        self._drawn_from: dict[str, VirtualNetwork] = {}

    def natural_rank(self) -> Callable[[str, tuple[Cell, ...]], Rank]:
        return _by_network

    def search_text(self) -> Callable[[Sequence[str]], str]:
        return _as_searched

    def show(self, virtual_networks: Iterable[VirtualNetwork]) -> None:
        """Show exactly the subnets of ``virtual_networks`` (the table orders them)."""
        previous, self._drawn_from = self._drawn_from, {}
        self.set_rows(self._rows(virtual_networks, previous))

    def add_networks(self, virtual_networks: Iterable[VirtualNetwork]) -> None:
        """Add (or change, by key) the subnets of a batch of networks: O(batch).

        A network read again with fewer subnets loses the rows of the ones gone.
        """
        gone: list[str] = []
        for vnet in virtual_networks:
            drawn = self._drawn_from.get(vnet.key)
            if drawn is not None and drawn is not vnet:
                keep = set(_row_keys(vnet))
                gone.extend(key for key in _row_keys(drawn) if key not in keep)
        if gone:
            self.remove_rows(gone)
        self.add_rows(self._rows(virtual_networks, self._drawn_from))

    def _rows(
        self, virtual_networks: Iterable[VirtualNetwork], previous: dict[str, VirtualNetwork]
    ) -> list[Row]:
        rows: list[Row] = []
        for vnet in virtual_networks:
            vnet_rows = self._held_rows(vnet) if previous.get(vnet.key) is vnet else None
            rows.extend(_rows(vnet) if vnet_rows is None else vnet_rows)
            self._drawn_from[vnet.key] = vnet
        return rows

    def _held_rows(self, vnet: VirtualNetwork) -> list[Row] | None:
        """The rows held for ``vnet`` (drawn from this very object), or None if one is gone."""
        rows: list[Row] = []
        for key in _row_keys(vnet):
            cells = self.row_cells(key)
            if cells is None:
                return None
            rows.append((key, cells))
        return rows


def _by_network(key: str, cells: tuple[Cell, ...]) -> Rank:
    # The network's name, then its ID and the subnet's name (both in the key, case-free).
    name = cell_text(cells[0])
    folded = name.casefold()
    return (name if folded == name else folded, key)  # no copy per row when already lower


def _as_searched(texts: Sequence[str]) -> str:
    # "vnet/subnet", the form the app names subnets in everywhere else, so the filter finds
    # what the user read (app-vnet/batch-jobs); built only while a filter is on.
    return f"{texts[0]}/{texts[1]} {' '.join(texts[2:])}"


def _row_keys(vnet: VirtualNetwork) -> list[str]:
    return [subnet.key for subnet in vnet.subnets] if vnet.subnets else [vnet_row_key(vnet)]


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
        # Interned: a few combinations ("Storage, KeyVault") repeat over thousands of subnets.
        others = sys.intern(
            ", ".join(e.service.removeprefix("Microsoft.") for e in subnet.other_endpoints)
        )
        prefixes = subnet.address_prefixes
        prefix = prefixes[0] if len(prefixes) == 1 else ", ".join(prefixes)
        rows.append((subnet.key, (vnet.name, subnet.name, prefix, acr, others or "-")))
    return rows
