"""`GET /metadata/endpoints`: this cloud's endpoints, as ARM serves them (anonymous).

From `2022-09-01` ARM answers ONE object, the cloud it serves; the older versions
(2019-05-01, 2020-06-01) answer a list of clouds. The Azure CLI's `az cloud register
--endpoint-resource-manager` asks for 2022-09-01 and indexes the answer as an object.
"""

from __future__ import annotations

from acrfence.emulator.arm.context import ArmContext, Reply

# The first metadata version that answers a single cloud object instead of a list.
SINGLE_CLOUD_VERSION = "2022-09-01"


def get_endpoints(ctx: ArmContext) -> Reply:
    version = ctx.require_version("metadata")
    cloud = _this_cloud(ctx.base_url)
    return Reply(200, cloud if version >= SINGLE_CLOUD_VERSION else [cloud])


def _this_cloud(base: str) -> dict:
    return {
        "portal": "https://portal.azure.com",
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.com",
            "audiences": [f"{base}/", "https://management.core.windows.net/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": "AzureCloud",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": f"{base}/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "gallery": "https://gallery.azure.com/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
    }
