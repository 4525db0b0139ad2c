"""Builders for the ARM JSON shapes the emulator stores: registries, virtual networks, subnets.

Shapes follow the REST specs' examples (Registry 2025-11-01 / 2026-09-01-preview, Network
2024-05-01) and recorded Azure CLI traffic against real Azure.
"""

from __future__ import annotations

import uuid

REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
PEC_TYPE = "Microsoft.ContainerRegistry/registries/privateEndpointConnections"
VNET_TYPE = "Microsoft.Network/virtualNetworks"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
CREATED = "2024-03-12T09:30:00.0000000Z"


def new_etag() -> str:
    return f'W/"{uuid.uuid4()}"'


def registry_id(subscription_id: str, resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.ContainerRegistry/registries/{name}"
    )


def vnet_id(subscription_id: str, resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Network/virtualNetworks/{name}"
    )


def make_registry(
    subscription_id: str,
    resource_group: str,
    name: str,
    *,
    location: str = "westus",
    sku: str = "Premium",
    default_action: str = "Allow",
    ip_rules: list[str] | None = None,
    subnet_rules: list[str] | None = None,
    public_network_access: str = "Enabled",
    bypass: str = "AzureServices",
    data_endpoint: bool = False,
    tasks_bypass: bool = False,
) -> dict:
    """A registry as ACR's GET returns it, with virtualNetworkRules kept internally always."""
    return {
        "id": registry_id(subscription_id, resource_group, name),
        "name": name,
        "type": REGISTRY_TYPE,
        "location": location,
        "tags": {},
        "systemData": {
            "createdBy": "operator@contoso.example",
            "createdByType": "User",
            "createdAt": CREATED,
            "lastModifiedBy": "operator@contoso.example",
            "lastModifiedByType": "User",
            "lastModifiedAt": CREATED,
        },
        "sku": {"name": sku, "tier": sku},
        "properties": {
            "loginServer": f"{name.lower()}.azurecr.io",
            "creationDate": CREATED,
            "provisioningState": "Succeeded",
            "adminUserEnabled": False,
            "networkRuleSet": {
                "defaultAction": default_action,
                "ipRules": [{"action": "Allow", "value": v} for v in ip_rules or []],
                "virtualNetworkRules": [
                    {"action": "Allow", "virtualNetworkSubnetResourceId": s}
                    for s in subnet_rules or []
                ],
            },
            "policies": {
                "quarantinePolicy": {"status": "disabled"},
                "trustPolicy": {"type": "Notary", "status": "disabled"},
                "retentionPolicy": {
                    "days": 7,
                    "lastUpdatedTime": "2024-03-12T09:31:00.0000000+00:00",
                    "status": "disabled",
                },
                "exportPolicy": {"status": "enabled"},
                "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
            },
            "encryption": {"status": "disabled"},
            "status": None,
            "dataEndpointEnabled": data_endpoint,
            "dataEndpointHostNames": [f"{name.lower()}.{location}.data.azurecr.io"]
            if data_endpoint
            else [],
            "privateEndpointConnections": [],
            "publicNetworkAccess": public_network_access,
            "networkRuleBypassOptions": bypass,
            # API 2025-06-01 on; Azure's default is false (ACR Tasks then get 403 behind Deny).
            "networkRuleBypassAllowedForTasks": tasks_bypass,
            "zoneRedundancy": "Disabled",
            "anonymousPullEnabled": False,
            "roleAssignmentMode": "LegacyRegistryPermissions",
        },
    }


def make_private_endpoint_connection(
    registry: dict, name: str, private_endpoint_id: str, status: str = "Approved"
) -> dict:
    return {
        "id": f"{registry['id']}/privateEndpointConnections/{name}",
        "name": name,
        "type": PEC_TYPE,
        "properties": {
            "provisioningState": "Succeeded",
            "privateEndpoint": {"id": private_endpoint_id},
            "privateLinkServiceConnectionState": {
                "status": status,
                "description": "Auto-Approved" if status == "Approved" else status,
                "actionsRequired": "None",
            },
        },
    }


def make_vnet(
    subscription_id: str,
    resource_group: str,
    name: str,
    prefixes: list[str],
    location: str = "westus",
) -> dict:
    """A virtual network without its subnets (the state keeps subnets separately)."""
    return {
        "name": name,
        "id": vnet_id(subscription_id, resource_group, name),
        "etag": new_etag(),
        "type": VNET_TYPE,
        "location": location,
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": str(uuid.uuid5(uuid.NAMESPACE_URL, name + resource_group)),
            "addressSpace": {"addressPrefixes": list(prefixes)},
            "dhcpOptions": {"dnsServers": []},
            "virtualNetworkPeerings": [],
            "enableDdosProtection": False,
        },
    }


def make_subnet(
    vnet: dict,
    name: str,
    prefix: str,
    *,
    service_endpoints: list[str] | None = None,
    delegations: list[str] | None = None,
    nsg_id: str | None = None,
    route_table_id: str | None = None,
) -> dict:
    properties: dict = {
        "provisioningState": "Succeeded",
        "addressPrefix": prefix,
        "delegations": [],
        "privateEndpointNetworkPolicies": "Disabled",
        "privateLinkServiceNetworkPolicies": "Enabled",
    }
    if service_endpoints:
        properties["serviceEndpoints"] = [
            {"provisioningState": "Succeeded", "service": s, "locations": ["*"]}
            for s in service_endpoints
        ]
    subnet_id = f"{vnet['id']}/subnets/{name}"
    for service in delegations or []:
        delegation_name = service.replace("/", ".")
        properties["delegations"].append(
            {
                "name": delegation_name,
                "id": f"{subnet_id}/delegations/{delegation_name}",
                "properties": {
                    "serviceName": service,
                    "actions": ["Microsoft.Network/virtualNetworks/subnets/action"],
                    "provisioningState": "Succeeded",
                },
                "type": "Microsoft.Network/virtualNetworks/subnets/delegations",
            }
        )
    if nsg_id:
        properties["networkSecurityGroup"] = {"id": nsg_id}
    if route_table_id:
        properties["routeTable"] = {"id": route_table_id}
    return {
        "name": name,
        "id": subnet_id,
        "etag": new_etag(),
        "properties": properties,
        "type": SUBNET_TYPE,
    }
