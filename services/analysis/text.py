"""Small wording helpers so every sentence counts and lists things the same way."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["plural", "join_words", "name_some", "does"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 IP range", "2 IP ranges"."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {word}"


def join_words(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def name_some(names: Sequence[str], noun: str, limit: int = 2) -> str:
    """Names while they are few ("a/b and c/d"), a count once they are many ("5 subnets")."""
    if len(names) <= limit:
        return join_words(names)
    return plural(len(names), noun)


def does(count: int) -> str:
    """The verb agreeing with a count: "1 rule does", "2 rules do"."""
    return "does" if count == 1 else "do"
