"""Microsoft.Resources: the generic resource listing and resource groups.

`GET /subscriptions/{s}/resources` and `/subscriptions/{s}/resourceGroups/{rg}/resources`
(Resources_List, Resources_ListByResourceGroup) and `GET /subscriptions/{s}/resourcegroups[/{rg}]`,
from azure-rest-api-specs `specification/resources/.../resources.json`. Every `az acr` command
without `--resource-group` starts with `resources?$filter=resourceType eq
'Microsoft.ContainerRegistry/registries'` and takes the group from the matching item's id.

Items carry id, name, type, location, sku (when the resource has one) and tags: never
properties. `$filter` follows ARM's documented grammar, and what ARM refuses is refused here
with its 400 `InvalidFilterInQueryString` ("Invalid $filter '...' specified in the query
string."):

- `location`, `resourceType`, `name`, `resourceGroup` with `eq` or `ne`, joined with `and`;
  values compare case-insensitively, as ARM does;
- `substringof('value', name|resourceGroup)`, joined with `and` or `or` (to each other; `and`
  to the rest);
- `tagName eq 'n'` [`and tagValue eq 'v'`] or `startswith(tagName, 'prefix')`, alone (ARM
  refuses tags mixed with other conditions); the items then come without their tags.

`$top` is the page size (ARM answers `nextLink` for the rest): 1 to 1000, else 400
`InvalidTopInQueryString`. Without it a page holds 1000 items.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from acrfence.emulator.arm.context import ArmContext, Reply
from acrfence.emulator.errors import ArmError, resource_group_not_found

READ = "Microsoft.Resources/subscriptions/resources/read"
MAX_TOP = 1000
_EQ_FIELDS = {"location", "resourcetype", "name", "resourcegroup"}
_SUBSTRING_FIELDS = {"name", "resourcegroup"}
# One condition of a $filter, matched against the whole (trimmed) condition text.
_COMPARISON = re.compile(
    r"^(?P<field>[A-Za-z/]+)\s+(?P<op>eq|ne)\s+'(?P<value>(?:[^']|'')*)'$", re.I
)
_SUBSTRINGOF = re.compile(
    r"^substringof\(\s*'(?P<value>(?:[^']|'')*)'\s*,\s*(?P<field>[A-Za-z]+)\s*\)$", re.I
)
_STARTSWITH_TAG = re.compile(r"^startswith\(\s*tagName\s*,\s*'(?P<value>(?:[^']|'')*)'\s*\)$", re.I)
# Splits on `and` / `or` outside quoted strings.
_JOINER = re.compile(r"('(?:[^']|'')*')|\s+(and|or)\s+", re.I)


@dataclass(frozen=True)
class _Item:
    """A listed resource with what the filter looks at."""

    body: dict
    resource_group: str


def _invalid_filter(text: str) -> ArmError:
    return ArmError(
        400,
        "InvalidFilterInQueryString",
        f"Invalid $filter '{text}' specified in the query string.",
    )


def _split(text: str) -> tuple[list[str], list[str]]:
    """The conditions of a filter and the joiners between them (lower-cased)."""
    conditions, joiners, start = [], [], 0
    for match in _JOINER.finditer(text):
        if match.group(2) is None:  # a quoted string: skip over it
            continue
        conditions.append(text[start : match.start()].strip())
        joiners.append(match.group(2).lower())
        start = match.end()
    conditions.append(text[start:].strip())
    return conditions, joiners


def _unquote(value: str) -> str:
    return value.replace("''", "'")


def _field_value(item: _Item, field: str) -> str:
    body = item.body
    return {
        "location": body.get("location", ""),
        "resourcetype": body.get("type", ""),
        "name": body.get("name", ""),
        "resourcegroup": item.resource_group,
    }[field]


Predicate = Callable[[_Item], bool]


def _condition(text: str, whole: str) -> tuple[str, Predicate]:
    """("eq" | "substring" | "tag", predicate) for one condition; 400 if ARM wouldn't take it."""
    if match := _SUBSTRINGOF.match(text):
        field, value = match.group("field").lower(), _unquote(match.group("value")).casefold()
        if field not in _SUBSTRING_FIELDS:
            raise _invalid_filter(whole)
        return "substring", lambda item: value in _field_value(item, field).casefold()
    if match := _STARTSWITH_TAG.match(text):
        prefix = _unquote(match.group("value")).casefold()
        return "tag", lambda item: any(
            name.casefold().startswith(prefix) for name in item.body.get("tags") or {}
        )
    match = _COMPARISON.match(text)
    if match is None:
        raise _invalid_filter(whole)
    field, op = match.group("field").lower(), match.group("op").lower()
    value = _unquote(match.group("value")).casefold()
    if field in ("tagname", "tagvalue"):
        if op != "eq":
            raise _invalid_filter(whole)
        return field, lambda item: True  # combined in _tag_predicate
    if field not in _EQ_FIELDS:
        raise _invalid_filter(whole)
    if op == "eq":
        return "eq", lambda item: _field_value(item, field).casefold() == value
    return "eq", lambda item: _field_value(item, field).casefold() != value


def _tag_predicate(conditions: list[str], joiners: list[str], whole: str) -> Predicate:
    """`tagName eq 'n'` alone, or `tagName eq 'n' and tagValue eq 'v'`."""
    values = {}
    for text in conditions:
        match = _COMPARISON.match(text)
        values[match.group("field").lower()] = _unquote(match.group("value"))
    if "tagname" not in values or joiners not in ([], ["and"]) or len(values) != len(conditions):
        raise _invalid_filter(whole)
    name, wanted = values["tagname"].casefold(), values.get("tagvalue")

    def matches(item: _Item) -> bool:
        for key, value in (item.body.get("tags") or {}).items():
            if key.casefold() == name and (wanted is None or value == wanted):
                return True
        return False

    return matches


def parse_filter(text: str | None) -> tuple[Predicate, bool]:
    """(predicate, drop_tags) for a $filter; ARM's 400 for what it doesn't accept."""
    if text is None or not text.strip():
        return (lambda item: True), False
    conditions, joiners = _split(text.strip())
    parsed = [_condition(c, text) for c in conditions]
    kinds = {kind for kind, _ in parsed}
    if kinds & {"tagname", "tagvalue", "tag"}:
        if kinds == {"tag"} and len(parsed) == 1:
            return parsed[0][1], True
        if not kinds <= {"tagname", "tagvalue"}:
            raise _invalid_filter(text)  # tags can't be mixed with other conditions
        return _tag_predicate(conditions, joiners, text), True
    # `or` only between substringof conditions; `and` binds tighter, as in OData.
    groups: list[list[tuple[str, Predicate]]] = [[parsed[0]]]
    for joiner, condition in zip(joiners, parsed[1:], strict=True):
        if joiner == "or":
            if condition[0] != "substring" or groups[-1][-1][0] != "substring":
                raise _invalid_filter(text)
            groups.append([condition])
        else:
            groups[-1].append(condition)
    return (lambda item: any(all(p(item) for _, p in group) for group in groups)), False


def _top(ctx: ArmContext) -> int:
    raw = ctx.query.get("$top")
    if raw is None:
        return MAX_TOP
    try:
        top = int(raw)
    except ValueError:
        top = 0
    if not 1 <= top <= MAX_TOP:
        raise ArmError(
            400,
            "InvalidTopInQueryString",
            f"The value '{raw}' of $top query parameter is invalid. It must be an integer "
            f"between 1 and {MAX_TOP}.",
        )
    return top


def _generic(resource: dict, drop_tags: bool) -> dict:
    item = {
        "id": resource["id"],
        "name": resource["name"],
        "type": resource["type"],
        "location": resource.get("location", ""),
    }
    if resource.get("sku"):
        item["sku"] = dict(resource["sku"])
    if not drop_tags:
        item["tags"] = dict(resource.get("tags") or {})
    return item


def _replications(ctx: ArmContext) -> list[dict]:
    """Registries' replications, which ARM lists as resources of their own (named
    ``registry/region``): a Premium registry's home region, and every region it is replicated
    to. Caller holds the tenant lock."""
    bodies = []
    for key, registry in ctx.tenant.registries.items():
        regions = ctx.tenant.replications.get(key)
        if regions is None:
            if (registry.get("sku") or {}).get("name") != "Premium":
                continue
            regions = [registry.get("location", "")]
        for region in regions:
            bodies.append(
                {
                    "id": f"{registry['id']}/replications/{region}",
                    "name": f"{registry['name']}/{region}",
                    "type": "Microsoft.ContainerRegistry/registries/replications",
                    "location": region,
                }
            )
    return bodies


def _resources(ctx: ArmContext) -> list[_Item]:
    """Every resource of the URL's subscription (and group), in a stable order."""
    prefix = f"/subscriptions/{ctx.params['subscription']}/".lower()
    group = ctx.params.get("resource_group")
    if group:
        prefix += f"resourcegroups/{group.lower()}/"
    with ctx.tenant.lock:
        bodies = [*ctx.tenant.registries.values(), *ctx.tenant.vnets.values()]
        bodies += [
            {
                "id": endpoint["id"],
                "name": endpoint["id"].rsplit("/", 1)[-1],
                "type": "Microsoft.Network/privateEndpoints",
                "location": endpoint.get("location", ""),
            }
            for endpoint in ctx.tenant.private_endpoints.values()
        ]
        bodies += _replications(ctx)
        items = [
            _Item(body, body["id"].split("/")[4])
            for body in bodies
            if body["id"].lower().startswith(prefix)
        ]
    return sorted(items, key=lambda item: item.body["id"].lower())


def _page(ctx: ArmContext, items: list[dict], top: int) -> dict:
    try:
        start = max(0, int(ctx.query.get("$skiptoken", "0")))
    except ValueError as exc:
        raise ArmError(400, "InvalidSkipToken", "The $skiptoken is not valid.") from exc
    body: dict = {"value": items[start : start + top]}
    if start + top < len(items):
        query = {k: v for k, v in ctx.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = str(start + top)
        body["nextLink"] = f"{ctx.base_url}{ctx.path}?{urlencode(query)}"
    return body


def list_resources(ctx: ArmContext) -> Reply:
    ctx.require_version("resources")
    ctx.subscription(READ)
    if ctx.params.get("resource_group"):
        _require_group(ctx)
    top = _top(ctx)
    matches, drop_tags = parse_filter(ctx.query.get("$filter"))
    items = [_generic(item.body, drop_tags) for item in _resources(ctx) if matches(item)]
    return Reply(200, _page(ctx, items, top))


# ---- resource groups -----------------------------------------------------------------------


def _require_group(ctx: ArmContext) -> str:
    """The group's name as created (paths name it in any case, az sends it lower-cased)."""
    key = (ctx.params["subscription"].lower(), ctx.params["resource_group"].lower())
    with ctx.tenant.lock:
        name = ctx.tenant.resource_groups.get(key)
    if name is None:
        raise resource_group_not_found(ctx.params["resource_group"])
    return name


def _group_location(ctx: ArmContext, subscription: str, name: str) -> str:
    prefix = f"/subscriptions/{subscription}/resourcegroups/{name}/".lower()
    with ctx.tenant.lock:
        for body in (*ctx.tenant.registries.values(), *ctx.tenant.vnets.values()):
            if body["id"].lower().startswith(prefix) and body.get("location"):
                return body["location"]
    return "westus"


def _group_body(ctx: ArmContext, subscription: str, name: str) -> dict:
    return {
        "id": f"/subscriptions/{subscription}/resourceGroups/{name}",
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": _group_location(ctx, subscription, name),
        "properties": {"provisioningState": "Succeeded"},
    }


def list_resource_groups(ctx: ArmContext) -> Reply:
    ctx.require_version("resources")
    sub = ctx.subscription("Microsoft.Resources/subscriptions/resourceGroups/read")
    top = _top(ctx)
    text = ctx.query.get("$filter")
    if text and not re.match(r"^\s*tagName\s+eq\s+'", text, re.I):
        raise _invalid_filter(text)  # resource groups filter on tags only
    matches, _ = parse_filter(text)
    with ctx.tenant.lock:
        names = sorted(
            name
            for (subscription, _), name in ctx.tenant.resource_groups.items()
            if subscription == sub.subscription_id.lower()
        )
    groups = [_group_body(ctx, sub.subscription_id, name) for name in names]
    groups = [g for g in groups if matches(_Item({**g, "tags": {}}, g["name"]))]
    return Reply(200, _page(ctx, groups, top))


def get_resource_group(ctx: ArmContext) -> Reply:
    ctx.require_version("resources")
    sub = ctx.subscription("Microsoft.Resources/subscriptions/resourceGroups/read")
    return Reply(200, _group_body(ctx, sub.subscription_id, _require_group(ctx)))
