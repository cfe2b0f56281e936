import { SsprError } from "../core/errors.js";
import type { Outcome, PendingWrite } from "./outcome.js";

/**
 * The result of trying to take an event for processing. `pending` is what an earlier attempt was about to write
 * when it ended without a record (a 504 or a crash): those writes may have been applied.
 */
export type Claim =
  | { state: "claimed"; previous?: Outcome; pending?: PendingWrite[]; token: string }
  | { state: "duplicate"; outcome: Outcome }
  | { state: "busy"; leaseUntil: Date };

/** How a user is looked up in the outcome log. */
export type UserKey = { kind: "id" | "upn" | "employeeId"; value: string };

/** The keys an outcome is listed under: one per user identifier it has. */
export function userKeysOf(outcome: Outcome): UserKey[] {
  const keys: UserKey[] = [];
  if (outcome.userId) keys.push({ kind: "id", value: outcome.userId });
  if (outcome.userPrincipalName) keys.push({ kind: "upn", value: outcome.userPrincipalName });
  if (outcome.employeeId) keys.push({ kind: "employeeId", value: outcome.employeeId });
  return keys;
}

/** The most outcomes one `listByUser` returns (the helpdesk API's `top` has the same bound). */
export const maxListTop = 100;

/** Throws RangeError unless `top` is a whole number from 1 to `maxListTop`: a bad `top` is a caller's bug, never "all". */
export function checkListTop(top: number): void {
  if (!Number.isInteger(top) || top < 1 || top > maxListTop) {
    throw new RangeError(`top must be a whole number from 1 to ${maxListTop}, not ${top}`);
  }
}

/**
 * Where outcomes live. The pipeline talks to storage only through this, so the rules of at-least-once
 * delivery (one final record per event, one processor at a time) are stated once, here, and decided once, in
 * eventLease.ts (run on a store by eventLeaseOn.ts).
 */
export interface OutcomeLog {
  /** Reads the outcome of an event, final or not. */
  get(eventId: string): Promise<Outcome | undefined>;
  /** Takes a time-limited lease on an event so a duplicate delivery running at the same time waits. */
  claim(eventId: string, leaseMs: number, now: Date): Promise<Claim>;
  /**
   * Keeps the writes an attempt is about to make (masked, with keyed hashes of the values) with its lease, so that a later attempt can tell its
   * own earlier write from a value the user already had. Returns the lease's new token; throws
   * LeaseLostError when another delivery has taken the event meanwhile.
   */
  notePending(eventId: string, token: string, fields: PendingWrite[]): Promise<string>;
  /** Lets go of a lease without recording anything (the pending writes stay noted for the next attempt). */
  release(eventId: string, token: string): Promise<void>;
  /**
   * Records an outcome (final or deferred) and ends the lease; lists it under each user key it has, and under no
   * other (a key an earlier record of the event had and this one has not is dropped). A final record is never
   * replaced: recording another outcome of a finished event keeps the first.
   * - With `token` (the queue path): throws LeaseLostError, writing nothing, unless `token` is the event's current
   *   lease — so a delivery whose lease ran out can never overwrite the live delivery's row or its noted pending
   *   writes. Sending the same record again with its token (a retry of a write whose answer was lost), final or
   *   deferred, is accepted.
   * - Without (rejections, the helpdesk fix): writes whatever lease is held, replacing a deferred record.
   */
  record(outcome: Outcome, token?: string): Promise<void>;
  /**
   * Records a batch of new attempts nobody holds a lease on (the backfill's: each run of an export is a new attempt
   * at its rows), in batch order, in as few storage operations as the store allows. Unlike `record`, a final
   * record already there does not stop it: each outcome becomes its event's record (the latest decides, so `get`
   * and `claim` answer it) and the earlier records stay visible as earlier attempts (`attemptsOf`, and
   * `listByUser` under the keys they had). Answers one entry per outcome, in order: undefined when it is stored,
   * the Error when it could not be, so "recorded" always means written.
   */
  recordMany(outcomes: readonly Outcome[]): Promise<Array<Error | undefined>>;
  /**
   * Every record of an event, latest first, up to `top` (1 to `maxListTop`, else RangeError): the attempts the
   * backfill recorded, and each record `record` wrote (a deferred attempt and then its final one).
   */
  attemptsOf(eventId: string, top: number): Promise<Outcome[]>;
  /** The `occurredAt` of the newest event applied to a user, for out-of-order detection. */
  lastAppliedAt(userId: string): Promise<string | undefined>;
  /** Notes that an event of this time was applied to the user (keeps the newest, whatever runs at the same time). */
  markApplied(userId: string, occurredAt: string): Promise<void>;
  /**
   * The user's newest `top` outcomes (latest first seen first): one entry per event, and one per earlier attempt of
   * an event recorded by `recordMany`. `top` is a whole number from 1 to `maxListTop`; anything else throws
   * RangeError.
   */
  listByUser(user: UserKey, top: number): Promise<Outcome[]>;
  /**
   * Deletes the events whose final record was last touched before `cutoff`, with every entry listing them under a
   * user, and every earlier attempt recorded before `cutoff`; returns how many events. Deferred and in-progress events
   * stay, and so does each user's last-applied time: the out-of-order guard must outlive the outcomes (it is a time
   * per user, no contact data).
   */
  deleteOlderThan(cutoff: Date): Promise<number>;
}

/** The lease ran out and another delivery took the event: this one must stop before writing anything. */
export class LeaseLostError extends SsprError {}
