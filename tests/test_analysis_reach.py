"""From a subnet, which registries its hosts reach."""

from __future__ import annotations

from acrfence.services.analysis import subnet_reach
from helpers import make_inventory, make_registry, make_subnet


def test_subnet_reach_lists_every_registry_reachable_first() -> None:
    subnet = make_subnet()
    allowed = make_registry("zeta-allowed", subnets=(subnet.id,))
    open_one = make_registry("open", default_action="Allow")
    locked = make_registry("alpha-locked")
    by_ip = make_registry("by-ip", ips=("198.51.100.0/24",))
    closed = make_registry("closed", public="Disabled")
    inventory = make_inventory([locked, allowed, open_one, by_ip, closed], [subnet])

    reach = subnet_reach(subnet, inventory)
    assert [(r.registry_name, r.reachable) for r in reach] == [
        ("open", True),
        ("zeta-allowed", True),
        ("alpha-locked", False),
        ("by-ip", False),
        ("closed", False),
    ]
    by_name = {r.registry_name: r for r in reach}
    assert "virtual network rule" in by_name["zeta-allowed"].reason
    # Its hosts arrive by the service endpoint, so the IP rule can't help them: a sure "no".
    assert "IP rules don't match" in by_name["by-ip"].reason
    assert "public network access is disabled" in by_name["closed"].reason


def test_subnet_without_endpoint_depends_on_public_ip() -> None:
    subnet = make_subnet(acr=False)
    by_ip = make_registry("by-ip", ips=("198.51.100.0/24",))
    (reach,) = subnet_reach(subnet, make_inventory([by_ip], [subnet]))
    assert not reach.reachable
    assert "depends on the hosts' public IP" in reach.reason
