import type { BulkDirectory, Directory, UserContactState } from "../directory/directory.js";
import { type PrivilegeRefusal, privileged, privilegeRefusal } from "./privilegeGuard.js";
import { type DesiredContact, refuseAllFields, type SyncPolicy } from "./syncPlanner.js";

/** The field code of a guest account's fields: guests are never written. */
export const guestAccountCode = "guest_account";

/**
 * The checks every path runs, in this order, on a user it found, before anything else is read of them or planned
 * (the queue and the helpdesk through `userGuardRefusal`, the backfill through `userGuardRefusals`):
 * 1. a guest account (`userType` Guest, or a `#EXT#` UPN) is never written: SSPR for a guest happens in their
 *    home tenant, and a guest invited last week is no new hire;
 * 2. a privileged account is never written, and one whose privilege cannot be known is not written either.
 * The write itself is checked once more when it goes out (the Graph adapter's write gate), whatever time passed.
 */
export async function userGuardRefusal(
  directory: Pick<Directory, "privilegeOf">,
  user: UserContactState,
  contact: DesiredContact,
  policy: SyncPolicy,
): Promise<PrivilegeRefusal | undefined> {
  return guestRefusal(user, contact, policy) ?? (await privilegeRefusal(directory, user, contact, policy));
}

/**
 * `userGuardRefusal` for many users with one privilege read, in input order: undefined where a user may be
 * written, a refusal, or the error when their privilege could not be known (the caller fails closed: a missing
 * permission stops a run, anything else fails the row).
 */
export async function userGuardRefusals(
  directory: Pick<BulkDirectory, "privilegeOfMany">,
  entries: ReadonlyArray<{ user: UserContactState; contact: DesiredContact }>,
  policy: SyncPolicy,
): Promise<Array<PrivilegeRefusal | Error | undefined>> {
  const guests = entries.map(({ user, contact }) => guestRefusal(user, contact, policy));
  const others = entries.filter((_, k) => guests[k] === undefined);
  const privileges = others.length > 0 ? await directory.privilegeOfMany(others.map((e) => e.user.id)) : [];
  let next = 0;
  return entries.map(({ user, contact }, k) => {
    const guest = guests[k];
    if (guest) return guest;
    const privilege = privileges[next++] ?? new Error("no answer");
    if (privilege instanceof Error) return privilege;
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
