"""The tenant's JSON form: used by seed files and by the state file (same format).

```json
{
  "subscriptions": [{"subscriptionId": "...", "displayName": "...", "tenantId": "...",
                     "state": "Enabled", "accessible": true,
                     "providers": {"Microsoft.ContainerRegistry": "Registered"}}],
  "registries": [<registry JSON as ACR's GET returns it, networkRuleSet may hold
                  virtualNetworkRules [{"action": "Allow",
                  "virtualNetworkSubnetResourceId": "..."}]>],
  "virtualNetworks": [<virtual network JSON as the Network GET returns it, subnets inline>],
  "privateEndpoints": [{"id": "...", "location": "westus", "subnetId": "..."}],
  "privateDnsZones": [<zone JSON with "links": {name: link JSON} and
                       "records": {"a/name": record set JSON}>],
  "repositories": {"<registry id>": [{"name": "team/app", "tags": ["1.0"], "mediaType": "oci"}]},
  "replications": {"<registry id>": ["westus", "eastus"]}
}
```

"replications" is optional (home region first; a registry it doesn't name lives in its home
region only). "repositories" is optional: a registry it doesn't name holds the demo
repositories (registry_content.py), whose images are generated in code.

Subnet vantages (loopback source addresses) follow the order subnets appear in the file, or
the optional "vantageOrder" list of subnet IDs (the state file writes it, so a restart keeps
every subnet's address).
"""

from __future__ import annotations

import copy

from acrfence.emulator.registry_content import build_repositories
from acrfence.emulator.state import Subscription, Tenant


def tenant_from_json(document: dict) -> Tenant:
    """Build a tenant; raise ValueError with one clear line when the document is malformed."""
    tenant = Tenant()
    try:
        for sub in document.get("subscriptions", []):
            tenant.add_subscription(
                Subscription(
                    subscription_id=sub["subscriptionId"],
                    display_name=sub.get("displayName", sub["subscriptionId"]),
                    tenant_id=sub.get("tenantId", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
                    state=sub.get("state", "Enabled"),
                    accessible=bool(sub.get("accessible", True)),
                    providers=dict(sub.get("providers", {})),
                )
            )
        for vnet in document.get("virtualNetworks", []):
            tenant.add_vnet(vnet)
        for registry in document.get("registries", []):
            _normalise_registry(registry)
            tenant.add_registry(registry)
        for endpoint in document.get("privateEndpoints", []):
            tenant.add_private_endpoint(endpoint)
        for zone in document.get("privateDnsZones", []):
            zone = copy.deepcopy(zone)
            zone.setdefault("links", {})
            zone.setdefault("records", {})
            tenant.private_dns_zones[zone["id"].lower()] = zone
        for registry_id, specs in (document.get("repositories") or {}).items():
            build_repositories(specs)  # a malformed spec fails here, at load, in one line
            tenant.repositories[registry_id.lower()] = list(specs)
        for registry_id, regions in (document.get("replications") or {}).items():
            tenant.replications[registry_id.lower()] = [str(r).lower() for r in regions]
        if "vantageOrder" in document:
            tenant.assign_vantages(list(document["vantageOrder"]))
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ValueError(f"tenant document is malformed (missing or wrong field {exc})") from exc
    return tenant


def _normalise_registry(registry: dict) -> None:
    rule_set = registry.setdefault("properties", {}).setdefault("networkRuleSet", {})
    rule_set.setdefault("defaultAction", "Allow")
    rule_set.setdefault("ipRules", [])
    rule_set["virtualNetworkRules"] = [
        {
            "action": rule.get("action", "Allow"),
            "virtualNetworkSubnetResourceId": rule.get("virtualNetworkSubnetResourceId")
            or rule["id"],
        }
        for rule in rule_set.get("virtualNetworkRules", [])
    ]


def tenant_to_json(tenant: Tenant) -> dict:
    with tenant.lock:
        return {
            "subscriptions": [
                {
                    "subscriptionId": s.subscription_id,
                    "displayName": s.display_name,
                    "tenantId": s.tenant_id,
                    "state": s.state,
                    "accessible": s.accessible,
                    "providers": {ns: s.provider_state(ns) for ns in s.providers},
                }
                for s in tenant.subscriptions.values()
            ],
            "registries": [copy.deepcopy(r) for r in tenant.registries.values()],
            "virtualNetworks": [tenant.get_vnet(key) for key in tenant.vnets],
            "privateEndpoints": [copy.deepcopy(e) for e in tenant.private_endpoints.values()],
            "privateDnsZones": [copy.deepcopy(z) for z in tenant.private_dns_zones.values()],
            **({"repositories": copy.deepcopy(tenant.repositories)} if tenant.repositories else {}),
            **({"replications": copy.deepcopy(tenant.replications)} if tenant.replications else {}),
            "vantageOrder": [
                tenant.subnets[key]["id"] for key in tenant.vantages if key in tenant.subnets
            ],
        }
