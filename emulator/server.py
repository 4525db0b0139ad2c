"""The two HTTPS listeners: ARM (with the admin routes under /_emulator) and the ACR data plane.

ARM request pipeline: latency fault, then bearer authentication (ARM's 401 with
WWW-Authenticate), then counted faults (429/5xx/409), then the route; after a GET, a pending
concurrent writer for that resource runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import secrets
import uuid

from aiohttp import web

from acrfence.emulator.arm.context import ArmContext, Reply, Settings
from acrfence.emulator.arm.registries import render as render_registry
from acrfence.emulator.arm.routes import arm_router
from acrfence.emulator.certs import registry_names, server_context
from acrfence.emulator.dataplane import DataPlane
from acrfence.emulator.dns_server import DnsServer
from acrfence.emulator.errors import ArmError
from acrfence.emulator.faults import FaultController
from acrfence.emulator.identity import IDENTITY_PATH, identity_answer
from acrfence.emulator.lro import OperationStore
from acrfence.emulator.private_addresses import private_address_map
from acrfence.emulator.resource_graph import (
    STABLE_REGISTRY_VERSION,
    GraphQuota,
    ResourceGraph,
    answer_json,
)
from acrfence.emulator.state import Tenant
from acrfence.emulator.tenant_json import tenant_to_json
from acrfence.emulator.throttle import ReadThrottle, ThrottleSettings

ANONYMOUS_PATHS = ("/metadata/endpoints",)
RESOURCE_GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
# What reading a request or writing its answer raises once the client has gone (aiohttp's
# ClientConnectionResetError is a ConnectionResetError).
_CLIENT_GONE = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
_AUTH_URI = (
    'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"'
)


@web.middleware
async def quiet_when_client_gone(request: web.Request, handler):
    """A client that dies mid-request (killed probe, Ctrl-C'd CLI) is routine for a server:
    answer into the void instead of logging a ConnectionResetError traceback, which would
    read as the emulator failing. aiohttp drops the answer quietly when it can't be sent."""
    try:
        return await handler(request)
    except _CLIENT_GONE:
        return web.Response(status=400, text="client went away")


def _arm_response(reply: Reply) -> web.Response:
    headers = {
        "x-ms-request-id": str(uuid.uuid4()),
        "x-ms-correlation-request-id": str(uuid.uuid4()),
        "Cache-Control": "no-cache",
        **reply.headers,
    }
    if reply.body is None:
        return web.Response(status=reply.status, headers=headers)
    return web.Response(
        status=reply.status,
        # bytes: already JSON (a Resource Graph page, serialized on a thread).
        body=reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode(),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def _error_response(error: ArmError) -> web.Response:
    return web.Response(
        status=error.status,
        body=error.body(),
        content_type="application/json",
        charset="utf-8",
        headers={"x-ms-request-id": str(uuid.uuid4()), **error.headers},
    )


class EmulatorServer:
    def __init__(
        self,
        tenant: Tenant,
        token: str,
        faults: FaultController,
        settings: Settings,
        host: str = "127.0.0.1",
        arm_port: int = 0,
        registry_port: int = 0,
        throttle: ThrottleSettings | None = None,
        dns_port: int = 0,
    ) -> None:
        self.tenant = tenant
        self.token = token
        self.faults = faults
        self.settings = settings
        self.host = host
        self.arm_port = arm_port
        self.registry_port = registry_port
        self.operations = OperationStore()
        self.router = arm_router()
        self.dataplane = DataPlane(tenant, token)
        # The secret a client shows the managed-identity endpoint (App Service's IDENTITY_HEADER).
        self.identity_header = secrets.token_urlsafe(16)
        self.throttle = ReadThrottle(throttle)
        self.resource_graph = ResourceGraph(
            tenant,
            lambda registry: render_registry(registry, STABLE_REGISTRY_VERSION),
            GraphQuota(),
        )
        self._runners: list[web.AppRunner] = []
        self.dns = DnsServer(tenant, "127.0.0.1", dns_port, before_answer=self.sync_private_sites)
        # Data-plane listeners on private endpoints' loopback addresses (private_addresses.py).
        self._private_sites: dict[str, web.TCPSite] = {}
        self._registry_runner: web.AppRunner | None = None
        self._registry_tls = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync_lock = asyncio.Lock()

    # ---- ARM -------------------------------------------------------------------------------

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization")
        if not header:
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                {"WWW-Authenticate": _AUTH_URI + ', error_description="The authentication '
                 "failed because of missing 'Authorization' header.\""},
            )  # fmt: skip
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            raise ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                {"WWW-Authenticate": _AUTH_URI + ', error_description="The access token is '
                 'invalid."'},
            )  # fmt: skip

    async def _latency(self, request: web.Request) -> None:
        delay = self.faults.latency_ms(request.method, request.path)
        if delay:
            await asyncio.sleep(delay / 1000)

    @staticmethod
    def _principal(request: web.Request) -> str:
        # ARM meters per principal; a digest of the bearer token stands for it (the token
        # itself never appears in an answer).
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        return hashlib.sha256(token.encode()).hexdigest()[:16]

    async def handle_arm(self, request: web.Request) -> web.Response:
        rate_headers: dict[str, str] = {}
        try:
            await self._latency(request)
            if request.path.rstrip("/") == IDENTITY_PATH:
                return self._identity(request)
            if request.path.rstrip("/") not in ANONYMOUS_PATHS:
                self._authenticate(request)
            if request.path.startswith("/_emulator/"):
                return await self._admin(request)
            rate_headers = self.throttle.charge(
                self._principal(request), request.method, request.path
            )
            fault = self.faults.take_counted(request.method, request.path)
            if fault is not None:
                raise _fault_error(fault)
            if request.path.lower() == RESOURCE_GRAPH_PATH:
                return await self._resource_graph(request)
            handler, params = self.router.resolve(request.method, request.path)
            context = ArmContext(
                tenant=self.tenant,
                faults=self.faults,
                operations=self.operations,
                settings=self.settings,
                base_url=f"{request.scheme}://{request.host}",
                method=request.method,
                path=request.path,
                query=dict(request.query),
                params=params,
                raw_body=await request.read(),
                headers={name.lower(): value for name, value in request.headers.items()},
            )
            reply = handler(context)
            if inspect.isawaitable(reply):
                reply = await reply
            response = _arm_response(reply)
            response.headers.update(rate_headers)
        except ArmError as error:
            response = _error_response(error)
            response.headers.update(rate_headers)
            return response
        if request.method == "GET":
            writer = self.faults.take_writer(request.path)
            if writer is not None:
                writer(self.tenant)
        return response

    def _identity(self, request: web.Request) -> web.Response:
        """The managed-identity token endpoint (see emulator/identity.py); never logged."""
        status, body = identity_answer(
            dict(request.query), dict(request.headers), self.token, self.identity_header
        )
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def _resource_graph(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            raise ArmError(
                405, "MethodNotAllowed", "The requested method is not allowed for this resource."
            )
        # On a thread, as Azure answers queries apart from the ARM reads running beside them:
        # a page of the fleet tenant takes a while to build, and on the loop it held back
        # every other answer, which then all left at once.
        body, headers = await asyncio.to_thread(
            self.resource_graph.query,
            self._principal(request),
            request.query.get("api-version"),
            await request.read(),
        )
        return _arm_response(Reply(200, await asyncio.to_thread(answer_json, body), headers))

    async def _admin(self, request: web.Request) -> web.Response:
        if request.path == "/_emulator/faults" and request.method == "POST":
            try:
                spec = json.loads(await request.read() or b"{}")
                self.faults.apply(spec)
            except (ValueError, AttributeError) as exc:
                raise ArmError(400, "InvalidFault", str(exc)) from exc
            return _arm_response(Reply(200, {"applied": spec}))
        if request.path == "/_emulator/throttle":
            return self._admin_throttle(request.method, await request.read())
        if request.path == "/_emulator/state" and request.method == "GET":
            return _arm_response(Reply(200, tenant_to_json(self.tenant)))
        raise ArmError(404, "NotFound", f"No admin route {request.method} {request.path}.")

    def _admin_throttle(self, method: str, raw: bytes) -> web.Response:
        """GET: the read-throttling settings and how many 429s were answered; POST: change them."""
        if method == "POST":
            try:
                spec = json.loads(raw or b"{}")
                current = self.throttle.settings
                settings = ThrottleSettings(
                    enabled=bool(spec.get("enabled", current.enabled)),
                    bucket=int(spec.get("bucket", current.bucket)),
                    refill_per_s=float(spec.get("refill_per_s", current.refill_per_s)),
                    global_multiplier=int(spec.get("global_multiplier", current.global_multiplier)),
                )
                if settings.bucket < 1 or not settings.refill_per_s > 0:
                    raise ValueError("bucket must be at least 1 and refill_per_s above 0")
            except (ValueError, TypeError, AttributeError) as exc:
                raise ArmError(400, "InvalidThrottle", str(exc)) from exc
            self.throttle.configure(settings)
        elif method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"{method} is not allowed here.")
        settings = self.throttle.settings
        return _arm_response(
            Reply(
                200,
                {
                    "enabled": settings.enabled,
                    "bucket": settings.bucket,
                    "refill_per_s": settings.refill_per_s,
                    "global_multiplier": settings.global_multiplier,
                    "throttled": self.throttle.throttled,
                },
            )
        )

    # ---- data plane ------------------------------------------------------------------------

    @web.middleware
    async def _dataplane_latency(self, request: web.Request, handler):
        await self._latency(request)
        return await handler(request)

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        arm = web.Application(
            client_max_size=16 * 1024 * 1024, middlewares=[quiet_when_client_gone]
        )
        arm.router.add_route("*", "/{tail:.*}", self.handle_arm)
        registry = self.dataplane.application([quiet_when_client_gone, self._dataplane_latency])
        arm_tls = server_context("127.0.0.1", "localhost", self.host)
        registry_tls = server_context(*registry_names(self.tenant.regions()))
        for app, port, tls, attr in (
            (arm, self.arm_port, arm_tls, "arm_port"),
            (registry, self.registry_port, registry_tls, "registry_port"),
        ):
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, self.host, port, ssl_context=tls, reuse_address=True)
            await site.start()
            self._runners.append(runner)
            setattr(self, attr, runner.addresses[0][1])
        self._registry_runner, self._registry_tls = self._runners[-1], registry_tls
        self.dataplane.public_addresses = {str(a[0]) for a in self._registry_runner.addresses}
        await self.dns.start()
        await self.sync_private_sites()
        self._loop = asyncio.get_running_loop()
        self.tenant.on_change(self._tenant_changed)

    def _tenant_changed(self) -> None:
        """A change (maybe a private endpoint made or removed) from any thread: resync the
        private listeners on the server's loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self.sync_private_sites()))

    async def sync_private_sites(self) -> None:
        """Listen on the loopback address of every private endpoint IP, and on no other."""
        if self._registry_runner is None:
            return
        async with self._sync_lock:
            wanted = set(private_address_map(self.tenant).values())
            for address in set(self._private_sites) - wanted:
                await self._private_sites.pop(address).stop()
            for address in sorted(wanted - set(self._private_sites)):
                site = web.TCPSite(
                    self._registry_runner,
                    address,
                    self.registry_port,
                    ssl_context=self._registry_tls,
                    reuse_address=True,
                )
                try:
                    await site.start()
                except OSError:
                    continue  # taken by something else: that endpoint stays unreachable
                self._private_sites[address] = site

    @property
    def private_sites(self) -> list[str]:
        return sorted(self._private_sites)

    async def stop(self) -> None:
        # Operations accepted but not finished finish now, so a saved state holds no
        # "Updating" resource (and the data plane agrees with ARM on the next start).
        self.operations.complete_all()
        self._loop = None
        await self.dns.stop()
        self._private_sites.clear()  # the registry runner's cleanup stops them
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()


def _fault_error(fault) -> ArmError:
    if fault.kind == "throttle":
        return ArmError(
            429,
            "TooManyRequests",
            "The request is being throttled (injected fault).",
            {"Retry-After": str(fault.retry_after)},
        )
    if fault.kind == "conflict":
        return ArmError(
            409,
            "AnotherOperationInProgress",
            "Another operation on this or a dependent resource is in progress (injected fault).",
        )
    return ArmError(
        fault.status, "InternalServerError", "An internal server error occurred (injected fault)."
    )
