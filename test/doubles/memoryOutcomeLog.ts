import { createHash, randomUUID } from "node:crypto";
import type { FieldOutcome, Outcome } from "../../shared/sync/outcome.js";
import {
  type Claim,
  checkListTop,
  LeaseLostError,
  type OutcomeLog,
  type UserKey,
} from "../../shared/sync/outcomeLog.js";

/**
 * The rows TableOutcomeLog keeps, modelled one for one so every observable rule matches: the event row (status,
 * lease, outcome, pending writes, etag, and the index rows it owns), the user index rows, the event's attempt rows
 * and the per-user last-applied state row. Values are kept as JSON text, as in the table, so nothing a caller holds is shared with
 * the log. The table's buckets and transactions are not modelled: an outcome's rows change together here, as they
 * do there.
 */
interface EventRow {
  status: string;
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

function userKeysOf(outcome: Outcome): UserKey[] {
  const keys: UserKey[] = [];
  if (outcome.userId) keys.push({ kind: "id", value: outcome.userId });
  if (outcome.userPrincipalName) keys.push({ kind: "upn", value: outcome.userPrincipalName });
  if (outcome.employeeId) keys.push({ kind: "employeeId", value: outcome.employeeId });
  return keys;
}

function parseOutcome(text: string | undefined): Outcome | undefined {
  return text ? (JSON.parse(text) as Outcome) : undefined;
}

/** As the table: `processing` (claimed, nothing recorded) and `deferred` may be replaced; anything else is final. */
function isFinalRow(row: EventRow | undefined): boolean {
  return row !== undefined && row.status !== "processing" && row.status !== "deferred";
}

function leaseLost(eventId: string): LeaseLostError {
  return new LeaseLostError(`the lease on event ${eventId} ran out and another delivery took it`);
}

/** An in-memory OutcomeLog that behaves as TableOutcomeLog does (see test/contracts/outcomeLogContract.ts). */
export class MemoryOutcomeLog implements OutcomeLog {
  readonly #events = new Map<string, EventRow>();
  readonly #index = new Map<string, Map<string, IndexRow>>();
  readonly #attempts = new Map<string, Map<string, AttemptRow>>();
  readonly #state = new Map<string, StateRow>();
  readonly #clock: () => Date;
  readonly #newToken: () => string;

  constructor(options: MemoryOutcomeLogOptions = {}) {
    this.#clock = options.clock ?? (() => new Date());
    this.#newToken = options.newToken ?? randomUUID;
  }

  async get(eventId: string): Promise<Outcome | undefined> {
    return parseOutcome(this.#events.get(eventId)?.outcome);
  }

  async claim(eventId: string, leaseMs: number, now: Date): Promise<Claim> {
    const existing = this.#events.get(eventId);
    const previous = parseOutcome(existing?.outcome);
    if (previous && isFinalRow(existing)) return { state: "duplicate", outcome: previous };
    if (existing && existing.leaseUntil > now.getTime()) {
      return { state: "busy", leaseUntil: new Date(existing.leaseUntil) };
    }
    const leaseUntil = now.getTime() + leaseMs;
    if (existing) {
      this.#writeEvent(eventId, { ...existing, leaseUntil });
      const pending = existing.pending ? (JSON.parse(existing.pending) as FieldOutcome[]) : undefined;
      return {
        state: "claimed",
        ...(previous ? { previous } : {}),
        ...(pending ? { pending } : {}),
        token: this.#tokenOf(eventId),
      };
    }
    this.#writeEvent(eventId, { status: "processing", leaseUntil, index: [] });
    return { state: "claimed", token: this.#tokenOf(eventId) };
  }

  async notePending(eventId: string, token: string, fields: FieldOutcome[]): Promise<string> {
    const existing = this.#events.get(eventId);
    if (!existing || existing.etag !== token) throw leaseLost(eventId);
    this.#writeEvent(eventId, { ...existing, pending: JSON.stringify(fields) });
    return this.#tokenOf(eventId);
  }

  async release(eventId: string, token: string): Promise<void> {
    const existing = this.#events.get(eventId);
    // A release with a stale token is ignored, as the table ignores its 404/412.
    if (existing && existing.etag === token) this.#writeEvent(eventId, { ...existing, leaseUntil: 0 });
  }

  async record(outcome: Outcome, token?: string): Promise<void> {
    const existing = this.#events.get(outcome.eventId);
    if (token) {
      if (!existing) throw leaseLost(outcome.eventId);
      if (isFinalRow(existing)) {
        // The same record again (a retry whose answer was lost) is accepted; another final record stays.
        if (existing.outcome === JSON.stringify(outcome)) return;
        throw leaseLost(outcome.eventId);
      }
      if (existing.etag !== token) throw leaseLost(outcome.eventId);
    } else if (isFinalRow(existing)) {
      return;
    }
    this.#writeOutcome(outcome, existing);
  }

  async recordMany(outcomes: readonly Outcome[]): Promise<Array<Error | undefined>> {
    // Each outcome is the latest attempt at its event, in batch order; nothing an earlier record had is dropped.
    for (const outcome of outcomes) this.#writeOutcome(outcome, undefined);
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
      if (row.touchedAt < before && isFinalRow(row)) {
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
      if (owner && !isFinalRow(owner)) continue;
      for (const [rowKey, row] of rows) if (row.touchedAt < before) rows.delete(rowKey);
    }
    return deleted;
  }

  #now(): number {
    return this.#clock().getTime();
  }

  #tokenOf(eventId: string): string {
    return this.#events.get(eventId)?.etag ?? "";
  }

  /** Writes the event row; every write gives it a new etag, which is what makes older tokens stale. */
  #writeEvent(eventId: string, row: Omit<EventRow, "etag" | "touchedAt">): void {
    this.#events.set(eventId, { ...row, etag: this.#newToken(), touchedAt: this.#now() });
  }

  /**
   * The table's one transaction: the event row replaced (pending writes dropped, lease ended), an index row per
   * user key, the attempt row, and the index rows of keys the earlier record (`existing`) had and this one has not
   * deleted. A batch's attempt passes no `existing`: nothing is dropped, as the table's upserts drop nothing.
   */
  #writeOutcome(outcome: Outcome, existing: EventRow | undefined): void {
    const rowKey = indexRowKey(outcome);
    const index = userKeysOf(outcome).map((user): [string, string] => [userPartition(user), rowKey]);
    for (const [partition, key] of existing?.index ?? []) {
      if (!index.some(([p, k]) => p === partition && k === key)) this.#index.get(partition)?.delete(key);
    }
    const json = JSON.stringify(outcome);
    const attempts = this.#attempts.get(outcome.eventId) ?? new Map<string, AttemptRow>();
    attempts.set(attemptRowKey(outcome, json), { outcome: json, touchedAt: this.#now() });
    this.#attempts.set(outcome.eventId, attempts);
    for (const [partition] of index) {
      const rows = this.#index.get(partition) ?? new Map<string, IndexRow>();
      rows.set(rowKey, { eventId: outcome.eventId, outcome: json, touchedAt: this.#now() });
      this.#index.set(partition, rows);
    }
    this.#writeEvent(outcome.eventId, { status: outcome.status, leaseUntil: 0, outcome: json, index });
  }
}
