// sync/: plan → apply → outcome — the planner, the queue and helpdesk use cases, Outcome and its log port.

import { createHash } from "node:crypto";
import {
  type ContactRuleOptions,
  type ValidContactEvent,
  validateContactEvent,
} from "../contact/contactEvent.js";
import { occurredAtIssue } from "../contact/occurredAtIssue.js";
import { ensureErrorType } from "../core/errors.js";
import { isRecord } from "../core/isRecord.js";
import { maxJsonDepth, stableJsonText, valueExceedsDepth } from "../core/jsonDepth.js";
import { fail, type Result, type RuleIssue } from "../core/result.js";
import type { Directory, UserContactState, UserRef } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { isNewHire } from "../directory/isNewHire.js";
import { tenantAddressIssue } from "../directory/tenantAddressIssue.js";
import { toUserRef } from "../directory/userRef.js";
import { type VerifiedActor, verifiedActorOf } from "./actorStamp.js";
import type { AppKeys } from "./appKeys.js";
import {
  buildOutcome,
  claimedUserOf,
  type OutcomeParts,
  outcomeUserOf,
  plausibleText,
  rejectionSummaryOf,
  toFieldOutcome,
} from "./buildOutcome.js";
import { decidedOutcome, type SyncDecision } from "./decidedOutcome.js";
import type { EventQueue } from "./eventQueue.js";
import { type FieldOutcome, type Outcome, type PendingWrite, writingActions } from "./outcome.js";
import { type Claim, LeaseLostError, type OutcomeLog } from "./outcomeLog.js";
import { pendingValueHashWith, type ValueHash } from "./pendingValueHash.js";
import type { SyncPlan, SyncPolicy } from "./syncPlanner.js";
import { refuseAllFields } from "./syncPlanner.js";
import { syncUser } from "./syncUser.js";
import { decisionOf } from "./syncUsers.js";
import { userLookupOf, userNotFound } from "./userLookup.js";
import { waitForPermission } from "./waitForPermission.js";
import { retriesTheEvent } from "./writeFailure.js";

/** Everything the pipeline talks to, passed in so tests and hosts choose real or in-memory parts. */
export interface SyncDeps {
  directory: Directory;
  outcomes: OutcomeLog;
  /** Where a deferred event is put back (same queue the trigger reads). */
  queue: EventQueue;
  rules: ContactRuleOptions;
  policy: SyncPolicy;
  userWaitHours: number;
  /** Only users created within this many days are written (0: any user); older ones are the admin's to backfill. */
  newHireDays: number;
  /**
   * How long a delivery holds an event before another may take it over; default 5 min. Must exceed the longest
   * processing time (else two deliveries could both write) and stay below the queue's visibility timeout.
   */
  leaseMs?: number;
  now?: () => Date;
  /** Receives one masked line per event. */
  log?: (line: string) => void;
  /**
   * The keys only the app holds (APP_SIGNING_KEY): without them no queued stamp is believed (every event is
   * recorded as actor `queue`) and no earlier write is known again by its value (a retry counts it the user's).
   */
  keys?: AppKeys | undefined;
}

/** Which delivery this is, from the queue trigger's metadata and host.json. */
export interface Delivery {
  dequeueCount: number;
  maxDequeueCount: number;
}

// Long enough for a slow Graph round trip under throttling; short enough that a crashed worker's event is
// picked up again within minutes.
const defaultLeaseMs = 5 * 60_000;
const firstDeferralSeconds = 60;
const maxDeferralSeconds = 6 * 3600;

/** One claimed delivery's lease: its token changes each time the pending writes are noted with it. */
interface Lease {
  token: string;
  /** The writes this event's attempts have started (masked, with keyed hashes), newest plan per field. */
  pending: PendingWrite[];
}

/** What a claimed delivery works with. */
interface Attempt {
  message: unknown;
  valid: ValidContactEvent;
  warnings: Result<ValidContactEvent>["warnings"];
  claim: Extract<Claim, { state: "claimed" }>;
  firstSeenAt: string;
  attempts: number;
  lease: Lease;
  now: Date;
  /** Who the record names: the webhook sender when the intake's stamp proves it, else `queue`. */
  actor: VerifiedActor;
  /** The event's user once found: the record is listed under their directory ids from then on. */
  user?: UserContactState;
}

/** What the attempt decided, with what carrying it out takes beside the record. */
interface Decided {
  decision: SyncDecision;
  /** Put the message back on the queue this many seconds from now (waiting for the user or a permission). */
  requeueSeconds?: number;
  /** The user the event was applied to (the out-of-order guard notes it before the record). */
  appliedTo?: UserContactState;
}

/**
 * Processes one queue message end to end: validate → resolve user → read → plan → apply → record.
 * Safe under at-least-once delivery: a final outcome is written once, and a duplicate makes no Graph call.
 * Throws only for transient failures, after recording `failed` on the last allowed attempt.
 */
export async function syncContactEvent(
  message: unknown,
  delivery: Delivery,
  deps: SyncDeps,
): Promise<Outcome> {
  const now = deps.now?.() ?? new Date();
  // A message nested absurdly deep is refused before anything that recurses touches it, so it ends in a
  // `rejected` record instead of a stack overflow and a poison message nobody can explain.
  const validated = valueExceedsDepth(message, maxJsonDepth)
    ? fail<ValidContactEvent>([tooDeepIssue])
    : validateContactEvent(message, deps.rules);
  const actor = verifiedActorOf(message, deps.keys?.actorStamp);
  if (!validated.ok) return recordRejection(message, validated, now, deps, actor);
  const { event } = validated.value;
  const future = occurredAtIssue(event.occurredAt, now);
  if (future) {
    return recordRejection(message, { ...validated, ok: false, issues: [future] }, now, deps, actor);
  }

  const claim = await deps.outcomes.claim(event.eventId, leaseMsOf(deps), now);
  if (claim.state === "duplicate") return claim.outcome;
  if (claim.state === "busy") {
    // Another delivery of this event is being processed; look again once its lease ends.
    const delaySeconds = Math.max(1, Math.ceil((claim.leaseUntil.getTime() - now.getTime()) / 1000));
    await deps.queue.send(message, { delaySeconds });
    return deferredCopy(validated.value, now, actor, "another delivery is in progress");
  }
  const previous = claim.previous;
  if (previous?.status === "deferred" && isBefore(now, previous.nextAttemptAt)) {
    // An extra copy of a deferred event (its deferral was sent twice); the scheduled copy will do the work.
    await deps.outcomes.release(event.eventId, claim.token);
    return previous;
  }
  const attempt: Attempt = {
    message,
    valid: validated.value,
    warnings: validated.warnings,
    claim,
    now,
    actor,
    lease: { token: claim.token, pending: claim.pending ?? [] },
    firstSeenAt: previous?.firstSeenAt ?? now.toISOString(),
    attempts: (previous?.attempts ?? 0) + 1,
  };
  try {
    return logged(deps, await finishAttempt(attempt, await decideEvent(attempt, deps), deps));
  } catch (err) {
    return logged(deps, await endFailedAttempt(attempt, err, delivery, deps));
  }
}

/** Resolves the user, guards against old accounts and out-of-order events, plans and writes: the decision. */
async function decideEvent(attempt: Attempt, deps: SyncDeps): Promise<Decided> {
  const { valid, lease } = attempt;
  // Inside the attempt, so a failed domain read is retried like any other Graph failure.
  const inTenant = await tenantAddressIssue(valid.contact, deps.directory);
  if (inTenant) return { decision: { kind: "rejected", issues: [inTenant] } };
  const ref = toUserRef(valid.event.user);
  const lookup = userLookupOf(ref, await findUser(deps.directory, ref));
  if (lookup.kind === "notFound") return waitForUser(attempt, deps);
  if (lookup.kind !== "found") return { decision: lookup };
  const user = lookup.user;
  attempt.user = user;
  if (!isNewHire(user, attempt.now, deps.newHireDays)) {
    const fields = refuseAllFields(valid.contact, deps.policy, user, {
      code: "not_a_new_hire",
      reason: `the account was created more than ${deps.newHireDays} days ago (NEW_HIRE_DAYS); HR events fill in new hires only — reach existing users with sspr-prepop backfill or a helpdesk fix`,
    });
    return { decision: { kind: "fields", fields: fields.map(toFieldOutcome), requestIds: [] } };
  }
  const lastApplied = await deps.outcomes.lastAppliedAt(user.id);
  if (lastApplied && Date.parse(valid.event.occurredAt) < Date.parse(lastApplied)) {
    return { decision: { kind: "stale", lastApplied } };
  }
  const hashOf = deps.keys ? pendingValueHashWith(deps.keys.pendingValue) : undefined;
  const result = await syncUser(deps.directory, user, valid.contact, {
    policy: deps.policy,
    // A missing permission is thrown, so the event waits for the grant (endFailedAttempt) instead of ending.
    waitsForGrants: true,
    // Known by the keyed hash of the whole value, never by its mask; with no key, nothing is known again.
    methodsWrittenEarlier: hashOf && {
      writes: lease.pending.filter((write) => write.target === "methods"),
      hashOf,
    },
    country: valid.country,
    // A write whose answer is lost (504, timeout, crash) may have been applied, and is never resent blindly:
    // the next attempt re-reads the user and re-plans. Noting the writes first lets it report them as done.
    beforeWrites: async (plan) => {
      lease.pending = withPending(lease.pending, plan, hashOf);
      lease.token = await deps.outcomes.notePending(valid.event.eventId, lease.token, lease.pending);
    },
  });
  const decision = decisionOf(result);
  if (decision.kind === "fields") {
    decision.fields = confirmEarlierWrites(decision.fields, attempt.claim.pending);
  }
  return { decision, appliedTo: user };
}

/**
 * One lookup; what is worth retrying the event for (a missing permission included: the event waits for it) is
 * thrown, any other failure is the lookup's answer.
 */
async function findUser(directory: Directory, ref: UserRef): Promise<UserContactState | undefined | Error> {
  try {
    return await directory.findUser(ref);
  } catch (err) {
    if (retriesTheEvent(directoryFailureOf(err), true)) throw err;
    return ensureErrorType(err);
  }
}

/** Carries out a decision: puts the message back if it waits, notes the applied time, records the outcome. */
async function finishAttempt(attempt: Attempt, decided: Decided, deps: SyncDeps): Promise<Outcome> {
  const outcome = outcomeOf(attempt, decided.decision);
  if (decided.requeueSeconds !== undefined) {
    await deps.queue.send(attempt.message, { delaySeconds: decided.requeueSeconds });
  }
  // Before the record: a crash in between then leaves an event that is processed again (writing nothing
  // new), never a recorded event whose user misses the out-of-order guard.
  if (decided.appliedTo) {
    await deps.outcomes.markApplied(
      decided.appliedTo.id,
      earliest(attempt.valid.event.occurredAt, attempt.now),
    );
  }
  await deps.outcomes.record(outcome, attempt.lease.token);
  return outcome;
}

/** The attempt's outcome for a decision: the one place the queue builds one for a claimed event. */
function outcomeOf(attempt: Attempt, decision: SyncDecision): Outcome {
  const { event } = attempt.valid;
  const parts: OutcomeParts = {
    eventId: event.eventId,
    source: event.source,
    actor: attempt.actor.actor,
    now: attempt.now,
    occurredAt: event.occurredAt,
    user: attempt.user ? outcomeUserOf(attempt.user) : toOutcomeUser(event.user),
    warnings: withActorWarning(attempt.warnings, attempt.actor),
    firstSeenAt: attempt.firstSeenAt,
    attempts: attempt.attempts,
    ...decidedOutcome(decision),
  };
  return buildOutcome(parts);
}

/**
 * Ends an attempt that threw. A lost lease stops quietly (another delivery has the event); a missing permission
 * defers the event for hours (`waitForPermission`: a new grant takes that long to reach the token) and records it;
 * otherwise the last allowed attempt records `failed` and every attempt rethrows, so the host retries and finally
 * poisons.
 */
async function endFailedAttempt(
  attempt: Attempt,
  err: unknown,
  delivery: Delivery,
  deps: SyncDeps,
): Promise<Outcome> {
  const { lease, valid } = attempt;
  if (err instanceof LeaseLostError) {
    // This delivery ran past its lease and another one has the event now; stop without writing or recording.
    // A copy comes back after a lease's time in case that delivery dies too (a finished event ignores it).
    await deps.queue.send(attempt.message, { delaySeconds: Math.ceil(leaseMsOf(deps) / 1000) });
    return deferredCopy(valid, attempt.now, attempt.actor, "another delivery took over this event");
  }
  const failure = directoryFailureOf(err);
  if (failure.code === "missing_permission") {
    return finishAttempt(attempt, waitForPermission(failure, attempt.claim.previous, attempt.now), deps);
  }
  if (delivery.dequeueCount >= delivery.maxDequeueCount) {
    const outcome = outcomeOf(attempt, {
      kind: "failed",
      // Machine-readable beside the message: what the operator's alert and workbook group failures by.
      code: failure.code,
      message: `gave up after ${delivery.dequeueCount} attempts: ${describe(err)}${describePending(lease.pending)}`,
    });
    await deps.outcomes.record(outcome, lease.token).catch(() => undefined);
    logged(deps, outcome);
  } else {
    await deps.outcomes.release(valid.event.eventId, lease.token).catch(() => undefined);
  }
  throw err;
}

/** Records an event the rules refused; its record is found under the user it names, if it names one plausibly. */
async function recordRejection(
  message: unknown,
  validated: Extract<Result<ValidContactEvent>, { ok: false }>,
  now: Date,
  deps: SyncDeps,
  actor: VerifiedActor,
): Promise<Outcome> {
  const record = isRecord(message) ? message : {};
  const outcome = buildOutcome({
    eventId: eventIdOf(message),
    status: "rejected",
    source: plausibleText(record.source) ?? "unknown",
    actor: actor.actor,
    now,
    occurredAt: plausibleText(record.occurredAt),
    user: claimedUserOf(message),
    errors: validated.issues,
    warnings: withActorWarning(validated.warnings, actor),
    message: rejectionSummaryOf(validated.issues),
  });
  await deps.outcomes.record(outcome);
  return logged(deps, (await deps.outcomes.get(outcome.eventId)) ?? outcome);
}

/** The (unrecorded) answer for a delivery that leaves the event to another one. */
function deferredCopy(valid: ValidContactEvent, now: Date, actor: VerifiedActor, message: string): Outcome {
  const { event } = valid;
  return buildOutcome({
    eventId: event.eventId,
    status: "deferred",
    source: event.source,
    actor: actor.actor,
    now,
    occurredAt: event.occurredAt,
    user: toOutcomeUser(event.user),
    message,
  });
}

/**
 * The writes noted so far plus the ones `plan` is about to make (masked, and with the keyed hash of the whole value
 * when the app has its key); a field's latest plan wins.
 */
function withPending(
  pending: readonly PendingWrite[],
  plan: SyncPlan,
  hashOf: ValueHash | undefined,
): PendingWrite[] {
  const writes = plan.fields
    .filter((field) => writingActions.has(field.action))
    .map((field): PendingWrite => {
      const noted = toFieldOutcome(field);
      return hashOf && field.after ? { ...noted, afterHash: hashOf(field.field, field.after) } : noted;
    });
  const kept = pending.filter(
    (earlier) => !writes.some((write) => write.field === earlier.field && write.target === earlier.target),
  );
  return [...kept, ...writes];
}

/**
 * Reports the writes an earlier attempt of this event applied before it failed (a 504 whose write went through,
 * or a later call that failed): the re-read shows the value already there, so the planner says `unchanged`, but
 * it was this event that wrote it. Only when the value now there is the one that attempt wrote (masked forms
 * compared); otherwise the new plan stands.
 */
export function confirmEarlierWrites(
  fields: FieldOutcome[],
  pending: readonly PendingWrite[] | undefined,
): FieldOutcome[] {
  if (!pending || pending.length === 0) return fields;
  return fields.map((field) => {
    const found = pending.find((p) => p.field === field.field && p.target === field.target);
    if (field.action !== "unchanged" || !found || found.after !== field.after) return field;
    // The note's hash stays with the lease: an outcome holds masked values only.
    const { afterHash: _hash, ...earlier } = found;
    return {
      ...earlier,
      reason: `${earlier.reason}; confirmed on retry (an earlier attempt of this event wrote it)`,
    };
  });
}

function describePending(pending: readonly FieldOutcome[]): string {
  if (pending.length === 0) return "";
  const list = pending.map((field) => `${field.field}/${field.target}`).join(", ");
  return `; writes started before giving up, which may have been applied (read the user to check): ${list}`;
}

/** New hires often reach the queue before provisioning creates them: wait 1 min, 2, 4, … up to 6 h. */
function waitForUser(attempt: Attempt, deps: SyncDeps): Decided {
  const { now } = attempt;
  const waitedMs = now.getTime() - Date.parse(attempt.firstSeenAt);
  if (waitedMs >= deps.userWaitHours * 3_600_000) {
    return {
      decision: {
        ...userNotFound,
        hint: `gave up after waiting ${deps.userWaitHours} h (USER_WAIT_HOURS)`,
      },
    };
  }
  const delaySeconds = Math.min(maxDeferralSeconds, firstDeferralSeconds * 2 ** (attempt.attempts - 1));
  const nextAttemptAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
  return { decision: { kind: "deferred", nextAttemptAt }, requeueSeconds: delaySeconds };
}

function toOutcomeUser(user: ValidContactEvent["event"]["user"]) {
  const ref = toUserRef(user);
  return { userId: ref.id, userPrincipalName: ref.userPrincipalName, employeeId: ref.employeeId };
}

/** The issues' warnings, with the note that a claimed webhook sender was not believed, if it was not. */
function withActorWarning(warnings: RuleIssue[], actor: VerifiedActor): RuleIssue[] {
  return actor.warning ? [...warnings, actor.warning] : warnings;
}

const tooDeepIssue: RuleIssue = {
  field: "event",
  code: "event_too_deep",
  message: `The message nests arrays or objects more than ${maxJsonDepth} levels deep; a ContactEvent has 3.`,
  hint: "Put one ContactEvent object per message: {eventId, source, occurredAt, user, contact}.",
};

/** An invalid message may lack a usable event id; a hash of its content still makes its record unique and stable. */
function eventIdOf(message: unknown): string {
  if (
    isRecord(message) &&
    typeof message.eventId === "string" &&
    message.eventId.length >= 1 &&
    message.eventId.length <= 128
  ) {
    return message.eventId;
  }
  // stableJsonText, not JSON.stringify: the message may nest deep enough to overflow the stack.
  const content = typeof message === "string" ? message : stableJsonText(message);
  return `invalid-${createHash("sha256").update(content).digest("hex").slice(0, 32)}`;
}

/** The earlier of an event's time and now, so no stored applied time is ever in the future. */
function earliest(occurredAt: string, now: Date): string {
  return Date.parse(occurredAt) > now.getTime() ? now.toISOString() : occurredAt;
}

/** True while `now` is clearly before `time` (5 s of clock skew between workers tolerated). */
function isBefore(now: Date, time: string | undefined): boolean {
  return time !== undefined && now.getTime() < Date.parse(time) - 5_000;
}

function leaseMsOf(deps: SyncDeps): number {
  return deps.leaseMs ?? defaultLeaseMs;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function logged(deps: SyncDeps, outcome: Outcome): Outcome {
  deps.log?.(`${outcome.eventId} ${outcome.status} ${outcome.message}`);
  return outcome;
}
