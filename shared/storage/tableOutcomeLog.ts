// storage/: the Azure Storage adapters — outcome log, event queue and webhook receipts.

import { odata, RestError, type TableClient, type TableEntityResult } from "@azure/data-tables";
import { type FieldOutcome, isFinalStatus, type Outcome } from "../sync/outcome.js";
import { type Claim, LeaseLostError, type OutcomeLog, type UserKey } from "../sync/outcomeLog.js";

interface EventEntity {
  partitionKey: string;
  rowKey: string;
  status: string;
  leaseUntil: number;
  outcome?: string;
  /** JSON FieldOutcome[] (masked): writes an attempt started; cleared when the record is written. */
  pending?: string;
}

const eventRow = "outcome";
const stateRow = "state";
// Row keys sort ascending; subtracting from a far-future epoch makes the newest record come first.
const farFuture = 9_999_999_999_999;

/** Table keys may not hold `/ \ # ?` or control characters: base64url keeps any id safe and reversible. */
function toKey(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

function userPartition(user: UserKey): string {
  const value = user.kind === "id" ? user.value.toLowerCase() : user.value.toLowerCase();
  return `u_${toKey(`${user.kind}:${value}`)}`;
}

function userKeysOf(outcome: Outcome): UserKey[] {
  const keys: UserKey[] = [];
  if (outcome.userId) keys.push({ kind: "id", value: outcome.userId });
  if (outcome.userPrincipalName) keys.push({ kind: "upn", value: outcome.userPrincipalName });
  if (outcome.employeeId) keys.push({ kind: "employeeId", value: outcome.employeeId });
  return keys;
}

function isStatus(err: unknown, ...codes: number[]): boolean {
  return err instanceof RestError && err.statusCode !== undefined && codes.includes(err.statusCode);
}

/** The outcome log in Azure Table storage: one row per event, index rows per user, one state row per user. */
export class TableOutcomeLog implements OutcomeLog {
  #ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  /** Creates the table on first use (idempotent; 409 means it already exists). */
  private ensureTable(): Promise<void> {
    this.#ready ??= this.table.createTable().catch((err: unknown) => {
      this.#ready = undefined;
      if (!isStatus(err, 409)) throw err;
    });
    return this.#ready;
  }

  private async readEvent(eventId: string): Promise<TableEntityResult<EventEntity> | undefined> {
    await this.ensureTable();
    try {
      return await this.table.getEntity<EventEntity>(`e_${toKey(eventId)}`, eventRow);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async get(eventId: string): Promise<Outcome | undefined> {
    const entity = await this.readEvent(eventId);
    return entity?.outcome ? (JSON.parse(entity.outcome) as Outcome) : undefined;
  }

  async claim(eventId: string, leaseMs: number, now: Date): Promise<Claim> {
    const existing = await this.readEvent(eventId);
    const previous = existing?.outcome ? (JSON.parse(existing.outcome) as Outcome) : undefined;
    if (previous && isFinalStatus(previous.status)) {
      // A redelivery of a finished event. Its process may have died between the record and its index rows:
      // writing them again is idempotent (same keys), and makes sure the user's listing shows the event.
      await this.index(previous);
      return { state: "duplicate", outcome: previous };
    }
    if (existing && existing.leaseUntil > now.getTime())
      return { state: "busy", leaseUntil: new Date(existing.leaseUntil) };
    const leaseUntil = now.getTime() + leaseMs;
    try {
      if (existing) {
        const result = await this.table.updateEntity(
          { partitionKey: existing.partitionKey, rowKey: eventRow, leaseUntil },
          "Merge",
          { etag: existing.etag },
        );
        const pending = existing.pending ? (JSON.parse(existing.pending) as FieldOutcome[]) : undefined;
        return {
          state: "claimed",
          ...(previous ? { previous } : {}),
          ...(pending ? { pending } : {}),
          token: result.etag ?? "",
        };
      }
      const result = await this.table.createEntity<EventEntity>({
        partitionKey: `e_${toKey(eventId)}`,
        rowKey: eventRow,
        status: "processing",
        leaseUntil,
      });
      return { state: "claimed", token: result.etag ?? "" };
    } catch (err) {
      // Another delivery of the same event won the race (409 on create, 412 on a changed etag).
      if (isStatus(err, 409, 412)) return { state: "busy", leaseUntil: new Date(leaseUntil) };
      throw err;
    }
  }

  async notePending(eventId: string, token: string, fields: FieldOutcome[]): Promise<string> {
    try {
      const result = await this.table.updateEntity(
        { partitionKey: `e_${toKey(eventId)}`, rowKey: eventRow, pending: JSON.stringify(fields) },
        "Merge",
        { etag: token },
      );
      return result.etag ?? "";
    } catch (err) {
      if (isStatus(err, 404, 412)) {
        throw new LeaseLostError(`the lease on event ${eventId} ran out and another delivery took it`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async release(eventId: string, token: string): Promise<void> {
    try {
      await this.table.updateEntity(
        { partitionKey: `e_${toKey(eventId)}`, rowKey: eventRow, leaseUntil: 0 },
        "Merge",
        { etag: token },
      );
    } catch (err) {
      if (!isStatus(err, 404, 412)) throw err;
    }
  }

  async record(outcome: Outcome, token?: string): Promise<void> {
    await this.ensureTable();
    const entity: EventEntity = {
      partitionKey: `e_${toKey(outcome.eventId)}`,
      rowKey: eventRow,
      status: outcome.status,
      leaseUntil: 0,
      outcome: JSON.stringify(outcome),
    };
    if (token) {
      try {
        await this.table.updateEntity(entity, "Replace", { etag: token });
      } catch (err) {
        if (!isStatus(err, 412, 404)) throw err;
        // Our lease ran out and another delivery took the event; never replace a final record it wrote.
        const current = await this.get(outcome.eventId);
        if (current && isFinalStatus(current.status)) return this.index(current);
        await this.table.upsertEntity(entity, "Replace");
      }
    } else {
      try {
        await this.table.createEntity(entity);
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
        const current = await this.get(outcome.eventId);
        if (current && isFinalStatus(current.status)) return this.index(current);
        await this.table.upsertEntity(entity, "Replace");
      }
    }
    await this.index(outcome);
  }

  /** Writes the outcome's index row under each user key it has (upsert: the same outcome gives the same rows). */
  private async index(outcome: Outcome): Promise<void> {
    // The index row's key uses firstSeenAt so a deferred event updates its one row instead of adding more.
    const rowKey = `${String(farFuture - Date.parse(outcome.firstSeenAt)).padStart(13, "0")}_${toKey(outcome.eventId)}`;
    await Promise.all(
      userKeysOf(outcome).map((user) =>
        this.table.upsertEntity(
          {
            partitionKey: userPartition(user),
            rowKey,
            status: outcome.status,
            outcome: JSON.stringify(outcome),
          },
          "Replace",
        ),
      ),
    );
  }

  async lastAppliedAt(userId: string): Promise<string | undefined> {
    await this.ensureTable();
    try {
      const entity = await this.table.getEntity<{ occurredAt: string }>(
        `s_${toKey(userId.toLowerCase())}`,
        stateRow,
      );
      return entity.occurredAt;
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async markApplied(userId: string, occurredAt: string): Promise<void> {
    const last = await this.lastAppliedAt(userId);
    if (last && Date.parse(last) >= Date.parse(occurredAt)) return;
    await this.table.upsertEntity(
      { partitionKey: `s_${toKey(userId.toLowerCase())}`, rowKey: stateRow, occurredAt },
      "Replace",
    );
  }

  async listByUser(user: UserKey, top: number): Promise<Outcome[]> {
    await this.ensureTable();
    const outcomes: Outcome[] = [];
    const rows = this.table.listEntities<{ outcome: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${userPartition(user)}`, select: ["outcome"] },
    });
    for await (const row of rows) {
      outcomes.push(JSON.parse(row.outcome) as Outcome);
      if (outcomes.length >= top) break;
    }
    return outcomes;
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    await this.ensureTable();
    let deleted = 0;
    const rows = this.table.listEntities<{ status?: string }>({
      queryOptions: { filter: odata`Timestamp lt ${cutoff}`, select: ["PartitionKey", "RowKey", "status"] },
    });
    for await (const row of rows) {
      // A deferred event is still waiting for its user; its record goes only once it is final.
      if (row.status === "deferred" || row.status === "processing" || !row.partitionKey || !row.rowKey)
        continue;
      try {
        await this.table.deleteEntity(row.partitionKey, row.rowKey);
        deleted += 1;
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
    }
    return deleted;
  }
}
