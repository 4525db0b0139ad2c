"""Hand-built inventories for the analysis tests (shared by the test_analysis_* modules).

Analysis is pure, so these tests build models directly; the demo-tenant test goes through the
emulator and the real services instead.
"""

from __future__ import annotations

from services.models import (
    ACR_SERVICE_ENDPOINT,
    Inventory,
    IpRule,
    NetworkRuleSet,
    PrivateEndpointConnection,
    Registry,
    ServiceEndpoint,
    Subnet,
    Subscription,
    VirtualNetwork,
    VirtualNetworkRule,
    registry_id,
    subnet_id,
)

SUB = "11111111-1111-1111-1111-111111111111"
OTHER_SUB = "22222222-2222-2222-2222-222222222222"  # never in the inventory: unreadable
RG = "myResourceGroup"


def make_subnet(
    vnet: str = "myDockerVMVNET",
    name: str = "myDockerVMSubnet",
    *,
    acr: bool = True,
    others: tuple[str, ...] = (),
    private_endpoints: tuple[str, ...] = (),
    subscription: str = SUB,
) -> Subnet:
    services = ((ACR_SERVICE_ENDPOINT,) if acr else ()) + others
    return Subnet(
        id=subnet_id(subscription, RG, vnet, name),
        name=name,
        virtual_network_name=vnet,
        resource_group=RG,
        subscription_id=subscription,
        address_prefixes=("10.0.0.0/24",),
        service_endpoints=tuple(ServiceEndpoint(s) for s in services),
        private_endpoint_ids=private_endpoints,
    )


def make_registry(
    name: str = "mycontainerregistry",
    *,
    sku: str = "Premium",
    default_action: str = "Deny",
    subnets: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    public: str = "Enabled",
    bypass: str = "AzureServices",
    connections: tuple[PrivateEndpointConnection, ...] = (),
    tasks: bool = True,  # Tasks bypass on: tasks-bypass-disabled stays out of the other cases
) -> Registry:
    return Registry(
        id=registry_id(SUB, RG, name),
        name=name,
        resource_group=RG,
        subscription_id=SUB,
        location="westus",
        sku=sku,
        login_server=f"{name}.azurecr.io",
        public_network_access=public,
        network_rule_bypass_options=bypass,
        network_rule_set=NetworkRuleSet(
            default_action,
            tuple(IpRule(v) for v in ips),
            tuple(VirtualNetworkRule(s) for s in subnets),
        ),
        private_endpoint_connections=connections,
        network_rule_bypass_allowed_for_tasks=tasks,
    )


def make_connection(name: str, endpoint_id: str | None, status: str = "Approved"):
    return PrivateEndpointConnection(
        id=f"/x/privateEndpointConnections/{name}",
        name=name,
        private_endpoint_id=endpoint_id,
        status=status,
    )


def private_endpoint_id(name: str) -> str:
    return (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/"
        f"privateEndpoints/{name}"
    )


def make_inventory(registries=(), subnets=()) -> Inventory:
    by_vnet: dict[str, list[Subnet]] = {}
    for subnet in subnets:
        by_vnet.setdefault(subnet.virtual_network_id, []).append(subnet)
    vnets = tuple(
        VirtualNetwork(
            id=vnet_id,
            name=members[0].virtual_network_name,
            resource_group=RG,
            subscription_id=members[0].subscription_id,
            location="westus",
            subnets=tuple(members),
        )
        for vnet_id, members in by_vnet.items()
    )
    return Inventory(
        subscriptions=(Subscription(SUB, "Main"),),
        registries=tuple(registries),
        virtual_networks=vnets,
    )
