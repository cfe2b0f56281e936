#!/usr/bin/env bash
# Grants the app's user-assigned managed identity its Microsoft Graph application permissions (app roles).
# azd runs it after `azd provision` (hooks.postprovision in azure.yaml); it can be run again at any time.
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
set -euo pipefail

readonly graph_app_id=00000003-0000-0000-c000-000000000000 # Microsoft Graph, the same in every tenant
readonly graph=https://graph.microsoft.com/v1.0

# A value of the current azd environment, or nothing (no azd, no environment, or no such value).
azd_value() {
  command -v azd >/dev/null 2>&1 || return 0
  local value
  if value=$(azd env get-value "$1" 2>/dev/null); then
    printf '%s' "$value" | tr -d '\r'
  fi
}

principal_id=${AZURE_IDENTITY_PRINCIPAL_ID:-$(azd_value AZURE_IDENTITY_PRINCIPAL_ID)}
contact_target=${CONTACT_TARGET:-$(azd_value CONTACT_TARGET)}
contact_target=${contact_target:-profile}
registration_report=${GRANT_REGISTRATION_REPORT:-$(azd_value GRANT_REGISTRATION_REPORT)}
registration_report=${registration_report:-false}
dry_run=${GRAPH_GRANT_DRY_RUN:-0}

if [[ -z $principal_id ]]; then
  echo "grant-graph-permissions: AZURE_IDENTITY_PRINCIPAL_ID is not set and no azd environment here has it; run 'azd provision' first, or set it to the object id of the app's managed identity." >&2
  exit 1
fi

if ! command -v az >/dev/null 2>&1; then
  echo "grant-graph-permissions: the Azure CLI (az) is not installed or not on PATH. Install it (https://aka.ms/azcli), sign in with 'az login', then run 'azd provision' again (or this script)." >&2
  exit 1
fi
if ! az account show --output none >/dev/null 2>&1; then
  echo "grant-graph-permissions: the Azure CLI is not signed in. Run 'az login' (the same tenant as azd), then 'azd provision' again (or this script)." >&2
  exit 1
fi

# CONTACT_TARGET is one target for every field, or per field (mobilePhone=methods,officePhone=profile,...),
# as shared/config.ts reads it. Prints "field=target" for every field it names; fails on anything else.
targets_in() {
  local value=${1//[[:space:]]/} pair field target
  case $value in
    profile | methods | both)
      printf '%s\n' "mobilePhone=$value" "officePhone=$value" "alternateEmail=$value"
      return 0
      ;;
  esac
  IFS=, read -ra pairs <<<"$value"
  for pair in "${pairs[@]}"; do
    field=${pair%%=*}
    target=${pair#*=}
    case $field in mobilePhone | officePhone | alternateEmail) ;; *) return 1 ;; esac
    case $target in profile | methods | both) echo "$field=$target" ;; *) return 1 ;; esac
  done
}

if ! targets=$(targets_in "$contact_target"); then
  echo "grant-graph-permissions: CONTACT_TARGET must be profile, methods or both, or per field like mobilePhone=methods,officePhone=profile (got '$contact_target')." >&2
  exit 1
fi
case $registration_report in
  true | false) ;;
  *)
    echo "grant-graph-permissions: GRANT_REGISTRATION_REPORT must be true or false (got '$registration_report')." >&2
    exit 1
    ;;
esac

# Without the two read permissions the privileged-account check fails closed and nothing is ever written;
# without Domain.Read.All no alternate email is written (the tenant's domains cannot be ruled out).
roles=(User.Read.All User-Phone.ReadWrite.All User-Mail.ReadWrite.All RoleManagement.Read.Directory GroupMember.Read.All PrivilegedEligibilitySchedule.Read.AzureADGroup Domain.Read.All)
# The methods permissions: one read-only list of every method a user registered, then each kind's narrowest write.
read_methods_role=UserAuthenticationMethod.Read.All
phone_methods_role=UserAuthMethod-Phone.ReadWrite.All
email_methods_role=UserAuthMethod-Email.ReadWrite.All
broad_methods_role=UserAuthenticationMethod.ReadWrite.All
report_role=AuditLog.Read.All
not_needed=()
if grep -qE '=(methods|both)$' <<<"$targets"; then
  roles+=("$read_methods_role")
else
  not_needed+=("$read_methods_role")
fi
if grep -qE '^(mobilePhone|officePhone)=(methods|both)$' <<<"$targets"; then
  roles+=("$phone_methods_role")
else
  not_needed+=("$phone_methods_role")
fi
if grep -qE '^alternateEmail=(methods|both)$' <<<"$targets"; then
  roles+=("$email_methods_role")
else
  not_needed+=("$email_methods_role")
fi
if [[ $registration_report == true ]]; then
  roles+=("$report_role")
else
  not_needed+=("$report_role")
fi

admin_hint() {
  cat >&2 <<EOF
grant-graph-permissions: FAILED: could not grant Microsoft Graph permissions to the identity $principal_id.
Granting Graph application permissions needs the Entra role Privileged Role Administrator or Global
Administrator. Ask one to run, in a clone of this repository, signed in with 'az login':
  AZURE_IDENTITY_PRINCIPAL_ID=$principal_id CONTACT_TARGET='$contact_target' bash infra/scripts/grant-graph-permissions.sh
or in PowerShell:
  \$env:AZURE_IDENTITY_PRINCIPAL_ID='$principal_id'; \$env:CONTACT_TARGET='$contact_target'; ./infra/scripts/grant-graph-permissions.ps1
Then run 'azd up' again. Until then the app writes nothing: without these permissions it cannot check
who is an administrator, so it refuses every write.
EOF
}

# The Microsoft Graph service principal of this tenant, and its application permissions as "value<TAB>id".
if ! graph_sp_id=$(az ad sp show --id "$graph_app_id" --query id -o tsv | tr -d '\r') || [[ -z $graph_sp_id ]] ||
  ! app_roles=$(az ad sp show --id "$graph_app_id" \
    --query "appRoles[?contains(allowedMemberTypes, 'Application')].[value, id]" -o tsv); then
  echo "grant-graph-permissions: FAILED: could not read the Microsoft Graph service principal of this tenant ('az ad sp show'). Check that 'az login' signed in to the app's tenant (az account show), then run 'azd provision' again." >&2
  exit 1
fi

# A managed identity created seconds ago may not be visible to Graph yet: retry for about a minute.
existing=
for attempt in 1 2 3 4 5 6; do
  if existing=$(az rest --method GET --url "$graph/servicePrincipals/$principal_id/appRoleAssignments" \
    --query "value[?resourceId=='$graph_sp_id'].[appRoleId, id]" -o tsv); then
    break
  fi
  if [[ $attempt == 6 ]]; then
    echo "grant-graph-permissions: the service principal $principal_id is not visible in Microsoft Graph." >&2
    exit 1
  fi
  echo "grant-graph-permissions: waiting for the new identity to reach Microsoft Graph (attempt $attempt)..."
  sleep "${GRAPH_GRANT_RETRY_SECONDS:-10}"
done

role_id_of() {
  awk -F '\t' -v value="$1" '$1 == value { print $2 }' <<<"$app_roles" | tr -d '\r'
}

granted_assignment_of() {
  awk -F '\t' -v id="$1" '$1 == id { print $2 }' <<<"$existing" | tr -d '\r'
}

echo "grant-graph-permissions: Microsoft Graph permissions for identity $principal_id (CONTACT_TARGET=$contact_target)"
failed=0
granted_any=0
for role in "${roles[@]}"; do
  role_id=$(role_id_of "$role")
  if [[ -z $role_id ]]; then
    echo "  $role: not an application permission of Microsoft Graph in this tenant" >&2
    failed=1
    continue
  fi
  if [[ -n $(granted_assignment_of "$role_id") ]]; then
    echo "  $role: already granted"
    continue
  fi
  if [[ $dry_run == 1 ]]; then
    echo "  $role: would grant (dry run)"
    continue
  fi
  body="{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}"
  if az rest --method POST --url "$graph/servicePrincipals/$graph_sp_id/appRoleAssignedTo" \
    --headers Content-Type=application/json --body "$body" --output none; then
    echo "  $role: granted"
    granted_any=1
  else
    echo "  $role: FAILED" >&2
    failed=1
  fi
done

# Least privilege: point out permissions the settings don't need (not removed automatically, since switching
# back would need a Privileged Role Administrator again), and the broad methods permission always.
for role in "${not_needed[@]}" "$broad_methods_role"; do
  role_id=$(role_id_of "$role")
  [[ -n $role_id ]] || continue
  stale=$(granted_assignment_of "$role_id")
  [[ -n $stale ]] || continue
  if [[ $role == "$broad_methods_role" ]]; then
    echo "  $role: granted, and broader than this app needs (it can also create Temporary Access Passes); to remove it:"
  else
    echo "  $role: granted but not needed with CONTACT_TARGET=$contact_target GRANT_REGISTRATION_REPORT=$registration_report; to remove it:"
  fi
  echo "    az rest --method DELETE --url $graph/servicePrincipals/$principal_id/appRoleAssignments/$stale"
done

# A managed identity's tokens are cached by Azure for around 24 hours (Microsoft Learn, "Limitation of using managed
# identities for authorization"): say so, or an admin expects the app to use the grant at once.
if [[ $granted_any == 1 ]]; then
  echo "grant-graph-permissions: a new grant reaches the app's managed identity token only after up to several hours (Azure caches its tokens for around 24 h, and a refresh can't be forced); until then Graph answers 403 missing_permission, queued events wait for it (deferred, up to a day), and doctor may still report it missing."
fi

if [[ $failed == 1 ]]; then
  admin_hint
  exit 1
fi
