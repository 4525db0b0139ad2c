"""Toggles whose state reads without colour: ``[x]``/``[ ]`` and ``(•)``/``( )`` as characters.

Textual draws every toggle as ``▐X▌`` and tells on from off by colour alone; over SSH on a
monochrome terminal (or in ``tmux capture-pane``) every entry then looks chosen. These draw the
state, and the highlighted row of a list, with characters.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, OptionList, RadioButton, SelectionList

from tui.actions import wizard_shadowed_keys

__all__ = [
    "MarkedCheckbox",
    "MarkedRadioButton",
    "MarkedSelectionList",
    "mark",
    "shadow_dashboard_keys",
]

CURSOR = "›"


def mark(on: bool) -> str:
    return "[x]" if on else "[ ]"


class MarkedCheckbox(Checkbox):
    @property
    def _button(self) -> Content:
        return Content.assemble((mark(self.value), self.get_visual_style("toggle--button")), " ")


class MarkedRadioButton(RadioButton):
    @property
    def _button(self) -> Content:
        return Content.assemble(
            ("(•)" if self.value else "( )", self.get_visual_style("toggle--button")), " "
        )


class MarkedSelectionList(SelectionList[str]):
    """A SelectionList drawn as ``› [x] prompt``: ``›`` marks the highlighted row."""

    GUTTER = len(f"{CURSOR} {mark(True)} ")

    def _get_left_gutter_width(self) -> int:
        return self.GUTTER

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except Exception:  # past the last option: a blank line
            return line
        segments = list(line)
        base = (segments[0].style if segments else None) or self.rich_style or Style()
        meta = Style(meta={"option": index})
        cursor = CURSOR if self.highlighted == index else " "
        text = f"{cursor} {mark(selection.value in self._selected)} "
        return Strip([Segment(text, base + meta), *segments])


def shadow_dashboard_keys(*keep: str) -> list[Binding]:
    """Hidden no-op bindings for the dashboard's keys (taken from the action table), except
    ``keep`` (the screen's own)."""
    return [
        Binding(key, "ignore_key", show=False) for key in wizard_shadowed_keys() if key not in keep
    ]
