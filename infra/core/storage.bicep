// The app's one storage account: Functions host state (blobs), the HR event queue and its poison queue,
// the outcomes table, and the deployment package container.
param name string
param location string
param tags object
param deploymentContainerName string
param queueNames string[]
param tableNames string[]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false // identity-only access, as identity teams require: no account key can leak
    defaultToOAuthAuthentication: true // the portal uses Entra too, consistent with the above
    allowBlobPublicAccess: false // nothing here is public: packages and host state only
    supportsHttpsTrafficOnly: true // HR events and outcomes carry personal contact data
    minimumTlsVersion: 'TLS1_2' // older TLS versions are deprecated by Azure Storage
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled' // Flex Consumption without a VNet reaches storage over its public endpoint
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobServices 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobServices
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueServices 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Both queues exist before the app starts, so the app's identity only needs rights on these two queues
// (the queue trigger creates the poison queue only if it is missing).
resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: queueServices
    name: queueName
  }
]

resource tableServices 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: tableServices
    name: tableName
  }
]

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
