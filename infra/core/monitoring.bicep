// Log Analytics + workspace-based Application Insights, reachable only with Entra tokens.
param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Telemetry must be sent with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), so a leaked
    // connection string cannot be used to write fake telemetry.
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
// Not a secret once local auth is off: it only says where to send telemetry.
output connectionString string = applicationInsights.properties.ConnectionString
