"""The api-versions Azure publishes for each resource type the emulator serves.

Lists collected from Azure/azure-rest-api-specs (the folders under each resource provider's
`stable/` and `preview/`) and the defaults of the SDKs in use. ARM answers an unknown version
with 400: `InvalidApiVersionParameter` for its own types (subscriptions, providers, metadata)
and `NoRegisteredProviderFound` for a resource provider's types.
"""

from __future__ import annotations

from acrfence.emulator.errors import ArmError

REGISTRY_VERSIONS: tuple[str, ...] = (
    "2016-06-27-preview",
    "2017-03-01",
    "2017-06-01-preview",
    "2017-10-01",
    "2018-02-01-preview",
    "2018-09-01",
    "2019-04-01",
    "2019-05-01",
    "2019-06-01-preview",
    "2019-12-01-preview",
    "2020-11-01-preview",
    "2021-06-01-preview",
    "2021-08-01-preview",
    "2021-09-01",
    "2021-12-01-preview",
    "2022-02-01-preview",
    "2022-12-01",
    "2023-01-01-preview",
    "2023-06-01-preview",
    "2023-07-01",
    "2023-08-01-preview",
    "2023-11-01-preview",
    "2024-11-01-preview",
    "2025-03-01-preview",
    "2025-04-01",
    "2025-05-01-preview",
    "2025-06-01-preview",
    "2025-11-01",
    "2026-09-01-preview",
)

# The only registry api-versions whose networkRuleSet carries virtualNetworkRules.
VNET_RULE_VERSIONS: frozenset[str] = frozenset(
    {"2021-08-01-preview", "2021-12-01-preview", "2026-09-01-preview"}
)

NETWORK_VERSIONS: tuple[str, ...] = (
    "2015-06-15", "2016-03-30", "2016-06-01", "2016-09-01", "2016-12-01", "2017-03-01",
    "2017-06-01", "2017-08-01", "2017-09-01", "2017-10-01", "2017-11-01", "2018-01-01",
    "2018-02-01", "2018-04-01", "2018-06-01", "2018-07-01", "2018-08-01", "2018-10-01",
    "2018-11-01", "2018-12-01", "2019-02-01", "2019-04-01", "2019-06-01", "2019-07-01",
    "2019-08-01", "2019-09-01", "2019-11-01", "2019-12-01", "2020-03-01", "2020-04-01",
    "2020-05-01", "2020-06-01", "2020-07-01", "2020-08-01", "2020-11-01", "2021-02-01",
    "2021-03-01", "2021-05-01", "2021-08-01", "2022-01-01", "2022-05-01", "2022-07-01",
    "2022-09-01", "2022-11-01", "2023-02-01", "2023-04-01", "2023-05-01", "2023-06-01",
    "2023-09-01", "2023-11-01", "2024-01-01", "2024-03-01", "2024-05-01", "2024-07-01",
    "2024-10-01", "2025-01-01", "2025-03-01", "2025-05-01", "2025-07-01", "2025-09-01",
    "2026-01-01", "2026-03-01",
)  # fmt: skip

SUBSCRIPTION_VERSIONS: tuple[str, ...] = (
    "2014-04-01-preview", "2015-11-01", "2016-06-01", "2018-06-01", "2019-06-01",
    "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01",
)  # fmt: skip

PROVIDER_VERSIONS: tuple[str, ...] = (
    "2015-11-01", "2016-02-01", "2016-07-01", "2016-09-01", "2017-05-10", "2018-02-01",
    "2018-05-01", "2019-03-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01",
    "2019-10-01", "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01",
    "2022-09-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-03-01",
    "2025-04-01",
)  # fmt: skip

# azure-rest-api-specs specification/privatedns (stable folders).
PRIVATE_DNS_VERSIONS: tuple[str, ...] = ("2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01")

METADATA_VERSIONS: tuple[str, ...] = ("2015-01-01", "2019-05-01", "2020-06-01", "2022-09-01")

# kind -> (versions, ARM-native type?, display type name for NoRegisteredProviderFound)
KINDS: dict[str, tuple[tuple[str, ...], bool, str]] = {
    "registries": (REGISTRY_VERSIONS, False, "registries"),
    "privateEndpointConnections": (
        REGISTRY_VERSIONS,
        False,
        "registries/privateEndpointConnections",
    ),
    "virtualNetworks": (NETWORK_VERSIONS, False, "virtualNetworks"),
    "subnets": (NETWORK_VERSIONS, False, "virtualNetworks/subnets"),
    "operations": (NETWORK_VERSIONS, False, "locations/operations"),
    "registryOperations": (REGISTRY_VERSIONS, False, "registries/operationStatuses"),
    "subscriptions": (SUBSCRIPTION_VERSIONS, True, "subscriptions"),
    "providers": (PROVIDER_VERSIONS, True, "providers"),
    # Microsoft.Resources' resource listing and resource groups share the providers' versions.
    "resources": (PROVIDER_VERSIONS, True, "resources"),
    "metadata": (METADATA_VERSIONS, True, "metadata"),
    "privateDnsZones": (PRIVATE_DNS_VERSIONS, False, "privateDnsZones"),
}


def check_api_version(
    kind: str,
    api_version: str | None,
    location: str = "westus",
    refused: frozenset[str] = frozenset(),
) -> str:
    """Return the api-version if `kind` accepts it; raise ARM's 400 otherwise.

    `refused` versions are answered as if this cloud/region didn't serve them (what Azure does
    where a new preview hasn't rolled out): clients' fallbacks are tested with it.
    """
    if not api_version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    versions, arm_native, type_name = KINDS[kind]
    versions = tuple(v for v in versions if v not in refused)
    if api_version in versions:
        return api_version
    supported = ", ".join(reversed(versions))
    if arm_native:
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{api_version}' is invalid. The supported versions are "
            f"'{supported}'.",
        )
    raise ArmError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version "
        f"'{api_version}' for type '{type_name}'. The supported api-versions are '{supported}'. "
        f"The supported locations are '{location}'.",
    )
