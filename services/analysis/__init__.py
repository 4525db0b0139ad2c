"""Pure analysis over ``services.models``: findings, effective access, reach, expectations.

No I/O, no SDK, no Textual. Indexes are built once per inventory object, so the dashboard can
run these over thousands of registries and subnets.
"""

from acrfence.services.analysis.access import effective_access
from acrfence.services.analysis.cidr import IpRuleError, non_routable_block, parse_ip_rule
from acrfence.services.analysis.expectation import expected_access, explain_outcome
from acrfence.services.analysis.findings import (
    FINDING_CODES,
    find_findings,
    registry_findings,
    subnet_findings,
)
from acrfence.services.analysis.reach import subnet_reach

__all__ = [
    "FINDING_CODES",
    "IpRuleError",
    "effective_access",
    "expected_access",
    "explain_outcome",
    "find_findings",
    "non_routable_block",
    "parse_ip_rule",
    "registry_findings",
    "subnet_findings",
    "subnet_reach",
]
