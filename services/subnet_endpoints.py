"""A subnet's Microsoft.ContainerRegistry service endpoint: read it, add it, remove it.

Azure's network service ignores If-Match, so the etag is our only guard: the subnet is read
right before writing and compared with the etag the plan was made from; if it moved, someone
else changed the subnet and we raise SubnetChanged instead of writing over them. Only the ACR
endpoint is touched; every other endpoint, delegation, NSG, route table and unknown key is
sent back as read. Every write is verified by reading back.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from acrfence.services.azure import AzureClients
from acrfence.services.errors import AcrfenceError, VerificationFailed
from acrfence.services.models.inventory import (
    ACR_SERVICE_ENDPOINT,
    ServiceEndpoint,
    Subnet,
    VirtualNetwork,
)
from acrfence.services.models.resource_id import (
    SUBNET_TYPE,
    ResourceId,
    ResourceIdError,
    id_segment,
    parse_resource_id,
    resource_group_of,
    subscription_of,
)
from acrfence.services.packed_json import PackedJson
from acrfence.services.registry_rules import raw_json

__all__ = [
    "SubnetChanged",
    "SubnetEndpointService",
    "subnet_from_arm",
    "virtual_network_from_arm",
]

# Re-reads allowed when the subnet keeps moving between our read and our write.
MAX_ATTEMPTS = 3


class SubnetChanged(AcrfenceError):
    """The subnet's etag moved since the plan: re-plan from ``current``, never overwrite."""

    def __init__(self, current: Subnet) -> None:
        super().__init__(
            f"subnet {current.label} was changed by someone else since it was planned "
            "(its etag moved); re-plan from its current state",
            code="SubnetChanged",
        )
        self.current = current


def _shared(value: str | None) -> str | None:
    return sys.intern(value) if type(value) is str else value


def _interned(value: str) -> str:
    return sys.intern(value) if type(value) is str else value


# Immutable values many subnets hold equal, shared: address prefixes (networks reuse the same
# private ranges over and over: every subscription of the fleet tenant numbers its subnets
# 10.0.x.0/24, and real tenants are not much more inventive) and service endpoints (a few
# services, locations and states). A tuple, a string and endpoint objects per subnet cost
# ~15 MB of the fleet tenant's 100,000 subnets.
_SHARED: dict[Any, Any] = {}
_SHARED_KEPT = 65_536  # distinct values remembered; past that, start again (no unbounded cache)

_Value = TypeVar("_Value")


def _one_of(value: _Value) -> _Value:
    """``value``, or an equal one met before (frozen models and tuples of them only)."""
    shared = _SHARED.get(value)
    if shared is None:
        if len(_SHARED) >= _SHARED_KEPT:
            _SHARED.clear()
        shared = _SHARED[value] = value
    result: _Value = shared
    return result


def _prefixes(values: Any) -> tuple[str, ...]:
    prefixes = tuple(sys.intern(v) if type(v) is str else v for v in values)
    if not all(type(value) is str for value in prefixes):
        return prefixes  # not what ARM sends: kept as it came, not shared
    return _one_of(prefixes)


def _ids(items: Any) -> tuple[str, ...]:
    return tuple(item["id"] for item in items or () if isinstance(item, Mapping) and "id" in item)


def subnet_from_arm(
    raw: Mapping[str, Any],
    *,
    virtual_network_name: str | None = None,
    keep: Mapping[str, Any] | None = None,
) -> Subnet:
    """A Subnet from ARM's JSON, standalone (GET subnet) or nested in a virtual network;
    ``keep``: the JSON to keep for the raw view instead of ``raw`` (packed, say)."""
    props = raw.get("properties") or {}
    resource_id = raw.get("id", "")
    prefixes = _prefixes(props.get("addressPrefixes") or ())
    if not prefixes and props.get("addressPrefix"):
        prefixes = _prefixes((props["addressPrefix"],))
    endpoints = _one_of(
        tuple(
            _one_of(
                ServiceEndpoint(
                    # Interned: thousands of subnets share these few values.
                    service=sys.intern(endpoint.get("service", "")),
                    locations=tuple(map(sys.intern, endpoint.get("locations") or ())),
                    provisioning_state=_shared(endpoint.get("provisioningState")),
                )
            )
            for endpoint in props.get("serviceEndpoints") or ()
        )
    )
    delegations = tuple(
        (d.get("properties") or {}).get("serviceName") or d.get("serviceName") or d.get("name", "")
        for d in props.get("delegations") or ()
    )
    return Subnet(
        id=resource_id,
        # Interned: subnet names repeat across networks ("default", "AzureBastionSubnet").
        name=_interned(raw.get("name") or id_segment(resource_id, "subnets")),
        virtual_network_name=virtual_network_name or id_segment(resource_id, "virtualNetworks"),
        resource_group=resource_group_of(resource_id),
        subscription_id=subscription_of(resource_id),
        address_prefixes=prefixes,
        service_endpoints=endpoints,
        delegations=delegations,
        network_security_group_id=(props.get("networkSecurityGroup") or {}).get("id"),
        route_table_id=(props.get("routeTable") or {}).get("id"),
        private_endpoint_ids=_ids(props.get("privateEndpoints")),
        etag=raw.get("etag"),
        provisioning_state=_shared(props.get("provisioningState")),
        raw=raw if keep is None else keep,
    )


def virtual_network_from_arm(
    raw: Mapping[str, Any], packed: PackedJson | None = None
) -> VirtualNetwork:
    """A VirtualNetwork and its subnets from ARM's JSON; ``packed``: the same JSON, packed,
    which the network and its subnets keep (for the raw view) instead of ``raw``."""
    props = raw.get("properties") or {}
    resource_id = raw.get("id", "")
    name = raw.get("name") or id_segment(resource_id, "virtualNetworks")
    # Each subnet's packed JSON is one step into its network's list (shared by them all).
    subnets_json = None if packed is None else packed.inside("properties", "subnets")
    return VirtualNetwork(
        id=resource_id,
        name=name,
        resource_group=resource_group_of(resource_id),
        subscription_id=subscription_of(resource_id),
        location=raw.get("location", ""),
        address_prefixes=_prefixes((props.get("addressSpace") or {}).get("addressPrefixes") or ()),
        subnets=tuple(
            subnet_from_arm(
                s,
                virtual_network_name=name,
                keep=None if subnets_json is None else subnets_json.inside(position),
            )
            for position, s in enumerate(props.get("subnets") or ())
        ),
        etag=raw.get("etag"),
        raw=raw if packed is None else packed,
    )


def _is_acr(endpoint: Mapping[str, Any]) -> bool:
    return str(endpoint.get("service", "")).casefold() == ACR_SERVICE_ENDPOINT.casefold()


def _put_body(raw: Mapping[str, Any], enabled: bool) -> dict[str, Any]:
    """The subnet as read, with only the ACR endpoint added or removed.

    Read-only state (etag, provisioning states) is left out, as the Azure CLI does; every
    other key, including ones this code doesn't know, goes back unchanged.
    """
    body = copy.deepcopy(dict(raw))
    body.pop("etag", None)
    props = body.setdefault("properties", {})
    props.pop("provisioningState", None)
    endpoints = []
    for endpoint in props.get("serviceEndpoints") or ():
        if _is_acr(endpoint):
            continue
        kept = dict(endpoint)
        kept.pop("provisioningState", None)
        endpoints.append(kept)
    if enabled:
        endpoints.append({"service": ACR_SERVICE_ENDPOINT})
    props["serviceEndpoints"] = endpoints
    return body


def _lost_in_write(before: Subnet, after: Subnet, enabled: bool) -> list[str]:
    problems = []
    if after.has_acr_endpoint != enabled:
        problems.append(
            f"the {ACR_SERVICE_ENDPOINT} endpoint is {'absent' if enabled else 'still there'}"
        )
    kept = {e.service.casefold() for e in after.other_endpoints}
    problems += [
        f"endpoint {e.service} was lost"
        for e in before.other_endpoints
        if e.service.casefold() not in kept
    ]
    if sorted(before.delegations) != sorted(after.delegations):
        problems.append("delegations changed")
    if (before.network_security_group_id or "").casefold() != (
        after.network_security_group_id or ""
    ).casefold():
        problems.append("network security group changed")
    if (before.route_table_id or "").casefold() != (after.route_table_id or "").casefold():
        problems.append("route table changed")
    return problems


def _parse_subnet_id(subnet_id: str) -> ResourceId:
    try:
        return parse_resource_id(subnet_id, SUBNET_TYPE)
    except ResourceIdError as error:
        raise AcrfenceError(str(error), code="InvalidResourceId") from None


class SubnetEndpointService:
    """Adds or removes the Microsoft.ContainerRegistry service endpoint on one subnet."""

    def __init__(self, clients: AzureClients) -> None:
        self._clients = clients

    async def get_raw(self, subnet_id: str) -> dict[str, Any]:
        parsed = _parse_subnet_id(subnet_id)
        client = self._clients.network(parsed.subscription_id)
        vnet, subnet = parsed.names
        raw = await client.subnets.get(parsed.resource_group, vnet, subnet, cls=raw_json)
        return cast("dict[str, Any]", raw)  # the SDK's types don't follow ``cls=``

    async def get(self, subnet_id: str) -> Subnet:
        return subnet_from_arm(await self.get_raw(subnet_id))

    async def set_acr_endpoint(
        self,
        subnet_id: str,
        enabled: bool,
        planned_etag: str | None,
        on_write: Callable[[Subnet], Awaitable[None]] | None = None,
    ) -> tuple[Subnet, Subnet]:
        """Add (``enabled``) or remove the ACR endpoint; return (before, after), verified.

        ``on_write`` is awaited right before the PUT is sent, with the state it is built on.

        Raises SubnetChanged when the subnet's etag is not ``planned_etag`` any more, or moves
        between our last read and our write. Without a planned etag the change is rebuilt on
        top of the newer state instead. Already in the wanted state: nothing is written.
        """
        parsed = _parse_subnet_id(subnet_id)
        if enabled and self._clients.target.is_sovereign_cloud:
            raise AcrfenceError(
                f"service endpoints for container registries are not offered in "
                f"{self._clients.target.cloud}",
                code="NotSupportedInCloud",
            )
        client = self._clients.network(parsed.subscription_id)
        vnet, name = parsed.names
        raw = await self.get_raw(subnet_id)
        before = subnet_from_arm(raw)
        if planned_etag and before.etag != planned_etag:
            raise SubnetChanged(before)
        for _attempt in range(MAX_ATTEMPTS):
            current = subnet_from_arm(raw)
            if current.has_acr_endpoint == enabled:
                return before, current
            body = _put_body(raw, enabled)
            # Read once more right before writing: the PUT replaces the whole subnet, so a
            # change landing after our read would be silently undone.
            latest = await self.get_raw(subnet_id)
            if latest.get("etag") != raw.get("etag"):
                if planned_etag:
                    raise SubnetChanged(subnet_from_arm(latest))
                raw = latest
                continue
            if on_write is not None:
                await on_write(current)
            # The body is ARM's JSON as read (keys this code doesn't know included); the SDK
            # sends a dict as it is, though its types only name the model and IO[bytes].
            poller = await client.subnets.begin_create_or_update(  # type: ignore[call-overload]
                parsed.resource_group, vnet, name, body, content_type="application/json"
            )
            _crash_if_asked()
            await poller.result()
            after = await self.get(subnet_id)
            problems = _lost_in_write(current, after, enabled)
            if problems:
                raise VerificationFailed(
                    f"subnet {after.label} did not end up as planned: {'; '.join(problems)}"
                )
            return before, after
        raise SubnetChanged(subnet_from_arm(raw))


def _crash_if_asked() -> None:
    """Testing hook (documented in services.plans.executor): ``ACRFENCE_TEST_CRASH_AT=
    mid-write:endpoint`` kills the process after Azure accepted the subnet PUT and before its
    long-running operation finished, as a dropped SSH session can."""
    import os
    import signal

    if os.environ.get("ACRFENCE_TEST_CRASH_AT") == "mid-write:endpoint":
        os.kill(os.getpid(), signal.SIGKILL)
