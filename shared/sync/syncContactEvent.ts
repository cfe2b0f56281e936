import { createHash } from "node:crypto";
import {
  type ContactRuleOptions,
  contactEventSchema,
  validateContactEvent,
} from "../contact/contactEvent.js";
import { maskContact } from "../contact/mask.js";
import { isRecord } from "../core/isRecord.js";
import { maxJsonDepth, stableJsonText, valueExceedsDepth } from "../core/jsonDepth.js";
import { fail, type RuleIssue } from "../core/result.js";
import type { Directory, UserContactState, UserRef } from "../directory/directory.js";
import type { EventQueue } from "./eventQueue.js";
import { type FieldOutcome, type Outcome, type OutcomeStatus, writingActions } from "./outcome.js";
import { LeaseLostError, type OutcomeLog } from "./outcomeLog.js";
import type { FieldPlan, SyncPlan, SyncPolicy } from "./syncPlanner.js";
import { statusOf, summaryOf, syncUser } from "./syncUser.js";

/** Everything the pipeline talks to, passed in so tests and hosts choose real or in-memory parts. */
export interface SyncDeps {
  directory: Directory;
  outcomes: OutcomeLog;
  /** Where a deferred event is put back (same queue the trigger reads). */
  queue: EventQueue;
  rules: ContactRuleOptions;
  policy: SyncPolicy;
  userWaitHours: number;
  /**
   * How long a delivery holds an event before another may take it over; default 5 min. Must exceed the longest
   * processing time (else two deliveries could both write) and stay below the queue's visibility timeout.
   */
  leaseMs?: number;
  now?: () => Date;
  /** Receives one masked line per event. */
  log?: (line: string) => void;
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
    ? fail([tooDeepIssue])
    : validateContactEvent(message, deps.rules);
  if (!validated.ok) {
    const outcome = baseOutcome(eventIdOf(message), message, now, "rejected");
    outcome.errors = validated.issues;
    outcome.warnings = validated.warnings;
    outcome.message = `rejected: ${validated.issues.map((issue) => `${issue.field} ${issue.code}`).join(", ")}`;
    await deps.outcomes.record(outcome);
    return logged(deps, (await deps.outcomes.get(outcome.eventId)) ?? outcome);
  }
  const { event, contact, country } = validated.value;

  const leaseMs = deps.leaseMs ?? defaultLeaseMs;
  const claim = await deps.outcomes.claim(event.eventId, leaseMs, now);
  if (claim.state === "duplicate") return claim.outcome;
  if (claim.state === "busy") {
    // Another delivery of this event is being processed; look again once its lease ends.
    const delaySeconds = Math.max(1, Math.ceil((claim.leaseUntil.getTime() - now.getTime()) / 1000));
    await deps.queue.send(message, { delaySeconds });
    return {
      ...baseOutcome(event.eventId, event, now, "deferred"),
      message: "another delivery is in progress",
    };
  }

  const previous = claim.previous;
  if (
    previous?.status === "deferred" &&
    previous.nextAttemptAt &&
    now.getTime() < Date.parse(previous.nextAttemptAt) - 5_000
  ) {
    // An extra copy of a deferred event (its deferral was sent twice); the scheduled copy will do the work.
    await deps.outcomes.release(event.eventId, claim.token);
    return previous;
  }
  const outcome = baseOutcome(event.eventId, event, now, "failed");
  outcome.firstSeenAt = previous?.firstSeenAt ?? now.toISOString();
  outcome.attempts = (previous?.attempts ?? 0) + 1;
  outcome.warnings = validated.warnings;
  // The lease's token changes each time the pending writes are noted with it.
  let token = claim.token;
  let started = claim.pending ?? [];
  try {
    const user = await deps.directory.findUser(toUserRef(event.user));
    if (!user) return logged(deps, await defer(outcome, message, now, deps, token));
    Object.assign(outcome, userFields(user));

    const lastApplied = await deps.outcomes.lastAppliedAt(user.id);
    if (lastApplied && Date.parse(event.occurredAt) < Date.parse(lastApplied)) {
      outcome.status = "stale";
      outcome.message = `older than the last event applied to this user (${lastApplied}); not applied`;
      await deps.outcomes.record(outcome, token);
      return logged(deps, outcome);
    }

    const result = await syncUser(deps.directory, user, contact, {
      policy: deps.policy,
      ...(country ? { country } : {}),
      // A write whose answer is lost (504, timeout, crash) may have been applied, and is never resent blindly:
      // the next attempt re-reads the user and re-plans. Noting the writes first lets it report them as done.
      beforeWrites: async (plan) => {
        started = withPending(started, plan);
        token = await deps.outcomes.notePending(event.eventId, token, started);
      },
    });
    outcome.fields = confirmEarlierWrites(result.fields.map(toFieldOutcome), claim.pending);
    outcome.requestIds = result.requestIds;
    outcome.status = statusOf(outcome.fields);
    outcome.message = summaryOf(outcome.status, outcome.fields, false);
    // Before the record: a crash in between then leaves an event that is processed again (writing nothing
    // new), never a recorded event whose user misses the out-of-order guard.
    await deps.outcomes.markApplied(user.id, event.occurredAt);
    await deps.outcomes.record(outcome, token);
    return logged(deps, outcome);
  } catch (err) {
    if (err instanceof LeaseLostError) {
      // This delivery ran past its lease and another one has the event now; stop without writing or recording.
      // A copy comes back after a lease's time in case that delivery dies too (a finished event ignores it).
      await deps.queue.send(message, { delaySeconds: Math.ceil(leaseMs / 1000) });
      return logged(deps, {
        ...baseOutcome(event.eventId, event, now, "deferred"),
        message: "another delivery took over this event",
      });
    }
    if (delivery.dequeueCount >= delivery.maxDequeueCount) {
      outcome.status = "failed";
      outcome.message = `gave up after ${delivery.dequeueCount} attempts: ${describe(err)}${describePending(started)}`;
      await deps.outcomes.record(outcome, token).catch(() => undefined);
      logged(deps, outcome);
    } else {
      await deps.outcomes.release(event.eventId, token).catch(() => undefined);
    }
    throw err;
  }
}

/** The writes noted so far plus the ones `plan` is about to make (masked); a field's latest plan wins. */
function withPending(pending: readonly FieldOutcome[], plan: SyncPlan): FieldOutcome[] {
  const writes = plan.fields.filter((field) => writingActions.has(field.action)).map(toFieldOutcome);
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
  pending: readonly FieldOutcome[] | undefined,
): FieldOutcome[] {
  if (!pending || pending.length === 0) return fields;
  return fields.map((field) => {
    const earlier = pending.find((p) => p.field === field.field && p.target === field.target);
    if (field.action !== "unchanged" || !earlier || earlier.after !== field.after) return field;
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

async function defer(
  outcome: Outcome,
  message: unknown,
  now: Date,
  deps: SyncDeps,
  token: string,
): Promise<Outcome> {
  const waitedMs = now.getTime() - Date.parse(outcome.firstSeenAt);
  if (waitedMs >= deps.userWaitHours * 3_600_000) {
    outcome.status = "failed";
    outcome.message = `user not found in Entra ID after waiting ${deps.userWaitHours} h; check the user reference or provisioning`;
    await deps.outcomes.record(outcome, token);
    return outcome;
  }
  // New hires often reach the queue before provisioning creates them: wait 1 min, 2, 4, … up to 6 h.
  const delaySeconds = Math.min(maxDeferralSeconds, firstDeferralSeconds * 2 ** (outcome.attempts - 1));
  outcome.status = "deferred";
  outcome.nextAttemptAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
  outcome.message = `user not found yet; trying again at ${outcome.nextAttemptAt}`;
  await deps.queue.send(message, { delaySeconds });
  await deps.outcomes.record(outcome, token);
  return outcome;
}

/** Masks values at the boundary where plans become records. */
export function toFieldOutcome(plan: FieldPlan): FieldOutcome {
  return {
    field: plan.field,
    target: plan.target,
    action: plan.action,
    reason: plan.reason,
    ...(plan.before ? { before: maskContact(plan.before) } : {}),
    ...(plan.after ? { after: maskContact(plan.after) } : {}),
  };
}

function userFields(user: UserContactState): Partial<Outcome> {
  return {
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    ...(user.employeeId ? { employeeId: user.employeeId } : {}),
  };
}

function baseOutcome(eventId: string, input: unknown, now: Date, status: OutcomeStatus): Outcome {
  const record = isRecord(input) ? input : {};
  const user = isRecord(record.user) ? record.user : {};
  const text = (value: unknown) =>
    typeof value === "string" && value.length > 0 && value.length <= 256 ? value : undefined;
  const source = text(record.source) ?? "unknown";
  return {
    eventId,
    status,
    source,
    ...(text(record.occurredAt) ? { occurredAt: text(record.occurredAt) } : {}),
    ...(text(user.id) ? { userId: text(user.id) } : {}),
    ...(text(user.userPrincipalName) ? { userPrincipalName: text(user.userPrincipalName) } : {}),
    ...(text(user.employeeId) ? { employeeId: text(user.employeeId) } : {}),
    fields: [],
    errors: [] as RuleIssue[],
    warnings: [] as RuleIssue[],
    message: "",
    attempts: 1,
    firstSeenAt: now.toISOString(),
    updatedAt: now.toISOString(),
    requestIds: [],
    actor: actorOf(record),
  };
}

/**
 * Who the record says did it: the sender the intake verified and stamped on the message (`webhook:…`), or
 * `queue` for a message put on the queue by other means. Never the body's `source`, which any sender can set
 * to anything (`helpdesk-admin`); a value that is not a stamped webhook identity counts as absent.
 */
function actorOf(record: Record<string, unknown>): string {
  const actor = Object.hasOwn(record, "actor") ? record.actor : undefined;
  return typeof actor === "string" && contactEventSchema.shape.actor.safeParse(actor).success
    ? actor
    : "queue";
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

/** Drops the null and empty identifiers an event may carry. */
export function toUserRef(user: {
  id?: string | null;
  userPrincipalName?: string | null;
  employeeId?: string | null;
}): UserRef {
  return {
    ...(user.id ? { id: user.id } : {}),
    ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
    ...(user.employeeId ? { employeeId: user.employeeId } : {}),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function logged(deps: SyncDeps, outcome: Outcome): Outcome {
  deps.log?.(`${outcome.eventId} ${outcome.status} ${outcome.message}`);
  return outcome;
}
