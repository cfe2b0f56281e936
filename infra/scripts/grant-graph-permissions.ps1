#!/usr/bin/env pwsh
# Grants the app's user-assigned managed identity its Microsoft Graph application permissions (app roles).
# azd runs it after `azd provision` on Windows (hooks.postprovision in azure.yaml); it can be run again at
# any time. Same behaviour as grant-graph-permissions.sh:
#
#   User.Read.All                           find users and read their current contact data
#   User-Phone.ReadWrite.All                write mobilePhone and businessPhones
#   User-Mail.ReadWrite.All                 write otherMails (the alternate email)
#   RoleManagement.Read.Directory           read active role assignments and PIM eligibilities: admins are never written
#   GroupMember.Read.All                    list role-assignable and PROTECTED_GROUP_IDS groups, their members and owners
#   PrivilegedEligibilitySchedule.Read.AzureADGroup  PIM for Groups: eligible members and owners of those groups
#                                           (on a tenant without P2 Graph refuses the read: no PIM there)
#   Domain.Read.All                         read the tenant's verified domains: alternate emails in them are refused
#   UserAuthenticationMethod.Read.All       only when CONTACT_TARGET writes any field to methods: list every method a
#                                           user registered (Authenticator, FIDO2, ...), whose own are never added to.
#                                           Read-only: it cannot create a Temporary Access Pass.
#   UserAuthMethod-Phone.ReadWrite.All      only when CONTACT_TARGET writes a phone (mobilePhone, officePhone) to methods
#   UserAuthMethod-Email.ReadWrite.All      only when CONTACT_TARGET writes alternateEmail to methods
#   AuditLog.Read.All                       only when GRANT_REGISTRATION_REPORT=true: the registration report
#                                           (report buckets, backfill prefilter; Entra ID P1/P2). It also reads every
#                                           audit and sign-in log, so it is opt-in.
#
# Never the broad UserAuthenticationMethod.ReadWrite.All: it also creates Temporary Access Passes and deletes any
# method, which would let whoever controls this app sign in as any non-admin user. A grant of it found in place is
# pointed out with the command that removes it.
#
# Idempotent: roles already granted are skipped. Needs the Azure CLI signed in (az login) as a Privileged
# Role Administrator or Global Administrator: the (Cloud) Application Administrator roles cannot grant
# Microsoft Graph app roles.
#
# Input (azd exports its environment to hooks): AZURE_IDENTITY_PRINCIPAL_ID (the identity's object id),
# CONTACT_TARGET (default profile) and GRANT_REGISTRATION_REPORT (default false). Run by hand in the clone, it reads either one that is not set from the
# current azd environment (azd env get-value). GRAPH_GRANT_DRY_RUN=1 prints what would be granted and grants
# nothing.
#
# Exits non-zero, after printing the fix, when any permission could not be granted: azd then stops `azd up`
# rather than reporting success for an app that cannot write (or check for admins) without them.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$graphAppId = '00000003-0000-0000-c000-000000000000' # Microsoft Graph, the same in every tenant
$graph = 'https://graph.microsoft.com/v1.0'

# A value of the current azd environment, or $null (no azd, no environment, or no such value).
function Get-AzdValue([string]$name) {
    if (-not (Get-Command azd -ErrorAction SilentlyContinue)) { return $null }
    $value = & azd env get-value $name 2>$null
    if ($LASTEXITCODE -eq 0 -and $value) { return ($value | Out-String).Trim() }
    return $null
}

$principalId = if ($env:AZURE_IDENTITY_PRINCIPAL_ID) { $env:AZURE_IDENTITY_PRINCIPAL_ID } else { Get-AzdValue 'AZURE_IDENTITY_PRINCIPAL_ID' }
$contactTarget = if ($env:CONTACT_TARGET) { $env:CONTACT_TARGET } else { Get-AzdValue 'CONTACT_TARGET' }
if (-not $contactTarget) { $contactTarget = 'profile' }
$registrationReport = if ($env:GRANT_REGISTRATION_REPORT) { $env:GRANT_REGISTRATION_REPORT } else { Get-AzdValue 'GRANT_REGISTRATION_REPORT' }
if (-not $registrationReport) { $registrationReport = 'false' }
$dryRun = $env:GRAPH_GRANT_DRY_RUN -eq '1'
$retrySeconds = if ($env:GRAPH_GRANT_RETRY_SECONDS) { [int]$env:GRAPH_GRANT_RETRY_SECONDS } else { 10 }

if (-not $principalId) {
    Write-Error "grant-graph-permissions: AZURE_IDENTITY_PRINCIPAL_ID is not set and no azd environment here has it; run 'azd provision' first, or set it to the object id of the app's managed identity."
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "grant-graph-permissions: the Azure CLI (az) is not installed or not on PATH. Install it (https://aka.ms/azcli), sign in with 'az login', then run 'azd provision' again (or this script)."
}
& az account show --output none 2>$null
if ($LASTEXITCODE -ne 0) {
    Write-Error "grant-graph-permissions: the Azure CLI is not signed in. Run 'az login' (the same tenant as azd), then 'azd provision' again (or this script)."
}

# CONTACT_TARGET is one target for every field, or per field (mobilePhone=methods,officePhone=profile,...),
# as shared/config.ts reads it. Returns "field=target" for every field it names, or $null when it is malformed.
function Get-Targets([string]$value) {
    $value = $value -replace '\s', ''
    if ($value -in 'profile', 'methods', 'both') {
        return @("mobilePhone=$value", "officePhone=$value", "alternateEmail=$value")
    }
    $targets = @()
    foreach ($pair in $value.Split(',')) {
        $field, $target = $pair.Split('=', 2)
        if ($field -notin 'mobilePhone', 'officePhone', 'alternateEmail') { return $null }
        if ($target -notin 'profile', 'methods', 'both') { return $null }
        $targets += "$field=$target"
    }
    return $targets
}

$targets = Get-Targets $contactTarget
if (-not $targets) {
    Write-Error "grant-graph-permissions: CONTACT_TARGET must be profile, methods or both, or per field like mobilePhone=methods,officePhone=profile (got '$contactTarget')."
}

if ($registrationReport -notin 'true', 'false') {
    Write-Error "grant-graph-permissions: GRANT_REGISTRATION_REPORT must be true or false (got '$registrationReport')."
}

# Without the two read permissions the privileged-account check fails closed and nothing is ever written;
# without Domain.Read.All no alternate email is written (the tenant's domains cannot be ruled out).
$roles = @('User.Read.All', 'User-Phone.ReadWrite.All', 'User-Mail.ReadWrite.All', 'RoleManagement.Read.Directory', 'GroupMember.Read.All', 'PrivilegedEligibilitySchedule.Read.AzureADGroup', 'Domain.Read.All')
# The methods permissions: one read-only list of every method a user registered, then each kind's narrowest write.
$readMethodsRole = 'UserAuthenticationMethod.Read.All'
$phoneMethodsRole = 'UserAuthMethod-Phone.ReadWrite.All'
$emailMethodsRole = 'UserAuthMethod-Email.ReadWrite.All'
$broadMethodsRole = 'UserAuthenticationMethod.ReadWrite.All'
$reportRole = 'AuditLog.Read.All'
$notNeeded = @()
if ($targets | Where-Object { $_ -match '=(methods|both)$' }) { $roles += $readMethodsRole } else { $notNeeded += $readMethodsRole }
if ($targets | Where-Object { $_ -match '^(mobilePhone|officePhone)=(methods|both)$' }) { $roles += $phoneMethodsRole } else { $notNeeded += $phoneMethodsRole }
if ($targets | Where-Object { $_ -match '^alternateEmail=(methods|both)$' }) { $roles += $emailMethodsRole } else { $notNeeded += $emailMethodsRole }
if ($registrationReport -eq 'true') { $roles += $reportRole } else { $notNeeded += $reportRole }

# Runs `az rest` and returns its parsed JSON; throws when az fails (native commands do not throw by themselves).
function Invoke-Graph {
    param([string[]]$Arguments)
    $output = & az rest @Arguments
    if ($LASTEXITCODE -ne 0) { throw "az rest $($Arguments -join ' ') failed (exit $LASTEXITCODE)" }
    if ($output) { return ($output | Out-String | ConvertFrom-Json) }
}

# The Microsoft Graph service principal of this tenant, with its app roles.
$graphSp = az ad sp show --id $graphAppId | Out-String | ConvertFrom-Json
if ($LASTEXITCODE -ne 0 -or -not $graphSp) { throw "grant-graph-permissions: FAILED: could not read the Microsoft Graph service principal of this tenant ('az ad sp show'). Check that 'az login' signed in to the app's tenant (az account show), then run 'azd provision' again." }
$appRoles = @($graphSp.appRoles | Where-Object { $_.allowedMemberTypes -contains 'Application' })

# A managed identity created seconds ago may not be visible to Graph yet: retry for about a minute.
$existing = $null
for ($attempt = 1; $attempt -le 6; $attempt++) {
    try {
        $assignments = Invoke-Graph @('--method', 'GET', '--url', "$graph/servicePrincipals/$principalId/appRoleAssignments")
        $existing = @($assignments.value | Where-Object { $_.resourceId -eq $graphSp.id })
        break
    }
    catch {
        if ($attempt -eq 6) { throw "grant-graph-permissions: the service principal $principalId is not visible in Microsoft Graph." }
        Write-Host "grant-graph-permissions: waiting for the new identity to reach Microsoft Graph (attempt $attempt)..."
        Start-Sleep -Seconds $retrySeconds
    }
}

function Get-RoleId([string]$value) {
    $role = $appRoles | Where-Object { $_.value -eq $value } | Select-Object -First 1
    if ($role) { return $role.id }
}

function Get-Assignment([string]$roleId) {
    return $existing | Where-Object { $_.appRoleId -eq $roleId } | Select-Object -First 1
}

Write-Host "grant-graph-permissions: Microsoft Graph permissions for identity $principalId (CONTACT_TARGET=$contactTarget)"
$failed = $false
$grantedAny = $false
foreach ($role in $roles) {
    $roleId = Get-RoleId $role
    if (-not $roleId) {
        Write-Warning "  ${role}: not an application permission of Microsoft Graph in this tenant"
        $failed = $true
        continue
    }
    if (Get-Assignment $roleId) {
        Write-Host "  ${role}: already granted"
        continue
    }
    if ($dryRun) {
        Write-Host "  ${role}: would grant (dry run)"
        continue
    }
    # The body goes through a file: Windows PowerShell mangles double quotes in native command arguments.
    $bodyFile = New-TemporaryFile
    try {
        @{ principalId = $principalId; resourceId = $graphSp.id; appRoleId = $roleId } |
            ConvertTo-Json -Compress | Set-Content -Path $bodyFile -Encoding ascii
        & az rest --method POST --url "$graph/servicePrincipals/$($graphSp.id)/appRoleAssignedTo" `
            --headers 'Content-Type=application/json' --body "@$bodyFile" --output none
        if ($LASTEXITCODE -eq 0) { Write-Host "  ${role}: granted"; $grantedAny = $true }
        else { Write-Warning "  ${role}: FAILED"; $failed = $true }
    }
    finally {
        Remove-Item -Path $bodyFile -ErrorAction SilentlyContinue
    }
}

# Least privilege: point out permissions the settings don't need (not removed automatically, since switching
# back would need a Privileged Role Administrator again), and the broad methods permission always.
foreach ($role in @($notNeeded) + $broadMethodsRole) {
    $roleId = Get-RoleId $role
    $stale = if ($roleId) { Get-Assignment $roleId }
    if (-not $stale) { continue }
    if ($role -eq $broadMethodsRole) {
        Write-Host "  ${role}: granted, and broader than this app needs (it can also create Temporary Access Passes); to remove it:"
    }
    else {
        Write-Host "  ${role}: granted but not needed with CONTACT_TARGET=${contactTarget} GRANT_REGISTRATION_REPORT=${registrationReport}; to remove it:"
    }
    Write-Host "    az rest --method DELETE --url $graph/servicePrincipals/$principalId/appRoleAssignments/$($stale.id)"
}

# A managed identity's tokens are cached by Azure for around 24 hours (Microsoft Learn, "Limitation of using managed
# identities for authorization"): say so, or an admin expects the app to use the grant at once.
if ($grantedAny) {
    Write-Host "grant-graph-permissions: a new grant reaches the app's managed identity token only after up to several hours (Azure caches its tokens for around 24 h, and a refresh can't be forced); until then Graph answers 403 missing_permission, queued events wait for it (deferred, up to a day), and doctor may still report it missing."
}

if ($failed) {
    Write-Warning @"
grant-graph-permissions: FAILED: could not grant Microsoft Graph permissions to the identity $principalId.
Granting Graph application permissions needs the Entra role Privileged Role Administrator or Global
Administrator. Ask one to run, in a clone of this repository, signed in with 'az login':
  `$env:AZURE_IDENTITY_PRINCIPAL_ID='$principalId'; `$env:CONTACT_TARGET='$contactTarget'; ./infra/scripts/grant-graph-permissions.ps1
or in bash:
  AZURE_IDENTITY_PRINCIPAL_ID=$principalId CONTACT_TARGET='$contactTarget' bash infra/scripts/grant-graph-permissions.sh
Then run 'azd up' again. Until then the app writes nothing: without these permissions it cannot check
who is an administrator, so it refuses every write.
"@
    exit 1
}
