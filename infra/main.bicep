// Azure resources for sspr-prepop, deployed by `azd up` (see docs/deploy.md).
// Plain `resource` declarations only: registry modules (br/public:...) need network access at build time.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; with the subscription and location it seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the person running azd (azd fills AZURE_PRINCIPAL_ID). Gets storage data roles only when grantDeployerDataAccess is true.')
param principalId string = ''

// Off by default: Queue Data Contributor on the onboarding queue is a way to write any user's recovery phone
// (the queue is trusted as an event source), so a deployer keeps no data-plane role unless they ask for it.
@description('GRANT_DEPLOYER_DATA_ACCESS: true gives the deploying principal the storage data roles (to run the app locally against the deployed storage). Leave false for production.')
@allowed(['true', 'false'])
param grantDeployerDataAccess string = 'false'

@description('Kind of principal in principalId: User when a person runs azd, ServicePrincipal when a pipeline does.')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('Node.js major version of the Functions worker: 22 LTS (Node 20 reached end of life on 30 April 2026).')
@allowed(['22'])
param nodeVersion string = '22'

@description('Upper bound on Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Days a deleted Key Vault (and its secrets) stays recoverable; purge protection forbids purging earlier.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

// Product settings: the ones shared/app/config.ts reads, with the code's defaults.

@description('DEFAULT_COUNTRY: ISO 3166-1 alpha-2 code or country name (US, Germany) for phone numbers written without +CountryCode. Empty = no default (such numbers are rejected).')
param defaultCountry string = ''

@description('PHONE_VALIDATION: how strictly phone numbers are checked.')
@allowed(['valid', 'possible'])
param phoneValidation string = 'valid'

@description('ORGANIZATION_DOMAINS: comma-separated mail domains of the organization (tells work addresses from personal ones).')
param organizationDomains string = ''

@description('CONTACT_TARGET: where contact data is written: profile, methods (authentication methods) or both; or per field, like mobilePhone=methods,officePhone=profile,alternateEmail=both. Any methods/both also needs the read-only UserAuthenticationMethod.Read.All (to list what a user registered) and the narrow UserAuthMethod-Phone.ReadWrite.All or UserAuthMethod-Email.ReadWrite.All (the field\'s kind), which the post-provision script grants; never the broad UserAuthenticationMethod.ReadWrite.All.')
param contactTarget string = 'profile'

@description('CONTACT_MODE: fill only empty values, or overwrite existing ones.')
@allowed(['fillEmpty', 'overwrite'])
param contactMode string = 'fillEmpty'

@description('SYNCED_MOBILE: for users synchronized from AD, skip the mobile phone or override it in Entra.')
@allowed(['skip', 'override'])
param syncedMobile string = 'skip'

@description('NEW_HIRE_DAYS: HR events (queue, webhooks) write only users created within this many days; 0 turns the check off.')
@minValue(0)
param newHireDays int = 30

@description('PROTECTED_GROUP_IDS: comma-separated object ids of groups whose (transitive) members are never written, like holders of an active or PIM-eligible Entra role.')
param protectedGroupIds string = ''

@description('USER_WAIT_HOURS: hours to keep waiting for a user who is not in Entra yet.')
@minValue(0)
param userWaitHours int = 72

@description('GRAPH_BASE_URL: Microsoft Graph endpoint (another value only for national clouds).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('GRAPH_WRITE_BUDGET: Graph writes allowed per window (Graph allows 3,000 writes per 150 s per app and tenant).')
@minValue(1)
param graphWriteBudget int = 3000

@description('GRAPH_WRITE_WINDOW_SECONDS: length of the write-budget window.')
@minValue(1)
param graphWriteWindowSeconds int = 150

@description('GRAPH_READ_UNITS: Graph resource units per 10 s for the app in this tenant (8000 large, 5000 medium, 3500 small), or auto: start at 8000 and step down a size on each 429 naming them.')
param graphReadUnits string = 'auto'

@description('GRAPH_METHOD_REQUESTS: authentication-method calls per 10 s to start with (Graph lists authenticationMethod under the reports limit, 5); learnt upward while Graph answers without 429.')
@minValue(1)
param graphMethodRequests int = 5

@description('GRAPH_METHOD_REQUESTS_MAX: the most authentication-method calls per 10 s the app learns its way up to (= GRAPH_METHOD_REQUESTS: fixed).')
@minValue(1)
param graphMethodRequestsMax int = 8000

@description('PRIVILEGE_MAX_AGE_SECONDS: how old the tenant-wide picture of privileged principals may be when a write goes out.')
@minValue(1)
@maxValue(60)
param privilegeMaxAgeSeconds int = 5

@description('GRAPH_MAX_RETRIES: SDK retries of a throttled or failed Graph request within one delivery.')
@minValue(0)
param graphMaxRetries int = 3

@description('GRAPH_RETRY_DELAY_SECONDS: base delay between those retries when Graph sends no Retry-After.')
@minValue(0)
param graphRetryDelaySeconds int = 3

@description('ONBOARDING_QUEUE: storage queue of HR events; its poison queue is created beside it.')
@minLength(3)
@maxLength(56) // leaves room for the "-poison" suffix within the 63-character queue name limit
param onboardingQueue string = 'hr-onboarding'

@description('OUTCOMES_TABLE: storage table of per-user outcomes.')
@minLength(3)
@maxLength(63)
param outcomesTable string = 'ContactOutcomes'

@description('OUTCOME_RETENTION_DAYS: how long outcomes are kept.')
@minValue(1)
param outcomeRetentionDays int = 90

@description('READINESS_SCHEDULE: when the daily readiness run counts the tenant for the workbook (six-field NCRONTAB, seconds first, UTC; at most hourly).')
param readinessSchedule string = '0 0 6 * * *'

@description('CONTACT_ADMIN_ROLE: app role, checked in code, for write access to the HTTP API.')
param contactAdminRole string = 'ContactInfo.ReadWrite'

@description('CONTACT_READER_ROLE: app role, checked in code, for read access to the HTTP API.')
param contactReaderRole string = 'ContactInfo.Read'

@description('HELPDESK_READS_PER_MINUTE: helpdesk reads (contact info, outcomes) one signed-in caller may make per minute, across every instance; past it the API answers 429 with Retry-After.')
@minValue(1)
param helpdeskReadsPerMinute int = 30

@description('HR_EVENTS_PER_SENDER_PER_HOUR: events one verified HR webhook sender (a hr/events key, BambooHR, SCIM) may queue per clock hour, across every instance; a delivery past it is refused whole with 429 and Retry-After.')
@minValue(1)
param hrEventsPerSenderPerHour int = 500

// Alerts (docs/operations.md): rules on the metrics the app sends to Application Insights.

@description('ALERT_EMAIL: address the alerts are e-mailed to (poison queue not empty, failed events, sustained Graph throttling). Empty = no action group: the alerts still fire and show in the Azure portal, and nobody is e-mailed.')
param alertEmail string = ''

@description('ALERT_FAILED_OUTCOMES: alert when more than this many events end failed within an hour (0 = any).')
@minValue(0)
param alertFailedOutcomes int = 0

@description('ALERT_THROTTLED_RESPONSES: alert when Graph answers more than this many 429s in each of three 5-minute windows in a row.')
@minValue(0)
param alertThrottledResponses int = 10

// Webhook secrets: stored in Key Vault, never in app settings or deployment outputs.

@secure()
@description('HR_WEBHOOK_SECRETS: comma-separated Standard Webhooks secrets (whsec_...), several during rotation. Empty = no secret stored and the setting stays empty.')
param hrWebhookSecrets string = ''

@secure()
@description('BAMBOOHR_WEBHOOK_KEY: BambooHR webhook signing key. Empty = no secret stored and the setting stays empty.')
param bambooHrWebhookKey string = ''

@secure()
@description('SCIM_TOKEN: bearer token the SCIM endpoint expects. Empty = no secret stored and the setting stays empty.')
param scimToken string = ''

// The app's own secret, held by no HR sender and no queue writer (docs/security.md).
@secure()
@description('APP_SIGNING_KEY: the app\'s own random secret (32+ characters, e.g. openssl rand -base64 32): signs the sender the webhook intake stamps on queued events and keys the hashes of pending writes. Empty = no secret stored: every queued event is recorded as actor queue.')
param appSigningKey string = ''

// Easy Auth (App Service authentication) in front of the helpdesk API: on unless explicitly turned off. The
// code trusts a caller only when App Service vouches for it (WEBSITE_AUTH_ENABLED), so without Easy Auth the
// helpdesk routes answer 401 to everyone.

@description('HELPDESK_EASY_AUTH: App Service authentication (Easy Auth) in front of the helpdesk API (contact-info, outcomes); then authClientId is required. false opts out: every helpdesk route answers 401, only the HR webhooks and the queue work.')
param helpdeskEasyAuth bool = true

@description('AUTH_CLIENT_ID: client id of the Entra app registration whose tokens Easy Auth accepts, with the app roles ContactInfo.Read and ContactInfo.ReadWrite (docs/deploy.md). Required while helpdeskEasyAuth is true.')
param authClientId string = ''

@description('Tenant that issues those tokens. Empty = the tenant of this subscription.')
param authTenantId string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-api-${resourceToken}'
// Names are computed here rather than read from module outputs, so what-if can predict every role assignment.
var identityName = 'id-api-${resourceToken}'
var storageAccountName = 'st${resourceToken}'
var applicationInsightsName = 'appi-${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var queueNames = [onboardingQueue, '${onboardingQueue}-poison']
// The product's tables, created with the account so roles can be scoped to them: the outcomes, the webhook receipts
// (names as in shared/storage/), and the write budget, which only the app's identity may write (app/rbac.bicep).
var writeBudgetTable = 'GraphWriteBudget'
var deployerWritableTables = [outcomesTable, 'WebhookReceipts']
// Flex Consumption deploys from a blob container; one per app keeps packages of different apps apart.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueNames: queueNames
    tableNames: concat(deployerWritableTables, [writeBudgetTable])
  }
}

module keyVault 'core/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    hrWebhookSecrets: hrWebhookSecrets
    bambooHrWebhookKey: bambooHrWebhookKey
    scimToken: scimToken
    appSigningKey: appSigningKey
  }
}

module signals 'app/signals.bicep' = {
  name: 'signals'
  scope: rg
  // The rules and the workbook point at Application Insights, which must exist first.
  dependsOn: [monitoring]
  params: {
    location: location
    tags: tags
    applicationInsightsName: applicationInsightsName
    actionGroupName: 'ag-${resourceToken}'
    alertRulePrefix: 'alert-${resourceToken}'
    alertEmail: alertEmail
    failedOutcomesThreshold: alertFailedOutcomes
    throttledResponsesThreshold: alertThrottledResponses
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  // Names are known before deployment; the modules must still exist before roles are assigned on them.
  dependsOn: [identity, storage, monitoring, keyVault]
  params: {
    storageAccountName: storageAccountName
    queueNames: queueNames
    deployerWritableTables: deployerWritableTables
    applicationInsightsName: applicationInsightsName
    keyVaultName: keyVaultName
    identityName: identityName
    userPrincipalId: grantDeployerDataAccess == 'true' ? principalId : ''
    userPrincipalType: principalType
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  // The app reads storage and Key Vault with its identity as soon as it starts: grant the roles first.
  dependsOn: [rbac]
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    blobServiceUri: storage.outputs.blobEndpoint
    queueServiceUri: storage.outputs.queueEndpoint
    tableServiceUri: storage.outputs.tableEndpoint
    keyVaultUri: keyVault.outputs.uri
    // The Key Vault secret behind each secret setting, or '' where no value was given.
    keyVaultSecretNames: {
      HR_WEBHOOK_SECRETS: empty(hrWebhookSecrets) ? '' : keyVault.outputs.secretNames.HR_WEBHOOK_SECRETS
      BAMBOOHR_WEBHOOK_KEY: empty(bambooHrWebhookKey) ? '' : keyVault.outputs.secretNames.BAMBOOHR_WEBHOOK_KEY
      SCIM_TOKEN: empty(scimToken) ? '' : keyVault.outputs.secretNames.SCIM_TOKEN
      APP_SIGNING_KEY: empty(appSigningKey) ? '' : keyVault.outputs.secretNames.APP_SIGNING_KEY
    }
    easyAuth: helpdeskEasyAuth
    // Fails the deployment, before anything is created, rather than leave the helpdesk API without its gate.
    authClientId: !helpdeskEasyAuth || !empty(authClientId)
      ? authClientId
      : fail('AUTH_CLIENT_ID is empty, but Easy Auth in front of the helpdesk API needs the client id of an Entra app registration (docs/deploy.md). Set it with azd env set AUTH_CLIENT_ID <client id>, or opt out with azd env set HELPDESK_EASY_AUTH false (the helpdesk API then refuses every caller).')
    authTenantId: empty(authTenantId) ? tenant().tenantId : authTenantId
    settings: {
      DEFAULT_COUNTRY: defaultCountry
      PHONE_VALIDATION: phoneValidation
      ORGANIZATION_DOMAINS: organizationDomains
      CONTACT_TARGET: contactTarget
      CONTACT_MODE: contactMode
      SYNCED_MOBILE: syncedMobile
      NEW_HIRE_DAYS: string(newHireDays)

      PROTECTED_GROUP_IDS: protectedGroupIds
      USER_WAIT_HOURS: string(userWaitHours)
      GRAPH_BASE_URL: graphBaseUrl
      GRAPH_WRITE_BUDGET: string(graphWriteBudget)
      GRAPH_WRITE_WINDOW_SECONDS: string(graphWriteWindowSeconds)
      GRAPH_READ_UNITS: graphReadUnits
      GRAPH_METHOD_REQUESTS: string(graphMethodRequests)
      GRAPH_METHOD_REQUESTS_MAX: string(graphMethodRequestsMax)
      PRIVILEGE_MAX_AGE_SECONDS: string(privilegeMaxAgeSeconds)
      GRAPH_MAX_RETRIES: string(graphMaxRetries)
      GRAPH_RETRY_DELAY_SECONDS: string(graphRetryDelaySeconds)
      ONBOARDING_QUEUE: onboardingQueue
      OUTCOMES_TABLE: outcomesTable
      OUTCOME_RETENTION_DAYS: string(outcomeRetentionDays)
      READINESS_SCHEDULE: readinessSchedule
      CONTACT_ADMIN_ROLE: contactAdminRole
      CONTACT_READER_ROLE: contactReaderRole
      HELPDESK_READS_PER_MINUTE: string(helpdeskReadsPerMinute)
      HR_EVENTS_PER_SENDER_PER_HOUR: string(hrEventsPerSenderPerHour)
    }
  }
}

// Read by azd (deploy target, env) and by infra/scripts/grant-graph-permissions.*.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_IDENTITY_NAME string = identity.outputs.name
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_DEPLOYMENT_CONTAINER string = deploymentContainerName
output AZURE_STORAGE_QUEUE_NAME string = onboardingQueue
output AZURE_STORAGE_TABLE_NAME string = outcomesTable
output KEY_VAULT_NAME string = keyVault.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output CONTACT_TARGET string = contactTarget
