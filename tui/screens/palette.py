"""Command palette provider: jump to any registry, subnet or subscription by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from acrfence.tui.screens import acrfence_app

__all__ = ["InventoryJumpProvider"]


class InventoryJumpProvider(Provider):
    def _targets(self) -> list[tuple[str, str, Callable[[], None]]]:
        app = acrfence_app(self.screen)
        inventory = app.data.inventory
        targets: list[tuple[str, str, Callable[[], None]]] = []
        for subscription in inventory.subscriptions:
            targets.append(
                (
                    f"subscription {subscription.display_name}",
                    subscription.subscription_id,
                    partial(app.show_subscription, subscription.subscription_id),
                )
            )
        for registry in inventory.registries:
            targets.append(
                (
                    f"registry {registry.name}",
                    f"{registry.resource_group} · {registry.sku}",
                    partial(app.show_registry, registry.id),
                )
            )
        for subnet in inventory.subnets:
            targets.append(
                (
                    f"subnet {subnet.label}",
                    f"{subnet.resource_group} · {', '.join(subnet.address_prefixes)}",
                    partial(app.show_subnet, subnet.id),
                )
            )
        return targets

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._targets():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)

    async def discover(self) -> Hits:
        for text, help_text, command in self._targets()[:50]:
            yield DiscoveryHit(text, command, text=text, help=help_text)
