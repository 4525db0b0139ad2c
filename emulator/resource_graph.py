"""Azure Resource Graph: ``POST /providers/Microsoft.ResourceGraph/resources``, a small KQL subset.

What is served (the shape of Azure/azure-rest-api-specs ``resourcegraph.json`` and its
examples, 2021-03-01 to 2024-04-01): a request ``{"subscriptions": [...], "query": "...",
"options": {"$top", "$skip", "$skipToken", "resultFormat"}}`` answers ``{"totalRecords",
"count", "resultTruncated", "$skipToken"?, "data", "facets"}``; at most 1,000 subscriptions
and 1,000 rows a page (100 by default); rows are resources as Resource Graph stores them
(lower-cased ``type`` and ``resourceGroup``, ``subscriptionId``, ``tenantId``, and the
properties of the STABLE API: a registry's ``virtualNetworkRules`` are not there, as in Azure).

The query language is the subset an inventory needs, anything else is refused with Resource
Graph's own error (400 ``BadRequest`` with ``InvalidQuery`` and ``ParserFailure`` details)::

    Resources
    | where type =~ 'microsoft.containerregistry/registries' [and|or <field> =~|==|!= '<v>' ...]
    | where <field> in~ ('a', 'b')
    | project id, name, type, location, sku, properties, subscriptionId, resourceGroup, tags
    | order by id [asc|desc]

Each principal has a query quota (15 per 5-second window by default), reported in
``x-ms-user-quota-remaining`` and ``x-ms-user-quota-resets-after`` (``hh:mm:ss``); past it the
answer is 429 ``RateLimiting``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from acrfence.emulator.arm.private_endpoints import render as render_endpoint
from acrfence.emulator.errors import ArmError
from acrfence.emulator.json_copy import copy_json
from acrfence.emulator.state import Tenant

__all__ = ["GraphQuota", "ResourceGraph", "GRAPH_API_VERSIONS"]

GRAPH_API_VERSIONS = {
    "2019-04-01",
    "2020-04-01-preview",
    "2021-03-01",
    "2021-06-01-preview",
    "2022-10-01",
    "2024-04-01",
}
MAX_SUBSCRIPTIONS = 1000
MAX_TOP = 1000
DEFAULT_TOP = 100
# The stable registry API Resource Graph reflects: no virtual network rules.
STABLE_REGISTRY_VERSION = "2025-11-01"
_REGISTRY_TYPE = "microsoft.containerregistry/registries"
_VNET_TYPE = "microsoft.network/virtualnetworks"
_PE_TYPE = "microsoft.network/privateendpoints"


def _graph_error(status: int, code: str, details: list[dict]) -> ArmError:
    """Resource Graph's error: a generic message, the real reason in `details`."""
    return ArmError(
        status,
        code,
        "Please provide below info when asking for support: timestamp = "
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, correlationId = {uuid.uuid4()}.",
        details=details,
    )


def invalid_query(token: str, detail: str = "ParserFailure") -> ArmError:
    return _graph_error(
        400,
        "BadRequest",
        [
            {
                "code": "InvalidQuery",
                "message": "Query is invalid. Please refer to the documentation for the Azure "
                "Resource Graph service and fix the error before retrying.",
            },
            {
                "code": detail,
                "message": detail,
                "line": 1,
                "characterPositionInLine": -1,
                "token": token,
            },
        ],
    )


# ---- the query subset ----------------------------------------------------------------------

_STRING = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_FIELD = r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*"
_COMPARISON = re.compile(rf"^\s*({_FIELD})\s*(=~|==|!=|!~)\s*({_STRING})\s*$")
_IN = re.compile(
    rf"^\s*({_FIELD})\s+(in~|in|!in~|!in)\s*\(\s*((?:{_STRING})(?:\s*,\s*(?:{_STRING}))*)\s*\)\s*$"
)
_PROJECTION = re.compile(rf"^\s*(?:([A-Za-z_]\w*)\s*=\s*)?({_FIELD})\s*$")
_ORDER = re.compile(rf"^order\s+by\s+({_FIELD})(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


def _unquote(text: str) -> str:
    return (
        json.loads('"' + text[1:-1].replace('"', '\\"') + '"')
        if text[0] == "'"
        else json.loads(text)
    )


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quote = [], [], ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            current.append(char)
            if char == "\\" and index + 1 < len(text):
                current.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif text.startswith(separator, index):
            parts.append("".join(current))
            current = []
            index += len(separator)
            continue
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _field(row: dict, path: str) -> object:
    value: object = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        # KQL column names are case-sensitive, property bags too; Resource Graph rows use
        # the ARM names, so an exact lookup is right.
        value = value.get(part)
    return value


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def _clause(text: str) -> Callable[[dict], bool]:
    match = _COMPARISON.match(text)
    if match:
        path, operator, literal = match.groups()
        wanted = _unquote(literal)
        if operator in ("=~", "!~"):
            equal = lambda row: _text(_field(row, path)).lower() == wanted.lower()  # noqa: E731
        else:
            equal = lambda row: _text(_field(row, path)) == wanted  # noqa: E731
        return equal if operator in ("=~", "==") else (lambda row: not equal(row))
    match = _IN.match(text)
    if match:
        path, operator, literals = match.groups()
        values = [_unquote(v.strip()) for v in _split_outside_quotes(literals, ",")]
        folded = operator.endswith("~")
        wanted_set = {v.lower() for v in values} if folded else set(values)

        def member(row: dict) -> bool:
            value = _text(_field(row, path))
            return (value.lower() if folded else value) in wanted_set

        return member if not operator.startswith("!") else (lambda row: not member(row))
    raise invalid_query(text.strip().split(" ")[0] if text.strip() else "where")


def _condition(text: str) -> Callable[[dict], bool]:
    """`a and b or c`: KQL gives `and` precedence over `or`."""
    alternatives = []
    for alternative in _split_outside_quotes(text, " or "):
        clauses = [_clause(part) for part in _split_outside_quotes(alternative, " and ")]
        alternatives.append(clauses)
    return lambda row: any(all(clause(row) for clause in clauses) for clauses in alternatives)


@dataclass(frozen=True)
class ParsedQuery:
    filters: tuple[Callable[[dict], bool], ...]
    projection: tuple[tuple[str, str], ...] | None  # (column name, source path)
    order: tuple[str, bool] | None  # (path, descending)


def parse_query(query: str) -> ParsedQuery:
    stages = [stage.strip() for stage in _split_outside_quotes(query.strip(), "|")]
    if not stages or stages[0].lower() != "resources":
        raise invalid_query(stages[0].split(" ")[0] if stages and stages[0] else "", "KS204")
    filters: list[Callable[[dict], bool]] = []
    projection: tuple[tuple[str, str], ...] | None = None
    order: tuple[str, bool] | None = None
    for stage in stages[1:]:
        keyword = stage.split(None, 1)[0].lower() if stage else ""
        rest = stage.split(None, 1)[1] if len(stage.split(None, 1)) > 1 else ""
        if keyword == "where" and rest:
            filters.append(_condition(rest))
        elif keyword == "project" and rest:
            columns = []
            for item in _split_outside_quotes(rest, ","):
                match = _PROJECTION.match(item)
                if not match:
                    raise invalid_query(item.strip() or ",")
                alias, path = match.groups()
                columns.append((alias or path.rsplit(".", 1)[-1], path))
            projection = tuple(columns)
        elif keyword == "order" and (match := _ORDER.match(stage)):
            order = (match.group(1), (match.group(2) or "asc").lower() == "desc")
        else:
            raise invalid_query(keyword or "|", "InvalidQueryLanguage")
    return ParsedQuery(tuple(filters), projection, order)


# ---- rows ----------------------------------------------------------------------------------


def _row(body: dict, resource_type: str, tenant_id: str) -> dict:
    parts = body["id"].split("/")
    return {
        "id": body["id"],
        "name": body["name"],
        "type": resource_type,
        "tenantId": tenant_id,
        "kind": body.get("kind", ""),
        "location": body.get("location", ""),
        "resourceGroup": parts[4].lower(),
        "subscriptionId": parts[2],
        "managedBy": "",
        "sku": body.get("sku"),
        "plan": None,
        "properties": body.get("properties", {}),
        "tags": body.get("tags") or {},
        "identity": body.get("identity"),
        "zones": body.get("zones"),
        "extendedLocation": None,
    }


def _rows(tenant: Tenant, render_registry: Callable[[dict], dict]) -> list[dict]:
    """Every resource of the readable subscriptions, as Resource Graph rows, sorted by id."""
    rows: list[dict] = []
    with tenant.lock:
        readable = {key: sub for key, sub in tenant.subscriptions.items() if sub.accessible}

        def tenant_of(resource_id: str) -> str | None:
            sub = readable.get(resource_id.split("/")[2].lower())
            return sub.tenant_id if sub else None

        for registry in tenant.registries.values():
            if (tid := tenant_of(registry["id"])) is not None:
                rows.append(_row(render_registry(registry), _REGISTRY_TYPE, tid))
        for key in tenant.vnets:
            vnet = tenant.get_vnet(key)
            if vnet is not None and (tid := tenant_of(vnet["id"])) is not None:
                rows.append(_row(vnet, _VNET_TYPE, tid))
        for endpoint in tenant.private_endpoints.values():
            if (tid := tenant_of(endpoint["id"])) is not None:
                # As the Network API answers it: subnet, connections, customDnsConfigs.
                rows.append(_row(render_endpoint(endpoint), _PE_TYPE, tid))
    rows.sort(key=lambda row: row["id"].lower())  # a stable order for paging
    return rows


def _project(row: dict, projection: tuple[tuple[str, str], ...] | None) -> dict:
    if projection is None:
        return row
    return {name: copy_json(_field(row, path)) for name, path in projection}


def _skip_token(offset: int, fingerprint: str) -> str:
    return base64.b64encode(json.dumps({"skip": offset, "q": fingerprint}).encode()).decode()


def _read_skip_token(token: str, fingerprint: str) -> int:
    try:
        data = json.loads(base64.b64decode(token, validate=True))
        if data["q"] != fingerprint:
            raise ValueError("the token belongs to another query")
        return max(0, int(data["skip"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise _graph_error(
            400, "BadRequest", [{"code": "InvalidSkipToken", "message": str(exc)}]
        ) from exc


# ---- quota ---------------------------------------------------------------------------------


class GraphQuota:
    """Queries per principal in a fixed window (Resource Graph's default: 15 per 5 seconds)."""

    def __init__(
        self, limit: int = 15, window_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}
        self.throttled = 0

    def charge(self, principal: str) -> dict[str, str]:
        with self._lock:
            now = self._clock()
            started, used = self._windows.get(principal, (now, 0))
            if now - started >= self.window_s:
                started, used = now, 0
            resets_after = max(0.0, self.window_s - (now - started))
            seconds = math.ceil(resets_after)
            resets = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            if used >= self.limit:
                self.throttled += 1
                error = _graph_error(
                    429,
                    "RateLimiting",
                    [{"code": "RateLimiting", "message": "Client application has been throttled "
                      "and should not attempt to repeat the request until an amount of time "
                      "has elapsed."}],
                )  # fmt: skip
                error.headers.update(
                    {
                        "x-ms-user-quota-remaining": "0",
                        "x-ms-user-quota-resets-after": resets,
                        "Retry-After": str(max(1, seconds)),
                    }
                )
                raise error
            self._windows[principal] = (started, used + 1)
            return {
                "x-ms-user-quota-remaining": str(self.limit - used - 1),
                "x-ms-user-quota-resets-after": resets,
            }


def answer_json(body: dict) -> bytes:
    """An answer as JSON, its rows serialized one at a time: done on a thread, the server's
    loop gets the interpreter between rows (one ``json.dumps`` of a 27 MB page of networks
    held it for a quarter of a second, and every other answer waited behind it)."""
    data = body.get("data")
    if not isinstance(data, list):
        return json.dumps(body).encode()
    head = json.dumps({key: value for key, value in body.items() if key != "data"})
    rows = ", ".join([json.dumps(row) for row in data])
    return f'{head[:-1]}{", " if len(head) > 2 else ""}"data": [{rows}]}}'.encode()


# ---- the endpoint --------------------------------------------------------------------------


class ResourceGraph:
    def __init__(
        self, tenant: Tenant, render_registry: Callable[[dict], dict], quota: GraphQuota
    ) -> None:
        self._tenant = tenant
        self._render_registry = render_registry
        self.quota = quota
        # Rows are built once per change of the tenant: a fleet is paged through in many
        # queries, and every page must come from the same snapshot anyway.
        self._snapshot: tuple[int, list[dict]] = (-1, [])
        # A query's matching rows, by its fingerprint, for the snapshot they came from: each
        # page of a 50-page query filtered every row of the tenant again (0.1-0.3 s a page).
        self._matching: dict[str, tuple[int, list[dict]]] = {}
        self._lock = threading.Lock()

    def _all_rows(self) -> tuple[int, list[dict]]:
        with self._tenant.lock:
            revision = self._tenant.revision
            if self._snapshot[0] != revision:
                self._snapshot = (revision, _rows(self._tenant, self._render_registry))
            return self._snapshot

    def _rows_of(self, fingerprint: str, parsed: ParsedQuery, wanted: set[str]) -> list[dict]:
        """The rows a query matches, in its order; worked out once per snapshot."""
        revision, every = self._all_rows()
        with self._lock:
            cached = self._matching.get(fingerprint)
        if cached is not None and cached[0] == revision:
            return cached[1]
        rows = [
            row
            for row in every
            if row["subscriptionId"].lower() in wanted and all(keep(row) for keep in parsed.filters)
        ]
        if parsed.order is not None and parsed.order != ("id", False):
            path, descending = parsed.order
            rows.sort(key=lambda row: _text(_field(row, path)).lower(), reverse=descending)
        with self._lock:
            if len(self._matching) >= 16:  # a few queries page at once; old ones go
                self._matching.clear()
            self._matching[fingerprint] = (revision, rows)
        return rows

    def query(self, principal: str, api_version: str | None, raw_body: bytes) -> tuple[dict, dict]:
        """The answer body and headers for one query request."""
        if api_version not in GRAPH_API_VERSIONS:
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{api_version}' is invalid. The supported versions are "
                f"'{','.join(sorted(GRAPH_API_VERSIONS))}'.",
            )
        try:
            request = json.loads(raw_body or b"{}")
            if not isinstance(request, dict):
                raise ValueError("the body must be an object")
        except ValueError as exc:
            raise _graph_error(
                400, "BadRequest", [{"code": "InvalidRequestContent", "message": str(exc)}]
            ) from exc
        subscriptions = request.get("subscriptions") or []
        query = request.get("query")
        options = request.get("options") or {}
        if not isinstance(query, str) or not query.strip():
            raise _graph_error(
                400, "BadRequest", [{"code": "InvalidQuery", "message": "The query is empty."}]
            )
        if not isinstance(subscriptions, list) or len(subscriptions) > MAX_SUBSCRIPTIONS:
            raise _graph_error(
                400,
                "BadRequest",
                [{"code": "TooManySubscriptions", "message": "A query may name at most "
                  f"{MAX_SUBSCRIPTIONS} subscriptions."}],
            )  # fmt: skip
        headers = self.quota.charge(principal)
        parsed = parse_query(query)
        top = options.get("$top", DEFAULT_TOP)
        if not isinstance(top, int) or not 1 <= top <= MAX_TOP:
            raise _graph_error(
                400,
                "BadRequest",
                [{"code": "InvalidTop", "message": f"$top must be between 1 and {MAX_TOP}."}],
            )
        wanted = {str(s).lower() for s in subscriptions}
        fingerprint = hashlib.sha256(json.dumps([query, sorted(wanted)]).encode()).hexdigest()[:16]
        rows = self._rows_of(fingerprint, parsed, wanted)
        start = int(options.get("$skip") or 0)
        if options.get("$skipToken"):
            start = _read_skip_token(options["$skipToken"], fingerprint)
        page = rows[start : start + top]
        data = [_project(row, parsed.projection) for row in page]
        body: dict = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "facets": [],
        }
        if start + top < len(rows):
            body["$skipToken"] = _skip_token(start + top, fingerprint)
        if options.get("resultFormat") == "table":
            columns = list(data[0]) if data else [name for name, _ in parsed.projection or ()]
            body["data"] = {
                "columns": [{"name": name, "type": "object"} for name in columns],
                "rows": [[row.get(name) for name in columns] for row in data],
            }
        else:
            body["data"] = data
        return body, headers
