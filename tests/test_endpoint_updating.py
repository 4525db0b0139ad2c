"""An endpoint that is configured but still Updating carries no traffic: the models, the
analysis and the dashboard's widgets say so (issue 8)."""

from __future__ import annotations

from dataclasses import replace

from acrfence.services.analysis import effective_access
from acrfence.services.models import EndpointStatus, ServiceEndpoint
from acrfence.widgets.markers import endpoint_marker
from helpers import make_inventory, make_registry, make_subnet


def _updating_subnet():
    subnet = make_subnet()
    endpoints = tuple(
        replace(e, provisioning_state="Updating") if e.is_acr else e
        for e in subnet.service_endpoints
    )
    return replace(subnet, service_endpoints=endpoints)


def test_an_updating_endpoint_is_its_own_status_and_lets_nobody_in_yet():
    subnet = _updating_subnet()
    assert subnet.has_acr_endpoint and subnet.acr_endpoint_updating
    registry = make_registry(subnets=(subnet.id,))
    inventory = make_inventory([registry], [subnet])
    assert inventory.endpoint_status(subnet.id) is EndpointStatus.UPDATING
    access = effective_access(registry, inventory)
    assert subnet.id not in access.allowed_subnet_ids
    assert any("still Updating" in line for line in access.lines)
    assert endpoint_marker(EndpointStatus.UPDATING).plain == "… updating"


def test_succeeded_or_unreported_endpoints_are_enabled():
    for state in ("Succeeded", None):
        subnet = make_subnet()
        subnet = replace(
            subnet,
            service_endpoints=(ServiceEndpoint("Microsoft.ContainerRegistry", (), state),),
        )
        registry = make_registry(subnets=(subnet.id,))
        inventory = make_inventory([registry], [subnet])
        assert inventory.endpoint_status(subnet.id) is EndpointStatus.ENABLED
