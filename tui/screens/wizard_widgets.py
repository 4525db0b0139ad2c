"""Toggles whose state reads without colour: ``[x]``/``[ ]`` and ``(•)``/``( )`` as characters.

Textual draws every toggle as ``▐X▌`` and tells on from off by colour alone; over SSH on a
monochrome terminal (or in ``tmux capture-pane``) every entry then looks chosen. These draw the
state, and the highlighted row of a list, with characters.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.widgets import Checkbox, Input, OptionList, RadioButton, Select, SelectionList
from textual.widgets.option_list import OptionDoesNotExist

from acrfence.services.models import Registry
from acrfence.tui.actions import wizard_shadowed_keys

__all__ = [
    "ListFilterInput",
    "MarkedCheckbox",
    "MarkedRadioButton",
    "MarkedSelectionList",
    "mark",
    "shadow_dashboard_keys",
]

CURSOR = "›"


def mark(on: bool) -> str:
    return "[x]" if on else "[ ]"


def _marked(toggle: Checkbox | RadioButton, marker: str) -> Content:
    """``marker`` then the label, as ToggleButton lays out its own button and label."""
    label = toggle.label.pad(1, 1).stylize_before(toggle.get_visual_style("toggle--label"))
    return Content.assemble((marker, toggle.get_visual_style("toggle--button")), " ", label)


class MarkedCheckbox(Checkbox):
    def render(self) -> Content:
        return _marked(self, mark(self.value))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.render().cell_length


class MarkedRadioButton(RadioButton):
    def render(self) -> Content:
        return _marked(self, "(•)" if self.value else "( )")

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.render().cell_length


class MarkedSelectionList(SelectionList[str]):
    """A SelectionList drawn as ``› [x] prompt``: ``›`` marks the highlighted row.

    Prompts are one line each (a row is an option). The list lays them out beside its own
    4-column toggle; this gutter is 6, so the line is cut to the list's width: a prompt
    within 2 columns of the edge loses its end, where Textual's would reach the edge.
    """

    GUTTER = len(f"{CURSOR} {mark(True)} ")

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except OptionDoesNotExist:  # past the last option: a blank line
            return line
        segments = list(line)
        base = (segments[0].style if segments else None) or self.rich_style or Style()
        meta = Style(meta={"option": index})
        cursor = CURSOR if self.highlighted == index else " "
        text = f"{cursor} {mark(selection.value in self.selected)} "
        marked = Strip([Segment(text, base + meta), *segments])
        return marked.crop(0, max(line.cell_length, self.GUTTER))


class ListFilterInput(Input):
    """A filter field above a list: down (or up) goes into the list it narrows, as in a picker
    such as fzf; without it, the arrow keys did nothing there and space typed into the filter."""

    BINDINGS = [
        Binding("down", "into_list", show=False),
        Binding("up", "into_list", show=False),
    ]

    def __init__(self, list_id: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.list_id = list_id

    def action_into_list(self) -> None:
        self.screen.query_one(f"#{self.list_id}", SelectionList).focus()


def shadow_dashboard_keys(*keep: str) -> list[Binding]:
    """Hidden no-op bindings for the dashboard's keys (taken from the action table), except
    ``keep`` (the screen's own)."""
    return [
        Binding(key, "ignore_key", show=False) for key in wizard_shadowed_keys() if key not in keep
    ]


def premium_registry_select(registries: Iterable[Registry], chosen: Registry | None) -> Select[str]:
    """The wizards' registry field: Premium registries by name, the chosen one picked if Premium."""
    premium = sorted((r for r in registries if r.is_premium), key=lambda r: r.name.casefold())
    return Select(
        [(r.name, r.id) for r in premium],
        id="registry",
        value=chosen.id if chosen and chosen.is_premium else Select.NULL,
        prompt="choose a Premium registry",
        compact=True,
    )
