"""A resource's JSON as ARM last returned it, for the raw view (as k9s shows YAML).

The JSON comes from the service layer's last read (``raw`` on the inventory models). ARM's
GET of a registry, virtual network or subscription carries no secrets, but anything whose key
names a secret is hidden anyway: the raw view may be shared in a screenshot or a ticket.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["HIDDEN", "raw_json_text", "without_secrets"]

HIDDEN = "(hidden)"
# Key names that hold secrets in some ARM resource (passwords, keys, tokens, credentials).
_SECRET_KEY = re.compile(
    r"password|secret|token|credential|connectionstring|accesskey|sharedkey|primarykey|"
    r"secondarykey",
    re.IGNORECASE,
)


def without_secrets(value: Any) -> Any:
    """A copy of ``value`` with every secret-named key's value replaced by ``HIDDEN``."""
    if isinstance(value, Mapping):
        return {
            key: HIDDEN if _SECRET_KEY.search(str(key)) else without_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [without_secrets(item) for item in value]
    return value


def raw_json_text(raw: Mapping[str, Any] | None) -> str:
    """Indented JSON of the last read, secrets hidden; a sentence when there was none."""
    if raw is None:
        return "(no JSON kept for this resource: it was not read from Azure)"
    return json.dumps(without_secrets(raw), indent=2, sort_keys=False, ensure_ascii=False)
