"""What every data-plane answer shares: ACR's headers, its error body, the request keys."""

from __future__ import annotations

import json

from aiohttp import web

UNAUTHORIZED_BODY = (
    '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required, visit '
    'https://aka.ms/acr/authorization for more information.","detail":null}]}\n'
)
COMMON_HEADERS = {
    "Server": "openresty",
    "Docker-Distribution-Api-Version": "registry/2.0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
}
LOGIN_SERVER = web.RequestKey("login_server", str)
REGISTRY_KEY = web.RequestKey("registry_key", str)


def errors_response(
    status: int, code: str, message: str, headers: dict | None = None
) -> web.Response:
    """ACR's error body: {"errors": [{"code", "message"}]}."""
    body = json.dumps({"errors": [{"code": code, "message": message}]})
    return web.Response(
        status=status, text=body, content_type="application/json", charset="utf-8",
        headers={**COMMON_HEADERS, **(headers or {})},
    )  # fmt: skip
