#!/usr/bin/env bash
# Sets (or rotates) one function key per HR webhook function and prints where each HR system puts it.
#
#   hrEvents    POST /api/hr/events     Standard Webhooks sender
#   hrBambooHr  POST /api/hr/bamboohr   BambooHR webhook
#   hrScim      POST /api/hr/scim       SCIM client
#
# Never hand an HR sender a host key (`az functionapp keys list` → functionKeys.default or the master key):
# a host key opens every function of the app, the helpdesk API (users/{user}/contact-info) included. A
# function key opens only its own function, so a leaked BambooHR key reaches nothing but /api/hr/bamboohr,
# where the BambooHR signature is still checked.
#
# Usage: bash infra/scripts/set-webhook-keys.sh [hrEvents|hrBambooHr|hrScim ...]   (default: all three)
#
# Input (as azd exports it; outside a hook: eval "$(azd env get-values)"): AZURE_RESOURCE_GROUP and
# AZURE_FUNCTION_NAME; SERVICE_API_URI (else read with az). WEBHOOK_KEY_NAME names the key (default
# hr-sender). Running again with the same name replaces its value at once (the old value stops working). To
# rotate without a gap: run with a new name (WEBHOOK_KEY_NAME=hr-sender-2), move the sender to the new key,
# then delete the old one with the command printed under "other keys". Needs `az login` with a role that
# may manage the app's keys (Website Contributor or Contributor on the function app).
set -euo pipefail

resource_group=${AZURE_RESOURCE_GROUP:-}
app=${AZURE_FUNCTION_NAME:-}
key_name=${WEBHOOK_KEY_NAME:-hr-sender}

if [[ -z $resource_group || -z $app ]]; then
  echo "set-webhook-keys: AZURE_RESOURCE_GROUP and AZURE_FUNCTION_NAME must be set; run it in the azd environment: eval \"\$(azd env get-values)\"." >&2
  exit 1
fi
# Function key names: letters, digits, '-', '_' and '.', as the Functions host allows.
if [[ ! $key_name =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
  echo "set-webhook-keys: WEBHOOK_KEY_NAME must be 1-64 letters, digits, '.', '-' or '_' (got '$key_name')." >&2
  exit 1
fi

# The webhook function, its route and who sends to it; nothing else may get a key from this script.
route_of() {
  case $1 in
    hrEvents) echo "hr/events" ;;
    hrBambooHr) echo "hr/bamboohr" ;;
    hrScim) echo "hr/scim" ;;
    *) return 1 ;;
  esac
}
sender_of() {
  case $1 in
    hrEvents) echo "Standard Webhooks sender" ;;
    hrBambooHr) echo "BambooHR (Settings > Webhooks)" ;;
    hrScim) echo "SCIM client" ;;
  esac
}

functions=("$@")
if [[ ${#functions[@]} == 0 ]]; then functions=(hrEvents hrBambooHr hrScim); fi
for function in "${functions[@]}"; do
  if ! route_of "$function" >/dev/null; then
    echo "set-webhook-keys: '$function' is not an HR webhook function; choose from hrEvents, hrBambooHr, hrScim." >&2
    exit 1
  fi
done

base_url=${SERVICE_API_URI:-}
if [[ -z $base_url ]]; then
  base_url="https://$(az functionapp show -g "$resource_group" -n "$app" --query defaultHostName -o tsv | tr -d '\r')"
fi
base_url=${base_url%/}

echo "set-webhook-keys: function key '$key_name' on $app (resource group $resource_group)"
others=()
for function in "${functions[@]}"; do
  route=$(route_of "$function")
  # No --key-value: the Functions host generates a strong random key.
  if ! value=$(az functionapp function keys set -g "$resource_group" -n "$app" --function-name "$function" \
    --key-name "$key_name" --query value -o tsv | tr -d '\r') || [[ -z $value ]]; then
    echo "set-webhook-keys: $function: the key was not set; check 'az login' and your role on $app." >&2
    exit 1
  fi
  cat <<EOF

$function — give this to the $(sender_of "$function") only; it opens POST /api/$route and nothing else:
  URL:    $base_url/api/$route
  header: x-functions-key: $value
  (only if the sender cannot send headers: $base_url/api/$route?code=<the key>; URLs end up in logs)
EOF
  # Keys this function has besides the one just set: a rotation's old key, or the host's generated default.
  while IFS= read -r other; do
    other=${other%$'\r'}
    if [[ -n $other && $other != "$key_name" ]]; then others+=("$function $other"); fi
  done < <(az functionapp function keys list -g "$resource_group" -n "$app" --function-name "$function" \
    --query "keys(@)" -o tsv | tr '\t' '\n')
done

if [[ ${#others[@]} -gt 0 ]]; then
  echo
  echo "Other keys on these functions; delete each once no sender uses it:"
  for entry in "${others[@]}"; do
    echo "  az functionapp function keys delete -g $resource_group -n $app --function-name ${entry%% *} --key-name ${entry#* }"
  done
fi
echo
echo "Hand each key over through a secret channel (the HR system's credential store), never by email or chat."
