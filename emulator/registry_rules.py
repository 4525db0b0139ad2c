"""Validation of a registry's network configuration, as ACR does it on a write.

Codes: ACR documents the limits (Premium only, 100 virtual network rules, 200 IP rules, no
private link and service endpoint from the same virtual network, the subnet's subscription
must have Microsoft.ContainerRegistry registered) but not all of its error codes; where no
public source shows the real code, the code here is our choice and says what went wrong:

- NetworkRuleSetNotSupported (400): network rules or public access Disabled on a non-Premium SKU
- TooManyVirtualNetworkRules / TooManyIpRules (400)
- InvalidIpRule (400): a value that isn't an IPv4 address or CIDR range
- InvalidVirtualNetworkRule (400): not a subnet resource ID
- NetworkRuleValidationError (400): the subnet doesn't exist (seen in Terraform issue 13792)
- SubnetSubscriptionNotRegistered (400): the subnet's subscription hasn't registered
  Microsoft.ContainerRegistry. Real ACR accepted such a rule and silently dropped it (Azure/acr
  issue 249); we refuse it instead so the operator learns why. We deliberately do NOT use 409
  MissingSubscriptionRegistration: every Azure SDK answers that by registering the *registry's*
  subscription and waiting, which would be wrong here.
- PrivateLinkAndServiceEndpointConflict (400): a rule's virtual network already holds an
  approved private endpoint of this registry
- InvalidRequestContent (400): an enum value ACR doesn't know (defaultAction, bypass, ...)

Only rules being added are checked against the tenant, so a registry with an already-dangling
rule can still be edited (ACR keeps such rules too).
"""

from __future__ import annotations

import ipaddress
import re

from acrfence.emulator.errors import ArmError, bad_request
from acrfence.emulator.state import CONTAINER_REGISTRY, Tenant

MAX_VNET_RULES = 100
MAX_IP_RULES = 200
_SUBNET_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/[^/]+/providers/Microsoft\.Network/"
    r"virtualNetworks/[^/]+/subnets/[^/]+$",
    re.IGNORECASE,
)
_ENUMS = {
    "defaultAction": ("Allow", "Deny"),
    "publicNetworkAccess": ("Enabled", "Disabled"),
    "networkRuleBypassOptions": ("AzureServices", "None"),
}


def enum_error(field: str, value: object) -> ArmError:
    allowed = "', '".join(_ENUMS[field])
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: 'Error converting "
        f"value \"{value}\" for '{field}'. Allowed values are '{allowed}'.'.",
    )


def check_enums(properties: dict) -> None:
    rule_set = properties.get("networkRuleSet") or {}
    for field, value in (
        ("defaultAction", rule_set.get("defaultAction")),
        ("publicNetworkAccess", properties.get("publicNetworkAccess")),
        ("networkRuleBypassOptions", properties.get("networkRuleBypassOptions")),
    ):
        if value is not None and value not in _ENUMS[field]:
            raise enum_error(field, value)


def _check_ip_rule(value: object) -> None:
    try:
        if not isinstance(value, str):
            raise ValueError
        network = ipaddress.ip_network(value, strict=False)
        if network.version != 4:
            raise ValueError
    except ValueError as exc:
        raise bad_request(
            "InvalidIpRule",
            f"The IP rule value '{value}' is not a valid IPv4 address or CIDR range.",
        ) from exc


def validate_network(registry: dict, candidate: dict, tenant: Tenant) -> None:
    """Raise ArmError if `candidate` (the merged registry) breaks a rule; `registry` is current."""
    props = candidate["properties"]
    rule_set = props.get("networkRuleSet") or {}
    ip_rules = rule_set.get("ipRules") or []
    vnet_rules = rule_set.get("virtualNetworkRules") or []
    sku = candidate["sku"]["name"]
    restricted = (
        rule_set.get("defaultAction") == "Deny"
        or ip_rules
        or vnet_rules
        or props.get("publicNetworkAccess") == "Disabled"
    )
    if sku != "Premium" and restricted:
        raise bad_request(
            "NetworkRuleSetNotSupported",
            f"Network rules and public network access settings are only supported for the "
            f"Premium SKU; registry '{candidate['name']}' is {sku}.",
        )
    if len(vnet_rules) > MAX_VNET_RULES:
        raise bad_request(
            "TooManyVirtualNetworkRules",
            f"A registry can have at most {MAX_VNET_RULES} virtual network rules; "
            f"{len(vnet_rules)} were given.",
        )
    if len(ip_rules) > MAX_IP_RULES:
        raise bad_request(
            "TooManyIpRules",
            f"A registry can have at most {MAX_IP_RULES} IP rules; {len(ip_rules)} were given.",
        )
    for rule in ip_rules:
        _check_ip_rule(rule.get("value"))

    old_rules = registry["properties"].get("networkRuleSet", {}).get("virtualNetworkRules", [])
    existing = {r["virtualNetworkSubnetResourceId"].lower() for r in old_rules}
    endpoint_vnets = _private_endpoint_vnets(registry, tenant)
    for rule in vnet_rules:
        subnet_id = rule["virtualNetworkSubnetResourceId"]
        if subnet_id.lower() in existing:
            continue
        _check_new_subnet_rule(subnet_id, tenant, endpoint_vnets)


def _private_endpoint_vnets(registry: dict, tenant: Tenant) -> set[str]:
    vnets = set()
    for connection in registry["properties"].get("privateEndpointConnections", []):
        endpoint_id = connection["properties"]["privateEndpoint"]["id"].lower()
        endpoint = tenant.private_endpoints.get(endpoint_id)
        if endpoint is not None:
            vnets.add(endpoint["subnetId"].lower().rsplit("/subnets/", 1)[0])
    return vnets


def _check_new_subnet_rule(subnet_id: str, tenant: Tenant, endpoint_vnets: set[str]) -> None:
    match = _SUBNET_ID.fullmatch(subnet_id or "")
    if match is None:
        raise bad_request(
            "InvalidVirtualNetworkRule",
            f"'{subnet_id}' is not a virtual network subnet resource ID.",
        )
    if subnet_id.lower() not in tenant.subnets:
        raise bad_request(
            "NetworkRuleValidationError",
            f"The subnet '{subnet_id}' of a virtual network rule was not found.",
        )
    subscription = tenant.subscription(match.group("sub"))
    if subscription is None or subscription.provider_state(CONTAINER_REGISTRY) != "Registered":
        raise bad_request(
            "SubnetSubscriptionNotRegistered",
            f"The subscription '{match.group('sub')}' of subnet '{subnet_id}' is not registered "
            f"for the resource provider '{CONTAINER_REGISTRY}'. Register it there first: "
            f"az provider register --namespace {CONTAINER_REGISTRY} "
            f"--subscription {match.group('sub')}",
        )
    vnet = subnet_id.lower().rsplit("/subnets/", 1)[0]
    if vnet in endpoint_vnets:
        raise bad_request(
            "PrivateLinkAndServiceEndpointConflict",
            f"The virtual network of subnet '{subnet_id}' holds a private endpoint of this "
            "registry; private link and service endpoints can't both be configured from the "
            "same virtual network.",
        )
