"""What an ARM handler gets: the request's parts, the tenant, and helpers for answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from acrfence.emulator.api_versions import check_api_version
from acrfence.emulator.errors import ArmError, authorization_failed, subscription_not_found
from acrfence.emulator.faults import FaultController
from acrfence.emulator.lro import OperationStore
from acrfence.emulator.state import Subscription, Tenant


@dataclass
class Settings:
    page_size: int = 50
    lro_retry_after: int = 0  # seconds in Retry-After on LRO answers (0 keeps tests fast)
    provider_registration_s: float = 0.5
    lro_auto_finish_s: float = 2.0
    # Api-versions answered as not served here (400 NoRegisteredProviderFound), as Azure does
    # where a new preview hasn't reached a cloud or region: e.g. {"2026-09-01-preview"}.
    refused_api_versions: frozenset[str] = frozenset()


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ArmContext:
    tenant: Tenant
    faults: FaultController
    operations: OperationStore
    settings: Settings
    base_url: str  # https://127.0.0.1:PORT as the client addressed us
    method: str
    path: str
    query: dict[str, str]
    params: dict[str, str]
    raw_body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    def require_version(self, kind: str, location: str = "westus") -> str:
        refused = self.settings.refused_api_versions
        return check_api_version(kind, self.api_version, location, refused)

    def json_body(self) -> dict:
        try:
            body = json.loads(self.raw_body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: '{exc}'.",
            ) from exc
        if not isinstance(body, dict):
            raise ArmError(
                400, "InvalidRequestContent", "The request content must be a JSON object."
            )
        return body

    def subscription(self, action: str) -> Subscription:
        """The URL's subscription; 404 if unknown, 403 if the identity can't read it."""
        sub_id = self.params["subscription"]
        sub = self.tenant.subscription(sub_id)
        if sub is None:
            raise subscription_not_found(sub_id)
        if not sub.accessible:
            raise authorization_failed(action, f"/subscriptions/{sub_id}")
        return sub

    def page(self, items: list[Any], render: Callable[[Any], dict] | None = None) -> dict:
        """One page of a list answer, with a `nextLink` carrying a continuation token.

        `render`, if given, turns each item of this page (only) into its answer form.
        """
        try:
            start = max(0, int(self.query.get("$skiptoken", "0")))
        except ValueError as exc:
            raise ArmError(400, "InvalidSkipToken", "The $skiptoken is not valid.") from exc
        size = self.settings.page_size
        value = items[start : start + size]
        body: dict = {"value": value if render is None else [render(item) for item in value]}
        if start + size < len(items):
            body["nextLink"] = (
                f"{self.base_url}{self.path}?api-version={self.api_version}"
                f"&$skiptoken={start + size}"
            )
        return body
