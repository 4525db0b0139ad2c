"""The ACR data plane: one HTTPS listener for every login server (`<name>.azurecr.io`) and
data endpoint (`<name>.<region>.data.azurecr.io`), told apart by the Host header.

Every request first passes the registry's network rules for the caller's vantage (its source
address) and the path it came by (the local address it reached: the public listener, or a
private endpoint's loopback address, see private_addresses.py): a refusal is ACR's 403 DENIED
naming the client IP, before anything else is looked at. Public network access Disabled gets
the same DENIED naming the client's public IP: Microsoft's support article "Client with IP
<address> is not allowed access" gives that one message for a firewall that blocks the device
"or disables public network access" (MicrosoftDocs/SupportArticles-docs,
support/azure/azure-container-registry/client-ip-address-not-allowed-access.md).

Then the token endpoints (docker's token protocol as ACR extends it):

- `POST /oauth2/exchange`: an AAD (here: the emulator's ARM) access token, or a refresh token,
  for an ACR refresh token;
- `POST /oauth2/token`: a refresh token, or a username and password (`grant_type=password`),
  for an access token scoped to what `scope` asks (`repository:R:pull`, `registry:catalog:*`);
- `GET /oauth2/token` with Basic credentials, as docker-style clients ask after a 401.

Anonymous token requests get pull scopes only on registries with anonymous pull enabled.
The registry's content routes live in registry_api.py (reads) and registry_writes.py (attribute
updates, deletes); each checks its scope in the access token's `access` claim and answers a
401 challenge naming the scope it needs otherwise.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import json

from aiohttp import web

from acrfence.emulator.access import Caller, decide
from acrfence.emulator.private_addresses import endpoint_at
from acrfence.emulator.registry_api import RegistryApi
from acrfence.emulator.registry_content import DEFAULT_REPOSITORIES, Repository, build_repositories
from acrfence.emulator.registry_http import (
    COMMON_HEADERS,
    LOGIN_SERVER,
    REGISTRY_KEY,
    UNAUTHORIZED_BODY,
    errors_response,
)
from acrfence.emulator.registry_tokens import Scope, TokenSigner, grants, parse_scopes
from acrfence.emulator.registry_writes import RegistryWrites
from acrfence.emulator.state import CONTAINER_REGISTRY, INTERNET_VANTAGE, Tenant

# Actions ACR knows; an access token grants only these, as requested.
KNOWN_ACTIONS = frozenset({"pull", "push", "delete", "metadata_read", "metadata_write", "*"})
# The Azure CLI asks for `repository:R:metadataRead` (azure-cli acr/_docker_utils.py,
# RepoAccessTokenPermission) and then reads /acr/v1/R/_tags, whose challenge names
# `metadata_read`: ACR treats the two spellings as one action.
ACTION_ALIASES = {"metadataRead": "metadata_read", "metadataWrite": "metadata_write"}


class DataPlane:
    def __init__(self, tenant: Tenant, arm_token: str) -> None:
        self.tenant = tenant
        self.arm_token = arm_token
        self.tokens = TokenSigner()
        self._content: dict[str, tuple[object, dict[str, Repository]]] = {}
        # The addresses of the public listener; a connection accepted anywhere else came to a
        # private endpoint's loopback address (server.py fills this in once listening).
        self.public_addresses: set[str] = {INTERNET_VANTAGE}

    # ---- the network decision --------------------------------------------------------------

    def caller(self, peer: str, local: str | None = None) -> Caller:
        """Who `peer` is; `local` (the address the connection reached) says which path it
        took: the public endpoint, or the private endpoint holding that address."""
        private_endpoint = None
        if local is not None and local not in self.public_addresses:
            with self.tenant.lock:
                subnet_key = self.tenant.subnet_by_vantage.get(peer)
            vnet = subnet_key.rsplit("/subnets/", 1)[0] if subnet_key else None
            private_endpoint = endpoint_at(self.tenant, local, vnet) or ""
        with self.tenant.lock:
            subnet_key = self.tenant.subnet_by_vantage.get(peer)
            subnet = self.tenant.subnets.get(subnet_key) if subnet_key else None
            if subnet is None:
                # 127.0.0.1 (and any unknown address) is the public internet.
                return Caller(public_ip=self.tenant.public_ip, private_endpoint=private_endpoint)
            props = subnet["properties"]
            endpoint = any(
                e.get("service", "").lower() == CONTAINER_REGISTRY.lower()
                and e.get("provisioningState", "Succeeded") == "Succeeded"
                for e in props.get("serviceEndpoints") or []
            )
            vnet_key = subnet_key.rsplit("/subnets/", 1)[0]
            shorthand = frozenset(
                key
                for key, pe in self.tenant.private_endpoints.items()
                if not pe.get("ipAddresses")
                and pe["subnetId"].lower().rsplit("/subnets/", 1)[0] == vnet_key
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
                vnet_private_endpoints=shorthand,
                private_endpoint=private_endpoint,
            )

    @web.middleware
    async def firewall(self, request: web.Request, handler):
        host = (request.host or "").split(":")[0].lower()
        registry = self.tenant.find_registry_by_host(host)
        if registry is None:
            return errors_response(404, "NAME_UNKNOWN", f"registry '{host}' was not found")
        if request.transport is None:
            # The client went away while the request waited (injected latency): no one to
            # judge or answer.
            raise ConnectionResetError("the client closed the connection")
        peer = (request.transport.get_extra_info("peername") or (INTERNET_VANTAGE, 0))[0]
        local = (request.transport.get_extra_info("sockname") or (INTERNET_VANTAGE, 0))[0]
        view = self.tenant.effective_network_view(registry["id"].lower())
        decision = decide(view, self.caller(peer, local))
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
                headers=COMMON_HEADERS,
            )  # fmt: skip
        request[LOGIN_SERVER] = registry["properties"]["loginServer"]
        request[REGISTRY_KEY] = registry["id"].lower()
        return await handler(request)

    # ---- content and authorisation, used by the routes ---------------------------------------

    def repositories(self, request: web.Request) -> dict[str, Repository]:
        """The registry's repositories: its seed's, or the demo ones (built once per seed)."""
        key = request[REGISTRY_KEY]
        with self.tenant.lock:
            specs = self.tenant.repositories.get(key)
        cached = self._content.get(key)
        if cached is None or cached[0] is not specs:
            cached = (
                specs,
                build_repositories(specs if specs is not None else DEFAULT_REPOSITORIES),
            )
            self._content[key] = cached
        return cached[1]

    def change_repositories(self, request: web.Request, change) -> None:
        """Apply `change` to a copy of the registry's repository specs and store it (the state
        file saves it; the next read rebuilds the content from it)."""
        key = request[REGISTRY_KEY]
        with self.tenant.changing():
            current = self.tenant.repositories.get(key)
            specs = copy.deepcopy(list(current if current is not None else DEFAULT_REPOSITORIES))
            change(specs)
            self.tenant.repositories[key] = specs

    def challenge(
        self, request: web.Request, scope: Scope | None = None, error: str | None = None
    ) -> web.Response:
        """ACR's 401: the realm and service, and the scope the request needs (when it needs one)."""
        server = request[LOGIN_SERVER]
        header = f'Bearer realm="https://{server}/oauth2/token",service="{server}"'
        body = UNAUTHORIZED_BODY
        if scope is not None:
            header += f',scope="{scope.type}:{scope.name}:{",".join(scope.actions)}"'
            detail = [{"Type": scope.type, "Name": scope.name, "Action": a} for a in scope.actions]
            message = (
                "authentication required, visit https://aka.ms/acr/authorization for more "
                "information."
            )
            body = (
                json.dumps(
                    {"errors": [{"code": "UNAUTHORIZED", "message": message, "detail": detail}]},
                    separators=(",", ":"),
                )
                + "\n"
            )
        if error:
            header += f',error="{error}"'
        headers = {
            **COMMON_HEADERS,
            "Access-Control-Expose-Headers": "Docker-Content-Digest, WWW-Authenticate, Link, "
            "X-Ms-Correlation-Request-Id",
            "WWW-Authenticate": header,
        }
        return web.Response(
            status=401, text=body, content_type="application/json", charset="utf-8",
            headers=headers,
        )  # fmt: skip

    def _bearer_claims(self, request: web.Request) -> dict | None:
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith("bearer "):
            return None
        return self.tokens.verify(auth[7:].strip(), request[LOGIN_SERVER], "access_token")

    def require(
        self, request: web.Request, kind: str, name: str, action: str
    ) -> web.Response | None:
        """None when the request's access token grants `action` on `kind:name`; else the 401."""
        claims = self._bearer_claims(request)
        scope = Scope(kind, name, (action,))
        if claims is None:
            presented = request.headers.get("Authorization", "").lower().startswith("bearer ")
            return self.challenge(request, scope, "invalid_token" if presented else None)
        if not grants(claims, kind, name, action):
            return self.challenge(request, scope, "insufficient_scope")
        return None

    # ---- routes ------------------------------------------------------------------------------

    async def v2(self, request: web.Request) -> web.Response:
        if self._bearer_claims(request) is None:
            return self.challenge(request)
        return web.json_response({}, headers=COMMON_HEADERS)

    def _identity(self, request: web.Request, username: str, password: str) -> str | None:
        """Who a username and password stand for: a refresh token (az and docker send it with
        the null GUID as username) or the AAD token itself; None if neither."""
        claims = self.tokens.verify(password, request[LOGIN_SERVER], "refresh_token")
        if claims is not None:
            return str(claims.get("sub", username))
        if password and password == self.arm_token:
            return "aad-identity"
        return None

    async def exchange(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = form.get("grant_type")
        subject = None
        if grant in ("access_token", "access_token_refresh_token"):
            if form.get("access_token") == self.arm_token:
                subject = "aad-identity"
        elif grant == "refresh_token":
            claims = self.tokens.verify(
                str(form.get("refresh_token", "")), request[LOGIN_SERVER], "refresh_token"
            )
            subject = claims.get("sub") if claims else None
        if subject is None:
            return errors_response(
                401, "UNAUTHORIZED", "the access token is not valid for this registry"
            )
        token = self.tokens.refresh_token(request[LOGIN_SERVER], str(subject))
        return web.json_response({"refresh_token": token}, headers=COMMON_HEADERS)

    def _grant(self, request: web.Request, subject: str | None, scopes: list[Scope]):
        """An access token for what the caller may have of `scopes`, or the 401."""
        if subject is None:
            registry = self.tenant.get_registry(request[REGISTRY_KEY]) or {}
            if not registry.get("properties", {}).get("anonymousPullEnabled"):
                return errors_response(401, "UNAUTHORIZED", "authentication required")
            # Anonymous pull: repository pulls only, never the catalog.
            scopes = [
                Scope(s.type, s.name, tuple(a for a in s.actions if a == "pull"))
                for s in scopes
                if s.type == "repository"
            ]
            subject = "anonymous"
        granted = []
        for scope in scopes:
            actions = (ACTION_ALIASES.get(action, action) for action in scope.actions)
            known = tuple(dict.fromkeys(a for a in actions if a in KNOWN_ACTIONS))
            granted.append(Scope(scope.type, scope.name, known))
        token = self.tokens.access_token(request[LOGIN_SERVER], subject, granted)
        return web.json_response({"access_token": token}, headers=COMMON_HEADERS)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = form.get("grant_type")
        scopes = parse_scopes([str(v) for v in form.getall("scope", [])])
        if grant == "refresh_token":
            claims = self.tokens.verify(
                str(form.get("refresh_token", "")), request[LOGIN_SERVER], "refresh_token"
            )
            if claims is None:
                return errors_response(401, "UNAUTHORIZED", "the refresh token is not valid")
            return self._grant(request, str(claims.get("sub")), scopes)
        if grant == "password":
            username = str(form.get("username", ""))
            password = str(form.get("password", ""))
            if not username and not password:
                return self._grant(request, None, scopes)  # the ACR SDK's anonymous client
            subject = self._identity(request, username, password)
            if subject is None:
                return errors_response(401, "UNAUTHORIZED", "the username or password is not valid")
            return self._grant(request, subject, scopes)
        return errors_response(400, "UNSUPPORTED", f"grant_type {grant!r} is not supported")

    async def token_get(self, request: web.Request) -> web.Response:
        """Docker's token request: GET with the scopes in the query, Basic credentials or none."""
        scopes = parse_scopes(request.query.getall("scope", []))
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return self._grant(request, None, scopes)
        try:
            username, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return errors_response(401, "UNAUTHORIZED", "the Basic credentials are malformed")
        subject = self._identity(request, username, password)
        if subject is None:
            return errors_response(401, "UNAUTHORIZED", "the username or password is not valid")
        return self._grant(request, subject, scopes)

    def application(self, extra_middlewares: list) -> web.Application:
        app = web.Application(middlewares=[*extra_middlewares, self.firewall])
        app.router.add_get("/v2/", self.v2)
        app.router.add_get("/v2", self.v2)
        app.router.add_post("/oauth2/exchange", self.exchange)
        app.router.add_post("/oauth2/token", self.token)
        app.router.add_get("/oauth2/token", self.token_get)
        reads = RegistryApi(self)
        # Writes first: their paths are more specific than the reads' catch-all repository.
        RegistryWrites(self, reads).add_routes(app.router)
        reads.add_routes(app.router)
        # Anything else still meets the firewall first, then a registry-style 404.
        app.router.add_route("*", "/{tail:.*}", self.not_found)
        return app

    async def not_found(self, request: web.Request) -> web.Response:
        return errors_response(404, "NOT_FOUND", f"no route {request.method} {request.path}")
