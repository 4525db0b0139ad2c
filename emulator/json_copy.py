"""A deep copy for the tenant's ARM JSON (dicts, lists, scalars), several times faster than
``copy.deepcopy``.

Every read hands out a copy so the answer can't change under a later write; on a big listing
those copies were the emulator's largest CPU cost (deepcopy's memo and dispatch per value).
Anything that isn't plain JSON still goes through ``copy.deepcopy``, so nothing is shared.
"""

from __future__ import annotations

import copy
from typing import Any

_IMMUTABLE = (str, int, float, bool, type(None))


def copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: v if type(v) in _IMMUTABLE else copy_json(v) for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [v if type(v) in _IMMUTABLE else copy_json(v) for v in value]
    if type(value) in _IMMUTABLE:
        return value
    return copy.deepcopy(value)
