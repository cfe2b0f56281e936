import type { Directory, Privilege, UserContactState } from "../directory/directory.js";
import { DirectoryError } from "../directory/directoryError.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { type DesiredContact, type FieldPlan, refuseAllFields, type SyncPolicy } from "./syncPlanner.js";

/** The field code of a privileged user's fields: nothing was (or will be) written for them. */
export const privilegedAccountCode = "privileged_account";
/** The field code when privilege could not be checked (e.g. a missing Graph permission): nothing written. */
export const privilegeCheckFailedCode = "privilege_check_failed";
/** Where users, admins included, register their own authentication methods. */
export const securityInfoUrl = "https://aka.ms/mysecurityinfo";

/** A decision not to write a user at all, with every requested field's outcome. */
export interface PrivilegeRefusal {
  fields: FieldPlan[];
  requestIds: string[];
  reason: string;
}

/**
 * Recovery contact data is a credential: a phone or email written for an admin would open the admin SSPR policy
 * to whoever supplied it. So a privileged user is never written, by any target, and a user whose privilege cannot
 * be known for want of a permission is not written either (fail closed). Returns undefined for a user who may be
 * written; throws what is worth retrying (transient, throttled), so the caller's retry policy decides.
 */
export async function privilegeRefusal(
  directory: Pick<Directory, "privilegeOf">,
  user: UserContactState,
  contact: DesiredContact,
  policy: SyncPolicy,
): Promise<PrivilegeRefusal | undefined> {
  let privilege: Privilege;
  try {
    privilege = await directory.privilegeOf(user.id);
  } catch (err) {
    if (!isFinalCheckFailure(err)) throw err;
    return checkFailed(user, contact, policy, err);
  }
  return privilege.privileged ? privileged(user, contact, policy, privilege) : undefined;
}

/** A refusal for a privileged user: every requested field skipped with code `privileged_account`. */
export function privileged(
  user: UserContactState,
  contact: DesiredContact,
  policy: SyncPolicy,
  privilege: Extract<Privilege, { privileged: true }>,
): PrivilegeRefusal {
  const reason = privilegedReason(privilege);
  return {
    fields: refuseAllFields(contact, policy, user, {
      action: "skipped",
      code: privilegedAccountCode,
      reason,
    }),
    requestIds: [],
    reason,
  };
}

/** A refusal for a user whose privilege could not be checked: every requested field failed, code `privilege_check_failed`. */
export function checkFailed(
  user: UserContactState,
  contact: DesiredContact,
  policy: SyncPolicy,
  err: unknown,
): PrivilegeRefusal {
  const reason = checkFailedReason(err);
  const requestId = err instanceof DirectoryError ? err.requestId : undefined;
  return {
    fields: refuseAllFields(contact, policy, user, {
      action: "failed",
      code: privilegeCheckFailedCode,
      reason,
    }),
    requestIds: requestId ? [requestId] : [],
    reason,
  };
}

/** A check failure retrying cannot cure: Graph refused a read for want of a permission. */
export function isFinalCheckFailure(err: unknown): err is DirectoryError {
  return err instanceof DirectoryError && directoryFailureOf(err).category === "missingPermission";
}

const viaText: Record<Extract<Privilege, { privileged: true }>["via"], (detail: string) => string> = {
  activeRole: (detail) => `${detail}, active`,
  eligibleRole: (detail) => `${detail}, PIM-eligible`,
  roleGroupOwner: (detail) => `owner of role-assignable group ${detail}`,
  roleGroupEligible: (detail) => `role-assignable group ${detail}`,
  roleGroupMember: (detail) => `member of role-assignable group ${detail}`,
  protectedGroup: (detail) => `protected group ${detail}`,
};

/** What makes the account privileged, in a few words (e.g. `Global Administrator, active`). */
export function privilegedReasonShort(privilege: Extract<Privilege, { privileged: true }>): string {
  return viaText[privilege.via](privilege.detail);
}

export function privilegedReason(privilege: Extract<Privilege, { privileged: true }>): string {
  return `privileged account (${privilegedReasonShort(privilege)}): prepopulation never writes admins' contact data; the admin registers their own methods at ${securityInfoUrl}`;
}

export function checkFailedReason(err: unknown): string {
  if (isFinalCheckFailure(err)) {
    return `could not check whether the account is privileged: missing permission ${err.permission ?? "(unnamed)"}; nothing written until it is granted (infra/scripts/grant-graph-permissions.sh), then send the event again`;
  }
  const why = err instanceof DirectoryError ? `Graph ${directoryFailureOf(err).code}` : "unexpected error";
  return `could not check whether the account is privileged (${why}); nothing written, try again`;
}
