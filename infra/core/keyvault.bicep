// Key Vault for the webhook secrets and the app's own signing key. The app reads them through Key Vault
// references in its app settings, so the values never appear in app settings, deployment outputs or logs.
param name string
param location string
param tags object
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@secure()
param hrWebhookSecrets string
@secure()
param bambooHrWebhookKey string
@secure()
param scimToken string
@secure()
param appSigningKey string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true // Azure RBAC instead of access policies: one permission model, auditable
    enableSoftDelete: true // a deleted secret can be recovered
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true // not even an admin can destroy secrets before the retention ends
    publicNetworkAccess: 'Enabled' // App Service resolves Key Vault references over the public endpoint without a VNet
  }
}

// A secret is stored only when a value is given: an empty secret would be a valid-looking empty key.
// Names use dashes because Key Vault secret names allow no underscores.
var secretNames = {
  HR_WEBHOOK_SECRETS: 'hr-webhook-secrets'
  BAMBOOHR_WEBHOOK_KEY: 'bamboohr-webhook-key'
  SCIM_TOKEN: 'scim-token'
  APP_SIGNING_KEY: 'app-signing-key'
}

resource hrWebhookSecretsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(hrWebhookSecrets)) {
  parent: vault
  name: secretNames.HR_WEBHOOK_SECRETS
  properties: {
    value: hrWebhookSecrets
    contentType: 'Comma-separated Standard Webhooks secrets (whsec_...)'
  }
}

resource bambooHrWebhookKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(bambooHrWebhookKey)) {
  parent: vault
  name: secretNames.BAMBOOHR_WEBHOOK_KEY
  properties: {
    value: bambooHrWebhookKey
    contentType: 'BambooHR webhook signing key'
  }
}

resource scimTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(scimToken)) {
  parent: vault
  name: secretNames.SCIM_TOKEN
  properties: {
    value: scimToken
    contentType: 'Bearer token for the SCIM endpoint'
  }
}

resource appSigningKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(appSigningKey)) {
  parent: vault
  name: secretNames.APP_SIGNING_KEY
  properties: {
    value: appSigningKey
    contentType: 'The app\'s own signing key (actor stamps, pending-write hashes)'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
// Names only (by app setting name); main.bicep knows which ones were given a value.
output secretNames object = secretNames
