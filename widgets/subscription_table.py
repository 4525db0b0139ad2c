"""The subscriptions pane: "All subscriptions" first, then each subscription and its load state."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from services.models import Inventory
from widgets.keyed_table import KeyedTable, Row

__all__ = ["ALL_SUBSCRIPTIONS", "SubscriptionTable"]

ALL_SUBSCRIPTIONS = "*"


class SubscriptionTable(KeyedTable):
    # The state symbol and the counts come first: beside the registries pane this one is
    # narrow, and long subscription names may run past its edge. Failure codes are spelled
    # out in the status strip under the panes.
    COLUMNS = (
        ("state", " "),
        ("registries", "Reg"),
        ("networks", "VNets"),
        ("name", "Subscription"),
    )

    def show(self, inventory: Inventory, loading: bool) -> None:
        registries: dict[str, int] = {}
        networks: dict[str, int] = {}
        for registry in inventory.registries:
            key = registry.subscription_id.casefold()
            registries[key] = registries.get(key, 0) + 1
        for vnet in inventory.virtual_networks:
            key = vnet.subscription_id.casefold()
            networks[key] = networks.get(key, 0) + 1
        failed: Mapping[str, str] = {
            f.subscription_id.casefold(): f.code for f in inventory.failures
        }
        rows: list[Row] = [
            (
                ALL_SUBSCRIPTIONS,
                (
                    _state(loading, bool(failed)),
                    str(len(inventory.registries)),
                    str(len(inventory.virtual_networks)),
                    "All subscriptions",
                ),
            )
        ]
        names = {s.subscription_id.casefold(): s.display_name for s in inventory.subscriptions}
        # A subscription asked for by ID that the identity can't list still gets its row: the
        # failure is the thing to see.
        for key in failed:
            names.setdefault(key, key)
        for key, name in sorted(names.items(), key=lambda item: (item[1].casefold(), item[0])):
            rows.append(
                (
                    key,
                    (
                        _state(loading, key in failed),
                        str(registries.get(key, 0)),
                        str(networks.get(key, 0)),
                        name,
                    ),
                )
            )
        self.set_rows(rows)


def _state(loading: bool, failed: bool) -> Text:
    """A symbol that reads without colour: ✗ failed, … loading, ✓ read."""
    if failed:
        return Text("✗", style="bold red")
    if loading:
        return Text("…", style="italic")
    return Text("✓", style="green")
