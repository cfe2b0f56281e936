import { DirectoryError } from "../directory/directoryError.js";
import type { FieldAction } from "./outcome.js";

/** What a failed write means for the fields it carried. */
export type WriteFailure =
  | { retry: true }
  | { retry: false; action: Extract<FieldAction, "skipped" | "failed">; reason: string; requestId?: string };

/**
 * Decides whether a failed Graph write is worth retrying. Only throttling and transient faults are; a refusal
 * that will repeat (synced user, privileged target, missing permission, bad request, deleted user) becomes the field's outcome.
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
      // Graph answers this 403 for a privileged account's phone and mail properties (a profile write without the
      // write permission answers the same, so the reason names both).
      return {
        retry: false,
        action: "failed",
        reason:
          "privileged account: Graph refused (403 Authorization_RequestDenied) to change this user's phone or email, as it does for admins; prepopulation never writes admins' contact data (if the user holds no role, check the app has User-Phone.ReadWrite.All and User-Mail.ReadWrite.All)",
        ...requestId,
      };
    case "missingPermission":
      return {
        retry: false,
        action: "failed",
        reason: `Graph refused (403): the app is missing permission ${err.permission ?? "(unnamed)"}; an admin must grant it (infra/scripts/grant-graph-permissions.sh)`,
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
