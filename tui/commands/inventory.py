"""`acrfence inventory [--json]`: what this identity can see, without the dashboard.

Subscriptions, registries (SKU, default action, rule counts, and each virtual network rule
beside the status of its subnet's Microsoft.ContainerRegistry endpoint), virtual networks
with their subnets, and the subscriptions that could not be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from acrfence.tui.commands.arguments import subscription_guid
from acrfence.tui.commands.exit_codes import Exit

HELP = "list subscriptions, registries and virtual networks with their network rules"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--subscription",
        action="append",
        type=subscription_guid,
        default=None,
        metavar="ID",
        help="only this subscription (repeatable); default: every visible one",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=64,  # services.inventory.DEFAULT_MAX_IN_FLIGHT (not imported: heavy)
        metavar="N",
        help="at most N requests to Azure at once (default 64)",
    )
    parser.add_argument(
        "--via",
        choices=("arm", "resource-graph"),
        default="arm",
        help="arm: two listings per subscription (default); resource-graph: a few Resource "
        "Graph queries for the whole fleet, then ARM only for registries whose rules matter "
        "(Resource Graph can lag Azure by minutes)",
    )


def inventory_to_json(inventory: Any, via: str = "arm") -> dict[str, Any]:
    """The --json document: plain data, stable keys."""
    document = _inventory_json(inventory, via)
    if via == "resource-graph":
        from acrfence.services.graph_coverage import UNREAD_RULES_WHY, unread_rules_count

        # What the fleet pass did not read, for a script to weigh (services.graph_coverage).
        document["resource_graph"] = {
            "premium_registries_virtual_network_rules_not_read": unread_rules_count(
                inventory.registries
            ),
            "why": UNREAD_RULES_WHY,
            "can_lag_azure": True,
        }
    return document


def _inventory_json(inventory: Any, via: str) -> dict[str, Any]:
    return {
        "source": via,
        "subscriptions": [
            {
                "subscription_id": s.subscription_id,
                "display_name": s.display_name,
                "state": s.state,
                "tenant_id": s.tenant_id,
            }
            for s in inventory.subscriptions
        ],
        "registries": [_registry_json(inventory, r) for r in inventory.registries],
        "virtual_networks": [
            {
                "id": v.id,
                "name": v.name,
                "location": v.location,
                "address_prefixes": list(v.address_prefixes),
                "subnets": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "address_prefix": s.address_prefixes[0] if s.address_prefixes else None,
                        "address_prefixes": list(s.address_prefixes),
                        "service_endpoints": [e.service for e in s.service_endpoints],
                        "delegations": list(s.delegations),
                    }
                    for s in v.subnets
                ],
            }
            for v in inventory.virtual_networks
        ],
        "private_endpoints": [_endpoint_json(e) for e in inventory.private_endpoints],
        "private_dns_zones": [_zone_json(z) for z in inventory.private_dns_zones],
        "failures": [
            {
                "subscription_id": f.subscription_id,
                "what": f.what,
                "code": f.code,
                "message": f.message,
            }
            for f in inventory.failures
        ],
    }


def _registry_json(inventory: Any, registry: Any) -> dict[str, Any]:
    rules = registry.rules
    return {
        "id": registry.id,
        "name": registry.name,
        "subscription_id": registry.subscription_id,
        "resource_group": registry.resource_group,
        "location": registry.location,
        "sku": registry.sku,
        "login_server": registry.login_server,
        "default_action": rules.default_action,
        "public_network_access": registry.public_network_access,
        "network_rule_bypass_options": registry.network_rule_bypass_options,
        "network_rule_bypass_allowed_for_tasks": registry.network_rule_bypass_allowed_for_tasks,
        # The registry API it was read with; the note says why when Azure refused the newest.
        "registry_api_version": registry.api_version,
        "registry_api_note": registry.api_version_note,
        "ip_rules": [rule.value for rule in rules.ip_rules],
        "virtual_network_rules": [
            {
                "subnet_id": rule.subnet_id,
                "endpoint_status": str(inventory.endpoint_status(rule.subnet_id)),
            }
            for rule in rules.virtual_network_rules
        ],
        "private_endpoint_connections": [
            {"id": c.id, "status": c.status} for c in registry.private_endpoint_connections
        ],
        "private_endpoints": [e.id for e in inventory.private_endpoints_of(registry)],
        "data_endpoint_enabled": registry.data_endpoint_enabled,
        "data_endpoint_host_names": list(registry.data_endpoint_host_names),
        # Null when the subscription's private link wasn't read (the home region alone then).
        "replications": (
            [
                {"region": r.region, "data_endpoint_host": r.data_endpoint_host}
                for r in inventory.replications_of(registry)
            ]
            if inventory.private_link_known(registry.subscription_id)
            else None
        ),
    }


def _endpoint_json(endpoint: Any) -> dict[str, Any]:
    groups = endpoint.zone_groups
    return {
        "id": endpoint.id,
        "name": endpoint.name,
        "location": endpoint.location,
        "subnet_id": endpoint.subnet_id,
        "provisioning_state": endpoint.provisioning_state,
        "addresses": {c.fqdn: list(c.ip_addresses) for c in endpoint.dns_configs},
        "connections": [
            {"target_id": c.target_id, "status": c.status, "manual": c.manual}
            for c in endpoint.connections
        ],
        # Null: not read; [] : none (Azure keeps no DNS records for the endpoint).
        "zone_groups": None
        if groups is None
        else [{"name": g.name, "zone_ids": list(g.zone_ids)} for g in groups],
    }


def _zone_json(zone: Any) -> dict[str, Any]:
    return {
        "id": zone.id,
        "name": zone.name,
        "a_records": {r.name: list(r.addresses) for r in zone.a_records},
        "cname_records": {r.name: r.target for r in zone.cname_records},
        "virtual_network_links": [
            {
                "name": link.name,
                "virtual_network_id": link.virtual_network_id,
                "provisioning_state": link.provisioning_state,
                "registration_enabled": link.registration_enabled,
            }
            for link in zone.links
        ],
    }


def _endpoint_text(endpoint: Any) -> str:
    """The service, and its provisioning state when Azure hasn't finished with it."""
    from acrfence.services.models import provisioned

    if provisioned(endpoint.provisioning_state):
        return endpoint.service
    return f"{endpoint.service} ({endpoint.provisioning_state})"


def _subnet_label(subnet_id: str) -> str:
    from acrfence.services.analysis.context import subnet_label

    return subnet_label(subnet_id)


def render_text(inventory: Any) -> str:
    lines: list[str] = []
    names = {s.subscription_id.casefold(): s.display_name for s in inventory.subscriptions}
    lines.append(f"Subscriptions ({len(inventory.subscriptions)})")
    for s in inventory.subscriptions:
        lines.append(f"  {s.display_name}  {s.subscription_id}  {s.state}")
    lines.append("")
    lines.append(f"Registries ({len(inventory.registries)})")
    if inventory.registries:
        width = max(len(r.name) for r in inventory.registries)
        header = f"  {'NAME':<{width}}  SKU       DEFAULT  PUBLIC    IP  VNET  SUBSCRIPTION"
        lines.append(header)
    for r in inventory.registries:
        rules = r.rules
        lines.append(
            f"  {r.name:<{width}}  {r.sku:<8}  {rules.default_action:<7}  "
            f"{r.public_network_access:<8}  {len(rules.ip_rules):>2}  "
            f"{len(rules.virtual_network_rules):>4}  "
            f"{names.get(r.subscription_id.casefold(), r.subscription_id)}"
        )
        for rule in rules.virtual_network_rules:
            status = inventory.endpoint_status(rule.subnet_id)
            lines.append(f"      vnet rule {_subnet_label(rule.subnet_id)}: endpoint {status}")
        for ip_rule in rules.ip_rules:
            lines.append(f"      ip rule {ip_rule.value}")
        for endpoint in inventory.private_endpoints_of(r):
            addresses = ", ".join(
                f"{c.fqdn} {'/'.join(c.ip_addresses)}" for c in endpoint.dns_configs
            )
            lines.append(f"      private endpoint {endpoint.name}: {addresses or 'no addresses'}")
    lines.append("")
    lines.append(f"Virtual networks ({len(inventory.virtual_networks)})")
    for v in inventory.virtual_networks:
        lines.append(f"  {v.name}  {', '.join(v.address_prefixes)}  ({v.resource_group})")
        for s in v.subnets:
            endpoints = (
                ", ".join(_endpoint_text(e) for e in s.service_endpoints) or "no service endpoints"
            )
            lines.append(f"    {s.name}  {', '.join(s.address_prefixes)}  {endpoints}")
    zones = inventory.private_dns_zones
    if zones:
        lines.append("")
        lines.append(f"Private DNS zones ({len(zones)})")
        for zone in zones:
            linked = ", ".join(link.virtual_network_id.rsplit("/", 1)[-1] for link in zone.links)
            lines.append(
                f"  {zone.name}  ({zone.resource_group})  {len(zone.a_records)} A records, "
                f"linked to {linked or 'no network'}"
            )
    if inventory.failures:
        lines.append("")
        lines.append(f"Could not read ({len(inventory.failures)})")
        for f in inventory.failures:
            lines.append(f"  {f.subscription_id} {f.what}: {f.message}")
    return "\n".join(lines)


async def _load(args: argparse.Namespace, target: Any) -> Any:
    from acrfence.services.azure import AzureClients
    from acrfence.services.inventory import InventoryService

    async with AzureClients(target) as clients:
        service = InventoryService(clients, max_in_flight=args.max_in_flight)
        if args.via == "resource-graph":
            from acrfence.services.resource_graph import ResourceGraphInventory

            graph = ResourceGraphInventory(service)
            return await graph.load(args.subscription)
        return await service.load(args.subscription)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from acrfence.services.config import ConfigError, Target
    from acrfence.services.errors import describe_error

    if args.max_in_flight < 1:
        print("acrfence inventory: --max-in-flight must be 1 or more", file=sys.stderr)
        return Exit.BAD_INPUT
    try:
        target = Target.from_env()
    except ConfigError as error:
        print(f"acrfence inventory: {error}", file=sys.stderr)
        return Exit.BAD_INPUT
    try:
        inventory = asyncio.run(_load(args, target))
    except Exception as error:  # every failure reaches the user as one line, never a traceback
        print(f"acrfence inventory: {describe_error(error)}", file=sys.stderr)
        return Exit.AZURE_REFUSED
    if args.json:
        print(json.dumps(inventory_to_json(inventory, args.via), indent=2))
    else:
        print(render_text(inventory))
        if args.via == "resource-graph":
            from acrfence.services.graph_coverage import unread_rules_count, unread_rules_note
            from acrfence.services.resource_graph import LAG_NOTE

            print(
                f"\nRegistries and networks {LAG_NOTE}; registries whose rules matter were "
                "read again through ARM."
            )
            note = unread_rules_note(unread_rules_count(inventory.registries))
            if note:
                print(note)
    # A script must not take a partial tenant for the whole: what was read is printed, each
    # listing that wasn't is named on stderr with Azure's code, and the exit status says so.
    for failure in inventory.failures:
        print(
            f"acrfence inventory: warning: {failure.subscription_id} {failure.what} not read "
            f"({failure.code})",
            file=sys.stderr,
        )
    return Exit.AZURE_REFUSED if inventory.failures else Exit.OK
