import type { ContactField, WriteTarget } from "../contact/contactFields.js";
import type { RuleIssue } from "../core/result.js";
import type { DirectoryFailureCode } from "../directory/directoryFailure.js";

/** What happened (or, in a dry run, would happen) to one field. */
export const fieldActions = ["set", "reformatted", "replaced", "unchanged", "skipped", "failed"] as const;
export type FieldAction = (typeof fieldActions)[number];

/**
 * Machine codes for a field's result, next to the human `reason`: the planner's decisions, then why a write
 * failed (the directory failure's code, e.g. `on_premises_mastered`, `throttled`).
 */
export const plannerCodes = [
  "was_empty",
  "already_present",
  "same_number_reformatted",
  "replaced_on_request",
  "kept_existing",
  "synced_from_ad",
  "user_registered_methods",
  "registered_method_kept",
  "not_a_new_hire",
  "guest_account",
  "privileged_account",
  "privilege_check_failed",
] as const;
export type PlannerCode = (typeof plannerCodes)[number];
export type FieldCode = PlannerCode | DirectoryFailureCode;
/**
 * Why a whole event failed when no field says it: the directory failure (final, or the one that used up the
 * retries), the wait for the user, or a read a backfill row could not make.
 */
export type OutcomeCode =
  | DirectoryFailureCode
  | "user_not_found"
  | "privilege_check_failed"
  | "methods_read_failed"
  | "internal_error";

/** Writes that change the directory. */
export const writingActions: ReadonlySet<FieldAction> = new Set(["set", "reformatted", "replaced"]);

/** Every status an event can end in; `deferred` is the only one that is not final. */
export const outcomeStatuses = [
  "updated",
  "unchanged",
  "partial",
  "skipped",
  "rejected",
  "deferred",
  "stale",
  "failed",
] as const;
export type OutcomeStatus = (typeof outcomeStatuses)[number];

/** True for statuses after which an event is never processed again. */
export function isFinalStatus(status: OutcomeStatus): boolean {
  return status !== "deferred";
}

/** One field's result, with masked before/after values only. */
export interface FieldOutcome {
  field: ContactField;
  target: WriteTarget;
  action: FieldAction;
  /** Stable machine code (see `plannerCodes`); absent only on records written before codes existed. */
  code?: FieldCode;
  reason: string;
  before?: string;
  after?: string;
}

/**
 * A write an attempt noted with its lease before making it: the field's masked outcome, and a keyed hash of the
 * whole value written (`pendingValueHash.ts`), by which a later attempt knows that write again when it reads the
 * value back. Kept while the event is in flight (retries, deferrals) and cleared with its final outcome; never part
 * of an Outcome.
 */
export interface PendingWrite extends FieldOutcome {
  /** Absent on notes written before these hashes existed, or without APP_SIGNING_KEY: such a note never matches. */
  afterHash?: string;
}

/** The recorded result of one event: what an admin reads to know what happened, with no raw personal data. */
export interface Outcome {
  eventId: string;
  status: OutcomeStatus;
  source: string;
  occurredAt?: string;
  userId?: string;
  userPrincipalName?: string;
  employeeId?: string;
  fields: FieldOutcome[];
  /** Why an event was rejected, per input field (messages are masked by the rules). */
  errors: RuleIssue[];
  warnings: RuleIssue[];
  /** A one-line human summary, e.g. why it failed or when it will be tried again. */
  message: string;
  /**
   * For a `failed` event no field or rule issue explains, the machine code beside `message`: the directory
   * failure of the last attempt (`throttled`, `transient_failure`, …) or `user_not_found` after USER_WAIT_HOURS.
   * For a `deferred` event, what it waits for when that is not the user: `missing_permission`. Absent on other
   * outcomes and on records written before it existed.
   */
  code?: OutcomeCode;
  /** With code `missing_permission` on a deferred event: the Graph application permission it waits for. */
  permission?: string;
  /** A deferred event waiting for a permission: when the permission was first found missing (it waits a day). */
  waitingSince?: string;
  attempts: number;
  firstSeenAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  requestIds: string[];
  /**
   * Who asked, as verified, never as a body claims: the webhook sender (`webhook:hr/events#<key id>`,
   * `webhook:hr/bamboohr`, `webhook:hr/scim`), `queue` for a message put on the queue by other means, or the
   * signed-in caller of the HTTP fix.
   */
  actor: string;
  /**
   * For an HTTP fix: the caller's Entra object id (the principal's `oid` claim), as Easy Auth vouches for it. The
   * display name in `actor` is neither unique nor stable; this is what an audit joins with Entra's sign-in logs.
   * Absent when the principal carries none, and on records written before it existed.
   */
  actorObjectId?: string;
  dryRun?: boolean;
  /**
   * For an HTTP fix with an Idempotency-Key: an HMAC of the request (user key and body bytes) keyed with the
   * Idempotency-Key, so a repeat of the key with another request is told apart (409) from a retry.
   */
  requestHash?: string;
}
