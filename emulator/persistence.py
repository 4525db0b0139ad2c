"""An optional state file: loaded at start if present, rewritten atomically after each change
(temp file in the same directory, fsync, rename), in the seed-file format (tenant_json.py)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from acrfence.emulator.state import Tenant
from acrfence.emulator.tenant_json import tenant_from_json, tenant_to_json


def load_state(path: Path) -> Tenant | None:
    """The tenant saved in `path`, or None if there is no file yet.

    A resource saved mid-operation (the emulator was killed while a subnet PUT was in flight)
    comes back finished: Azure completes an accepted operation whatever happens to the
    client, so nothing may stay "Updating" across a restart.
    """
    if not path.exists():
        return None
    tenant = tenant_from_json(json.loads(path.read_text()))
    settle_operations(tenant)
    return tenant


def settle_operations(tenant: Tenant) -> int:
    """Mark every resource (and service endpoint, zone group, zone link) still "Updating" as
    "Succeeded"; the count."""
    settled = 0

    def settle(item: dict) -> None:
        nonlocal settled
        if item.get("provisioningState") == "Updating":
            item["provisioningState"] = "Succeeded"
            settled += 1

    with tenant.lock:
        for subnet in tenant.subnets.values():
            properties = subnet.get("properties") or {}
            settle(properties)
            for endpoint in properties.get("serviceEndpoints") or []:
                settle(endpoint)
        for registry in tenant.registries.values():
            settle(registry.get("properties") or {})
        for endpoint in tenant.private_endpoints.values():
            settle(endpoint.get("properties") or {})
            for group in (endpoint.get("zoneGroups") or {}).values():
                settle(group.get("properties") or {})
        for zone in tenant.private_dns_zones.values():
            settle(zone.get("properties") or {})
            for link in (zone.get("links") or {}).values():
                settle(link.get("properties") or {})
    return settled


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class StateFile:
    """Saves the tenant to `path` whenever it changes."""

    def __init__(self, tenant: Tenant, path: Path) -> None:
        self.tenant = tenant
        self.path = path
        self._lock = threading.Lock()
        tenant.on_change(self.save)

    def save(self) -> None:
        with self._lock:
            document = tenant_to_json(self.tenant)
            write_atomically(self.path, json.dumps(document, indent=1))
