import { SsprError } from "../core/errors.js";
import type { FieldOutcome, Outcome } from "./outcome.js";

/**
 * The result of trying to take an event for processing. `pending` is what an earlier attempt was about to write
 * when it ended without a record (a 504 or a crash): those writes may have been applied.
 */
export type Claim =
  | { state: "claimed"; previous?: Outcome; pending?: FieldOutcome[]; token: string }
  | { state: "duplicate"; outcome: Outcome }
  | { state: "busy"; leaseUntil: Date };

/** How a user is looked up in the outcome log. */
export type UserKey = { kind: "id" | "upn" | "employeeId"; value: string };

/**
 * Where outcomes live. The pipeline talks to storage only through this, so the rules of at-least-once
 * delivery (one final record per event, one processor at a time) are stated once, here.
 */
export interface OutcomeLog {
  /** Reads the outcome of an event, final or not. */
  get(eventId: string): Promise<Outcome | undefined>;
  /** Takes a time-limited lease on an event so a duplicate delivery running at the same time waits. */
  claim(eventId: string, leaseMs: number, now: Date): Promise<Claim>;
  /**
   * Keeps the writes an attempt is about to make (masked) with its lease, so that a later attempt can tell its
   * own earlier write from a value the user already had. Returns the lease's new token; throws
   * LeaseLostError when another delivery has taken the event meanwhile.
   */
  notePending(eventId: string, token: string, fields: FieldOutcome[]): Promise<string>;
  /** Lets go of a lease without recording anything (the pending writes stay noted for the next attempt). */
  release(eventId: string, token: string): Promise<void>;
  /** Records an outcome (final or deferred) and releases the lease; indexes it under each user key it has. */
  record(outcome: Outcome, token?: string): Promise<void>;
  /** The `occurredAt` of the newest event applied to a user, for out-of-order detection. */
  lastAppliedAt(userId: string): Promise<string | undefined>;
  /** Notes that an event of this time was applied to the user (keeps the newest). */
  markApplied(userId: string, occurredAt: string): Promise<void>;
  /** The user's outcomes, latest first. */
  listByUser(user: UserKey, top: number): Promise<Outcome[]>;
  /** Deletes final records last touched before `cutoff`; returns how many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}

/** The lease ran out and another delivery took the event: this one must stop before writing anything. */
export class LeaseLostError extends SsprError {}
