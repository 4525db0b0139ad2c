"""The one place that builds credentials and Azure SDK ``.aio`` clients for a Target.

Every client gets the same pipeline: the target's ARM endpoint and CA bundle, a short LRO
polling interval, a bounded retry that rides out 429/5xx (honouring Retry-After), and NO
automatic resource-provider registration (see ``_pipeline_policies``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, TypeVar

from azure.core.credentials import AccessToken
from azure.core.pipeline import policies
from azure.core.pipeline.transport import AioHttpTransport
from azure.mgmt.core.policies import ARMHttpLoggingPolicy, AsyncARMChallengeAuthenticationPolicy

from acrfence.services.config import Target
from acrfence.services.read_pacing import ReadPacer, ReadPacingPolicy

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential
    from azure.mgmt.containerregistry.aio import ContainerRegistryManagementClient
    from azure.mgmt.network.aio import NetworkManagementClient
    from azure.mgmt.privatedns.aio import PrivateDnsManagementClient
    from azure.mgmt.resource.resources.aio import ResourceManagementClient
    from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

# Any of the SDK clients this module builds and caches.
_Client = TypeVar("_Client")

# DefaultAzureCredential logs why each of its eight sources failed (thirteen lines) as a
# warning; with no logging set up Python prints that on stderr, above the one line acrfence
# says (services.errors). A handler on its logger keeps Python from doing so; an application
# that configures logging still receives the records (they propagate).
_QUIET_IDENTITY_LOG = logging.NullHandler()

__all__ = [
    "AzureClients",
    "NothingToClose",
    "StaticTokenCredential",
    "REGISTRY_API_VERSION",
    "REGISTRY_FALLBACK_API_VERSION",
    "NETWORK_API_VERSION",
    "refuses_api_version",
]

# Virtual network rules exist only in a few preview versions of the registry API (see
# ../shared/azure-reference/README.md). acrfence speaks the one the Azure CLI uses today
# (2.91, SDK 15.1.0b3): 2026-09-01-preview, which re-adds virtualNetworkRules and carries
# networkRuleBypassAllowedForTasks. Where Azure refuses it (a cloud or region it hasn't
# reached), the registry calls of that subscription fall back to 2021-08-01-preview, the
# version the CLI used before, and the UI says so (Registry.api_version_note).
REGISTRY_API_VERSION = "2026-09-01-preview"
REGISTRY_FALLBACK_API_VERSION = "2021-08-01-preview"
# ARM's answers for an api-version a resource provider doesn't serve (there or at all).
_REFUSED_VERSION_CODES = frozenset(
    {"NoRegisteredProviderFound", "InvalidApiVersionParameter", "InvalidResourceType"}
)
# Raw network listings (the inventory) use this stable version; the SDK's typed calls use the
# SDK's own default.
NETWORK_API_VERSION = "2024-05-01"

# The SDK default is 30 s between LRO polls unless the server sends Retry-After (which still
# wins): a wizard step would look hung. One second keeps steps snappy and Azure unbothered.
LRO_POLLING_INTERVAL_S = 1
# Bounded retries: 429/5xx are ridden out (Retry-After honoured), yet a dead service fails in
# seconds rather than minutes.
RETRY_TOTAL = 4
RETRY_BACKOFF_FACTOR_S = 0.2
RETRY_BACKOFF_MAX_S = 8
# Per-request network timeouts (seconds); azure-core's default read timeout is 300 s.
CONNECTION_TIMEOUT_S = 10
READ_TIMEOUT_S = 60


def refuses_api_version(error: BaseException) -> bool:
    """Whether an Azure error says the api-version asked for isn't served (400)."""
    # HttpResponseError raised with ARMErrorFormat carries ARM's code in .error.code.
    code = getattr(getattr(error, "error", None), "code", None)
    return getattr(error, "status_code", None) == 400 and code in _REFUSED_VERSION_CODES


class NothingToClose:
    """The async credential protocol's closing for a credential that holds no session."""

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class StaticTokenCredential(NothingToClose):
    """A bearer token handed to us (ACRFENCE_TOKEN); its value never appears in repr/logs."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticTokenCredential(<redacted>)"

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        # The expiry is unknown to us; an hour ahead keeps the SDK from asking again per call.
        return AccessToken(self._token, int(time.time()) + 3600)


def _pipeline_policies(credential: AsyncTokenCredential, scope: str, pacer: ReadPacer) -> list[Any]:
    """The SDK's standard ARM pipeline minus AsyncARMAutoResourceProviderRegistrationPolicy.

    That policy answers a 409 MissingSubscriptionRegistration by registering the provider
    behind the user's back and polling every 10 s. acrfence registers providers as an explicit,
    planned step the user sees and approves, so the 409 must reach us as an error instead.
    Passing ``policies=`` is the SDK's public way to choose the pipeline.
    """
    return [
        policies.RequestIdPolicy(),
        policies.HeadersPolicy(),
        policies.UserAgentPolicy(sdk_moniker="acrfence"),
        policies.ProxyPolicy(),
        policies.ContentDecodePolicy(),
        policies.AsyncRedirectPolicy(),
        policies.AsyncRetryPolicy(
            retry_total=RETRY_TOTAL,
            retry_backoff_factor=RETRY_BACKOFF_FACTOR_S,
            retry_backoff_max=RETRY_BACKOFF_MAX_S,
        ),
        # After the retry policy, so every attempt (a 429's retry too) waits its turn.
        ReadPacingPolicy(pacer),
        AsyncARMChallengeAuthenticationPolicy(credential, scope),
        policies.CustomHookPolicy(),
        policies.NetworkTraceLoggingPolicy(),
        policies.DistributedTracingPolicy(),
        policies.SensitiveHeaderCleanupPolicy(),
        ARMHttpLoggingPolicy(),
    ]


class AzureClients:
    """Builds and caches SDK clients for one Target; ``async with`` closes them all."""

    def __init__(
        self,
        target: Target,
        credential: AsyncTokenCredential | None = None,
        *,
        polling_interval: float = LRO_POLLING_INTERVAL_S,
    ) -> None:
        self.target = target
        # Seconds between LRO polls when the server sends no (or a zero) Retry-After; tests
        # against the emulator pass a smaller one.
        self.polling_interval = polling_interval
        self._credential = credential
        self._owns_credential = credential is None
        self._clients: dict[tuple[str, str], Any] = {}
        # Subscriptions (casefolded) whose registry calls use REGISTRY_FALLBACK_API_VERSION
        # because Azure refused REGISTRY_API_VERSION there.
        self._registry_fallbacks: set[str] = set()
        self._retired: list[Any] = []  # clients replaced after a fallback, closed on close()
        self._session: Any = None  # one aiohttp session: every client shares its connection pool
        # One read budget per identity: ARM meters reads per subscription and principal.
        self.pacer = ReadPacer()

    def __repr__(self) -> str:
        return f"AzureClients({self.target.arm_endpoint!r})"

    def for_another_loop(self, credential: AsyncTokenCredential) -> AzureClients:
        """Clients for the same target, to be used on another event loop than these (SDK
        clients and their aiohttp session belong to the loop they are first used in), with
        `credential` (``services.reading_loop`` hands one that asks these clients' own).

        They start from the registry API fallbacks learned so far, but keep what they learn
        to themselves: these clients' cached registry clients stay pinned to the version
        they were built with, and find out on their own (one refused call, then the
        fallback).
        """
        sibling = AzureClients(self.target, credential, polling_interval=self.polling_interval)
        sibling._registry_fallbacks = set(self._registry_fallbacks)
        return sibling

    @property
    def credential(self) -> AsyncTokenCredential:
        if self._credential is None:
            if self.target.token:
                self._credential = StaticTokenCredential(self.target.token)
            else:
                # Imported lazily: azure.identity is slow to import and unneeded with a token.
                from azure.identity.aio import DefaultAzureCredential

                logging.getLogger("azure.identity").addHandler(_QUIET_IDENTITY_LOG)
                self._credential = DefaultAzureCredential()
        return self._credential

    def _transport(self) -> AioHttpTransport:
        """A transport over the one shared aiohttp session (created inside the running loop).

        The CA bundle goes on the session's connector as one SSLContext. Handing the path to
        azure-core instead makes it build a new SSLContext per request, and aiohttp keys its
        connection pool on that object: no connection would ever be reused, and every request
        would pay a fresh TCP + TLS handshake.
        """
        if self._session is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                # Outside a loop each client opens its own session when first used.
                return AioHttpTransport(connection_verify=self.target.ca_cert or True)
            import ssl
            import urllib.request

            import aiohttp

            context = (
                ssl.create_default_context(cafile=self.target.ca_cert)
                if self.target.ca_cert
                else True
            )
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=context),
                # With trust_env, aiohttp looks up proxy variables and ~/.netrc in a worker
                # thread on EVERY request (two thread hops each); only a configured proxy
                # needs it (a netrc login would clash with the bearer header anyway).
                trust_env=bool(urllib.request.getproxies()),
                auto_decompress=False,  # azure-core decodes bodies itself
            )
        return AioHttpTransport(session=self._session, session_owner=False)

    def _options(self) -> dict[str, Any]:
        return {
            "base_url": self.target.arm_endpoint,
            "credential_scopes": [self.target.credential_scope],
            "policies": _pipeline_policies(
                self.credential, self.target.credential_scope, self.pacer
            ),
            "polling_interval": self.polling_interval,
            "transport": self._transport(),
            "connection_timeout": CONNECTION_TIMEOUT_S,
            "read_timeout": READ_TIMEOUT_S,
        }

    @staticmethod
    def import_clients() -> None:
        """Import the SDK client every inventory read uses (clients are imported on first
        use, so a headless command loads only its own). The dashboard runs this on a thread
        before its first read, off the event loop (~35 ms). The network and private DNS
        clients, needed only for private endpoints, still come on first use (importing the
        network client takes ~350 ms, and ~35 MB that a tenant without them never needs)."""
        import azure.mgmt.resource.subscriptions.aio  # noqa: F401

    def _cached(self, kind: str, subscription_id: str, build: Callable[[], _Client]) -> _Client:
        key = (kind, subscription_id.casefold())
        client: _Client | None = self._clients.get(key)
        if client is None:
            client = build()
            self._clients[key] = client
        return client

    def subscriptions(self) -> SubscriptionClient:
        from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

        return self._cached(
            "subscriptions", "", lambda: SubscriptionClient(self.credential, **self._options())
        )

    def arm(self) -> SubscriptionClient:
        """The client for raw ARM requests (``send_request`` with any ARM path and api-version).

        Its pipeline is the same as every other client's (auth, retries, TLS, shared pool), so
        raw listings of any subscription can all go through this one: building an SDK client
        per subscription costs about a millisecond of CPU each (the network client's
        serializer registers hundreds of models), which a 50-subscription inventory felt.
        """
        return self.subscriptions()

    def registry_api_version(self, subscription_id: str) -> str:
        """The registry api-version this subscription's calls use (see REGISTRY_API_VERSION)."""
        if subscription_id.casefold() in self._registry_fallbacks:
            return REGISTRY_FALLBACK_API_VERSION
        return REGISTRY_API_VERSION

    def registry_api_note(self, subscription_id: str) -> str | None:
        """A sentence for the UI when this subscription's registry calls fell back."""
        if subscription_id.casefold() not in self._registry_fallbacks:
            return None
        return (
            f"Azure refused registry API {REGISTRY_API_VERSION} here; acrfence uses "
            f"{REGISTRY_FALLBACK_API_VERSION} (no Tasks bypass setting in that version)"
        )

    def fall_back_on_registry_api(self, subscription_id: str, error: BaseException) -> bool:
        """After ``error`` from a registry call: switch the subscription to the fallback
        version if that error is Azure refusing the preferred one. True when the caller
        should retry (once), False when the error stands."""
        key = subscription_id.casefold()
        if key in self._registry_fallbacks or not refuses_api_version(error):
            return False
        self._registry_fallbacks.add(key)
        retired = self._clients.pop(("registries", key), None)  # rebuilt with the fallback
        if retired is not None:
            self._retired.append(retired)
        return True

    def registries(self, subscription_id: str) -> ContainerRegistryManagementClient:
        from azure.mgmt.containerregistry.aio import ContainerRegistryManagementClient

        return self._cached(
            "registries",
            subscription_id,
            lambda: ContainerRegistryManagementClient(
                self.credential,
                subscription_id,
                api_version=self.registry_api_version(subscription_id),
                **self._options(),
            ),
        )

    def network(self, subscription_id: str) -> NetworkManagementClient:
        from azure.mgmt.network.aio import NetworkManagementClient

        return self._cached(
            "network",
            subscription_id,
            lambda: NetworkManagementClient(self.credential, subscription_id, **self._options()),
        )

    def private_dns(self, subscription_id: str) -> PrivateDnsManagementClient:
        from azure.mgmt.privatedns.aio import PrivateDnsManagementClient

        return self._cached(
            "private_dns",
            subscription_id,
            lambda: PrivateDnsManagementClient(self.credential, subscription_id, **self._options()),
        )

    def resources(self, subscription_id: str) -> ResourceManagementClient:
        from azure.mgmt.resource.resources.aio import ResourceManagementClient

        return self._cached(
            "resources",
            subscription_id,
            lambda: ResourceManagementClient(self.credential, subscription_id, **self._options()),
        )

    async def arm_token(self) -> str:
        """An ARM access token for the data-plane token exchange; never log or print it."""
        return (await self.credential.get_token(self.target.credential_scope)).token

    async def close(self) -> None:
        clients, self._clients = [*self._clients.values(), *self._retired], {}
        self._retired = []
        for client in clients:
            await client.close()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
        if self._owns_credential and self._credential is not None:
            credential, self._credential = self._credential, None
            await credential.close()

    async def __aenter__(self) -> AzureClients:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
