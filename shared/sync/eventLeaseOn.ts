import { SsprError } from "../core/errors.js";
import {
  type EventRecord,
  eventLease,
  type LeaseWrite,
  type RecordRequest,
  type WriteResult,
} from "./eventLease.js";
import type { OutcomeLog } from "./outcomeLog.js";

/**
 * The seam between the lease and a store: two narrow methods. A store keeps whatever else it needs in its records
 * (`R`), such as the index rows a Table row owns, and gets the record it last loaded back with each write.
 */
export interface LeaseStore<R extends EventRecord = EventRecord> {
  /** The event's record, with its version; undefined when it has none. */
  load(eventId: string): Promise<R | undefined>;
  /**
   * Writes only where `write.expected` says (no record, or that version), answering the new version; anything else
   * is not landed, with nothing written. `over` is the record the decision was made on, if one was loaded.
   */
  write(eventId: string, write: LeaseWrite, over: R | undefined): Promise<WriteResult>;
}

/** The lease's part of the OutcomeLog port. */
export type EventLeaseOps = Pick<OutcomeLog, "claim" | "notePending" | "release" | "record">;

// Records without a token whose event others change meanwhile, before giving up (each loads it again).
const maxConflictRounds = 4;

/**
 * The event lease (shared/sync/eventLease.ts) carried out on a store: loads, asks the decision, writes what it
 * answers, and tells the caller what the write's landing (or not) means. Every OutcomeLog's lease runs through
 * here, so the Table adapter and the in-memory double differ only in how they load and write a record.
 */
export function eventLeaseOn<R extends EventRecord>(store: LeaseStore<R>): EventLeaseOps {
  return {
    async claim(eventId, leaseMs, now) {
      const stored = await store.load(eventId);
      const decision = eventLease.claim(stored, { leaseMs, now });
      if (decision.kind === "answer") return decision.claim;
      const written = await store.write(eventId, decision.write, stored);
      return written.landed ? { ...decision.taken, token: written.version } : decision.raced;
    },

    async notePending(eventId, token, fields) {
      const written = await store.write(eventId, eventLease.notePending({ token, fields }), undefined);
      if (!written.landed) throw eventLease.leaseLost(eventId, written.cause);
      return written.version;
    },

    async release(eventId, token) {
      // Refused, the token is stale: the lease is someone else's already, and there is nothing to end.
      await store.write(eventId, eventLease.release({ token }), undefined);
    },

    async record(outcome, token) {
      const { eventId } = outcome;
      const request: RecordRequest = { outcome, ...(token === undefined ? {} : { token }) };
      // Without a token the event usually has no record yet: write as if none, and load only when that is refused.
      let stored = token === undefined ? undefined : await store.load(eventId);
      let decision = eventLease.record(stored, request);
      let refusal: unknown;
      for (let round = 1; decision.kind === "write"; round++) {
        const written = await store.write(eventId, decision.write, stored);
        if (written.landed) return;
        refusal = written.cause;
        if (round >= maxConflictRounds) {
          throw new SsprError(
            `the outcome records changed ${maxConflictRounds} times while being written; not recorded`,
            { cause: refusal },
          );
        }
        stored = await store.load(eventId);
        decision = eventLease.recordRefused(stored, request);
      }
      if (decision.kind === "leaseLost") throw eventLease.leaseLost(eventId, refusal);
    },
  };
}
