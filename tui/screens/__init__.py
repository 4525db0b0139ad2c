"""The dashboard's screens; ``tui.wizards`` names the four wizards."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from acrfence.tui.app import AcrFenceApp

__all__ = ["acrfence_app"]


def acrfence_app(node: DOMNode) -> AcrFenceApp:
    """The running app, typed, for screens that read its data and call its navigation."""
    return cast("AcrFenceApp", node.app)
