"""The ACR data plane: one HTTPS listener for every login server (`<name>.azurecr.io`) and
data endpoint (`<name>.<region>.data.azurecr.io`), told apart by the Host header.

Every request first passes the registry's network rules for the caller's vantage (its source
address); then `/v2/` answers ACR's 401 challenge, `/oauth2/exchange` trades the ARM token for
a refresh token, `/oauth2/token` a refresh token for an access token, and with that token
`/v2/_catalog` and `/v2/hello-world/manifests/latest` work.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets

from aiohttp import web

from emulator.access import Caller, decide
from emulator.state import CONTAINER_REGISTRY, INTERNET_VANTAGE, Tenant

SAMPLE_REPOSITORY = "hello-world"
SAMPLE_TAG = "latest"
_CONFIG_DIGEST = "sha256:" + hashlib.sha256(b"acrfence sample config").hexdigest()
_LAYER_DIGEST = "sha256:" + hashlib.sha256(b"acrfence sample layer").hexdigest()
SAMPLE_MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1470,
            "digest": _CONFIG_DIGEST,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 2459,
                "digest": _LAYER_DIGEST,
            }
        ],
    },
    indent=3,
).encode()
SAMPLE_DIGEST = "sha256:" + hashlib.sha256(SAMPLE_MANIFEST).hexdigest()

_UNAUTHORIZED_BODY = (
    '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required, visit '
    'https://aka.ms/acr/authorization for more information.","detail":null}]}\n'
)
_COMMON_HEADERS = {
    "Server": "openresty",
    "Docker-Distribution-Api-Version": "registry/2.0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
}
LOGIN_SERVER = web.RequestKey("login_server", str)


def _errors(status: int, code: str, message: str, headers: dict | None = None) -> web.Response:
    body = json.dumps({"errors": [{"code": code, "message": message}]})
    return web.Response(
        status=status, text=body, content_type="application/json", charset="utf-8",
        headers={**_COMMON_HEADERS, **(headers or {})},
    )  # fmt: skip


class DataPlane:
    def __init__(self, tenant: Tenant, arm_token: str) -> None:
        self.tenant = tenant
        self.arm_token = arm_token
        self.refresh_tokens: dict[str, str] = {}  # token -> login server
        self.access_tokens: dict[str, str] = {}

    # ---- the network decision --------------------------------------------------------------

    def caller(self, peer: str) -> Caller:
        with self.tenant.lock:
            subnet_key = self.tenant.subnet_by_vantage.get(peer)
            subnet = self.tenant.subnets.get(subnet_key) if subnet_key else None
            if subnet is None:
                # 127.0.0.1 (and any unknown address) is the public internet.
                return Caller(public_ip=self.tenant.public_ip)
            props = subnet["properties"]
            endpoint = any(
                e.get("service", "").lower() == CONTAINER_REGISTRY.lower()
                and e.get("provisioningState", "Succeeded") == "Succeeded"
                for e in props.get("serviceEndpoints") or []
            )
            vnet_key = subnet_key.rsplit("/subnets/", 1)[0]
            endpoints = frozenset(
                key
                for key, pe in self.tenant.private_endpoints.items()
                if pe["subnetId"].lower().rsplit("/subnets/", 1)[0] == vnet_key
            )
            prefix = props.get("addressPrefix") or (props.get("addressPrefixes") or [""])[0]
            try:
                private_ip = str(ipaddress.ip_network(prefix, strict=False)[4])
            except (ValueError, IndexError):
                private_ip = None
            return Caller(
                public_ip=self.tenant.nat_ips[subnet_key],
                subnet_id=subnet["id"],
                private_ip=private_ip,
                has_registry_endpoint=endpoint,
                vnet_private_endpoints=endpoints,
            )

    @web.middleware
    async def firewall(self, request: web.Request, handler):
        host = (request.host or "").split(":")[0].lower()
        registry = self.tenant.find_registry_by_host(host)
        if registry is None:
            return _errors(404, "NAME_UNKNOWN", f"registry '{host}' was not found")
        if request.transport is None:
            # The client went away while the request waited (injected latency): no one to
            # judge or answer.
            raise ConnectionResetError("the client closed the connection")
        peer = (request.transport.get_extra_info("peername") or (INTERNET_VANTAGE, 0))[0]
        view = self.tenant.effective_network_view(registry["id"].lower())
        decision = decide(view, self.caller(peer))
        if not decision.allowed:
            message = (
                f"client with IP '{decision.client_ip}' is not allowed access. "
                "Refer https://aka.ms/acr/firewall to grant access."
            )
            # ACR's JSON escapes the quotes as \u0027 on the wire.
            body = json.dumps({"errors": [{"code": "DENIED", "message": message}]})
            body = body.replace("'", "\\u0027")
            return web.Response(
                status=403, text=body, content_type="application/json", charset="utf-8",
                headers=_COMMON_HEADERS,
            )  # fmt: skip
        request[LOGIN_SERVER] = registry["properties"]["loginServer"]
        return await handler(request)

    # ---- routes ------------------------------------------------------------------------------

    def _challenge(self, request: web.Request, scope: str | None = None) -> web.Response:
        server = request[LOGIN_SERVER]
        challenge = f'Bearer realm="https://{server}/oauth2/token",service="{server}"'
        if scope:
            challenge += f',scope="{scope}"'
        headers = {
            **_COMMON_HEADERS,
            "Access-Control-Expose-Headers": "Docker-Content-Digest, WWW-Authenticate, Link, "
            "X-Ms-Correlation-Request-Id",
            "WWW-Authenticate": challenge,
        }
        return web.Response(
            status=401, text=_UNAUTHORIZED_BODY, content_type="application/json",
            charset="utf-8", headers=headers,
        )  # fmt: skip

    def _authorised(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        return self.access_tokens.get(token) == request[LOGIN_SERVER]

    async def v2(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._challenge(request)
        return web.json_response({}, headers=_COMMON_HEADERS)

    async def exchange(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "access_token" or form.get("access_token") != self.arm_token:
            return _errors(401, "UNAUTHORIZED", "the access token is not valid for this registry")
        token = secrets.token_urlsafe(32)
        self.refresh_tokens[token] = request[LOGIN_SERVER]
        return web.json_response({"refresh_token": token}, headers=_COMMON_HEADERS)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        refresh = str(form.get("refresh_token", ""))
        if (
            form.get("grant_type") != "refresh_token"
            or self.refresh_tokens.get(refresh) != request[LOGIN_SERVER]
        ):
            return _errors(401, "UNAUTHORIZED", "the refresh token is not valid")
        token = secrets.token_urlsafe(32)
        self.access_tokens[token] = request[LOGIN_SERVER]
        return web.json_response({"access_token": token}, headers=_COMMON_HEADERS)

    async def catalog(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._challenge(request, "registry:catalog:*")
        return web.json_response({"repositories": [SAMPLE_REPOSITORY]}, headers=_COMMON_HEADERS)

    async def manifest(self, request: web.Request) -> web.Response:
        repository = request.match_info["repository"]
        if not self._authorised(request):
            return self._challenge(request, f"repository:{repository}:pull")
        reference = request.match_info["reference"]
        if repository != SAMPLE_REPOSITORY or reference not in (SAMPLE_TAG, SAMPLE_DIGEST):
            message = f'manifest tagged by "{reference}" is not found'
            return _errors(404, "MANIFEST_UNKNOWN", message)
        headers = {**_COMMON_HEADERS, "Docker-Content-Digest": SAMPLE_DIGEST}
        body = b"" if request.method == "HEAD" else SAMPLE_MANIFEST
        response = web.Response(status=200, body=body, headers=headers)
        response.content_type = "application/vnd.docker.distribution.manifest.v2+json"
        return response

    def application(self, extra_middlewares: list) -> web.Application:
        app = web.Application(middlewares=[*extra_middlewares, self.firewall])
        app.router.add_get("/v2/", self.v2)
        app.router.add_get("/v2", self.v2)
        app.router.add_post("/oauth2/exchange", self.exchange)
        app.router.add_post("/oauth2/token", self.token)
        app.router.add_get("/v2/_catalog", self.catalog)
        app.router.add_route("GET", "/v2/{repository:.+}/manifests/{reference}", self.manifest)
        app.router.add_route("HEAD", "/v2/{repository:.+}/manifests/{reference}", self.manifest)
        return app
