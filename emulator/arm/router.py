"""A small case-insensitive router: ARM paths compare case-insensitively."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from acrfence.emulator.arm.context import ArmContext, Reply
from acrfence.emulator.errors import ArmError

Handler = Callable[[ArmContext], Reply | Awaitable[Reply]]

SEGMENT = r"[^/]+"


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []

    def add(self, pattern: str, **handlers: Handler) -> None:
        """`pattern` uses {name} placeholders for path segments; handlers by HTTP method."""
        regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>{SEGMENT})", pattern)
        self._routes.append(
            (re.compile(f"^{regex}/?$", re.IGNORECASE), {k.upper(): v for k, v in handlers.items()})
        )

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        for regex, handlers in self._routes:
            match = regex.match(path)
            if match is None:
                continue
            handler = handlers.get(method.upper())
            if handler is None:
                raise ArmError(
                    405,
                    "HttpMethodNotSupported",
                    f"The http method '{method}' is not supported for this resource.",
                )
            return handler, match.groupdict()
        raise ArmError(
            404,
            "NotFound",
            f"No HTTP resource was found that matches the request URI '{path}'.",
        )
