import { DirectoryError } from "../directory/directoryError.js";
import type { FieldAction } from "./outcome.js";

/** What a failed write means for the fields it carried. */
export type WriteFailure =
  | { retry: true }
  | { retry: false; action: Extract<FieldAction, "skipped" | "failed">; reason: string; requestId?: string };

/**
 * Decides whether a failed Graph write is worth retrying. Only throttling and transient faults are; a refusal
 * that will repeat (synced user, privileged target, bad request, deleted user) becomes the field's outcome.
 */
export function writeFailureOf(err: unknown): WriteFailure {
  if (!(err instanceof DirectoryError)) return { retry: true };
  const requestId = err.requestId ? { requestId: err.requestId } : {};
  switch (err.kind) {
    case "onPremisesMastered":
      return {
        retry: false,
        action: "skipped",
        reason:
          "Graph refused: the property is mastered by on-premises AD (this tenant does not allow overriding it); set it in AD DS",
        ...requestId,
      };
    case "forbidden":
      return {
        retry: false,
        action: "failed",
        reason:
          "Graph refused (403 Authorization_RequestDenied): a privileged user's phone and email can only be changed by an app that also holds an Entra admin role",
        ...requestId,
      };
    case "notFound":
      return { retry: false, action: "failed", reason: "the user or method no longer exists", ...requestId };
    case "invalidRequest":
    case "ambiguous":
      return {
        retry: false,
        action: "failed",
        reason: `Graph rejected the write (${err.graphCode ?? err.statusCode})`,
        ...requestId,
      };
    default:
      return { retry: true };
  }
}
