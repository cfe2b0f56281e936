// storage/: the Azure Storage adapters — outcome log, event queue and webhook receipts.

import { odata, type TableClient } from "@azure/data-tables";
import { ensureErrorType } from "../core/errors.js";
import type { LeaseWrite, WriteResult } from "../sync/eventLease.js";
import { type EventLeaseOps, eventLeaseOn } from "../sync/eventLeaseOn.js";
import type { Outcome, PendingWrite } from "../sync/outcome.js";
import { type Claim, checkListTop, type OutcomeLog, type UserKey } from "../sync/outcomeLog.js";
import { ensureTable } from "./ensureTable.js";
import { isRestStatus } from "./isRestStatus.js";
import { outcomeTableKeys as keys } from "./outcomeTableKeys.js";
import { type EventEntity, outcomeTableRows as rows, type TableEventRecord } from "./outcomeTableRows.js";
import { sweepOutcomeTable } from "./sweepOutcomeTable.js";
import { transactionGroupsOf } from "./transactionGroupsOf.js";

/**
 * The outcome log in Azure Table storage (the layout: outcomeTableKeys.ts). The lease (claim, pending writes,
 * release, record) is decided in shared/sync/eventLease.ts and run by eventLeaseOn: this adapter only loads an
 * event's row and writes it on the row's ETag, which is the lease's token.
 */
export class TableOutcomeLog implements OutcomeLog {
  /** Creates the table on first use, or finds it there when this identity may not create tables (ensureTable). */
  readonly #ensureTable: () => Promise<void>;
  readonly #lease: EventLeaseOps;

  constructor(private readonly table: TableClient) {
    this.#ensureTable = ensureTable(table);
    this.#lease = eventLeaseOn<TableEventRecord>({
      load: (eventId) => this.load(eventId),
      write: (eventId, write, over) => this.store(eventId, write, over?.index),
    });
  }

  /** An event's row, read whole; undefined when it has none. */
  private async load(eventId: string): Promise<TableEventRecord | undefined> {
    await this.#ensureTable();
    try {
      return rows.eventRecordOf(
        await this.table.getEntity<EventEntity>(keys.partitionOf(eventId), keys.eventRow(eventId)),
      );
    } catch (err) {
      if (isRestStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /**
   * Carries out a lease write: a merge, or a row with no outcome, as one entity request on its ETag (or as a new
   * row); an outcome with its index and attempt rows as one transaction, dropping the `earlierIndex` rows it no
   * longer has. The new ETag is the new token; a transaction answers none, and nothing needs one after a record.
   */
  private async store(eventId: string, write: LeaseWrite, earlierIndex: string[] = []): Promise<WriteResult> {
    try {
      if (write.kind === "merge") {
        const entity = rows.mergeEntityOf(eventId, write.set);
        const result = await this.table.updateEntity(entity, "Merge", { etag: write.expected.version });
        return { landed: true, version: result.etag ?? "" };
      }
      if (!write.record.outcome) {
        const { event } = rows.rowsOf(eventId, write.record);
        const result =
          "absent" in write.expected
            ? await this.table.createEntity(event)
            : await this.table.updateEntity(event, "Replace", { etag: write.expected.version });
        return { landed: true, version: result.etag ?? "" };
      }
      await this.submitPut(eventId, write, earlierIndex);
      return { landed: true, version: "" };
    } catch (err) {
      // 409: a row where none was expected; 412: the ETag moved; 404: the row (or one to drop) is gone.
      if (isRestStatus(err, 404, 409, 412)) return { landed: false, cause: err };
      throw err;
    }
  }

  /** An outcome's transaction; when an index row it drops is gone already, again without the drops. */
  private async submitPut(
    eventId: string,
    write: Extract<LeaseWrite, { kind: "put" }>,
    earlierIndex: string[],
  ): Promise<void> {
    const actions = rows.putActions(eventId, write.record, write.expected, earlierIndex);
    try {
      await this.table.submitTransaction(actions);
    } catch (err) {
      // Retention may have taken an index row to drop: without the drops, the ETag decides alone.
      const kept = actions.filter(([kind]) => kind !== "delete");
      if (!isRestStatus(err, 404) || kept.length === actions.length) throw err;
      await this.table.submitTransaction(kept);
    }
  }

  async get(eventId: string): Promise<Outcome | undefined> {
    return (await this.load(eventId))?.outcome;
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

  async record(outcome: Outcome, token?: string): Promise<void> {
    // A record without a token writes before it reads anything: the table must be there first.
    await this.#ensureTable();
    return this.#lease.record(outcome, token);
  }

  async recordMany(outcomes: readonly Outcome[]): Promise<Array<Error | undefined>> {
    const results: Array<Error | undefined> = outcomes.map(() => undefined);
    if (outcomes.length === 0) return results;
    try {
      await this.#ensureTable();
    } catch (err) {
      return outcomes.map(() => ensureErrorType(err));
    }
    // Two attempts at one event go in successive rounds (an entity may appear once per transaction): the later wins.
    for (const round of transactionGroupsOf(outcomes)) {
      await Promise.all(
        round.map(async ({ indexes }) => {
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
      await this.table.submitTransaction(outcomes.flatMap(rows.attemptActions));
      return outcomes.map(() => undefined);
    } catch (err) {
      if (isRestStatus(err, 400, 413) && outcomes.length > 1) {
        return (await Promise.all(outcomes.map((o) => this.recordAttempts([o])))).flat();
      }
      return outcomes.map(() => ensureErrorType(err));
    }
  }

  async attemptsOf(eventId: string, top: number): Promise<Outcome[]> {
    checkListTop(top);
    await this.#ensureTable();
    const prefix = keys.attemptRowPrefix(eventId);
    const found: Outcome[] = [];
    const pages = this.table
      .listEntities<{ outcome: string }>({
        queryOptions: {
          filter: odata`PartitionKey eq ${keys.partitionOf(eventId)} and RowKey ge ${prefix} and RowKey lt ${keys.rangeEnd(prefix)}`,
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

  async lastAppliedAt(userId: string): Promise<string | undefined> {
    return (await this.readState(userId))?.occurredAt;
  }

  private async readState(userId: string) {
    await this.#ensureTable();
    try {
      return await this.table.getEntity<{ occurredAt: string }>(keys.statePartition(userId), keys.stateRow);
    } catch (err) {
      if (isRestStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async markApplied(userId: string, occurredAt: string): Promise<void> {
    // Read, then write on the ETag read: when two deliveries note times at once, the loser reads again and
    // keeps the newer time instead of overwriting it.
    for (let attempt = 1; ; attempt++) {
      const current = await this.readState(userId);
      if (current && Date.parse(current.occurredAt) >= Date.parse(occurredAt)) return;
      const entity = { partitionKey: keys.statePartition(userId), rowKey: keys.stateRow, occurredAt };
      try {
        if (current) await this.table.updateEntity(entity, "Replace", { etag: current.etag });
        else await this.table.createEntity(entity);
        return;
      } catch (err) {
        if (!isRestStatus(err, 409, 412) || attempt >= 10) throw err;
      }
    }
  }

  async listByUser(user: UserKey, top: number): Promise<Outcome[]> {
    checkListTop(top);
    await this.#ensureTable();
    // All of a user's rows in a bucket share one prefix.
    const prefix = keys.userRowPrefix(user);
    const perBucket = await Promise.all(
      keys.buckets.map(async (partition) => {
        const found: Array<{ rowKey: string; outcome: string }> = [];
        const pages = this.table
          .listEntities<{ outcome: string }>({
            queryOptions: {
              filter: odata`PartitionKey eq ${partition} and RowKey ge ${prefix} and RowKey lt ${keys.rangeEnd(prefix)}`,
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
    await this.#ensureTable();
    return sweepOutcomeTable(this.table, cutoff);
  }
}
