// storage/: the Azure Storage adapters — outcome log, event queue and webhook receipts.

import { createHash } from "node:crypto";
import {
  odata,
  RestError,
  type TableClient,
  type TableEntityResult,
  type TransactionAction,
} from "@azure/data-tables";
import { ensureErrorType, SsprError } from "../core/errors.js";
import type { FieldOutcome, Outcome } from "../sync/outcome.js";
import {
  type Claim,
  checkListTop,
  LeaseLostError,
  type OutcomeLog,
  type UserKey,
} from "../sync/outcomeLog.js";

/*
 * The table's layout, and why.
 *
 * A backfill records its outcomes 20 at a time, and each outcome used to cost four writes in four partitions (its
 * event row, then one index row per user key), so Azure Table, not Graph, set a backfill's pace (issue 14). Table
 * storage writes up to 100 entities of ONE partition in one entity-group transaction: one request, all or nothing.
 * So every row of an event lives in one partition, one of `bucketCount` buckets picked by a hash of the event id:
 *
 *   PartitionKey `o.<bucket>`
 *     RowKey `e.<event>`                          the event: status, lease, outcome, pending writes, and `index`,
 *                                                 the RowKeys of its index rows (so they can be dropped with it)
 *     RowKey `u.<user key>.<newest first>.<event>` one per user key the outcome has, holding a copy of the outcome
 *     RowKey `a.<event>.<newest first>.<digest>`   one per record of the event (an attempt), holding a copy of it
 *   PartitionKey `s_<user id>`, RowKey `state`    the user's last-applied time, in its own partition as before
 *
 * - Recording an outcome — the event row, its index rows, its attempt row, and dropping the index rows of keys it no
 *   longer has — is one transaction: one request instead of four, and never an event half indexed after a crash.
 * - `recordMany` (the backfill's attempts) groups a chunk's outcomes by bucket: 20 outcomes land in about 7.5 of
 *   the 8 buckets, so about 0.4 requests per row (issue 14 asks ≤ 1). It upserts without reading: the event row
 *   takes the latest attempt, and an earlier attempt's index rows (another `firstSeenAt`, so other row keys) and
 *   attempt row stay — that is the history, and a rerun costs what the first run did.
 * - `get` is one point read; `claim`, `notePending` and `release` touch the event row only, with its ETag, as
 *   before. The queue path's `record` reads the event row (its lease token and index) and then writes one
 *   transaction conditioned on the token: 2 requests instead of 4.
 * - `listByUser` reads one key range in each bucket (8 small range queries in parallel) and merges them: a
 *   helpdesk read, rare next to writes.
 * Why 8 buckets: fewer means bigger batches but busier partitions (Azure's target is 2,000 entities/s per
 * partition, far above Graph's 20 writes/s budget either way); more means more range queries per listing. The
 * count is part of the layout: changing it would lose every record already written.
 *
 * Records written by the first layout (an `e_<event>` partition per event, a `u_<user key>` partition per user)
 * are not read any more; retention still deletes them once they are older than the cutoff.
 */
const bucketCount = 8;
const buckets = Array.from({ length: bucketCount }, (_, n) => `o.${n}`);
const stateRow = "state";
// Row keys sort ascending; subtracting from a far-future epoch makes the newest record come first.
const farFuture = 9_999_999_999_999;
// A batch's outcome holds its event row, up to 3 index rows and its attempt row in the transaction: 5 entities, so
// 14 outcomes stay within the 100 entities a transaction may hold. (`record` writes one outcome at a time: with up
// to 3 index rows to drop, 8 entities.) 14 is also how many row keys one filter may name (Table storage allows 15
// comparisons in a $filter; the PartitionKey is the 15th).
const maxOutcomesPerTransaction = 14;
// Well under the 4 MiB a transaction may carry, counting each outcome's JSON once per row that holds it.
const maxTransactionChars = 1_000_000;
// Attempts at a batch whose events others change meanwhile, before giving up on it (each re-reads them).
const maxConflictRounds = 4;

// A type, not an interface, so that it is a TableEntity (a record of properties) as transactions want.
type EventEntity = {
  partitionKey: string;
  rowKey: string;
  status: string;
  leaseUntil: number;
  outcome?: string;
  /** JSON FieldOutcome[] (masked): writes an attempt started; cleared when the record is written. */
  pending?: string;
  /** JSON string[]: the RowKeys of the index rows the recorded outcome has. */
  index?: string;
};

/** What a write needs to know of an event row: absent, or its ETag, status and index rows. */
interface EventState {
  etag: string;
  status: string;
  index: string[];
  outcome?: string;
}

/** Table keys may not hold `/ \ # ?` or control characters: base64url keeps any id safe and reversible. */
function toKey(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

function fromKey(key: string): string {
  return Buffer.from(key, "base64url").toString("utf8");
}

function partitionOf(eventId: string): string {
  return `o.${createHash("sha256").update(eventId, "utf8").digest().readUInt8(0) % bucketCount}`;
}

function eventRowKey(eventId: string): string {
  return `e.${toKey(eventId)}`;
}

/** Newest first by `at`: row keys sort ascending, so the time counts down from a far-future epoch. */
function newestFirst(at: string): string {
  return String(farFuture - Date.parse(at)).padStart(13, "0");
}

/**
 * An attempt's row key: newest `updatedAt` first, then a digest of the record, so writing the same record twice
 * (a retry whose answer was lost) keeps one row and two records of the same millisecond keep two.
 */
function attemptRowKey(outcome: Outcome, json: string): string {
  const digest = createHash("sha256").update(json, "utf8").digest("base64url").slice(0, 11);
  return `a.${toKey(outcome.eventId)}.${newestFirst(outcome.updatedAt)}.${digest}`;
}

/** Every kind of key looks the user up without regard to case. base64url has no `.`, so it ends the key. */
function userKeyOf(user: UserKey): string {
  return toKey(`${user.kind}:${user.value.toLowerCase()}`);
}

function userKeysOf(outcome: Outcome): UserKey[] {
  const keys: UserKey[] = [];
  if (outcome.userId) keys.push({ kind: "id", value: outcome.userId });
  if (outcome.userPrincipalName) keys.push({ kind: "upn", value: outcome.userPrincipalName });
  if (outcome.employeeId) keys.push({ kind: "employeeId", value: outcome.employeeId });
  return keys;
}

/** The index row keys: firstSeenAt orders them, so a deferred event's final record replaces its rows in place. */
function indexRowKeysOf(outcome: Outcome): string[] {
  const seen = newestFirst(outcome.firstSeenAt);
  return userKeysOf(outcome).map((user) => `u.${userKeyOf(user)}.${seen}.${toKey(outcome.eventId)}`);
}

/** A record whose status is final is never replaced; `processing` (claimed, nothing recorded) and `deferred` are not. */
function isFinalRow(status: string | undefined): boolean {
  return status !== undefined && status !== "processing" && status !== "deferred";
}

function isStatus(err: unknown, ...codes: number[]): boolean {
  return err instanceof RestError && err.statusCode !== undefined && codes.includes(err.statusCode);
}

function leaseLost(eventId: string, cause?: unknown): LeaseLostError {
  return new LeaseLostError(
    `the lease on event ${eventId} ran out and another delivery took it`,
    cause === undefined ? undefined : { cause },
  );
}

function parseIndex(text: string | undefined): string[] {
  return text ? (JSON.parse(text) as string[]) : [];
}

/** One row of the table, named: tests and tools read the layout through this, never by its key formats. */
export type OutcomeTableRow =
  | { kind: "event"; eventId: string }
  | { kind: "index"; eventId: string; user: string }
  | { kind: "attempt"; eventId: string }
  | { kind: "state" }
  | { kind: "legacy" };

/** A $filter that selects the event rows of the outcome table (one per event, any status). */
export const outcomeEventRowsFilter = odata`RowKey ge ${"e."} and RowKey lt ${"e/"}`;

/** Says what a row of the outcome table is (`user` is `<kind>:<value in lower case>`). */
export function outcomeTableRowOf(partitionKey: string, rowKey: string): OutcomeTableRow {
  if (partitionKey.startsWith("s_") && rowKey === stateRow) return { kind: "state" };
  if (!buckets.includes(partitionKey)) return { kind: "legacy" };
  if (rowKey.startsWith("e.")) return { kind: "event", eventId: fromKey(rowKey.slice(2)) };
  if (rowKey.startsWith("a.")) return { kind: "attempt", eventId: fromKey(rowKey.split(".")[1] ?? "") };
  const [, user = "", , event = ""] = rowKey.split(".");
  return { kind: "index", eventId: fromKey(event), user: fromKey(user) };
}

/** The outcome log in Azure Table storage: see the layout above. */
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
      return await this.table.getEntity<EventEntity>(partitionOf(eventId), eventRowKey(eventId));
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
    // A finished event's index rows were written with its record, in one transaction: nothing to repair here.
    if (previous && isFinalRow(existing?.status)) return { state: "duplicate", outcome: previous };
    if (existing && existing.leaseUntil > now.getTime())
      return { state: "busy", leaseUntil: new Date(existing.leaseUntil) };
    const leaseUntil = now.getTime() + leaseMs;
    try {
      if (existing) {
        const result = await this.table.updateEntity(
          { partitionKey: existing.partitionKey, rowKey: existing.rowKey, leaseUntil },
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
        partitionKey: partitionOf(eventId),
        rowKey: eventRowKey(eventId),
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
        { partitionKey: partitionOf(eventId), rowKey: eventRowKey(eventId), pending: JSON.stringify(fields) },
        "Merge",
        { etag: token },
      );
      return result.etag ?? "";
    } catch (err) {
      if (isStatus(err, 404, 412)) throw leaseLost(eventId, err);
      throw err;
    }
  }

  async release(eventId: string, token: string): Promise<void> {
    try {
      await this.table.updateEntity(
        { partitionKey: partitionOf(eventId), rowKey: eventRowKey(eventId), leaseUntil: 0 },
        "Merge",
        { etag: token },
      );
    } catch (err) {
      if (!isStatus(err, 404, 412)) throw err;
    }
  }

  async record(outcome: Outcome, token?: string): Promise<void> {
    await this.ensureTable();
    if (!token) {
      const [failure] = await this.recordUnleased(partitionOf(outcome.eventId), [outcome]);
      if (failure) throw failure;
      return;
    }
    const existing = await this.readEvent(outcome.eventId);
    if (!existing) throw leaseLost(outcome.eventId);
    const current = stateOf(existing);
    if (isFinalRow(current.status)) {
      // Finished already: by this very record if it is the same (a retry whose first answer was lost), else by
      // another delivery, whose final record stays.
      if (current.outcome === JSON.stringify(outcome)) return;
      throw leaseLost(outcome.eventId);
    }
    // The server checks the token, not this process: the row read above shows which index rows to drop, and is
    // the version the token names whenever the transaction succeeds (an ETag never comes back).
    const actions = writeActions(outcome, { ...current, etag: token });
    try {
      await this.table.submitTransaction(actions);
    } catch (err) {
      if (isStatus(err, 412)) {
        if ((await this.readEvent(outcome.eventId))?.outcome === JSON.stringify(outcome)) return;
        throw leaseLost(outcome.eventId, err);
      }
      if (isStatus(err, 404)) {
        // The event row is gone, or an index row to drop was: without the drops, the token decides again.
        const kept = actions.filter(([kind]) => kind !== "delete");
        if (kept.length === actions.length) throw leaseLost(outcome.eventId, err);
        try {
          await this.table.submitTransaction(kept);
        } catch (again) {
          if (isStatus(again, 404, 412)) throw leaseLost(outcome.eventId, again);
          throw again;
        }
        return;
      }
      throw err;
    }
  }

  async recordMany(outcomes: readonly Outcome[]): Promise<Array<Error | undefined>> {
    const results: Array<Error | undefined> = outcomes.map(() => undefined);
    if (outcomes.length === 0) return results;
    try {
      await this.ensureTable();
    } catch (err) {
      return outcomes.map(() => ensureErrorType(err));
    }
    // Two attempts at one event go in successive rounds (an entity may appear once per transaction): the later wins.
    for (const round of roundsOf(outcomes)) {
      await Promise.all(
        groupsOf(round, outcomes).map(async ({ indexes }) => {
          const answers = await this.recordAttempts(indexes.map((i) => outcomes[i] as Outcome));
          indexes.forEach((i, k) => {
            results[i] = answers[k];
          });
        }),
      );
    }
    return results;
  }

  /**
   * Records attempts at distinct events of one partition in one transaction of upserts: nothing to read first and
   * nothing that can conflict, so a rerun costs what the first run did. A transaction the service refuses as such
   * (400, 413) is retried one outcome at a time, so one bad outcome fails alone.
   */
  private async recordAttempts(outcomes: Outcome[]): Promise<Array<Error | undefined>> {
    try {
      await this.table.submitTransaction(outcomes.flatMap(attemptActions));
      return outcomes.map(() => undefined);
    } catch (err) {
      if (isStatus(err, 400, 413) && outcomes.length > 1) {
        return (await Promise.all(outcomes.map((o) => this.recordAttempts([o])))).flat();
      }
      return outcomes.map(() => ensureErrorType(err));
    }
  }

  async attemptsOf(eventId: string, top: number): Promise<Outcome[]> {
    checkListTop(top);
    await this.ensureTable();
    const prefix = `a.${toKey(eventId)}`;
    const found: Outcome[] = [];
    const pages = this.table
      .listEntities<{ outcome: string }>({
        queryOptions: {
          filter: odata`PartitionKey eq ${partitionOf(eventId)} and RowKey ge ${`${prefix}.`} and RowKey lt ${`${prefix}/`}`,
          select: ["outcome"],
        },
      })
      .byPage({ maxPageSize: top });
    for await (const page of pages) {
      for (const row of page) found.push(JSON.parse(row.outcome) as Outcome);
      if (found.length >= top) break;
    }
    return found.slice(0, top);
  }

  /**
   * Records outcomes of distinct events in one partition without a lease, in one transaction: first as if none of
   * their events had a row (the usual case, one request), and when one had (the transaction fails whole with 409,
   * or 412/404 when a row changed meanwhile), again after reading their rows: a final record is kept, anything else
   * replaced on its ETag. A batch that the service refuses as such (400, 413) is retried one outcome at a time, so
   * one bad outcome fails alone.
   */
  private async recordUnleased(partition: string, outcomes: Outcome[]): Promise<Array<Error | undefined>> {
    let known: Map<string, EventState> | undefined;
    for (let round = 0; round < maxConflictRounds; round++) {
      const actions = outcomes.flatMap((outcome) => {
        const current = known?.get(eventRowKey(outcome.eventId));
        return current && isFinalRow(current.status) ? [] : writeActions(outcome, current);
      });
      if (actions.length === 0) return outcomes.map(() => undefined);
      try {
        await this.table.submitTransaction(actions);
        return outcomes.map(() => undefined);
      } catch (err) {
        if (isStatus(err, 400, 413) && outcomes.length > 1) {
          return (await Promise.all(outcomes.map((o) => this.recordUnleased(partition, [o])))).flat();
        }
        if (!isStatus(err, 404, 409, 412)) return outcomes.map(() => ensureErrorType(err));
      }
      try {
        known = await this.readEvents(
          partition,
          outcomes.map((o) => eventRowKey(o.eventId)),
        );
      } catch (err) {
        return outcomes.map(() => ensureErrorType(err));
      }
    }
    const busy = new SsprError(
      `the outcome records changed ${maxConflictRounds} times while being written; not recorded`,
    );
    return outcomes.map(() => busy);
  }

  /** The rows of these events (≤ 14) in one partition, by RowKey: one query. */
  private async readEvents(partition: string, rowKeys: string[]): Promise<Map<string, EventState>> {
    const named = rowKeys.map((rowKey) => odata`RowKey eq ${rowKey}`).join(" or ");
    const rows = this.table.listEntities<EventEntity>({
      queryOptions: {
        filter: `${odata`PartitionKey eq ${partition}`} and (${named})`,
        select: ["RowKey", "status", "index"],
      },
    });
    const states = new Map<string, EventState>();
    for await (const row of rows) if (row.rowKey) states.set(row.rowKey, stateOf(row));
    return states;
  }

  async lastAppliedAt(userId: string): Promise<string | undefined> {
    return (await this.readState(userId))?.occurredAt;
  }

  private async readState(userId: string) {
    await this.ensureTable();
    try {
      return await this.table.getEntity<{ occurredAt: string }>(statePartition(userId), stateRow);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async markApplied(userId: string, occurredAt: string): Promise<void> {
    // Read, then write on the ETag read: when two deliveries note times at once, the loser reads again and
    // keeps the newer time instead of overwriting it.
    for (let attempt = 1; ; attempt++) {
      const current = await this.readState(userId);
      if (current && Date.parse(current.occurredAt) >= Date.parse(occurredAt)) return;
      const entity = { partitionKey: statePartition(userId), rowKey: stateRow, occurredAt };
      try {
        if (current) await this.table.updateEntity(entity, "Replace", { etag: current.etag });
        else await this.table.createEntity(entity);
        return;
      } catch (err) {
        if (!isStatus(err, 409, 412) || attempt >= 10) throw err;
      }
    }
  }

  async listByUser(user: UserKey, top: number): Promise<Outcome[]> {
    checkListTop(top);
    await this.ensureTable();
    const userKey = userKeyOf(user);
    // All of a user's rows in a bucket share the prefix `u.<key>.`; `/` is the character after `.`.
    const perBucket = await Promise.all(
      buckets.map(async (partition) => {
        const found: Array<{ rowKey: string; outcome: string }> = [];
        const pages = this.table
          .listEntities<{ outcome: string }>({
            queryOptions: {
              filter: odata`PartitionKey eq ${partition} and RowKey ge ${`u.${userKey}.`} and RowKey lt ${`u.${userKey}/`}`,
              select: ["RowKey", "outcome"],
            },
          })
          .byPage({ maxPageSize: top });
        for await (const page of pages) {
          for (const row of page) if (row.rowKey) found.push({ rowKey: row.rowKey, outcome: row.outcome });
          if (found.length >= top) break;
        }
        return found;
      }),
    );
    return perBucket
      .flat()
      .sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0))
      .slice(0, top)
      .map((row) => JSON.parse(row.outcome) as Outcome);
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    await this.ensureTable();
    let deleted = 0;
    for (const partition of buckets) deleted += await this.sweepBucket(partition, cutoff);
    return deleted + (await this.sweepFirstLayout(cutoff));
  }

  /**
   * Deletes a bucket's final events last touched before `cutoff`, each with its index rows, in transactions; and
   * any old index row no event lists any more. Deferred and in-progress events keep their rows. State rows live
   * in other partitions and are never touched. Returns the events deleted.
   */
  private async sweepBucket(partition: string, cutoff: Date): Promise<number> {
    const events = new Map<string, EventState>();
    const oldIndexRows: Array<{ rowKey: string; etag: string }> = [];
    const oldAttemptRows: Array<{ rowKey: string; etag: string }> = [];
    const rows = this.table.listEntities<EventEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${partition} and Timestamp lt ${cutoff}`,
        select: ["RowKey", "status", "index"],
      },
    });
    for await (const row of rows) {
      if (row.rowKey?.startsWith("e.")) events.set(row.rowKey, stateOf(row));
      else if (row.rowKey?.startsWith("u.")) oldIndexRows.push({ rowKey: row.rowKey, etag: row.etag });
      else if (row.rowKey?.startsWith("a.")) oldAttemptRows.push({ rowKey: row.rowKey, etag: row.etag });
    }

    const doomed = [...events].filter(([, state]) => isFinalRow(state.status));
    const listed = new Set([...events.values()].flatMap((state) => state.index));
    let deleted = 0;
    for (const group of chunksOf(doomed, maxOutcomesPerTransaction)) {
      deleted += await this.deleteEvents(partition, group);
    }
    for (const row of oldIndexRows.filter((r) => !listed.has(r.rowKey))) {
      await this.deleteIfOrphan(partition, row, events);
    }
    for (const row of oldAttemptRows) await this.deleteOldAttempt(partition, row, events);
    return deleted;
  }

  /**
   * An attempt recorded before the cutoff ages out, unless its event is still live (deferred or in progress):
   * then its history stays with it. Deleted on its ETag, as an index row is.
   */
  private async deleteOldAttempt(
    partition: string,
    row: { rowKey: string; etag: string },
    oldEvents: Map<string, EventState>,
  ): Promise<void> {
    const eventRow = `e.${row.rowKey.split(".")[1] ?? ""}`;
    const owner = oldEvents.get(eventRow) ?? (await this.readEventRow(partition, eventRow));
    if (owner && !isFinalRow(owner.status)) return;
    try {
      await this.table.deleteEntity(partition, row.rowKey, { etag: row.etag });
    } catch (err) {
      if (!isStatus(err, 404, 412)) throw err;
    }
  }

  /** An event row's status and index rows by its keys; undefined when it is gone. */
  private async readEventRow(partition: string, rowKey: string): Promise<EventState | undefined> {
    try {
      return stateOf(
        await this.table.getEntity<EventEntity>(partition, rowKey, {
          queryOptions: { select: ["index", "status"] },
        }),
      );
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Deletes final events with their index rows, in one transaction (or one by one when some row is gone). */
  private async deleteEvents(partition: string, events: Array<[string, EventState]>): Promise<number> {
    const rowKeysOf = ([rowKey, state]: [string, EventState]) => [rowKey, ...state.index];
    try {
      await this.table.submitTransaction(
        events
          .flatMap(rowKeysOf)
          .map((rowKey): TransactionAction => ["delete", { partitionKey: partition, rowKey }]),
      );
      return events.length;
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    // Another sweep got to some of them first.
    let deleted = 0;
    for (const event of events) {
      const [eventRow, ...indexRows] = rowKeysOf(event);
      for (const rowKey of indexRows) await this.deleteRow(partition, rowKey);
      if (eventRow && (await this.deleteRow(partition, eventRow))) deleted += 1;
    }
    return deleted;
  }

  /**
   * An old index row that its event's old record did not list: kept if the event's current record lists it
   * (the event row is newer than the cutoff), deleted otherwise — on its ETag, so a row written again meanwhile
   * stays.
   */
  private async deleteIfOrphan(
    partition: string,
    row: { rowKey: string; etag: string },
    oldEvents: Map<string, EventState>,
  ): Promise<void> {
    const eventRow = `e.${row.rowKey.split(".")[3] ?? ""}`;
    const owner = oldEvents.get(eventRow) ?? (await this.readEventRow(partition, eventRow));
    if (owner?.index.includes(row.rowKey)) return;
    try {
      await this.table.deleteEntity(partition, row.rowKey, { etag: row.etag });
    } catch (err) {
      if (!isStatus(err, 404, 412)) throw err;
    }
  }

  /** Deletes one row; false when it was already gone. */
  private async deleteRow(partition: string, rowKey: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(partition, rowKey);
      return true;
    } catch (err) {
      if (isStatus(err, 404)) return false;
      throw err;
    }
  }

  /**
   * Deletes the first layout's rows (`e_<event>` event partitions, `u_<user>` index partitions) older than the
   * cutoff, whatever their status: nothing reads them any more, and retention is what keeps their personal data
   * from staying for ever. Returns the events among them.
   */
  private async sweepFirstLayout(cutoff: Date): Promise<number> {
    const rows = this.table.listEntities({
      queryOptions: {
        filter: odata`Timestamp lt ${cutoff} and ((PartitionKey ge ${"e_"} and PartitionKey lt ${"e`"}) or (PartitionKey ge ${"u_"} and PartitionKey lt ${"u`"}))`,
        select: ["PartitionKey", "RowKey"],
      },
    });
    let events = 0;
    for await (const row of rows) {
      if (!row.partitionKey || !row.rowKey) continue;
      if ((await this.deleteRow(row.partitionKey, row.rowKey)) && row.partitionKey.startsWith("e_"))
        events += 1;
    }
    return events;
  }
}

function statePartition(userId: string): string {
  return `s_${toKey(userId.toLowerCase())}`;
}

function stateOf(row: TableEntityResult<Partial<EventEntity>>): EventState {
  return {
    etag: row.etag,
    status: row.status ?? "",
    index: parseIndex(row.index),
    ...(row.outcome ? { outcome: row.outcome } : {}),
  };
}

/**
 * The actions that record `outcome` over the event row `current` (absent: create it): the event row, replaced
 * on its ETag (which drops pending writes and ends the lease), an index row per user key, the outcome's attempt
 * row, and the deletion of the index rows of keys the earlier record had and this one has not.
 */
function writeActions(outcome: Outcome, current: EventState | undefined): TransactionAction[] {
  const { event, rows } = outcomeRows(outcome);
  return [
    current ? ["update", event, "Replace", { etag: current.etag }] : ["create", event],
    ...rows.map((row): TransactionAction => ["upsert", row, "Replace"]),
    ...(current?.index ?? [])
      .filter((rowKey) => !rows.some((row) => row.rowKey === rowKey))
      .map((rowKey): TransactionAction => ["delete", { partitionKey: event.partitionKey, rowKey }]),
  ];
}

/**
 * The actions that record `outcome` as the latest attempt at its event, whatever was there: every row upserted,
 * nothing deleted. An earlier record's index rows stay under their own row keys (its `firstSeenAt`), listed as the
 * earlier attempt they are; the event row no longer names them, so retention ages them out on their own dates.
 */
function attemptActions(outcome: Outcome): TransactionAction[] {
  const { event, rows } = outcomeRows(outcome);
  return [event, ...rows].map((row): TransactionAction => ["upsert", row, "Replace"]);
}

/** The event row of an outcome, and the rows holding copies of it: one index row per user key, one attempt row. */
function outcomeRows(outcome: Outcome): {
  event: EventEntity;
  rows: Array<{ partitionKey: string; rowKey: string; status: string; outcome: string }>;
} {
  const partitionKey = partitionOf(outcome.eventId);
  const index = indexRowKeysOf(outcome);
  const json = JSON.stringify(outcome);
  const copy = (rowKey: string) => ({ partitionKey, rowKey, status: outcome.status, outcome: json });
  return {
    event: {
      partitionKey,
      rowKey: eventRowKey(outcome.eventId),
      status: outcome.status,
      leaseUntil: 0,
      outcome: json,
      index: JSON.stringify(index),
    },
    rows: [...index.map(copy), copy(attemptRowKey(outcome, json))],
  };
}

/**
 * Splits a batch into rounds in which each event appears once (an entity may appear once per transaction);
 * the second outcome of an event goes in the second round, after the first is written, as one-by-one records would.
 */
function roundsOf(outcomes: readonly Outcome[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  outcomes.forEach((outcome, i) => {
    const n = seen.get(outcome.eventId) ?? 0;
    seen.set(outcome.eventId, n + 1);
    const round = rounds[n] ?? [];
    round.push(i);
    rounds[n] = round;
  });
  return rounds;
}

/** Groups a round's outcomes by partition, each group within one transaction's limits. */
function groupsOf(
  round: number[],
  outcomes: readonly Outcome[],
): Array<{ partition: string; indexes: number[] }> {
  const open = new Map<string, { partition: string; indexes: number[]; chars: number }>();
  const groups: Array<{ partition: string; indexes: number[] }> = [];
  for (const i of round) {
    const outcome = outcomes[i] as Outcome;
    const partition = partitionOf(outcome.eventId);
    // The event row, each index row and the attempt row hold a copy of the outcome.
    const chars = JSON.stringify(outcome).length * (2 + userKeysOf(outcome).length);
    let group = open.get(partition);
    if (
      !group ||
      group.indexes.length >= maxOutcomesPerTransaction ||
      group.chars + chars > maxTransactionChars
    ) {
      group = { partition, indexes: [], chars: 0 };
      open.set(partition, group);
      groups.push(group);
    }
    group.indexes.push(i);
    group.chars += chars;
  }
  return groups.map(({ partition, indexes }) => ({ partition, indexes }));
}

function chunksOf<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
