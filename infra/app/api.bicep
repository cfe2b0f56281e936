// The function app on a Flex Consumption (FC1) plan, its app settings, and its hardening.
param name string
param planName string
param location string
param tags object
@allowed(['22'])
param nodeVersion string
param maximumInstanceCount int
param instanceMemoryMB int
param identityId string
param identityClientId string
param applicationInsightsConnectionString string
param deploymentContainerUrl string
param blobServiceUri string
param queueServiceUri string
param tableServiceUri string
param keyVaultUri string
@description('Key Vault secret name behind each secret setting; empty where no value was stored.')
param keyVaultSecretNames VaultedSettings
@description('App Service authentication (Easy Auth) in front of every route but the HR webhooks.')
param easyAuth bool
@description('Entra app registration whose tokens Easy Auth accepts (required when easyAuth is true).')
param authClientId string
param authTenantId string
@description('Product settings read by shared/app/config.ts, as strings (app settings are strings).')
param settings ProductSettings

type VaultedSettings = {
  HR_WEBHOOK_SECRETS: string
  BAMBOOHR_WEBHOOK_KEY: string
  SCIM_TOKEN: string
  APP_SIGNING_KEY: string
}

type ProductSettings = {
  DEFAULT_COUNTRY: string
  PHONE_VALIDATION: 'valid' | 'possible'
  ORGANIZATION_DOMAINS: string
  CONTACT_TARGET: string // profile | methods | both, or per field (checked by the code)
  CONTACT_MODE: 'fillEmpty' | 'overwrite'
  SYNCED_MOBILE: 'skip' | 'override'
  NEW_HIRE_DAYS: string
  PROTECTED_GROUP_IDS: string
  USER_WAIT_HOURS: string
  GRAPH_BASE_URL: string
  GRAPH_WRITE_BUDGET: string
  GRAPH_WRITE_WINDOW_SECONDS: string
  GRAPH_READ_UNITS: string
  GRAPH_METHOD_REQUESTS: string
  GRAPH_METHOD_REQUESTS_MAX: string
  PRIVILEGE_MAX_AGE_SECONDS: string
  GRAPH_MAX_RETRIES: string
  GRAPH_RETRY_DELAY_SECONDS: string
  ONBOARDING_QUEUE: string
  OUTCOMES_TABLE: string
  OUTCOME_RETENTION_DAYS: string
  READINESS_SCHEDULE: string // six-field NCRONTAB (checked by the code)
  CONTACT_ADMIN_ROLE: string
  CONTACT_READER_ROLE: string
  HELPDESK_READS_PER_MINUTE: string
  HR_EVENTS_PER_SENDER_PER_HOUR: string
}

// HR systems authenticate to these routes with a function key plus their own signature or token, never with
// an Entra token, so Easy Auth must let them through (the function key is still enforced by the host). So does
// the health check, which the post-deploy smoke check calls with its function key; it returns no data.
var keyOnlyPaths = ['/api/hr/events', '/api/hr/bamboohr', '/api/hr/scim', '/api/health']

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux: Flex Consumption runs only on Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' }) // azd deploys the `api` service of azure.yaml here
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true // HR payloads and function keys must never travel in clear text
    // Key Vault references resolve with the user-assigned identity (the default would be a system identity,
    // which this app does not have).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled' // deployments go through azd/OneDeploy with Entra tokens, never FTP
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            // Shared keys are disabled on the account: the package is read with the identity.
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // On Flex Consumption the runtime is set here; FUNCTIONS_WORKER_RUNTIME is not an app setting.
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // Host storage through the identity (the account allows no shared key). In Azure the code builds its
    // queue and table clients from the same __queueServiceUri/__tableServiceUri and __clientId.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: blobServiceUri
    AzureWebJobsStorage__queueServiceUri: queueServiceUri
    AzureWebJobsStorage__tableServiceUri: tableServiceUri
    // Telemetry with an Entra token, since Application Insights has local auth disabled. The host reads both, and
    // so does the code, which sends the app's own metrics with the same identity (docs/operations.md).
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // The identity the code's DefaultAzureCredential uses for Microsoft Graph.
    AZURE_CLIENT_ID: identityClientId
    // The Functions host buffers a request body before any handler runs (100 MB by default), so a handler's own
    // stream limit comes too late to save the memory: the host refuses (413) any body over the app's largest
    // accepted one, the HR webhooks' 1 MiB (hostBodyLimitBytes in shared/http/bodyLimits.ts; the local host the same).
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '1048576'
    DEFAULT_COUNTRY: settings.DEFAULT_COUNTRY
    PHONE_VALIDATION: settings.PHONE_VALIDATION
    ORGANIZATION_DOMAINS: settings.ORGANIZATION_DOMAINS
    CONTACT_TARGET: settings.CONTACT_TARGET
    CONTACT_MODE: settings.CONTACT_MODE
    SYNCED_MOBILE: settings.SYNCED_MOBILE
    NEW_HIRE_DAYS: settings.NEW_HIRE_DAYS
    PROTECTED_GROUP_IDS: settings.PROTECTED_GROUP_IDS
    USER_WAIT_HOURS: settings.USER_WAIT_HOURS
    GRAPH_BASE_URL: settings.GRAPH_BASE_URL
    GRAPH_WRITE_BUDGET: settings.GRAPH_WRITE_BUDGET
    GRAPH_WRITE_WINDOW_SECONDS: settings.GRAPH_WRITE_WINDOW_SECONDS
    GRAPH_READ_UNITS: settings.GRAPH_READ_UNITS
    GRAPH_METHOD_REQUESTS: settings.GRAPH_METHOD_REQUESTS
    GRAPH_METHOD_REQUESTS_MAX: settings.GRAPH_METHOD_REQUESTS_MAX
    PRIVILEGE_MAX_AGE_SECONDS: settings.PRIVILEGE_MAX_AGE_SECONDS
    GRAPH_MAX_RETRIES: settings.GRAPH_MAX_RETRIES
    GRAPH_RETRY_DELAY_SECONDS: settings.GRAPH_RETRY_DELAY_SECONDS
    ONBOARDING_QUEUE: settings.ONBOARDING_QUEUE
    OUTCOMES_TABLE: settings.OUTCOMES_TABLE
    OUTCOME_RETENTION_DAYS: settings.OUTCOME_RETENTION_DAYS
    READINESS_SCHEDULE: settings.READINESS_SCHEDULE
    CONTACT_ADMIN_ROLE: settings.CONTACT_ADMIN_ROLE
    CONTACT_READER_ROLE: settings.CONTACT_READER_ROLE
    HELPDESK_READS_PER_MINUTE: settings.HELPDESK_READS_PER_MINUTE
    HR_EVENTS_PER_SENDER_PER_HOUR: settings.HR_EVENTS_PER_SENDER_PER_HOUR
    // Secrets stay in Key Vault, resolved with keyVaultReferenceIdentity. The secret URI is versionless, so a
    // value rotated in Key Vault reaches the app without a redeploy. Empty where no value was given: that
    // webhook then has no secret to verify requests with.
    HR_WEBHOOK_SECRETS: empty(keyVaultSecretNames.HR_WEBHOOK_SECRETS)
      ? ''
      : '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.HR_WEBHOOK_SECRETS}/)'
    BAMBOOHR_WEBHOOK_KEY: empty(keyVaultSecretNames.BAMBOOHR_WEBHOOK_KEY)
      ? ''
      : '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.BAMBOOHR_WEBHOOK_KEY}/)'
    SCIM_TOKEN: empty(keyVaultSecretNames.SCIM_TOKEN)
      ? ''
      : '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.SCIM_TOKEN}/)'
    APP_SIGNING_KEY: empty(keyVaultSecretNames.APP_SIGNING_KEY)
      ? ''
      : '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${keyVaultSecretNames.APP_SIGNING_KEY}/)'
  }
}

// Basic (user name + password) publishing credentials would bypass Entra: turn both endpoints off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// Easy Auth validates Entra tokens for the helpdesk API and strips client-sent x-ms-client-principal headers;
// App Service then tells the app so (WEBSITE_AUTH_ENABLED), the only case in which the code trusts a caller.
// App roles are still checked in code, because the platform does not check them.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (easyAuth) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    httpSettings: {
      requireHttps: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401' // an API: no login redirects
      excludedPaths: keyOnlyPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [authClientId, 'api://${authClientId}']
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false // bearer tokens only; nothing to store
      }
    }
  }
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
