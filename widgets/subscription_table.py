"""The subscriptions pane: "All subscriptions" first, then each subscription and its load state."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from services.models import Inventory
from widgets.keyed_table import KeyedTable, Row

__all__ = ["ALL_SUBSCRIPTIONS", "SubscriptionTable"]

ALL_SUBSCRIPTIONS = "*"


class SubscriptionTable(KeyedTable):
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
                    _state(loading, bool(failed) and "some failed"),
                ),
            )
        ]
        ordered = sorted(inventory.subscriptions, key=lambda s: s.display_name.casefold())
        for subscription in ordered:
            key = subscription.subscription_id.casefold()
            rows.append(
                (
                    key,
                    (
                        subscription.display_name,
                        str(registries.get(key, 0)),
                        str(networks.get(key, 0)),
                        _state(loading, failed.get(key)),
                    ),
                )
            )
        self.set_rows(rows)


def _state(loading: bool, failure: str | bool | None) -> Text:
    if failure:
        return Text(f"✗ {failure}", style="bold red")
    if loading:
        return Text("… loading", style="italic")
    return Text("✓ read", style="green")
