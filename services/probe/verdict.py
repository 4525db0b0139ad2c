"""One verdict per registry from its hosts' verdicts, and that verdict set beside the rules."""

from __future__ import annotations

from acrfence.services.analysis import expected_access, explain_outcome
from acrfence.services.models import HostProbe, Inventory, Registry, Verdict
from acrfence.services.probe.wording import verdict_words

__all__ = ["combine_hosts", "explain", "judge"]


def combine_hosts(hosts: tuple[HostProbe, ...]) -> HostProbe:
    """The host whose verdict stands for the registry.

    The login server speaks for the registry unless it let us in and a data endpoint did not:
    then pulls would still fail (layers come from the data endpoint), so that host decides.
    """
    login = hosts[0]
    if not login.verdict.network_allowed:
        return login
    for host in hosts[1:]:
        if not host.verdict.network_allowed:
            return host
    return login


def explain(
    result_host: HostProbe,
    registry: Registry | None,
    inventory: Inventory | None,
    *,
    public_ip: str | None,
    subnet_id: str | None,
    via_private_endpoint: bool,
) -> str | None:
    """The verdict beside what the registry's rules say; None when the rules weren't read."""
    return judge(
        result_host,
        registry,
        inventory,
        public_ip=public_ip,
        subnet_id=subnet_id,
        via_private_endpoint=via_private_endpoint,
    )[0]


def judge(
    result_host: HostProbe,
    registry: Registry | None,
    inventory: Inventory | None,
    *,
    public_ip: str | None,
    subnet_id: str | None,
    via_private_endpoint: bool,
) -> tuple[str | None, bool | None]:
    """(explanation, whether the firewall's answer contradicts what the rules certainly say);
    (None, None) when the rules weren't read."""
    if registry is None or inventory is None:
        return None, None
    # The 403 names the address ACR saw: better than anything we were told.
    client_ip = result_host.client_ip or public_ip
    try:
        expectation = expected_access(
            registry,
            inventory,
            public_ip=client_ip,
            subnet_id=subnet_id,
            via_private_endpoint=via_private_endpoint,
        )
    except ValueError as error:
        return f"can't compare with the rules: {error}", None
    verdict = result_host.verdict
    if verdict.network_allowed or verdict is Verdict.DENIED:
        disagree = expectation.certain and verdict.network_allowed != expectation.allowed
        return explain_outcome(expectation, network_allowed=verdict.network_allowed), disagree
    should = "let this client in" if expectation.allowed else "refuse this client"
    return (
        f"no answer from the firewall ({verdict_words(verdict)} at "
        f"{result_host.decided_at}); the rules would {should}: {expectation.reason}"
    ), None
