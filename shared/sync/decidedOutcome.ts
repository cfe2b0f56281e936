import type { RuleIssue } from "../core/result.js";
import { type OutcomeParts, rejectionSummaryOf, statusOf, summaryOf } from "./buildOutcome.js";
import type { FieldOutcome, OutcomeCode } from "./outcome.js";

/**
 * What a path decided for one event, before it becomes an Outcome: the queue, the helpdesk fix and the backfill
 * each return one of these from their branches, and `decidedOutcome` words it, so the same decision reads the
 * same on every path. `hint` is what this path's reader does next (e.g. "run the backfill again for this row"),
 * added after the decision's own words, which never depend on the path.
 */
export type SyncDecision =
  | { kind: "rejected"; issues: RuleIssue[] }
  | { kind: "failed"; code: OutcomeCode; message: string; hint?: string }
  | { kind: "stale"; lastApplied: string }
  /**
   * Tried again at `nextAttemptAt`: waiting for the user to be provisioned, or (`missingPermission`) for a Graph
   * permission Graph refused a call for to reach the app's token, since `since`, at most until `until`.
   */
  | {
      kind: "deferred";
      nextAttemptAt: string;
      missingPermission?: { permission?: string; since: string; until: string };
    }
  /** Per-field results (masked); `note` is why no field was written at all (a guard's reason). */
  | { kind: "fields"; fields: FieldOutcome[]; requestIds: string[]; note?: string };

/** The parts of an Outcome a decision sets; the path adds its own (event id, source, actor, user, attempts). */
export type DecidedParts = Pick<
  OutcomeParts,
  | "status"
  | "fields"
  | "errors"
  | "message"
  | "code"
  | "requestIds"
  | "nextAttemptAt"
  | "permission"
  | "waitingSince"
>;

/** The one place a decision becomes an outcome's status, fields, errors, code and message. */
export function decidedOutcome(decision: SyncDecision, dryRun = false): DecidedParts {
  switch (decision.kind) {
    case "rejected":
      return { status: "rejected", errors: decision.issues, message: rejectionSummaryOf(decision.issues) };
    case "failed":
      return {
        status: "failed",
        code: decision.code,
        message: decision.hint ? `${decision.message}; ${decision.hint}` : decision.message,
      };
    case "stale":
      return {
        status: "stale",
        message: `older than the last event applied to this user (${decision.lastApplied}); not applied`,
      };
    case "deferred":
      return decision.missingPermission
        ? waitingForPermission(decision.nextAttemptAt, decision.missingPermission)
        : {
            status: "deferred",
            nextAttemptAt: decision.nextAttemptAt,
            message: `user not found yet; trying again at ${decision.nextAttemptAt}`,
          };
    case "fields": {
      const status = statusOf(decision.fields);
      const summary = summaryOf(status, decision.fields, dryRun);
      return {
        status,
        fields: decision.fields,
        requestIds: decision.requestIds,
        message: decision.note ? `${summary}; ${decision.note}` : summary,
      };
    }
  }
}

/** A deferred event waiting for a permission: the code, the permission and the next try, said in its message. */
function waitingForPermission(
  nextAttemptAt: string,
  wait: { permission?: string; since: string; until: string },
): DecidedParts {
  return {
    status: "deferred",
    code: "missing_permission",
    ...(wait.permission ? { permission: wait.permission } : {}),
    waitingSince: wait.since,
    nextAttemptAt,
    message: `waiting for permission ${wait.permission ?? "(unnamed)"}: Graph refused (403) for want of it; a new grant can take several hours to reach the app's token, so nothing more is written until it does; trying again at ${nextAttemptAt}, until ${wait.until} (grant it with infra/scripts/grant-graph-permissions.sh)`,
  };
}
