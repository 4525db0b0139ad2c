"""The subscriptions pane redraws only the rows whose counts changed while a tenant streams
in, and every row when the subscriptions, their names, failures or the load state change."""

from __future__ import annotations

from dataclasses import replace

from textual.app import App, ComposeResult

from acrfence.services.models import Inventory, Subscription
from acrfence.widgets.row_store import cell_text
from acrfence.widgets.subscription_table import ALL_SUBSCRIPTIONS, SubscriptionTable
from helpers import make_registry

SUBSCRIPTIONS = tuple(
    Subscription(f"00000000-0000-4000-8000-00000000000{n}", f"Team {n}") for n in range(3)
)


class _Counting(SubscriptionTable):
    """Records how many rows each redraw handed to the table, and how."""

    handed: list[tuple[str, int]]

    def set_rows(self, rows, also_search=None) -> None:
        rows = list(rows)
        self.handed.append(("all", len(rows)))
        super().set_rows(rows, also_search)

    def add_rows(self, rows, also_search=None) -> None:
        rows = list(rows)
        self.handed.append(("changed", len(rows)))
        super().add_rows(rows, also_search)


class _Pane(App[None]):
    def compose(self) -> ComposeResult:
        table = _Counting(id="subscriptions")
        table.handed = []
        yield table


def _inventory(registries_per_subscription: tuple[int, ...]) -> Inventory:
    registries = tuple(
        replace(
            make_registry(f"reg{index}x{count}"),
            id=f"/subscriptions/{subscription.subscription_id}/resourceGroups/rg/providers"
            f"/Microsoft.ContainerRegistry/registries/reg{index}x{count}",
            subscription_id=subscription.subscription_id,
        )
        for index, (subscription, count) in enumerate(
            zip(SUBSCRIPTIONS, registries_per_subscription, strict=True)
        )
        for count in range(count)
    )
    return Inventory(subscriptions=SUBSCRIPTIONS, registries=registries)


def _column(table: SubscriptionTable, key: str, column: int) -> str:
    cells = table.row_cells(key)
    assert cells is not None
    return cell_text(cells[column])


async def test_only_the_rows_whose_counts_changed_are_drawn_again() -> None:
    async with _Pane().run_test() as pilot:
        table = pilot.app.query_one(_Counting)
        table.show(_inventory((1, 2, 0)), loading=True)
        keys = [s.subscription_id.casefold() for s in SUBSCRIPTIONS]
        before = {key: table.row_cells(key) for key in keys}
        table.show(_inventory((1, 5, 0)), loading=True)
        # "All subscriptions" and the one subscription whose count changed.
        assert table.handed == [("all", 4), ("changed", 2)]
        assert _column(table, keys[1], 1) == "5"
        assert _column(table, ALL_SUBSCRIPTIONS, 1) == "6"
        # The rows whose counts stayed are the very cells drawn before, not rebuilt.
        assert table.row_cells(keys[0]) is before[keys[0]]
        assert table.row_cells(keys[2]) is before[keys[2]]
        assert table.row_keys == [ALL_SUBSCRIPTIONS, *keys]
        # Loaded: every row's state changes.
        table.show(_inventory((1, 5, 0)), loading=False)
        assert table.handed[-1] == ("all", 4)
        assert {_column(table, key, 3) for key in keys} == {"✓ read"}


async def test_a_renamed_or_new_subscription_redraws_every_row_in_order() -> None:
    async with _Pane().run_test() as pilot:
        table = pilot.app.query_one(_Counting)
        table.show(_inventory((1, 2, 0)), loading=True)
        renamed = (replace(SUBSCRIPTIONS[2], display_name="Alpha"), *SUBSCRIPTIONS[:2])
        table.show(replace(_inventory((1, 2, 0)), subscriptions=renamed), loading=True)
        keys = [s.subscription_id.casefold() for s in renamed]
        assert table.row_keys == [ALL_SUBSCRIPTIONS, *keys]  # "Alpha" sorts first now
        assert _column(table, keys[0], 0) == "Alpha"
        fewer = replace(_inventory((1, 2, 0)), subscriptions=SUBSCRIPTIONS[:1])
        table.show(fewer, loading=True)
        assert table.row_keys == [ALL_SUBSCRIPTIONS, SUBSCRIPTIONS[0].subscription_id]
