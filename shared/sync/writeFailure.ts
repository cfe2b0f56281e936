import {
  type DirectoryFailure,
  type DirectoryFailureCode,
  directoryFailureOf,
} from "../directory/directoryFailure.js";
import type { FieldAction } from "./outcome.js";

/** What a failed write means for the fields it carried: retry the event, or the field's final action. */
export type WriteFailure =
  | { retry: true; failure: DirectoryFailure }
  | {
      retry: false;
      action: Extract<FieldAction, "skipped" | "failed">;
      code: DirectoryFailureCode;
      reason: string;
      requestId?: string;
    };

// Not failures of the app: AD DS is where a mastered property is set, and an admin's data is never written.
const skippedCodes: ReadonlySet<DirectoryFailureCode> = new Set([
  "on_premises_mastered",
  "privileged_account",
]);

/**
 * Whether one event (a queue message, a helpdesk fix) is tried again for this failure rather than recorded: what
 * may pass later (throttling, an outage, a bug) and refused credentials (a token endpoint out of reach comes back).
 * A missing permission is tried again only where the path can wait for it (`waitsForGrants`: the queue, which
 * defers the event for hours, since a managed identity's new grant can take that long to reach its token); the
 * helpdesk fix answers a person now, so there it becomes the outcome at once, like every final answer. A run of
 * many rows decides on `handling` alone (the backfill stops on `stopRun`).
 */
export function retriesTheEvent(failure: DirectoryFailure, waitsForGrants = false): boolean {
  if (failure.code === "missing_permission") return waitsForGrants;
  return failure.handling !== "final";
}

/**
 * Only what `retriesTheEvent` is retried; a refusal that will repeat (synced user, privileged target, bad request,
 * deleted user, missing permission) becomes the field's outcome. An AD-mastered property and a user found
 * privileged at the moment of writing are `skipped`, anything else `failed`.
 */
export function writeFailureOf(err: unknown): WriteFailure {
  const failure = directoryFailureOf(err);
  if (retriesTheEvent(failure)) return { retry: true, failure };
  return { retry: false, ...fieldRefusalOf(failure) };
}

/** A failure as the outcome of the fields its write carried: skipped for AD-mastered or privileged, else failed. */
export function fieldRefusalOf(
  failure: DirectoryFailure,
): Omit<Extract<WriteFailure, { retry: false }>, "retry"> {
  return {
    action: skippedCodes.has(failure.code) ? "skipped" : "failed",
    code: failure.code,
    reason: failure.reason,
    ...(failure.requestId ? { requestId: failure.requestId } : {}),
  };
}

/** True when Graph refused a write because a property is mastered outside the cloud (on-premises AD, Exchange). */
export function isMasteredRefusal(err: unknown): boolean {
  return directoryFailureOf(err).code === "on_premises_mastered";
}
