"""Resource provider registration: GET a namespace, POST .../register (Registering, then
Registered a moment later)."""

from __future__ import annotations

from acrfence.emulator.api_versions import NETWORK_VERSIONS, REGISTRY_VERSIONS
from acrfence.emulator.arm.context import ArmContext, Reply
from acrfence.emulator.errors import ArmError
from acrfence.emulator.state import CLOCK, Subscription

_RESOURCE_TYPES = {
    "microsoft.containerregistry": [
        ("registries", REGISTRY_VERSIONS),
        ("registries/privateEndpointConnections", REGISTRY_VERSIONS),
    ],
    "microsoft.network": [
        ("virtualNetworks", NETWORK_VERSIONS),
        ("virtualNetworks/subnets", NETWORK_VERSIONS),
        ("locations/operations", NETWORK_VERSIONS),
    ],
}
_CANONICAL = {"microsoft.containerregistry": "Microsoft.ContainerRegistry",
              "microsoft.network": "Microsoft.Network"}  # fmt: skip


def _namespace(ctx: ArmContext) -> str:
    namespace = ctx.params["namespace"]
    canonical = _CANONICAL.get(namespace.lower())
    if canonical is None:
        raise ArmError(
            404,
            "InvalidResourceNamespace",
            f"The resource namespace '{namespace}' is invalid.",
        )
    return canonical


def _provider_body(sub: Subscription, namespace: str) -> dict:
    regions = ["West US", "East US", "West Europe", "North Europe"]
    return {
        "id": f"/subscriptions/{sub.subscription_id}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": sub.provider_state(namespace),
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {
                "resourceType": resource_type,
                "locations": regions,
                "apiVersions": list(reversed(versions)),
                "capabilities": "None",
            }
            for resource_type, versions in _RESOURCE_TYPES[namespace.lower()]
        ],
    }


def get_provider(ctx: ArmContext) -> Reply:
    ctx.require_version("providers")
    sub = ctx.subscription("Microsoft.Resources/subscriptions/providers/read")
    namespace = _namespace(ctx)
    with ctx.tenant.lock:
        return Reply(200, _provider_body(sub, namespace))


def register_provider(ctx: ArmContext) -> Reply:
    ctx.require_version("providers")
    sub = ctx.subscription("Microsoft.Resources/subscriptions/providers/register/action")
    namespace = _namespace(ctx)
    with ctx.tenant.changing():
        if sub.provider_state(namespace) != "Registered":
            sub.providers[namespace] = "Registering"
            sub.registering_until[namespace] = CLOCK.now() + ctx.settings.provider_registration_s
        body = _provider_body(sub, namespace)
    return Reply(200, body)
