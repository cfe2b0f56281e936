import type { CountryCode } from "libphonenumber-js";
import type { Directory, UserContactState } from "../directory/directory.js";
import { oneUserDirectory } from "./oneUserDirectory.js";
import type { DesiredContact, SyncPlan, SyncPolicy } from "./syncPlanner.js";
import { syncUsers, type UserSync } from "./syncUsers.js";
import type { MethodsWrittenEarlier } from "./userRegisteredKinds.js";

/**
 * `syncUsers` for one user with the Directory's single calls (`oneUserDirectory`): the sequence the queue and the
 * HTTP fix share with the backfill, so none can disagree about what a contact means. Throws what is worth
 * retrying the event for (`retriesTheEvent`), so the caller's retry policy decides.
 */
export async function syncUser(
  directory: Directory,
  user: UserContactState,
  contact: DesiredContact,
  options: {
    policy: SyncPolicy;
    country?: CountryCode | undefined;
    dryRun?: boolean;
    /** Method writes an earlier attempt of this event made (keyed hashes): they are the event's, not the user's. */
    methodsWrittenEarlier?: MethodsWrittenEarlier | undefined;
    /** Called with a plan that writes, just before its first write (the queue notes it with its lease). */
    beforeWrites?: (plan: SyncPlan) => Promise<void>;
    /** Throw a missing permission too, for the caller to wait for the grant (the queue); else it is the outcome. */
    waitsForGrants?: boolean;
  },
): Promise<UserSync> {
  const { results } = await syncUsers(
    oneUserDirectory(directory, { waitsForGrants: options.waitsForGrants === true }),
    [
      {
        user,
        contact,
        country: options.country,
        ...(options.methodsWrittenEarlier ? { methodsWrittenEarlier: options.methodsWrittenEarlier } : {}),
      },
    ],
    {
      policy: options.policy,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.beforeWrites ? { beforeWrites: options.beforeWrites } : {}),
    },
  );
  return results[0] ?? { kind: "failed", code: "internal_error", message: "no result for this user" };
}
