"""From one subnet, the reverse view: which registries its hosts get into, and why."""

from __future__ import annotations

from acrfence.services.analysis.expectation import expectation_for
from acrfence.services.models import Inventory, Subnet, SubnetReach

__all__ = ["subnet_reach"]


def subnet_reach(subnet: Subnet, inventory: Inventory) -> tuple[SubnetReach, ...]:
    """One entry per registry, reachable ones first, then by name.

    Hosts without the service endpoint are judged by their public IP, which the inventory
    doesn't know: such a subnet counts as reachable only where no IP is needed.
    """
    reach = []
    for registry in inventory.registries:
        expectation = expectation_for(registry, inventory, None, subnet.id)
        reason = expectation.reason
        if not expectation.certain:
            reason += " (depends on the hosts' public IP)"
        reach.append(SubnetReach(registry.id, registry.name, expectation.allowed, reason))
    reach.sort(key=lambda item: (not item.reachable, item.registry_name.casefold()))
    return tuple(reach)
