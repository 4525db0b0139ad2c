"""What the demo tenant (emulator/seeds.py) is built to show, shared by the tests that check it:
registry name -> the finding codes analysis must report for it."""

from __future__ import annotations

DEMO_FINDINGS = {
    "contosolocked": {"registry-locked-out", "bypass-off"},
    "contosonoendpoint": {"rule-subnet-missing-endpoint", "registry-locked-out"},
    "contosoiprules": {"ip-rule-private-range", "tasks-bypass-disabled"},
    "contosodangling": {"rule-subnet-not-found"},
    "contososecretrule": {"rule-subnet-unreadable"},
    "platformacr": {
        "private-link-and-service-endpoint-same-vnet",
        "service-endpoint-rules-with-private-endpoint",
        "private-endpoint-no-zone-group",
    },
    "contosohalfdone": {"default-allow-with-rules"},
    "contosodark": {"public-access-disabled-no-private-endpoint"},
    "contosolegacy": {"rules-on-non-premium"},
    "contosofleet": {"vnet-rules-near-limit"},
    # Plainly open: a warning, not "ok" (issue 14).
    "mycontainerregistry": {"registry-open"},
    "contosobasic": {"registry-open"},
    # Healthy: nothing to say. contosoprivate is private only, set up as Azure leaves a
    # correct private link (zone group, records, the zone linked to the pulling network).
    "contosocrosssub": set(),
    "contosoprivate": set(),
}

# Registries with something to report (the healthy ones left out).
DEMO_REGISTRIES_WITH_FINDINGS = {name: codes for name, codes in DEMO_FINDINGS.items() if codes}
