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

/**
 * Only throttling and transient faults are worth retrying; a refusal that will repeat (synced user, privileged
 * target, bad request, deleted user) becomes the field's outcome. An AD-mastered property is `skipped` (AD DS is
 * where it is set), anything else `failed`.
 */
export function writeFailureOf(err: unknown): WriteFailure {
  const failure = directoryFailureOf(err);
  if (failure.category === "retryLater" || failure.category === "credentials")
    return { retry: true, failure };
  return {
    retry: false,
    action: failure.code === "on_premises_mastered" ? "skipped" : "failed",
    code: failure.code,
    reason: failure.reason,
    ...(failure.requestId ? { requestId: failure.requestId } : {}),
  };
}

/** True when Graph refused a write because a property is mastered outside the cloud (on-premises AD, Exchange). */
export function isMasteredRefusal(err: unknown): boolean {
  return directoryFailureOf(err).code === "on_premises_mastered";
}
