#!/usr/bin/env pwsh
# Sets (or rotates) one function key per HR webhook function and prints where each HR system puts it.
# Same behaviour as set-webhook-keys.sh (read its header for the why):
#
#   hrEvents    POST /api/hr/events     Standard Webhooks sender
#   hrBambooHr  POST /api/hr/bamboohr   BambooHR webhook
#   hrScim      POST /api/hr/scim       SCIM client
#
# Never hand an HR sender a host key: it opens every function, the helpdesk API included.
#
# Usage: ./infra/scripts/set-webhook-keys.ps1 [hrEvents|hrBambooHr|hrScim ...]   (default: all three)
# Input: $env:AZURE_RESOURCE_GROUP, $env:AZURE_FUNCTION_NAME (azd env get-values prints them),
# $env:SERVICE_API_URI (optional), $env:WEBHOOK_KEY_NAME (default hr-sender; a new name rotates without a gap).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$resourceGroup = $env:AZURE_RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_NAME
$keyName = if ($env:WEBHOOK_KEY_NAME) { $env:WEBHOOK_KEY_NAME } else { 'hr-sender' }

if (-not $resourceGroup -or -not $app) {
    Write-Error 'set-webhook-keys: AZURE_RESOURCE_GROUP and AZURE_FUNCTION_NAME must be set; run it in the azd environment (azd env get-values).'
}
if ($keyName -notmatch '^[A-Za-z0-9._-]{1,64}$') {
    Write-Error "set-webhook-keys: WEBHOOK_KEY_NAME must be 1-64 letters, digits, '.', '-' or '_' (got '$keyName')."
}

# The webhook functions, their routes and senders; nothing else may get a key from this script.
$webhooks = [ordered]@{
    hrEvents   = @{ Route = 'hr/events'; Sender = 'Standard Webhooks sender' }
    hrBambooHr = @{ Route = 'hr/bamboohr'; Sender = 'BambooHR (Settings > Webhooks)' }
    hrScim     = @{ Route = 'hr/scim'; Sender = 'SCIM client' }
}
$functions = if ($args.Count -gt 0) { @($args) } else { @($webhooks.Keys) }
foreach ($function in $functions) {
    if (-not $webhooks.Contains($function)) {
        Write-Error "set-webhook-keys: '$function' is not an HR webhook function; choose from hrEvents, hrBambooHr, hrScim."
    }
}

$baseUrl = $env:SERVICE_API_URI
if (-not $baseUrl) {
    $hostName = az functionapp show -g $resourceGroup -n $app --query defaultHostName -o tsv
    if ($LASTEXITCODE -ne 0) { Write-Error "set-webhook-keys: could not read the host name of $app." }
    $baseUrl = "https://$($hostName.Trim())"
}
$baseUrl = $baseUrl.TrimEnd('/')

Write-Host "set-webhook-keys: function key '$keyName' on $app (resource group $resourceGroup)"
$others = @()
foreach ($function in $functions) {
    $route = $webhooks[$function].Route
    # No --key-value: the Functions host generates a strong random key.
    $value = az functionapp function keys set -g $resourceGroup -n $app --function-name $function `
        --key-name $keyName --query value -o tsv
    if ($LASTEXITCODE -ne 0 -or -not $value) {
        Write-Error "set-webhook-keys: ${function}: the key was not set; check 'az login' and your role on $app."
    }
    Write-Host ''
    Write-Host "$function - give this to the $($webhooks[$function].Sender) only; it opens POST /api/$route and nothing else:"
    Write-Host "  URL:    $baseUrl/api/$route"
    Write-Host "  header: x-functions-key: $($value.Trim())"
    Write-Host "  (only if the sender cannot send headers: $baseUrl/api/${route}?code=<the key>; URLs end up in logs)"
    $names = az functionapp function keys list -g $resourceGroup -n $app --function-name $function --query 'keys(@)' -o tsv
    foreach ($other in @($names -split "[`t`r`n]+" | Where-Object { $_ -and $_ -ne $keyName })) {
        $others += "az functionapp function keys delete -g $resourceGroup -n $app --function-name $function --key-name $other"
    }
}

if ($others.Count -gt 0) {
    Write-Host ''
    Write-Host 'Other keys on these functions; delete each once no sender uses it:'
    foreach ($command in $others) { Write-Host "  $command" }
}
Write-Host ''
Write-Host "Hand each key over through a secret channel (the HR system's credential store), never by email or chat."
