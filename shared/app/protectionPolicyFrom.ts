import type { ProtectionPolicy } from "../sync/deploymentPolicy.js";
import type { Settings } from "./config.js";

/**
 * The protection policy these settings run with. Only the settings that narrow what may be written, for anyone
 * and by any path: PROTECTED_GROUP_IDS (who), CONTACT_TARGET, CONTACT_MODE and SYNCED_MOBILE (what). Left out on
 * purpose: NEW_HIRE_DAYS and USER_WAIT_HOURS scope the HR event sources only (an admin's backfill is the way to
 * reach existing users), and the contact rules (DEFAULT_COUNTRY, PHONE_VALIDATION, ORGANIZATION_DOMAINS) judge a
 * value's form, not whose data may be written; the backfill adds the tenant's verified domains itself.
 */
export function protectionPolicyFrom(settings: Settings): ProtectionPolicy {
  return {
    protectedGroupIds: [...new Set(settings.PROTECTED_GROUP_IDS.map((id) => id.toLowerCase()))].sort(),
    target: { ...settings.CONTACT_TARGET },
    mode: settings.CONTACT_MODE,
    syncedMobile: settings.SYNCED_MOBILE,
  };
}

/**
 * `settings` with the policy's values in place of their own: how a combined policy reaches every adapter the
 * settings build (the protected groups reach the Graph directory's privilege check as PROTECTED_GROUP_IDS does).
 */
export function settingsUnder(settings: Settings, policy: ProtectionPolicy): Settings {
  return {
    ...settings,
    PROTECTED_GROUP_IDS: [...policy.protectedGroupIds],
    CONTACT_TARGET: { ...policy.target },
    CONTACT_MODE: policy.mode,
    SYNCED_MOBILE: policy.syncedMobile,
  };
}
