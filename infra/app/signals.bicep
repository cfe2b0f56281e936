// What an operator sees in Azure Monitor: alert rules on the metrics the app sends (docs/operations.md), the
// action group that e-mails them, and a workbook. The queries live in signals/*.kql and signals/workbook.json,
// read here at build time and by the tests, which check them against the metric names the code emits.
param location string
param tags object
param applicationInsightsName string
param actionGroupName string
param alertRulePrefix string

@description('Where alerts are e-mailed; empty = no action group (the alerts still fire and show in the portal).')
param alertEmail string

@description('Alert when more than this many events end failed within an hour.')
param failedOutcomesThreshold int

@description('Alert when Graph answers more than this many 429s in each of three 5-minute windows in a row.')
param throttledResponsesThreshold int

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// No e-mail address, no action group: an action group without receivers would only look like someone is told.
resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'global' // action groups are global resources
  tags: tags
  properties: {
    groupShortName: 'sspr-alerts' // at most 12 characters: the sender name in e-mail and SMS
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var alertActions = {
  actionGroups: empty(alertEmail) ? [] : [actionGroup.id]
}

resource poisonQueueAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${alertRulePrefix}-poison-queue'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SSPR prepopulation: poison queue not empty'
    description: 'Messages wait on the onboarding poison queue: events failed every attempt. Fix the cause (the outcome records say it), then run sspr-prepop replay-poison (docs/reliability.md).'
    severity: 2
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: loadTextContent('signals/poison-queue.kql')
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'depth'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: alertActions
  }
}

resource privilegedWrittenAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${alertRulePrefix}-privileged-written'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SSPR prepopulation: a user it wrote is privileged now'
    description: 'The daily run found users whose phone or email this app wrote before they became admins (or members of a role-assignable or protected group). Those values now guard an admin reset: the function log (traces, "privileged since written") names each user and what was written; have them re-register at https://aka.ms/mysecurityinfo or remove the values (docs/security.md).'
    severity: 1
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT1H'
    windowSize: 'P1D'
    criteria: {
      allOf: [
        {
          query: loadTextContent('signals/privileged-written.kql')
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'users'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: alertActions
  }
}

resource failedOutcomesAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${alertRulePrefix}-failed-outcomes'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SSPR prepopulation: events failed'
    description: 'Events ended failed (retries used up, or the user never appeared). The workbook lists the failure codes; GET /api/outcomes tells each event.'
    severity: 2
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: loadTextContent('signals/failed-outcomes.kql')
          timeAggregation: 'Total'
          metricMeasureColumn: 'failed'
          operator: 'GreaterThan'
          threshold: failedOutcomesThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: alertActions
  }
}

resource throttledAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${alertRulePrefix}-graph-throttled'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SSPR prepopulation: Graph throttling sustained'
    description: 'Microsoft Graph kept answering 429 for 15 minutes: something else spends the app\'s budget (another app, a backfill without the shared bucket) or GRAPH_WRITE_BUDGET / GRAPH_READ_UNITS are above the tenant\'s limits.'
    severity: 3
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: loadTextContent('signals/graph-throttled.kql')
          timeAggregation: 'Total'
          metricMeasureColumn: 'throttled'
          operator: 'GreaterThan'
          threshold: throttledResponsesThreshold
          // Sustained: every one of three windows in a row, so one burst the limiter absorbs alerts nobody.
          failingPeriods: {
            numberOfEvaluationPeriods: 3
            minFailingPeriodsToAlert: 3
          }
        }
      ]
    }
    autoMitigate: true
    actions: alertActions
  }
}

// The stall guard's signal (shared/graph/fleetPauseGuard.ts): a process is only told it has been held 15 minutes
// by the fleet's row (its pause, or its granting no token) without a 429 of its own, so any point at all means the
// row held the fleet that long.
resource fleetPausedAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${alertRulePrefix}-fleet-paused'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SSPR prepopulation: fleet held by the budget row for 15 minutes'
    description: 'A process was held 15 minutes by table GraphWriteBudget (its pause, why=paused, or no token granted, why=starved) without Graph throttling it, and now ignores the row and writes on its own share. Only the app\'s identity should write that table: check its role assignments and the storage account\'s activity, then delete the row (docs/operations.md).'
    severity: 2
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: loadTextContent('signals/fleet-paused.kql')
          timeAggregation: 'Total'
          metricMeasureColumn: 'distrusted'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: alertActions
  }
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsights.id, 'sspr-prepop-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'SSPR prepopulation'
    category: 'workbook'
    // Listed under the Application Insights resource's workbooks; its queries run there.
    sourceId: applicationInsights.id
    serializedData: string(union(loadJsonContent('signals/workbook.json'), {
      fallbackResourceIds: [applicationInsights.id]
    }))
  }
}
