import type { RuleIssue } from "../core/result.js";
import type { UserContactState, UserRef } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { identityMismatchOf } from "../directory/identityMismatchOf.js";
import type { SyncDecision } from "./decidedOutcome.js";

/** How looking up an event's user ended: found, absent, or a decision that ends the event here. */
export type UserLookup =
  | { kind: "found"; user: UserContactState }
  | { kind: "notFound" }
  | Extract<SyncDecision, { kind: "rejected" | "failed" }>;

/** The decision for a user Entra ID does not have (the queue first waits USER_WAIT_HOURS for provisioning). */
export const userNotFound: Extract<SyncDecision, { kind: "failed" }> = {
  kind: "failed",
  code: "user_not_found",
  message:
    "user not found in Entra ID; check the user reference (id, userPrincipalName or employeeId) or provisioning",
};

/**
 * Reads the answer to a user lookup the same way on every path: a user whose identifiers disagree with the
 * event's is rejected (`identity_mismatch`), and so is an employeeId several users share (`user_ambiguous`, the
 * HTTP fix's 409): the event names no one user, and no retry changes that, so it is final and not an outage.
 * Any other failed lookup ends the event `failed` with the failure's code and reason (a bad reference), and
 * `retryHint` is added to a failure worth retrying (only a bulk read answers those; a single lookup throws them).
 */
export function userLookupOf(
  ref: UserRef,
  answer: UserContactState | undefined | Error,
  retryHint?: string,
): UserLookup {
  if (answer === undefined) return { kind: "notFound" };
  if (answer instanceof Error) {
    const failure = directoryFailureOf(answer);
    if (failure.category === "ambiguous")
      return { kind: "rejected", issues: [ambiguousIssue(failure.reason)] };
    const retry = failure.handling === "retry" || failure.handling === "bug";
    return {
      kind: "failed",
      code: failure.code,
      message: `could not read the user: ${failure.reason}`,
      ...(retry && retryHint ? { hint: retryHint } : {}),
    };
  }
  const mismatch = identityMismatchOf(ref, answer);
  return mismatch ? { kind: "rejected", issues: [mismatch] } : { kind: "found", user: answer };
}

/** The rule issue of an employeeId several users share, in the failure's own words (the fix answers the same). */
function ambiguousIssue(reason: string): RuleIssue {
  return {
    field: "user.employeeId",
    code: "user_ambiguous",
    message: reason,
    hint: "Correct the HR record so its employeeId belongs to one person, or name the user by userPrincipalName or object id, then send the event again.",
  };
}
