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
 * Only throttling and transient faults are worth retrying; a refusal that will repeat (synced user, privileged
 * target, bad request, deleted user) becomes the field's outcome. An AD-mastered property and a user found
 * privileged at the moment of writing are `skipped`, anything else `failed`.
 */
export function writeFailureOf(err: unknown): WriteFailure {
  const failure = directoryFailureOf(err);
  if (failure.category === "retryLater" || failure.category === "credentials")
    return { retry: true, failure };
  return {
    retry: false,
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
