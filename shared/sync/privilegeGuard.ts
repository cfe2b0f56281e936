import type { Privilege, UserContactState } from "../directory/directory.js";
import type { DirectoryFailure } from "../directory/directoryFailure.js";
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
  /** The check's failure when every further check would fail the same way (a run stops after this batch). */
  stop?: Error;
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

/**
 * A refusal for a user whose privilege could not be checked: every requested field failed, code
 * `privilege_check_failed` (fail closed). `err` is kept as `stop` when every further check fails the same way.
 */
export function checkFailed(
  user: UserContactState,
  contact: DesiredContact,
  policy: SyncPolicy,
  failure: DirectoryFailure,
  err: Error,
): PrivilegeRefusal {
  const reason = checkFailedReason(failure);
  return {
    fields: refuseAllFields(contact, policy, user, {
      action: "failed",
      code: privilegeCheckFailedCode,
      reason,
    }),
    requestIds: failure.requestId ? [failure.requestId] : [],
    reason,
    ...(failure.handling === "stopRun" ? { stop: err } : {}),
  };
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

/** Why a user's privilege could not be checked, the same words on every path (the path may add what to do). */
export function checkFailedReason(failure: DirectoryFailure): string {
  if (failure.code === "missing_permission") {
    return `could not check whether the account is privileged: missing permission ${failure.permission ?? "(unnamed)"}; nothing written until it is granted (infra/scripts/grant-graph-permissions.sh), then try again`;
  }
  const why = failure.kind === "unknown" ? "unexpected error" : `Graph ${failure.code}`;
  return `could not check whether the account is privileged (${why}); nothing written`;
}
