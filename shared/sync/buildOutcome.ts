import { maskContact } from "../contact/mask.js";
import { isRecord } from "../core/isRecord.js";
import type { RuleIssue } from "../core/result.js";
import type { UserContactState } from "../directory/directory.js";
import {
  type FieldOutcome,
  type Outcome,
  type OutcomeCode,
  type OutcomeStatus,
  writingActions,
} from "./outcome.js";
import type { FieldPlan } from "./syncPlanner.js";

/** The user identifiers an outcome carries. */
export type OutcomeUser = Pick<Outcome, "userId" | "userPrincipalName" | "employeeId">;

/** What an outcome is built from; everything not given starts empty (no fields, no errors, attempt 1). */
export interface OutcomeParts {
  eventId: string;
  status: OutcomeStatus;
  /** Where the event came from (`queue`, a webhook endpoint, `http`, `backfill`). */
  source: string;
  /** Who asked, as the platform or a signature vouches for it — never a value read from the event body. */
  actor: string;
  /** The verified caller's Entra object id, where the actor is a person or app signed in through Easy Auth. */
  actorObjectId?: string | undefined;
  now: Date;
  occurredAt?: string | undefined;
  user?: OutcomeUser;
  fields?: FieldOutcome[];
  errors?: RuleIssue[];
  warnings?: RuleIssue[];
  message?: string;
  /** For a failed event no field explains: the failure's machine code. */
  code?: OutcomeCode | undefined;
  attempts?: number;
  firstSeenAt?: string;
  requestIds?: string[];
  nextAttemptAt?: string;
  /** A deferred event waiting for a permission: which, and since when. */
  permission?: string;
  waitingSince?: string;
  dryRun?: boolean;
  /** A helpdesk fix's keyed request fingerprint, so a reused Idempotency-Key with another request is told apart. */
  requestHash?: string;
}

/** The one way to make an `Outcome`, so the queue, the helpdesk fix and the backfill record the same shape. */
export function buildOutcome(parts: OutcomeParts): Outcome {
  const now = parts.now.toISOString();
  return {
    eventId: parts.eventId,
    status: parts.status,
    source: parts.source,
    ...(parts.occurredAt ? { occurredAt: parts.occurredAt } : {}),
    ...withoutEmpty(parts.user ?? {}),
    fields: parts.fields ?? [],
    errors: parts.errors ?? [],
    warnings: parts.warnings ?? [],
    message: parts.message ?? "",
    ...(parts.code ? { code: parts.code } : {}),
    attempts: parts.attempts ?? 1,
    firstSeenAt: parts.firstSeenAt ?? now,
    updatedAt: now,
    ...(parts.nextAttemptAt ? { nextAttemptAt: parts.nextAttemptAt } : {}),
    ...(parts.permission ? { permission: parts.permission } : {}),
    ...(parts.waitingSince ? { waitingSince: parts.waitingSince } : {}),
    requestIds: parts.requestIds ?? [],
    actor: parts.actor,
    ...(parts.actorObjectId ? { actorObjectId: parts.actorObjectId } : {}),
    ...(parts.dryRun ? { dryRun: true } : {}),
    ...(parts.requestHash ? { requestHash: parts.requestHash } : {}),
  };
}

/** The identifiers of a resolved user, as the directory has them. */
export function outcomeUserOf(user: UserContactState): OutcomeUser {
  return {
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    ...(user.employeeId ? { employeeId: user.employeeId } : {}),
  };
}

/**
 * The user identifiers an event that failed validation still names, when they are plausible text: an admin
 * looking up "what happened to Mei's event" finds the rejection under her UPN.
 */
export function claimedUserOf(input: unknown): OutcomeUser {
  const user = isRecord(input) && isRecord(input.user) ? input.user : {};
  return withoutEmpty({
    userId: plausibleText(user.id),
    userPrincipalName: plausibleText(user.userPrincipalName),
    employeeId: plausibleText(user.employeeId),
  });
}

/** A short text field of an untrusted payload, or undefined. */
export function plausibleText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= 256 ? trimmed : undefined;
}

/** Masks values at the boundary where plans become records. */
export function toFieldOutcome(plan: FieldPlan): FieldOutcome {
  return {
    field: plan.field,
    target: plan.target,
    action: plan.action,
    code: plan.code,
    reason: plan.reason,
    ...(plan.before ? { before: maskContact(plan.before) } : {}),
    ...(plan.after ? { after: maskContact(plan.after) } : {}),
  };
}

/**
 * Marks the planned writes a refused request carried (all of `target`, or one field of it) with the refusal:
 * the value stays what it was. Shared by the one-user path and the backfill's batches.
 */
export function foldRefusal(
  fields: FieldPlan[],
  refusal: { target: FieldPlan["target"]; field?: FieldPlan["field"] | undefined },
  result: Pick<FieldPlan, "action" | "code" | "reason">,
): FieldPlan[] {
  const hit = fields.filter(
    (plan) =>
      plan.target === refusal.target &&
      writingActions.has(plan.action) &&
      (refusal.field === undefined || plan.field === refusal.field),
  );
  for (const plan of hit) {
    plan.action = result.action;
    plan.code = result.code;
    plan.reason = result.reason;
    plan.after = plan.before;
  }
  return hit;
}

/** The final status from the fields' actions. */
export function statusOf(fields: readonly Pick<FieldPlan, "action">[]): OutcomeStatus {
  const wrote = fields.some((field) => writingActions.has(field.action));
  const missed = fields.filter((field) => field.action === "skipped" || field.action === "failed");
  if (wrote) return missed.length > 0 ? "partial" : "updated";
  if (missed.some((field) => field.action === "failed")) return "failed";
  if (missed.length > 0) return "skipped";
  return "unchanged";
}

/** The outcome's one-line summary, e.g. `updated: mobilePhone/profile set, officePhone/profile unchanged`. */
export function summaryOf(
  status: OutcomeStatus,
  fields: readonly Pick<FieldPlan, "field" | "target" | "action">[],
  dryRun: boolean,
): string {
  if (fields.length === 0) return "no contact fields in the event";
  const list = fields.map((field) => `${field.field}/${field.target} ${field.action}`).join(", ");
  return `${dryRun ? "dry run, would be " : ""}${status}: ${list}`;
}

/** The one-line summary of a rejection: each refused field with its code. */
export function rejectionSummaryOf(issues: readonly RuleIssue[]): string {
  return `rejected: ${issues.map((issue) => `${issue.field} ${issue.code}`).join(", ")}`;
}

function withoutEmpty(user: { [K in keyof OutcomeUser]?: string | undefined }): OutcomeUser {
  return {
    ...(user.userId ? { userId: user.userId } : {}),
    ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
    ...(user.employeeId ? { employeeId: user.employeeId } : {}),
  };
}
