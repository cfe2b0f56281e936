import type { Outcome, OutcomeStatus, PendingWrite } from "./outcome.js";
import { type Claim, LeaseLostError } from "./outcomeLog.js";

/*
 * The event lease as pure decisions: each takes what the log holds for an event (or nothing), the request and the
 * time, and answers what to tell the caller and what to write, on which condition. The stores (Table storage,
 * the in-memory double) only load a record and carry out the write conditionally: a write lands only on the version
 * it expects (an ETag), else the store writes nothing and says so; what that means is decided here too
 * (`raced`, `recordRefused`). eventLeaseOn.ts runs these against a store. So the rules of at-least-once delivery
 * (one final record per event, one processor at a time) are decided once, whatever the store.
 *
 * An event's states:
 *   no record          never seen
 *   processing         claimed, nothing recorded yet (its lease may have run out: a crash, a timeout)
 *   deferred           recorded, to be tried again; may be claimed again once its lease has run out
 *   final (the rest)   recorded for good: never processed again, never replaced by `record`
 * Each state may hold a lease (`leaseUntil` after now) and, while not final, the writes an attempt noted
 * (`pending`). Every write gives the record a new version, and that version is the lease's token: a token is
 * current exactly while nothing else has written the event since.
 */

/** What an event's record says it is: claimed and nothing recorded (`processing`), or its outcome's status. */
export type EventStatus = "processing" | OutcomeStatus;

/** What the log keeps of one event, as the lease sees it (stores add what they need, such as index rows). */
export interface StoredEvent {
  status: EventStatus;
  /** Milliseconds since the epoch; the event is leased while this is after now (0: no lease). */
  leaseUntil: number;
  /** The recorded outcome; absent while `processing`. */
  outcome?: Outcome;
  /** The writes an attempt was about to make (masked), kept for the next attempt until an outcome is recorded. */
  pending?: PendingWrite[];
}

/** A stored event as loaded, with the version (ETag) a conditional write names. */
export interface EventRecord extends StoredEvent {
  version: string;
}

/** Where a write may land: only where the event has no record, or only on this version of it. */
export type Expected = { absent: true } | { version: string };

/**
 * A conditional write of one event's record. `put` writes the record whole (a new claim, or an outcome: the lease
 * ends and pending writes go); `merge` sets the named fields and keeps the rest.
 */
export type LeaseWrite =
  | { kind: "put"; expected: Expected; record: StoredEvent }
  | {
      kind: "merge";
      expected: { version: string };
      set: { leaseUntil: number } | { pending: PendingWrite[] };
    };

/** What a store answers when asked to write. */
export type WriteResult =
  | { landed: true; version: string }
  /** The record was not as expected (or, for a store that checks more, a row of the write was gone). */
  | { landed: false; cause?: unknown };

/**
 * A claim's decision. `take`: write, then answer `taken` with the new version as the token, or `raced` when the
 * write does not land (another delivery got there between the read and the write).
 */
export type ClaimDecision =
  | { kind: "answer"; claim: Claim }
  | {
      kind: "take";
      write: LeaseWrite;
      taken: Omit<Extract<Claim, { state: "claimed" }>, "token">;
      raced: Claim;
    };

/**
 * A record's decision: nothing to write (`kept`: the record there stays, or is this very one), refused
 * (`leaseLost`), or a write; when that does not land, load the event again and ask `recordRefused`.
 */
export type RecordDecision = { kind: "kept" } | { kind: "leaseLost" } | { kind: "write"; write: LeaseWrite };

/** A request to record an outcome: with the token of the lease the caller holds (the queue path), or without. */
export interface RecordRequest {
  outcome: Outcome;
  token?: string;
}

/** True for a status after which an event is never processed again nor its record replaced by `record`. */
function isFinal(status: string | undefined): boolean {
  return status !== undefined && status !== "processing" && status !== "deferred";
}

/** The same record, as stored: records are compared as the JSON they are kept as. */
function sameOutcome(stored: Outcome | undefined, outcome: Outcome): boolean {
  return stored !== undefined && JSON.stringify(stored) === JSON.stringify(outcome);
}

/**
 * An outcome as its event's record: the lease ends and the noted writes go with the attempt that noted them, unless
 * the outcome defers the event (`pending` kept): the next attempt then reports what this one wrote before it was
 * put off (a write that landed before a later call was refused for want of a permission).
 */
function recorded(outcome: Outcome, pending?: PendingWrite[]): StoredEvent {
  const kept = outcome.status === "deferred" && pending && pending.length > 0 ? { pending } : {};
  return { status: outcome.status, leaseUntil: 0, outcome, ...kept };
}

/** Takes the event for one delivery, unless it is finished (duplicate) or another delivery holds it (busy). */
function claim(stored: EventRecord | undefined, request: { leaseMs: number; now: Date }): ClaimDecision {
  if (stored?.outcome && isFinal(stored.status)) {
    return { kind: "answer", claim: { state: "duplicate", outcome: stored.outcome } };
  }
  if (stored && stored.leaseUntil > request.now.getTime()) {
    return { kind: "answer", claim: { state: "busy", leaseUntil: new Date(stored.leaseUntil) } };
  }
  const leaseUntil = request.now.getTime() + request.leaseMs;
  const raced: Claim = { state: "busy", leaseUntil: new Date(leaseUntil) };
  if (!stored) {
    const record: StoredEvent = { status: "processing", leaseUntil };
    return {
      kind: "take",
      write: { kind: "put", expected: { absent: true }, record },
      taken: { state: "claimed" },
      raced,
    };
  }
  // A stale lease (a crash, a timeout) is taken over; what the earlier attempt recorded or noted comes along.
  return {
    kind: "take",
    write: { kind: "merge", expected: { version: stored.version }, set: { leaseUntil } },
    taken: {
      state: "claimed",
      ...(stored.outcome ? { previous: stored.outcome } : {}),
      ...(stored.pending ? { pending: stored.pending } : {}),
    },
    raced,
  };
}

/** Notes the writes an attempt is about to make, on its token: refused, the token is stale and the lease lost. */
function notePending(request: { token: string; fields: PendingWrite[] }): LeaseWrite {
  return { kind: "merge", expected: { version: request.token }, set: { pending: request.fields } };
}

/** Ends a lease early, on its token, recording nothing (the noted writes stay); refused, it is someone else's. */
function release(request: { token: string }): LeaseWrite {
  return { kind: "merge", expected: { version: request.token }, set: { leaseUntil: 0 } };
}

/**
 * Records an outcome over the event's record. With a token, the write lands only while the token is current, and
 * a finished event answers kept for this very record (a retry whose answer was lost) and lease lost for any
 * other. Without one, a final record stays and anything else is replaced on the version read.
 */
function record(stored: EventRecord | undefined, request: RecordRequest): RecordDecision {
  const { outcome, token } = request;
  if (token !== undefined) {
    if (!stored) return { kind: "leaseLost" };
    if (isFinal(stored.status)) {
      return sameOutcome(stored.outcome, outcome) ? { kind: "kept" } : { kind: "leaseLost" };
    }
    // Versions are opaque here: the store compares the token with the record's, as one with the write.
    const record = recorded(outcome, stored.pending);
    return { kind: "write", write: { kind: "put", expected: { version: token }, record } };
  }
  if (stored && isFinal(stored.status)) return { kind: "kept" };
  const expected: Expected = stored ? { version: stored.version } : { absent: true };
  return { kind: "write", write: { kind: "put", expected, record: recorded(outcome) } };
}

/**
 * After a record's write did not land, on the event as loaded again. A token refused is stale, unless this very
 * record is what is there now (the earlier try landed and its answer was lost); without a token, decide again
 * over what another writer left.
 */
function recordRefused(stored: EventRecord | undefined, request: RecordRequest): RecordDecision {
  if (request.token === undefined) return record(stored, request);
  return sameOutcome(stored?.outcome, request.outcome) ? { kind: "kept" } : { kind: "leaseLost" };
}

/** The error a lost lease is told by. */
function leaseLost(eventId: string, cause?: unknown): LeaseLostError {
  return new LeaseLostError(
    `the lease on event ${eventId} ran out and another delivery took it`,
    cause === undefined ? undefined : { cause },
  );
}

/** The lease's decisions (see above): the stores call these and carry out the writes they answer. */
export const eventLease = {
  claim,
  notePending,
  release,
  record,
  recordRefused,
  recorded,
  isFinal,
  leaseLost,
} as const;
