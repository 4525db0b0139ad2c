"""Keys that act on the resource under the cursor, and the `:` jump between views.

``c`` copies the resource's full ID (to the clipboard through the terminal, and in a toast, so
it can be read and selected over SSH where the clipboard may not reach); ``y`` shows its JSON
as last read; ``:`` asks for a view's name. Screens offer a resource with a
``resource_under_cursor()`` method; where none does (the wizards) the keys are off.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Input

from acrfence.tui.screens.jump import JumpScreen, find_view

__all__ = ["ResourceActions", "RESOURCE_ACTIONS"]

RESOURCE_ACTIONS = frozenset({"copy_id", "show_json", "jump"})


def resource_title(resource: Any) -> str:
    """A short name for a resource: vnet/subnet for a subnet, the display name otherwise."""
    return str(
        getattr(resource, "label", None)
        or getattr(resource, "display_name", None)
        or getattr(resource, "name", "")
    )


class ResourceActions(App[None]):
    """Mixed into the app: copy the ID, show the JSON, jump to a view."""

    def resource_under_cursor(self) -> Any:
        chooser = getattr(self.screen, "resource_under_cursor", None)
        return chooser() if callable(chooser) else None

    def resource_action_allowed(self, action: str) -> bool | None:
        """For check_action: on only where the screen on top offers a resource."""
        if action == "jump" and isinstance(self.focused, Input):
            return False  # `:` is a priority key; in the filter it is a character
        return callable(getattr(self.screen, "resource_under_cursor", None))

    def action_copy_id(self) -> None:
        resource = self.resource_under_cursor()
        if resource is None:
            self.notify("Nothing under the cursor to copy.", severity="warning")
            return
        self.copy_to_clipboard(resource.id)
        self.notify(resource.id, title=f"Copied the ID of {resource_title(resource)}", markup=False)

    def action_show_json(self) -> None:
        from acrfence.tui.screens.raw_json import RawJsonScreen

        resource = self.resource_under_cursor()
        if resource is None:
            self.notify("Nothing under the cursor to show.", severity="warning")
            return
        self.push_screen(RawJsonScreen(resource_title(resource), resource.id, resource.raw))

    async def action_jump(self) -> None:
        # Awaited, so the prompt is mounted and focused (JumpScreen.on_mount) before the app
        # hands out the keys typed right after `:`; otherwise they went nowhere.
        await self.push_screen(JumpScreen(), self._jump_to)

    def _jump_to(self, typed: str | None) -> None:
        if not typed:
            return
        view = find_view(typed)
        if view is None:
            self.notify(f"No view named {typed!r}.", severity="warning", markup=False)
            return
        self.go_to_view(view)

    def go_to_view(self, view: str) -> None:
        """Show a view by name (see tui.screens.jump.VIEWS) from any dashboard screen."""
        from acrfence.tui.screens.dashboard import DashboardScreen
        from acrfence.tui.screens.findings import FindingsScreen
        from acrfence.tui.screens.help import HelpScreen

        if view == "help":
            self.push_screen(HelpScreen())
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()
        if view == "findings":
            self.push_screen(FindingsScreen())
        elif isinstance(self.screen, DashboardScreen):
            self.screen.action_pane(view)
