"""The command line's exit statuses: one list for every command (README, "Exit status").

Scripts and CI branch on these, so each number means one thing whatever the command.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Exit"]


class Exit(IntEnum):
    OK = 0  # done: applied and verified, every probe as expected, nothing at --fail-on
    FAILED = 1  # failed, blocked, declined, not as expected, findings at --fail-on, partial
    BAD_INPUT = 2  # bad input or configuration: one line, nothing changed
    AZURE_REFUSED = 3  # Azure refused the identity, or couldn't be read at all
    NOT_EFFECTIVE = 4  # applied, but the data plane doesn't agree yet: wait, then probe
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells count it
    BROKEN_PIPE = 141  # the reader went away (128 + SIGPIPE), as Unix tools answer
