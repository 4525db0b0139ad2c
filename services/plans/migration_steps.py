"""The executor's handlers for the migration's step kinds, one small class per kind family.

``services.plans.executor`` runs every step the same way (fresh read, journal the state it
replaces, journal what a write changes right before it goes out, write, read back); for these
kinds it asks the handler ``handler_for(kind)`` to read, write, say what a write changes, and
what of a failed write is still in place. Create steps journal their own change as
``applied`` ("this run created that"); rollback turns each into its delete
(``services.plans.restore``), which keeps anything someone else made.

The verification from every network that pulls checks Azure's configuration (the zone's A
records equal the endpoint's private IPs, the zone is linked to the network, the connection
is Approved); ``PlanServices.vantage_check``, when given, also asks each network's DNS and
pulls through the endpoint (the probe per vantage) — the seam the DNS-aware probe plugs in.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from acrfence.services.errors import VerificationFailed
from acrfence.services.models import (
    DnsZoneChange,
    PrivateEndpointChange,
    PrivateLinkVerifyChange,
    Step,
    StepChange,
    StepKind,
    ZoneLinkChange,
)

if TYPE_CHECKING:
    from acrfence.services.models import RunRecord
    from acrfence.services.models.private_link import PrivateEndpoint
    from acrfence.services.plans.executor import PlanExecutor, PlanServices
    from acrfence.services.private_link.writes import PrivateLinkWrites

__all__ = ["StepHandler", "VantageCheck", "handler_for", "MIGRATION_KINDS"]

Result = tuple[dict[str, Any] | None, str | None]
POLL_S = 1.0


class VantageCheck(Protocol):
    """What a network that pulls sees: the seam for the DNS resolver and the probe
    (services.plans.vantage_check.ProbeVantageCheck)."""

    async def from_network(
        self, registry_id: str, network_id: str, expected: dict[str, tuple[str, ...]]
    ) -> Any:
        """A ``NetworkSeen`` for ``network_id``: its problems (none: every name resolves to
        its expected private IPs and the probe got in through the endpoint) and what the pull
        through the endpoint did; None when this machine can't stand in that network."""
        ...

    async def from_internet(self, registry_id: str) -> list[str] | None:
        """Problems seen from the internet once public access is off (empty: refused)."""
        ...


class StepHandler(Protocol):
    async def read(self, services: PlanServices, step: Step) -> Any: ...
    def state(self, current: Any) -> dict[str, Any] | None: ...
    async def write(
        self, executor: PlanExecutor, run: RunRecord, step: Step, current: Any, writes: Any
    ) -> Result: ...
    def made(self, change: StepChange, basis: Any) -> StepChange | None: ...
    async def in_place(
        self, services: PlanServices, step: Step, made: StepChange | None
    ) -> StepChange | None: ...


def _writes(services: PlanServices) -> PrivateLinkWrites:
    if services.private_link is None:
        raise VerificationFailed("this session can't write private endpoints or DNS zones")
    writes: PrivateLinkWrites = services.private_link
    return writes


class _ZoneHandler:
    """create-dns-zone / delete-dns-zone."""

    def __init__(self, create: bool) -> None:
        self.create = create

    async def read(self, services: PlanServices, step: Step) -> Any:
        assert isinstance(step.change, DnsZoneChange)
        return await _writes(services).zone(step.change.zone_id)

    def state(self, current: Any) -> dict[str, Any] | None:
        return {"private_dns_zone": current.id if current else None}

    async def write(
        self, executor: PlanExecutor, run: RunRecord, step: Step, current: Any, writes: Any
    ) -> Result:
        change = step.change
        assert isinstance(change, DnsZoneChange)
        service = _writes(executor.services)
        if self.create:
            if current is not None:
                return self.state(current), "already there"
            await service.create_zone(change.zone_id, on_write=writes)
            return self.state(await service.zone(change.zone_id)), None
        note = await service.delete_zone(change.zone_id, on_write=writes)
        return self.state(await service.zone(change.zone_id)), note

    def made(self, change: StepChange, basis: Any) -> StepChange | None:
        return change  # a create or a delete, called only right before it goes out

    async def in_place(
        self, services: PlanServices, step: Step, made: StepChange | None
    ) -> StepChange | None:
        try:
            there = await self.read(services, step) is not None
        except Exception:  # unreadable: it may have landed
            return made
        return made if there == self.create else None


class _LinkHandler:
    """link-dns-zone / unlink-dns-zone."""

    def __init__(self, create: bool) -> None:
        self.create = create

    async def read(self, services: PlanServices, step: Step) -> Any:
        change = step.change
        assert isinstance(change, ZoneLinkChange)
        return await _writes(services).link_to(change.zone_id, change.virtual_network_id)

    def state(self, current: Any) -> dict[str, Any] | None:
        return {"zone_link": current.name if current else None}

    async def write(
        self, executor: PlanExecutor, run: RunRecord, step: Step, current: Any, writes: Any
    ) -> Result:
        change = step.change
        assert isinstance(change, ZoneLinkChange)
        service = _writes(executor.services)
        if self.create:
            created = await service.link(change, on_write=writes)
            after = await service.link_to(change.zone_id, change.virtual_network_id)
            return self.state(after), None if created else "already linked"
        note = await service.unlink(change, on_write=writes)
        after = await service.link_to(change.zone_id, change.virtual_network_id)
        return self.state(after), note

    def made(self, change: StepChange, basis: Any) -> StepChange | None:
        return change

    async def in_place(
        self, services: PlanServices, step: Step, made: StepChange | None
    ) -> StepChange | None:
        try:
            there = await self.read(services, step) is not None
        except Exception:
            return made
        return made if there == self.create else None


def _endpoint_json(state: PrivateEndpoint | None) -> dict[str, Any]:
    if state is None:
        return {"private_endpoint": None}
    return {
        "private_endpoint": state.id,
        "provisioning_state": state.provisioning_state,
        "connections": {c.name: c.status for c in state.connections},
        "addresses": {c.fqdn: list(c.ip_addresses) for c in state.dns_configs},
        "zone_groups": [g.name for g in state.zone_groups or ()],
    }


class _EndpointHandler:
    """create-private-endpoint (with its zone group and approval) / delete-private-endpoint."""

    def __init__(self, create: bool) -> None:
        self.create = create

    async def read(self, services: PlanServices, step: Step) -> Any:
        assert isinstance(step.change, PrivateEndpointChange)
        return await _writes(services).endpoint(step.change.endpoint_id)

    def state(self, current: Any) -> dict[str, Any] | None:
        return _endpoint_json(current)

    async def write(
        self, executor: PlanExecutor, run: RunRecord, step: Step, current: Any, writes: Any
    ) -> Result:
        change = step.change
        assert isinstance(change, PrivateEndpointChange)
        service = _writes(executor.services)
        if self.create:
            created, state = await service.create_endpoint(change, on_write=writes)
            return _endpoint_json(state), None if created else "the endpoint was already there"
        note = await service.delete_endpoint(change, on_write=writes)
        return _endpoint_json(await service.endpoint(change.endpoint_id)), note

    def made(self, change: StepChange, basis: Any) -> StepChange | None:
        return change

    async def in_place(
        self, services: PlanServices, step: Step, made: StepChange | None
    ) -> StepChange | None:
        try:
            there = await self.read(services, step) is not None
        except Exception:
            return made
        if self.create and isinstance(made, PrivateEndpointChange):
            # Its operation failed and the endpoint is gone, but the PUT may have turned the
            # registry's data endpoints on: the undo (a delete, "already gone") turns them off.
            return made if there or made.data_endpoint_was_enabled is False else None
        return made if there == self.create else None


class _VerifyHandler:
    """verify-private-link / verify-public-refused: read, compare, wait (bounded) for what
    Azure is still applying, change nothing."""

    def __init__(self, public: bool) -> None:
        self.public = public

    async def read(self, services: PlanServices, step: Step) -> Any:
        return None

    def state(self, current: Any) -> dict[str, Any] | None:
        return None

    def made(self, change: StepChange, basis: Any) -> StepChange | None:
        return None

    async def in_place(
        self, services: PlanServices, step: Step, made: StepChange | None
    ) -> StepChange | None:
        return None

    async def write(
        self, executor: PlanExecutor, run: RunRecord, step: Step, current: Any, writes: Any
    ) -> Result:
        change = step.change
        assert isinstance(change, PrivateLinkVerifyChange)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + executor.settle_seconds
        while True:
            seen, problems, final = await self._once(executor.services, change)
            if not problems:
                return seen, _how_checked(seen)
            # What Azure or DNS may still be settling is waited for (bounded, as `az` waits);
            # what waiting can't mend (a rejected connection, a missing link) fails at once.
            if final or loop.time() >= deadline:
                raise VerificationFailed("verification failed: " + "; ".join(problems))
            await asyncio.sleep(POLL_S)

    async def _once(
        self, services: PlanServices, change: PrivateLinkVerifyChange
    ) -> tuple[dict[str, Any], list[str], list[str]]:
        """(what was seen, every problem, the problems waiting can't mend)."""
        if self.public:
            return await _public_refused(services, change)
        return await _private_link_serving(services, change)


async def _private_link_serving(
    services: PlanServices, change: PrivateLinkVerifyChange
) -> tuple[dict[str, Any], list[str], list[str]]:
    from acrfence.services.plans.executor import still_applying
    from acrfence.services.private_link.writes import endpoint_addresses, record_problems

    service = _writes(services)
    problems: list[str] = []
    final: list[str] = []
    state = await service.endpoint(change.endpoint_id)
    if state is None:
        gone = [f"private endpoint {change.endpoint_id} is gone"]
        return {"private_endpoint": None}, gone, gone
    if (state.provisioning_state or "") != "Succeeded":
        problems.append(f"the private endpoint is {state.provisioning_state}")
        if not still_applying(state.provisioning_state):
            final.append(problems[-1])
    connection = state.connection_to(change.registry_id)
    if connection is None or not connection.approved:
        status = connection.status if connection else "missing"
        problems.append(f"the registry's connection is {status}, not Approved")
        if (status or "").casefold() != "pending":
            final.append(problems[-1])
    zone = await service.zone(change.zone_id)
    if zone is None:
        final.append("the private DNS zone is gone")
    problems += record_problems(zone, state, change.fqdns)
    addresses = endpoint_addresses(state)
    networks: dict[str, str] = {}
    pulls: dict[str, str] = {}  # network -> what the pull through the endpoint did
    for network in change.network_ids:
        link = zone.link_to(network) if zone is not None else None
        name = network.rsplit("/", 1)[-1]
        if link is None:
            problems.append(f"the zone is not linked to network {name}")
            final.append(problems[-1])
            networks[name] = "not linked"
            continue
        networks[name] = link.provisioning_state or "linked"
        if link.provisioning_state not in (None, "Succeeded"):
            problems.append(f"the zone's link to {name} is {link.provisioning_state}")
        if services.vantage_check is not None:
            expected = {f: addresses.get(f, ()) for f in change.fqdns}
            seen = await services.vantage_check.from_network(change.registry_id, network, expected)
            if seen is not None:
                networks[name] = "resolved and probed through the private endpoint"
                if seen.pull:
                    pulls[name] = seen.pull
                problems += [f"from {name}: {p}" for p in seen.problems]
    seen_state = _endpoint_json(state)
    seen_state["networks"] = networks
    if pulls:
        seen_state["pulls"] = pulls
    return seen_state, problems, final


async def _public_refused(
    services: PlanServices, change: PrivateLinkVerifyChange
) -> tuple[dict[str, Any], list[str], list[str]]:
    registry = await services.rules.get(change.registry_id)
    problems = []
    final = []
    if registry.public_network_access.casefold() != "disabled":
        # Written and read back by the step before: someone else has moved it since.
        problems.append(f"public network access is {registry.public_network_access}")
        final.append(problems[-1])
    seen: dict[str, Any] = {"public_network_access": registry.public_network_access}
    if services.vantage_check is not None and not problems:
        found = await services.vantage_check.from_internet(change.registry_id)
        if found is not None:
            seen["internet"] = "refused" if not found else "; ".join(found)
        problems += found or []
    return seen, problems, final


def _how_checked(seen: dict[str, Any]) -> str:
    """The verification note: what was asked, per network (or from the internet)."""
    if "public_network_access" in seen:
        if seen.get("internet") == "refused":
            return "public access Disabled; a probe from the internet was refused"
        return "public access Disabled (no probe from the internet from here)"
    networks = seen.get("networks") or {}
    pulls = seen.get("pulls") or {}
    probed = [n for n, how in networks.items() if how.startswith("resolved")]
    note = "zone records, links and approval read back"
    if probed:
        note += f"; resolved and probed from {', '.join(probed)}"
        said = {pulls[n] for n in probed if n in pulls}
        if len(said) == 1 and all(n in pulls for n in probed):
            note += f"; {said.pop()}" + (" from each" if len(probed) > 1 else "")
        elif said:  # the networks differ: each says what its pull did
            note += "; " + ", ".join(f"{n}: {pulls[n]}" for n in probed if n in pulls)
    unprobed = [n for n in networks if n not in probed]
    if unprobed:
        note += f"; not probed from {', '.join(unprobed)} (no vantage here)"
    return note


_HANDLERS: dict[StepKind, StepHandler] = {
    StepKind.CREATE_DNS_ZONE: _ZoneHandler(create=True),
    StepKind.DELETE_DNS_ZONE: _ZoneHandler(create=False),
    StepKind.LINK_DNS_ZONE: _LinkHandler(create=True),
    StepKind.UNLINK_DNS_ZONE: _LinkHandler(create=False),
    StepKind.CREATE_PRIVATE_ENDPOINT: _EndpointHandler(create=True),
    StepKind.DELETE_PRIVATE_ENDPOINT: _EndpointHandler(create=False),
    StepKind.VERIFY_PRIVATE_LINK: _VerifyHandler(public=False),
    StepKind.VERIFY_PUBLIC_REFUSED: _VerifyHandler(public=True),
}
MIGRATION_KINDS = frozenset(_HANDLERS)


def handler_for(kind: StepKind) -> StepHandler | None:
    """The handler of a migration step kind; None for the kinds the executor runs itself."""
    return _HANDLERS.get(kind)
