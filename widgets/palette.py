"""Named styles for every state the widgets draw, in two sets: with colour, and without.

Widgets style state words with these names ("acrfence.error"...), never with a colour; the app
installs one set on its console at start (``install_palette``). Without colour (``NO_COLOR``
set, or a terminal Rich finds no colours on) a state is told apart by bold, reverse and
underline, beside the symbol and word every marker already carries: Textual's own monochrome
filter turns red into a grey one step off the background (seen: colour 237 on 235 in tmux).
"""

from __future__ import annotations

from rich.console import Console
from rich.theme import Theme

__all__ = ["ERROR", "INFO", "MUTED", "OK", "PALETTE", "WARNING", "colourless", "install_palette"]

ERROR = "acrfence.error"  # something is wrong: a finding, a failure, a missing endpoint
WARNING = "acrfence.warning"  # worth a look: a warning, a denying default, access off
INFO = "acrfence.info"
OK = "acrfence.ok"  # healthy
MUTED = "acrfence.muted"  # an absent or secondary fact ("none", a message under a line)

# name -> (with colour, without colour)
PALETTE: dict[str, tuple[str, str]] = {
    ERROR: ("bold red", "bold reverse"),
    WARNING: ("yellow", "bold"),
    INFO: ("cyan", "none"),
    OK: ("green", "none"),
    MUTED: ("dim", "dim"),
}


def colourless(no_color: bool, console: Console) -> bool:
    """True when colours don't show: NO_COLOR, or a terminal without a colour system."""
    return no_color or console.color_system is None


def install_palette(console: Console, *, colour: bool) -> None:
    """Make the palette's names resolve on ``console`` (the app's, which draws every widget)."""
    index = 0 if colour else 1
    console.push_theme(Theme({name: styles[index] for name, styles in PALETTE.items()}))
