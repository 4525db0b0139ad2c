"""The subscriptions pane: "All subscriptions" first, then each subscription and its load state."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from acrfence.services.models import Inventory
from acrfence.widgets.keyed_table import KeyedTable, Row
from acrfence.widgets.palette import ERROR, OK

__all__ = ["ALL_SUBSCRIPTIONS", "SubscriptionTable"]

ALL_SUBSCRIPTIONS = "*"


class SubscriptionTable(KeyedTable):
    # Every layout gives this pane the full width, so the state is spelled out.
    COLUMNS = (
        ("name", "Subscription"),
        ("registries", "Reg"),
        ("networks", "VNets"),
        ("state", "State"),
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
                    "All subscriptions",
                    str(len(inventory.registries)),
                    str(len(inventory.virtual_networks)),
                    _state(loading, "some failed" if failed else None),
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
                        Text(name),  # a display name is free text, not markup
                        str(registries.get(key, 0)),
                        str(networks.get(key, 0)),
                        _state(loading, failed.get(key)),
                    ),
                )
            )
        self.set_rows(rows)


def _state(loading: bool, failure: str | None) -> Text:
    """A symbol and a word, readable without colour."""
    if failure:
        return Text(f"✗ {failure}", style=ERROR)
    if loading:
        return Text("… loading", style="italic")
    return Text("✓ read", style=OK)
