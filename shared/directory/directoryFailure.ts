import { maskedFirstLine } from "../contact/mask.js";
import { DirectoryError, DirectoryErrorKind } from "./directoryError.js";

/**
 * What a failed directory call means, decided once for every caller (queue, helpdesk, backfill, CLI):
 * - `retryLater`: throttling, outages, timeouts — the same call may work later;
 * - `credentials`: no token (the sign-in or the managed identity failed, or its endpoint is out of reach) or Graph
 *   refused it (401) — every further call fails the same way, so it is never "transient";
 * - `missingPermission`: Graph refused for want of an application permission — an admin must grant it;
 * - `refused`: Graph refused this one request for a reason that will repeat (synced property, 403, bad request);
 * - `notFound`: the user or method is gone;
 * - `ambiguous`: an employeeId matched several users.
 */
export type FailureCategory =
  | "retryLater"
  | "credentials"
  | "missingPermission"
  | "refused"
  | "notFound"
  | "ambiguous";

/** The machine codes of directory failures. */
export type DirectoryFailureCode =
  | "throttled"
  | "transient_failure"
  | "credentials_refused"
  | "credentials_unavailable"
  | "missing_permission"
  | "not_licensed"
  | "on_premises_mastered"
  | "forbidden_privileged_user"
  | "not_found"
  | "user_ambiguous"
  | "privileged_account"
  | "not_sent"
  | `graph_${string}`;

/**
 * What a caller does about a failure, decided here once so no caller re-combines categories:
 * - `retry`: the same call may work later (throttling, an outage, a write not sent because the run stopped);
 * - `stopRun`: every further call fails the same way (no token, refused credentials, a missing permission): a run
 *   stops, naming the fix;
 * - `final`: this item's answer, which retrying will not change (AD-mastered, privileged, not found, ambiguous,
 *   a bad request);
 * - `bug`: not a directory failure at all (a bug, a storage failure): retried like an outage, never taken for
 *   Graph's answer.
 */
export type FailureHandling = "retry" | "stopRun" | "final" | "bug";

export interface DirectoryFailure {
  category: FailureCategory;
  handling: FailureHandling;
  /** Stable machine code for records, CSV columns and HTTP error codes (e.g. `on_premises_mastered`). */
  code: DirectoryFailureCode;
  /** One human sentence: what happened and what to do; safe to show (no personal data, no request id). */
  reason: string;
  kind: DirectoryErrorKind | "unknown";
  /** For `missing_permission`: the Graph application permission to grant, when the adapter knows it. */
  permission?: string;
  /** Graph's own answer, when Graph answered (an admin quotes it; no personal data): HTTP status and error code. */
  graph?: { statusCode: number; code?: string };
  requestId?: string;
  /** The id the app sent with the failed call; Microsoft support finds the call by either id. */
  clientRequestId?: string;
  retryAfterMs?: number;
}

/** What a kind of directory error means, before the ids of the failed call are added. */
type Meaning = Pick<DirectoryFailure, "category" | "code" | "reason">;

const handlingOfCategory: Record<FailureCategory, FailureHandling> = {
  retryLater: "retry",
  credentials: "stopRun",
  missingPermission: "stopRun",
  refused: "final",
  notFound: "final",
  ambiguous: "final",
};

/**
 * Interprets any error thrown by a Directory call. Errors that are not directory errors (a bug, a storage
 * failure, a network error outside the adapter) are `bug`s in category `retryLater`: the at-least-once pipeline
 * retries them and gives up with a record on the last attempt.
 */
export function directoryFailureOf(err: unknown): DirectoryFailure {
  const noToken = tokenFailureIn(err);
  if (noToken) return withHandling({ ...noTokenMeaning(noToken), kind: DirectoryErrorKind.unauthorized });
  if (!(err instanceof DirectoryError)) {
    const name = err instanceof Error ? err.name : typeof err;
    return {
      category: "retryLater",
      handling: "bug",
      code: "transient_failure",
      reason: `unexpected error (${name})`,
      kind: "unknown",
    };
  }
  return withHandling({
    ...meaningOfKind[err.kind](err),
    kind: err.kind,
    ...(err.permission ? { permission: err.permission } : {}),
    graph: { statusCode: err.statusCode, ...(err.graphCode ? { code: err.graphCode } : {}) },
    ...(err.requestId ? { requestId: err.requestId } : {}),
    ...(err.clientRequestId ? { clientRequestId: err.clientRequestId } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
  });
}

function withHandling(failure: Omit<DirectoryFailure, "handling">): DirectoryFailure {
  return { ...failure, handling: handlingOfCategory[failure.category] };
}

function noTokenMeaning(noToken: Error): Meaning {
  return {
    category: "credentials",
    code: "credentials_unavailable",
    reason: `no token for Microsoft Graph (${noToken.name}: ${maskedFirstLine(noToken.message, 240)}): sign in again (az login, or the CLI's --auth) or check the managed identity (AZURE_CLIENT_ID)`,
  };
}

const onPremisesReason =
  "Graph refused: the property is mastered by on-premises AD or another service outside Entra ID (this tenant does not let the cloud override it); set it in AD DS, or where the user is mastered";

/** One row per kind of directory error: its category, code and reason. */
const meaningOfKind: Record<DirectoryErrorKind, (err: DirectoryError) => Meaning> = {
  throttled: () => ({ category: "retryLater", code: "throttled", reason: "Graph is throttling this app" }),
  transient: () => ({
    category: "retryLater",
    code: "transient_failure",
    reason: "Graph is unavailable or did not answer in time",
  }),
  unauthorized: (err) => ({
    category: "credentials",
    code: "credentials_refused",
    reason: `Graph refused the app's credentials (401 ${err.graphCode ?? ""}): check GRAPH_ACCESS_TOKEN or the managed identity`,
  }),
  onPremisesMastered: () => ({ category: "refused", code: "on_premises_mastered", reason: onPremisesReason }),
  // Graph answers this 403 for a privileged account's phone and mail properties, and for a profile write the app
  // lacks the permission for. With the grants confirmed it is the account; unknown, the reason names both.
  forbidden: (err) => ({
    category: "refused",
    code: "forbidden_privileged_user",
    reason: err.permissionsConfirmed
      ? "privileged account: Graph refused (403 Authorization_RequestDenied) to change this user's phone or email, as it does for admins, although the app holds the write permissions; prepopulation never writes admins' contact data"
      : "privileged account: Graph refused (403 Authorization_RequestDenied) to change this user's phone or email, as it does for admins; prepopulation never writes admins' contact data (if the user holds no role, check the app has User-Phone.ReadWrite.All and User-Mail.ReadWrite.All)",
  }),
  missingPermission: (err) => ({
    category: "missingPermission",
    code: "missing_permission",
    reason: `Graph refused (403): the app is missing permission ${err.permission ?? "(unnamed)"}; an admin must grant it (infra/scripts/grant-graph-permissions.sh)`,
  }),
  notLicensed: (err) => ({
    category: "refused",
    code: "not_licensed",
    reason: `Graph refused (403 ${err.graphCode ?? ""}): the tenant has no Microsoft Entra ID P1 or P2 licence, which this feature needs; no permission changes that`,
  }),
  notFound: () => ({
    category: "notFound",
    code: "not_found",
    reason: "the user or method no longer exists",
  }),
  ambiguous: () => ({
    category: "ambiguous",
    code: "user_ambiguous",
    reason: "the employeeId matches more than one user; name the user by userPrincipalName or object id",
  }),
  privilegedTarget: () => ({
    category: "refused",
    code: "privileged_account",
    reason:
      "privileged account: the user became privileged before the write was sent, so it was not sent; prepopulation never writes admins' contact data",
  }),
  notSent: () => ({
    category: "retryLater",
    code: "not_sent",
    reason: "not sent: the run was stopped before this write's turn; run it again (--resume)",
  }),
  invalidRequest: (err) => ({
    category: "refused",
    code: `graph_${err.graphCode ?? err.kind}`,
    reason: `Graph rejected the request (${err.graphCode ?? err.statusCode})`,
  }),
};

/**
 * The errors @azure/identity throws when it cannot get a token (not signed in, the managed identity or the token
 * endpoint out of reach, a refused sign-in), known by name so this folder needs no SDK.
 */
const tokenErrorNames: ReadonlySet<string> = new Set([
  "CredentialUnavailableError",
  "AuthenticationError",
  "AggregateAuthenticationError",
  "AuthenticationRequiredError",
]);

/** The token failure in `err` or its causes (the Graph adapter wraps what its auth middleware threw). */
function tokenFailureIn(err: unknown): Error | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (tokenErrorNames.has(current.name)) return current;
    current = current.cause;
  }
  return undefined;
}
