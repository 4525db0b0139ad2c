"""A JSON page's rows decoded one at a time, so a thread parsing it lets the event loop run.

``json.loads`` holds the interpreter lock for the whole document: on the parsing thread, a
Resource Graph page of 1,000 virtual networks (27 MB, 50 subnets each) took ~0.5 s, and the
dashboard's loop could not run a single step meanwhile (a 380 ms stall measured with a 5 ms
ticker; the switch interval only applies between bytecodes). Decoded member by member,
each row with ``json.JSONDecoder.raw_decode`` (the same C scanner), the loop gets the lock
back between rows: the longest gap fell to 7 ms, for the same total time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["decode_rows"]

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


class _RowFailed(Exception):
    """What ``each`` raised, carried past the parser's own error handling."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


def decode_rows(
    body: bytes | str, rows_key: str, each: Callable[[int, Any], None]
) -> dict[str, Any]:
    """Decode the JSON object ``body``: ``each(index, row)`` for every element of its array
    member ``rows_key``, as it is decoded; the object's other members are returned.

    Malformed JSON raises ``json.JSONDecodeError`` (``ValueError``), as ``json.loads`` would;
    what ``each`` raises comes through as it is.
    """
    text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
    try:
        return _members(text, rows_key, each)
    except _RowFailed as failed:
        raise failed.error from None
    except (IndexError, ValueError):
        json.loads(text)  # the error json.loads gives, with its position
        raise json.JSONDecodeError("unexpected structure", text, 0) from None


def _skip(text: str, position: int) -> int:
    """The position of the next character that isn't JSON whitespace."""
    space = _SPACE.match(text, position)
    return space.end() if space else position


def _members(text: str, rows_key: str, each: Callable[[int, Any], None]) -> dict[str, Any]:
    decode = _DECODER.raw_decode
    members: dict[str, Any] = {}
    position = _skip(text, 0)
    if text[position] != "{":
        raise ValueError("not an object")
    position = _skip(text, position + 1)
    if text[position] == "}":
        return members
    while True:
        key, position = decode(text, position)
        position = _skip(text, position)
        if not isinstance(key, str) or text[position] != ":":
            raise ValueError("a member without a name")
        position = _skip(text, position + 1)
        if key == rows_key and text[position] == "[":
            position = _rows(text, _skip(text, position + 1), each)
        else:
            members[key], position = decode(text, position)
        position = _skip(text, position)
        if text[position] == "}":
            if _skip(text, position + 1) != len(text):
                raise ValueError("extra data")
            return members
        if text[position] != ",":
            raise ValueError("expected ',' or '}'")
        position = _skip(text, position + 1)


def _rows(text: str, position: int, each: Callable[[int, Any], None]) -> int:
    """Decode the array whose first element starts at ``position``; the position after it."""
    decode = _DECODER.raw_decode
    if text[position] == "]":
        return position + 1
    index = 0
    while True:
        row, position = decode(text, position)
        try:
            each(index, row)
        except Exception as error:
            raise _RowFailed(error) from error
        index += 1
        position = _skip(text, position)
        if text[position] == "]":
            return position + 1
        if text[position] != ",":
            raise ValueError("expected ',' or ']'")
        position = _skip(text, position + 1)
