"""`GET /metadata/endpoints`: this cloud's endpoints, as ARM serves them (anonymous)."""

from __future__ import annotations

from emulator.arm.context import ArmContext, Reply


def get_endpoints(ctx: ArmContext) -> Reply:
    ctx.require_version("metadata")
    base = ctx.base_url
    return Reply(
        200,
        [
            {
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
        ],
    )
