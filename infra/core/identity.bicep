// The one identity the app uses for everything: storage, Key Vault references, Application Insights and
// Microsoft Graph. User-assigned, so its Graph app roles survive deleting and re-creating the function app.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
