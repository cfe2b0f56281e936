import type { BulkDirectory, UserContactState } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { checkFailed, type PrivilegeRefusal, privileged } from "./privilegeGuard.js";
import { type DesiredContact, refuseAllFields, type SyncPolicy } from "./syncPlanner.js";

/** The field code of a guest account's fields: guests are never written. */
export const guestAccountCode = "guest_account";

/**
 * A guard's answer for one user: undefined when they may be written, the refusal, or `retry` when their privilege
 * could not be known for a reason worth retrying (nothing is written for them meanwhile: fail closed).
 */
export type GuardAnswer = PrivilegeRefusal | { retry: Error } | undefined;

/**
 * The checks every path runs (the queue, the helpdesk fix and the backfill, all through `syncUsers`), in this
 * order, on the users it found, before anything else is read of them or planned:
 * 1. a guest account (`userType` Guest, or a `#EXT#` UPN) is never written: SSPR for a guest happens in their
 *    home tenant, and a guest invited last week is no new hire;
 * 2. a privileged account is never written, and one whose privilege cannot be known is not written either: a
 *    missing permission (or another answer retrying will not change) refuses every field with
 *    `privilege_check_failed`; a failure worth retrying is handed back as `retry`.
 * One privilege read serves all the users (`privilegeOfMany`); answers come in input order. The write itself is
 * checked once more when it goes out (the Graph adapter's write gate), whatever time passed.
 */
export async function userGuardRefusals(
  directory: Pick<BulkDirectory, "privilegeOfMany">,
  entries: ReadonlyArray<{ user: UserContactState; contact: DesiredContact }>,
  policy: SyncPolicy,
): Promise<GuardAnswer[]> {
  const guests = entries.map(({ user, contact }) => guestRefusal(user, contact, policy));
  const others = entries.filter((_, k) => guests[k] === undefined);
  const privileges = others.length > 0 ? await directory.privilegeOfMany(others.map((e) => e.user.id)) : [];
  let next = 0;
  return entries.map(({ user, contact }, k) => {
    const guest = guests[k];
    if (guest) return guest;
    const privilege = privileges[next++] ?? new Error("no answer");
    if (privilege instanceof Error) {
      const failure = directoryFailureOf(privilege);
      if (failure.handling === "retry" || failure.handling === "bug") return { retry: privilege };
      return checkFailed(user, contact, policy, failure, privilege);
    }
    return privilege.privileged ? privileged(user, contact, policy, privilege) : undefined;
  });
}

/** True for a B2B guest: Graph's `userType`, or the `#EXT#` UPN Entra gives invited accounts. */
export function isGuest(user: Pick<UserContactState, "userType" | "userPrincipalName">): boolean {
  return user.userType?.toLowerCase() === "guest" || user.userPrincipalName.toUpperCase().includes("#EXT#");
}

function guestRefusal(
  user: UserContactState,
  contact: DesiredContact,
  policy: SyncPolicy,
): PrivilegeRefusal | undefined {
  if (!isGuest(user)) return undefined;
  const reason =
    "guest account: prepopulation never writes guests' contact data (a guest resets their password in their home tenant)";
  return {
    fields: refuseAllFields(contact, policy, user, { action: "skipped", code: guestAccountCode, reason }),
    requestIds: [],
    reason,
  };
}
