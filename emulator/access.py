"""ACR's network decision for one data-plane request, as a pure function.

Rules (ACR docs "Restrict access using a service endpoint / private endpoint / IP rules"):
- a connection that arrived through a private endpoint (at one of its addresses) comes in when
  that endpoint's connection to the registry is Approved, whatever the public firewall says:
  "IP network rules do not apply to private endpoints", nor do virtual network rules or public
  network access; through an endpoint of another registry (or one not approved) it is refused;
- on the public endpoint, public network access Disabled denies;
- default action Allow admits everyone (and network rules only exist on Premium);
- default action Deny admits a caller whose subnet has a virtual network rule AND the
  Microsoft.ContainerRegistry service endpoint, or whose public IP matches an IP rule. A subnet
  with the endpoint reaches ACR over the endpoint with its private address, so IP rules that
  match its public NAT address stop counting.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    """Where a request comes from, as the network sees it."""

    public_ip: str
    subnet_id: str | None = None
    private_ip: str | None = None
    has_registry_endpoint: bool = False
    # Lower-cased IDs of the address-less private endpoints in the caller's virtual network: a
    # seed's shorthand for an endpoint the network resolves privately (no DNS, no addresses
    # modelled), admitted from that network on any path. Endpoints made through the Network
    # API have addresses and are only reached at them (`private_endpoint`).
    vnet_private_endpoints: frozenset[str] = field(default_factory=frozenset)
    # The lower-cased ID of the private endpoint the connection came through; "" for a private
    # address no endpoint holds; None for the registry's public endpoint.
    private_endpoint: str | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    client_ip: str  # the address ACR names in its DENIED message
    reason: str


def _ip_matches(ip: str, rules: list[dict]) -> bool:
    address = ipaddress.ip_address(ip)
    for rule in rules:
        try:
            if address in ipaddress.ip_network(rule.get("value", ""), strict=False):
                return True
        except ValueError:
            continue
    return False


def decide(view: dict, caller: Caller) -> Decision:
    """Allow or deny `caller` against a registry's network view (see state.py)."""
    rule_set = view.get("networkRuleSet") or {}
    via_endpoint = caller.subnet_id is not None and caller.has_registry_endpoint
    seen_ip = caller.private_ip if via_endpoint and caller.private_ip else caller.public_ip

    if caller.private_endpoint is not None:
        client_ip = caller.private_ip or caller.public_ip
        for connection in view.get("privateEndpointConnections") or []:
            props = connection.get("properties", {})
            endpoint_id = (props.get("privateEndpoint") or {}).get("id", "").lower()
            status = (props.get("privateLinkServiceConnectionState") or {}).get("status")
            if endpoint_id == caller.private_endpoint and caller.private_endpoint:
                if status == "Approved":
                    return Decision(True, client_ip, "private endpoint")
                return Decision(False, client_ip, f"private endpoint connection {status}")
        return Decision(False, client_ip, "private endpoint of another registry")

    for connection in view.get("privateEndpointConnections") or []:
        props = connection.get("properties", {})
        endpoint_id = (props.get("privateEndpoint") or {}).get("id", "").lower()
        status = (props.get("privateLinkServiceConnectionState") or {}).get("status")
        if status == "Approved" and endpoint_id in caller.vnet_private_endpoints:
            return Decision(True, caller.private_ip or seen_ip, "private endpoint (seeded)")

    if view.get("sku", "Premium") != "Premium":
        return Decision(True, seen_ip, "network rules need Premium; none apply")
    if (view.get("publicNetworkAccess") or "Enabled") == "Disabled":
        return Decision(False, seen_ip, "public network access disabled")
    if (rule_set.get("defaultAction") or "Allow") == "Allow":
        return Decision(True, seen_ip, "default action Allow")

    if via_endpoint:
        for rule in rule_set.get("virtualNetworkRules") or []:
            subnet = rule.get("virtualNetworkSubnetResourceId") or rule.get("id") or ""
            if subnet.lower() == caller.subnet_id.lower():
                return Decision(True, seen_ip, "virtual network rule")
        return Decision(False, seen_ip, "subnet endpoint without a rule")
    if _ip_matches(caller.public_ip, rule_set.get("ipRules") or []):
        return Decision(True, seen_ip, "IP rule")
    return Decision(False, seen_ip, "default action Deny")
