// Every role the app's identity (and, optionally, the deploying person) gets, each at the narrowest scope
// the Functions runtime works with. Nothing here grants Owner, Contributor or any control-plane role.
param storageAccountName string
param queueNames string[]
@description('Tables the deploying person may write (outcomes, webhook receipts): never the write-budget table.')
param deployerWritableTables string[]
param applicationInsightsName string
param keyVaultName string
param identityName string
@description('Deploying person or pipeline; empty = no roles for them.')
param userPrincipalId string
@allowed(['User', 'ServicePrincipal'])
param userPrincipalType string

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6' // Storage Table Data Reader
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource queueServices 'queueServices' existing = {
    name: 'default'

    resource queue 'queues' existing = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }

  resource tableServices 'tableServices' existing = {
    name: 'default'

    resource table 'tables' existing = [
      for tableName in deployerWritableTables: {
        name: tableName
      }
    ]
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Account scope: the Functions host creates its own containers (azure-webjobs-hosts, -secrets) and timer
// leases, and Flex Consumption reads the deployment package container; none of them exist beforehand.
resource appBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Queue scope: the app reads and writes only the HR event queue and its poison queue. Both exist before
// the app starts, so the queue-level create-if-missing calls of the code and the queue trigger succeed.
resource appQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in queueNames: {
    name: guid(storage::queueServices::queue[i].id, identity.id, roles.storageQueueDataContributor)
    scope: storage::queueServices::queue[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Account scope, not table scope: creating a table is an account-level operation, and both the code
// (TableOutcomeLog creates the outcomes table on first use) and the Functions host (its diagnostic events go
// to tables it creates each month) create tables. This makes the app's identity the only principal here that
// may write table GraphWriteBudget, whose row pauses every process's Graph writes (docs/security.md).
resource appTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights scope: local auth is off, so telemetry is accepted only with this role's token.
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault scope: the vault holds only this app's webhook secrets; read-only, no management rights.
resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Only when asked (GRANT_DEPLOYER_DATA_ACCESS=true): the deploying person gets storage data roles, so `npm start`
// and the CLI can run against the deployed storage with their own sign-in. No Key Vault or monitoring roles:
// local runs use local secrets. Tables: read on the account, write only on deployerWritableTables — never on
// GraphWriteBudget, whose pause stops the whole fleet (the CLI paces itself on half the budget when it may only
// read that row).
resource userBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(storage.id, userPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}

resource userQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in queueNames: if (!empty(userPrincipalId)) {
    name: guid(storage::queueServices::queue[i].id, userPrincipalId, roles.storageQueueDataContributor)
    scope: storage::queueServices::queue[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userTableReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(storage.id, userPrincipalId, roles.storageTableDataReader)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataReader)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}

// Table scope: the tables exist before this runs (core/storage.bicep creates them), so the code's create-if-missing
// call answers "exists" and the person's writes land only here.
resource userTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (tableName, i) in deployerWritableTables: if (!empty(userPrincipalId)) {
    name: guid(storage::tableServices::table[i].id, userPrincipalId, roles.storageTableDataContributor)
    scope: storage::tableServices::table[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]
