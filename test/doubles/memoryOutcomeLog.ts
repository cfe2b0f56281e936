import { createHash, randomUUID } from "node:crypto";
import {
  type EventRecord,
  type EventStatus,
  eventLease,
  type LeaseWrite,
  type StoredEvent,
  type WriteResult,
} from "../../shared/sync/eventLease.js";
import { eventLeaseOn } from "../../shared/sync/eventLeaseOn.js";
import type { Outcome, PendingWrite } from "../../shared/sync/outcome.js";
import {
  type Claim,
  checkListTop,
  type OutcomeLog,
  type UserKey,
  userKeysOf,
} from "../../shared/sync/outcomeLog.js";

/**
 * The rows TableOutcomeLog keeps, modelled one for one so every observable rule matches: the event row (status,
 * lease, outcome, pending writes, etag, and the index rows it owns), the user index rows, the event's attempt rows
 * and the per-user last-applied state row. Values are kept as JSON text, as in the table, so nothing a caller holds
 * is shared with the log. The table's buckets and transactions are not modelled: an outcome's rows change together
 * here, as they do there. What the lease decides (claim, pending writes, release, record) is decided by
 * shared/sync/eventLease.ts and run by eventLeaseOn for both: this double only loads an event's record and writes
 * it on its etag.
 */
interface EventRow {
  status: EventStatus;
  leaseUntil: number;
  outcome?: string;
  pending?: string;
  /** The index rows the recorded outcome has, as [user partition, row key]. */
  index: Array<[string, string]>;
  etag: string;
  touchedAt: number;
}

interface IndexRow {
  eventId: string;
  outcome: string;
  touchedAt: number;
}

interface AttemptRow {
  outcome: string;
  touchedAt: number;
}

interface StateRow {
  occurredAt: string;
  touchedAt: number;
}

export interface MemoryOutcomeLogOptions {
  /** The time a row is stamped with when written (the table's server `Timestamp`); read by deleteOlderThan. */
  clock?: () => Date;
  /** The next etag (the lease token); defaults to random UUIDs. */
  newToken?: () => string;
}

// The same index row order as TableOutcomeLog: newest firstSeenAt first, then by the encoded event id.
const farFuture = 9_999_999_999_999;

function toKey(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

function newestFirst(at: string): string {
  return String(farFuture - Date.parse(at)).padStart(13, "0");
}

function indexRowKey(outcome: Outcome): string {
  return `${newestFirst(outcome.firstSeenAt)}.${toKey(outcome.eventId)}`;
}

/** As the table: newest `updatedAt` first, then a digest, so the same record twice is one row. */
function attemptRowKey(outcome: Outcome, json: string): string {
  return `${newestFirst(outcome.updatedAt)}.${createHash("sha256").update(json).digest("base64url").slice(0, 11)}`;
}

/** Every kind of key looks the user up without regard to case, as TableOutcomeLog's keys do. */
function userPartition(user: UserKey): string {
  return `${user.kind}:${user.value.toLowerCase()}`;
}

function parseOutcome(text: string | undefined): Outcome | undefined {
  return text ? (JSON.parse(text) as Outcome) : undefined;
}

/** An in-memory OutcomeLog that behaves as TableOutcomeLog does (see test/contracts/outcomeLogContract.ts). */
export class MemoryOutcomeLog implements OutcomeLog {
  readonly #events = new Map<string, EventRow>();
  readonly #index = new Map<string, Map<string, IndexRow>>();
  readonly #attempts = new Map<string, Map<string, AttemptRow>>();
  readonly #state = new Map<string, StateRow>();
  readonly #clock: () => Date;
  readonly #newToken: () => string;
  readonly #lease = eventLeaseOn({
    load: async (eventId) => this.#load(eventId),
    write: async (eventId, write) => this.#store(eventId, write),
  });

  constructor(options: MemoryOutcomeLogOptions = {}) {
    this.#clock = options.clock ?? (() => new Date());
    this.#newToken = options.newToken ?? randomUUID;
  }

  async get(eventId: string): Promise<Outcome | undefined> {
    return parseOutcome(this.#events.get(eventId)?.outcome);
  }

  claim(eventId: string, leaseMs: number, now: Date): Promise<Claim> {
    return this.#lease.claim(eventId, leaseMs, now);
  }

  notePending(eventId: string, token: string, fields: PendingWrite[]): Promise<string> {
    return this.#lease.notePending(eventId, token, fields);
  }

  release(eventId: string, token: string): Promise<void> {
    return this.#lease.release(eventId, token);
  }

  record(outcome: Outcome, token?: string): Promise<void> {
    return this.#lease.record(outcome, token);
  }

  async recordMany(outcomes: readonly Outcome[]): Promise<Array<Error | undefined>> {
    // Each outcome is the latest attempt at its event, in batch order; nothing an earlier record had is dropped.
    for (const outcome of outcomes) this.#put(outcome.eventId, eventLease.recorded(outcome), "keep");
    return outcomes.map(() => undefined);
  }

  async attemptsOf(eventId: string, top: number): Promise<Outcome[]> {
    checkListTop(top);
    const rows = [...(this.#attempts.get(eventId) ?? new Map<string, AttemptRow>())].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return rows.slice(0, top).map(([, row]) => JSON.parse(row.outcome) as Outcome);
  }

  async lastAppliedAt(userId: string): Promise<string | undefined> {
    return this.#state.get(userId.toLowerCase())?.occurredAt;
  }

  async markApplied(userId: string, occurredAt: string): Promise<void> {
    // Read and write with no await between: the table gets the same from its ETag (the newer time always wins).
    const last = this.#state.get(userId.toLowerCase())?.occurredAt;
    if (last && Date.parse(last) >= Date.parse(occurredAt)) return;
    this.#state.set(userId.toLowerCase(), { occurredAt, touchedAt: this.#now() });
  }

  async listByUser(user: UserKey, top: number): Promise<Outcome[]> {
    checkListTop(top);
    const rows = [...(this.#index.get(userPartition(user)) ?? new Map<string, IndexRow>())].sort(
      ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
    );
    return rows.slice(0, top).map(([, row]) => JSON.parse(row.outcome) as Outcome);
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    const before = cutoff.getTime();
    let deleted = 0;
    // A final event goes with every index row it owns; deferred and in-progress events stay, and state rows too.
    for (const [eventId, row] of this.#events) {
      if (row.touchedAt < before && eventLease.isFinal(row.status)) {
        for (const [partition, rowKey] of row.index) this.#index.get(partition)?.delete(rowKey);
        this.#events.delete(eventId);
        deleted += 1;
      }
    }
    // An old index row no event owns any more goes too: an earlier attempt's, or one the table's layout left.
    for (const [partition, rows] of this.#index) {
      for (const [rowKey, row] of rows) {
        const owner = this.#events.get(row.eventId);
        const owned = owner?.index.some(([p, k]) => p === partition && k === rowKey) ?? false;
        if (row.touchedAt < before && !owned) rows.delete(rowKey);
      }
    }
    // Old attempts age out, unless their event is still live (deferred or in progress).
    for (const [eventId, rows] of this.#attempts) {
      const owner = this.#events.get(eventId);
      if (owner && !eventLease.isFinal(owner.status)) continue;
      for (const [rowKey, row] of rows) if (row.touchedAt < before) rows.delete(rowKey);
    }
    return deleted;
  }

  #now(): number {
    return this.#clock().getTime();
  }

  /** The event's record as the lease decisions read it: parsed from the row's text, so nothing is shared. */
  #load(eventId: string): EventRecord | undefined {
    const row = this.#events.get(eventId);
    if (!row) return undefined;
    const outcome = parseOutcome(row.outcome);
    return {
      status: row.status,
      leaseUntil: row.leaseUntil,
      ...(outcome ? { outcome } : {}),
      ...(row.pending ? { pending: JSON.parse(row.pending) as PendingWrite[] } : {}),
      version: row.etag,
    };
  }

  /** Carries out a conditional write as the table does: on the expected etag (or no row), else nothing. */
  #store(eventId: string, write: LeaseWrite): WriteResult {
    const existing = this.#events.get(eventId);
    const expected = "absent" in write.expected ? !existing : existing?.etag === write.expected.version;
    if (!expected) return { landed: false };
    if (write.kind === "put") this.#put(eventId, write.record, "drop");
    else if (existing) {
      const { set } = write;
      this.#writeEvent(eventId, {
        ...existing,
        ...("leaseUntil" in set ? { leaseUntil: set.leaseUntil } : { pending: JSON.stringify(set.pending) }),
      });
    }
    return { landed: true, version: this.#events.get(eventId)?.etag ?? "" };
  }

  /** Writes the event row; every write gives it a new etag, which is what makes older tokens stale. */
  #writeEvent(eventId: string, row: Omit<EventRow, "etag" | "touchedAt">): void {
    this.#events.set(eventId, { ...row, etag: this.#newToken(), touchedAt: this.#now() });
  }

  /**
   * The table's one transaction: the event row replaced, an index row per user key of its outcome, the outcome's
   * attempt row, and (`drop`) the index rows of keys the earlier record had and this one has not deleted. A batch's
   * attempt keeps them (`keep`), as the table's upserts drop nothing.
   */
  #put(eventId: string, record: StoredEvent, earlierIndex: "drop" | "keep"): void {
    const { outcome } = record;
    const rowKey = outcome ? indexRowKey(outcome) : "";
    const index = outcome
      ? userKeysOf(outcome).map((user): [string, string] => [userPartition(user), rowKey])
      : [];
    if (earlierIndex === "drop") {
      for (const [partition, key] of this.#events.get(eventId)?.index ?? []) {
        if (!index.some(([p, k]) => p === partition && k === key)) this.#index.get(partition)?.delete(key);
      }
    }
    const json = outcome ? JSON.stringify(outcome) : undefined;
    if (outcome && json) {
      const attempts = this.#attempts.get(eventId) ?? new Map<string, AttemptRow>();
      attempts.set(attemptRowKey(outcome, json), { outcome: json, touchedAt: this.#now() });
      this.#attempts.set(eventId, attempts);
      for (const [partition] of index) {
        const rows = this.#index.get(partition) ?? new Map<string, IndexRow>();
        rows.set(rowKey, { eventId, outcome: json, touchedAt: this.#now() });
        this.#index.set(partition, rows);
      }
    }
    this.#writeEvent(eventId, {
      status: record.status,
      leaseUntil: record.leaseUntil,
      ...(json ? { outcome: json } : {}),
      ...(record.pending ? { pending: JSON.stringify(record.pending) } : {}),
      index,
    });
  }
}
