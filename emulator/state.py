"""The emulated tenant: subscriptions, registries, virtual networks, subnets, private endpoints.

Resources are kept as the ARM JSON Azure returns (deep-copied in and out), keyed by their
lower-cased resource ID because ARM compares IDs case-insensitively. One re-entrant lock guards
everything, so the server thread and test code can read and change the tenant safely.
"""

from __future__ import annotations

import copy
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from acrfence.emulator.json_copy import copy_json
from acrfence.emulator.resources import new_etag

INTERNET_VANTAGE = "127.0.0.1"
INTERNET_PUBLIC_IP = "203.0.113.10"  # documentation range (RFC 5737): "the internet"
CONTAINER_REGISTRY = "Microsoft.ContainerRegistry"


def vantage_address(index: int) -> str:
    """The loopback source address of the index-th subnet: 127.0.1.1, 127.0.1.2, ..."""
    high, low = divmod(index, 254)
    return f"127.{(1 + high) // 256}.{(1 + high) % 256}.{1 + low}"


def nat_public_ip(index: int) -> str:
    """The public (NAT) address the index-th subnet's hosts leave through, from test ranges."""
    if index < 254:
        return f"198.51.100.{index + 1}"
    return str(ipaddress.IPv4Address("198.18.0.0") + index - 253)


class Clock:
    """The emulator's time (monotonic seconds) for the delays it simulates: a provider's
    registration and a rule's propagation to the data plane. Tests step it forward with
    ``advance`` instead of sleeping past a deadline (and racing it on a busy machine)."""

    def __init__(self) -> None:
        self._ahead = 0.0

    def now(self) -> float:
        return time.monotonic() + self._ahead

    def advance(self, seconds: float) -> None:
        self._ahead += max(0.0, seconds)  # only forward: deadlines already set stay ordered


CLOCK = Clock()


@dataclass
class Subscription:
    subscription_id: str
    display_name: str
    tenant_id: str = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    state: str = "Enabled"
    accessible: bool = True
    # namespace -> "Registered" | "NotRegistered" | "Registering"
    providers: dict[str, str] = field(default_factory=dict)
    # namespace -> CLOCK time when "Registering" becomes "Registered"
    registering_until: dict[str, float] = field(default_factory=dict)

    def provider_state(self, namespace: str) -> str:
        key = _provider_key(self.providers, namespace)
        state = self.providers.get(key, "NotRegistered") if key else "NotRegistered"
        if state == "Registering" and CLOCK.now() >= self.registering_until.get(key, 0):
            self.providers[key] = state = "Registered"
        return state

    def to_json(self) -> dict:
        return {
            "id": f"/subscriptions/{self.subscription_id}",
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": self.display_name,
            "state": self.state,
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "tags": {},
        }


def _provider_key(providers: dict[str, str], namespace: str) -> str | None:
    for key in providers:
        if key.lower() == namespace.lower():
            return key
    return None


class Tenant:
    """Everything the emulator knows; all methods are thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.subscriptions: dict[str, Subscription] = {}
        self.resource_groups: dict[tuple[str, str], str] = {}  # (sub, rg lower) -> rg name
        self.registries: dict[str, dict] = {}
        self.vnets: dict[str, dict] = {}
        self.vnet_subnets: dict[str, list[str]] = {}
        self.subnets: dict[str, dict] = {}
        self.private_endpoints: dict[str, dict] = {}
        # zone key -> zone JSON plus "links" {name: link} and "records" {"a/name": record set}
        self.private_dns_zones: dict[str, dict] = {}
        # registry key -> its regions, home first (only for replicated registries)
        self.replications: dict[str, list[str]] = {}
        # registry key -> repository specs (registry_content.py); absent: the demo repositories
        self.repositories: dict[str, list[dict]] = {}
        self.vantages: dict[str, str] = {}  # subnet key -> loopback address
        self.nat_ips: dict[str, str] = {}  # subnet key -> public NAT address
        self.subnet_by_vantage: dict[str, str] = {}
        self.public_ip = INTERNET_PUBLIC_IP
        self.revision = 0
        self.propagation_delay_s = 0.0
        # registry key -> [(effective CLOCK time, network view)] for delayed propagation
        self.network_history: dict[str, list[tuple[float, dict]]] = {}
        self._listeners: list[Callable[[], None]] = []
        self._host_index: dict[str, str] = {}
        self._host_index_stamp: tuple[int, int] = (-1, -1)

    # ---- change notification -------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the lock for a change, then tell listeners (persistence) once it is done."""
        with self.lock:
            yield
            self.revision += 1
        for listener in list(self._listeners):
            listener()

    # ---- building (seeds) ----------------------------------------------------------------

    def add_subscription(self, subscription: Subscription) -> None:
        with self.lock:
            self.subscriptions[subscription.subscription_id.lower()] = subscription

    def _note_resource_group(self, resource_id: str) -> None:
        parts = resource_id.split("/")
        self.resource_groups[(parts[2].lower(), parts[4].lower())] = parts[4]

    def add_registry(self, registry: dict) -> None:
        with self.lock:
            key = registry["id"].lower()
            self.registries[key] = copy.deepcopy(registry)
            self._note_resource_group(registry["id"])
            self.record_network_change(key, immediate=True)

    def add_vnet(self, vnet: dict) -> None:
        with self.lock:
            body = copy.deepcopy(vnet)
            subnets = body["properties"].pop("subnets", [])
            key = body["id"].lower()
            self.vnets[key] = body
            self.vnet_subnets.setdefault(key, [])
            self._note_resource_group(body["id"])
            for subnet in subnets:
                self.add_subnet(subnet)

    def add_subnet(self, subnet: dict) -> None:
        with self.lock:
            key = subnet["id"].lower()
            vnet_key = key.rsplit("/subnets/", 1)[0]
            if key not in self.subnets:
                self.vnet_subnets.setdefault(vnet_key, []).append(key)
                index = len(self.vantages)
                self.vantages[key] = vantage_address(index)
                self.nat_ips[key] = nat_public_ip(index)
                self.subnet_by_vantage[self.vantages[key]] = key
            self.subnets[key] = copy.deepcopy(subnet)

    def assign_vantages(self, subnet_ids: list[str]) -> None:
        """Give subnets their vantage addresses in this order (a saved tenant's order)."""
        with self.lock:
            keys = [k.lower() for k in subnet_ids if k.lower() in self.subnets]
            keys += [k for k in self.vantages if k not in keys]
            self.vantages.clear()
            self.nat_ips.clear()
            self.subnet_by_vantage.clear()
            for index, key in enumerate(keys):
                self.vantages[key] = vantage_address(index)
                self.nat_ips[key] = nat_public_ip(index)
                self.subnet_by_vantage[self.vantages[key]] = key

    def add_private_endpoint(self, endpoint: dict) -> None:
        """A private endpoint: {"id", "location", "subnetId"}; the subnet lists it."""
        with self.lock:
            self.private_endpoints[endpoint["id"].lower()] = copy.deepcopy(endpoint)
            subnet = self.subnets.get(endpoint["subnetId"].lower())
            if subnet is not None:
                listed = subnet["properties"].setdefault("privateEndpoints", [])
                if not any(e["id"].lower() == endpoint["id"].lower() for e in listed):
                    listed.append({"id": endpoint["id"]})

    # ---- reading -------------------------------------------------------------------------

    def get_subnet(self, subnet_id: str) -> dict | None:
        with self.lock:
            subnet = self.subnets.get(subnet_id.lower())
            return copy_json(subnet) if subnet is not None else None

    def get_registry(self, registry_id: str) -> dict | None:
        with self.lock:
            registry = self.registries.get(registry_id.lower())
            return copy_json(registry) if registry is not None else None

    def get_vnet(self, vnet_id: str) -> dict | None:
        """A virtual network with its subnets inline, as the Network API returns it."""
        with self.lock:
            key = vnet_id.lower()
            vnet = self.vnets.get(key)
            if vnet is None:
                return None
            body = copy_json(vnet)
            body["properties"]["subnets"] = [
                copy_json(self.subnets[s]) for s in self.vnet_subnets.get(key, [])
            ]
            return body

    def subscription(self, subscription_id: str) -> Subscription | None:
        with self.lock:
            return self.subscriptions.get(subscription_id.lower())

    def find_registry_by_host(self, host: str) -> dict | None:
        """The registry a data-plane host name belongs to (login server or data endpoint)."""
        with self.lock:
            stamp = (self.revision, len(self.registries))
            if self._host_index_stamp != stamp:
                # Rebuilt only after a change: a large tenant would make a scan per request slow.
                index: dict[str, str] = {}
                for key, registry in self.registries.items():
                    props = registry["properties"]
                    index[props["loginServer"].lower()] = key
                    if props.get("dataEndpointEnabled"):
                        for name in props.get("dataEndpointHostNames", []):
                            index[name.lower()] = key
                self._host_index, self._host_index_stamp = index, stamp
            key = self._host_index.get(host.lower())
            return self.registries.get(key) if key else None

    def regions(self) -> set[str]:
        with self.lock:
            return {r["location"].lower() for r in self.registries.values()}

    # ---- changing (for tests and the concurrent-writer fault) ----------------------------

    def update_subnet(self, subnet_id: str, change: Callable[[dict], None]) -> dict:
        """Apply `change` to the subnet JSON in place, give it a fresh etag, return a copy."""
        with self.changing():
            subnet = self.subnets[subnet_id.lower()]
            change(subnet)
            subnet["etag"] = new_etag()
            return copy.deepcopy(subnet)

    def update_registry(self, registry_id: str, change: Callable[[dict], None]) -> dict:
        with self.changing():
            key = registry_id.lower()
            registry = self.registries[key]
            change(registry)
            self.record_network_change(key)
            return copy.deepcopy(registry)

    def remove_subnet(self, subnet_id: str) -> None:
        with self.changing():
            key = subnet_id.lower()
            self.subnets.pop(key, None)
            for subnets in self.vnet_subnets.values():
                if key in subnets:
                    subnets.remove(key)

    def set_provider_state(self, subscription_id: str, namespace: str, state: str) -> None:
        with self.changing():
            sub = self.subscriptions[subscription_id.lower()]
            key = _provider_key(sub.providers, namespace) or namespace
            sub.providers[key] = state

    # ---- data-plane propagation ----------------------------------------------------------

    def record_network_change(self, registry_key: str, immediate: bool = False) -> None:
        """Remember the registry's new network view, effective after the propagation delay."""
        with self.lock:
            registry = self.registries[registry_key]
            view = copy.deepcopy(
                {
                    "sku": registry["sku"]["name"],
                    "networkRuleSet": registry["properties"].get("networkRuleSet", {}),
                    "publicNetworkAccess": registry["properties"].get("publicNetworkAccess"),
                    "privateEndpointConnections": registry["properties"].get(
                        "privateEndpointConnections", []
                    ),
                }
            )
            delay = 0.0 if immediate else self.propagation_delay_s
            history = self.network_history.setdefault(registry_key, [])
            history.append((CLOCK.now() + delay, view))
            del history[:-20]

    def effective_network_view(self, registry_key: str) -> dict:
        """The network view the data plane enforces now (older until a change propagates)."""
        with self.lock:
            now = CLOCK.now()
            history = self.network_history.get(registry_key, [])
            current = None
            for effective_at, view in history:
                if effective_at <= now:
                    current = view
            if current is None and history:
                current = history[0][1]
            return copy_json(current or {})
