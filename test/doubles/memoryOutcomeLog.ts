import { randomUUID } from "node:crypto";
import { type FieldOutcome, isFinalStatus, type Outcome } from "../../shared/sync/outcome.js";
import { type Claim, LeaseLostError, type OutcomeLog, type UserKey } from "../../shared/sync/outcomeLog.js";

/**
 * The rows TableOutcomeLog keeps, modelled one for one so every observable rule matches: the event row (status,
 * lease, outcome, pending writes, etag), the user index rows, and the per-user last-applied state row. Values
 * are kept as JSON text, as in the table, so nothing a caller holds is shared with the log.
 */
interface EventRow {
  status: string;
  leaseUntil: number;
  outcome?: string;
  pending?: string;
  etag: string;
  touchedAt: number;
}

interface IndexRow {
  status: string;
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

// The same index row key as TableOutcomeLog: newest firstSeenAt first, then by the encoded event id.
const farFuture = 9_999_999_999_999;

function toKey(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

function indexRowKey(outcome: Outcome): string {
  return `${String(farFuture - Date.parse(outcome.firstSeenAt)).padStart(13, "0")}_${toKey(outcome.eventId)}`;
}

/** Every kind of key looks the user up without regard to case, as TableOutcomeLog's partition key does. */
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

/** An in-memory OutcomeLog that behaves as TableOutcomeLog does (see test/contracts/outcomeLogContract.ts). */
export class MemoryOutcomeLog implements OutcomeLog {
  readonly #events = new Map<string, EventRow>();
  readonly #index = new Map<string, Map<string, IndexRow>>();
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
    if (previous && isFinalStatus(previous.status)) {
      this.#writeIndex(previous);
      return { state: "duplicate", outcome: previous };
    }
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
    this.#writeEvent(eventId, { status: "processing", leaseUntil });
    return { state: "claimed", token: this.#tokenOf(eventId) };
  }

  async notePending(eventId: string, token: string, fields: FieldOutcome[]): Promise<string> {
    const existing = this.#events.get(eventId);
    if (!existing || existing.etag !== token) {
      throw new LeaseLostError(`the lease on event ${eventId} ran out and another delivery took it`);
    }
    this.#writeEvent(eventId, { ...existing, pending: JSON.stringify(fields) });
    return this.#tokenOf(eventId);
  }

  async release(eventId: string, token: string): Promise<void> {
    const existing = this.#events.get(eventId);
    // A release with a stale token is ignored, as the table ignores its 404/412.
    if (existing && existing.etag === token) this.#writeEvent(eventId, { ...existing, leaseUntil: 0 });
  }

  async record(outcome: Outcome, token?: string): Promise<void> {
    const row = { status: outcome.status, leaseUntil: 0, outcome: JSON.stringify(outcome) };
    const existing = this.#events.get(outcome.eventId);
    const holdsLease = token ? existing?.etag === token : existing === undefined;
    if (!holdsLease) {
      // Never replace a final record another delivery wrote; anything else is overwritten (an upsert).
      const current = parseOutcome(existing?.outcome);
      if (current && isFinalStatus(current.status)) {
        this.#writeIndex(current);
        return;
      }
    }
    // A replace: the pending writes noted with the lease go with it.
    this.#writeEvent(outcome.eventId, row);
    this.#writeIndex(outcome);
  }

  async lastAppliedAt(userId: string): Promise<string | undefined> {
    return this.#state.get(userId.toLowerCase())?.occurredAt;
  }

  async markApplied(userId: string, occurredAt: string): Promise<void> {
    const last = await this.lastAppliedAt(userId);
    if (last && Date.parse(last) >= Date.parse(occurredAt)) return;
    this.#state.set(userId.toLowerCase(), { occurredAt, touchedAt: this.#now() });
  }

  async listByUser(user: UserKey, top: number): Promise<Outcome[]> {
    const rows = [...(this.#index.get(userPartition(user)) ?? new Map<string, IndexRow>())].sort(
      ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
    );
    const outcomes: Outcome[] = [];
    // Same loop as the table's: the row is taken before `top` is checked.
    for (const [, row] of rows) {
      outcomes.push(JSON.parse(row.outcome) as Outcome);
      if (outcomes.length >= top) break;
    }
    return outcomes;
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    const before = cutoff.getTime();
    const keeps = (status: string | undefined) => status === "deferred" || status === "processing";
    let deleted = 0;
    // Every row type counts, as in the table: event rows, index rows, and last-applied state rows (no status).
    for (const [eventId, row] of this.#events) {
      if (row.touchedAt < before && !keeps(row.status)) {
        this.#events.delete(eventId);
        deleted += 1;
      }
    }
    for (const rows of this.#index.values()) {
      for (const [rowKey, row] of rows) {
        if (row.touchedAt < before && !keeps(row.status)) {
          rows.delete(rowKey);
          deleted += 1;
        }
      }
    }
    for (const [userId, row] of this.#state) {
      if (row.touchedAt < before) {
        this.#state.delete(userId);
        deleted += 1;
      }
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

  #writeIndex(outcome: Outcome): void {
    const rowKey = indexRowKey(outcome);
    for (const user of userKeysOf(outcome)) {
      const partition = userPartition(user);
      const rows = this.#index.get(partition) ?? new Map<string, IndexRow>();
      rows.set(rowKey, { status: outcome.status, outcome: JSON.stringify(outcome), touchedAt: this.#now() });
      this.#index.set(partition, rows);
    }
  }
}
