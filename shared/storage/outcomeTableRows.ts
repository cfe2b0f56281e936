import type { TableEntityResult, TransactionAction } from "@azure/data-tables";
import {
  type EventRecord,
  type EventStatus,
  type Expected,
  eventLease,
  type StoredEvent,
} from "../sync/eventLease.js";
import type { Outcome, PendingWrite } from "../sync/outcome.js";
import { userKeysOf } from "../sync/outcomeLog.js";
import { outcomeTableKeys as keys } from "./outcomeTableKeys.js";

// A type, not an interface, so that it is a TableEntity (a record of properties) as transactions want.
export type EventEntity = {
  partitionKey: string;
  rowKey: string;
  status: string;
  leaseUntil: number;
  /** JSON Outcome: the recorded outcome; absent while `processing`. */
  outcome?: string;
  /** JSON PendingWrite[] (masked values, keyed hashes): writes an attempt started; cleared when the record is written. */
  pending?: string;
  /** JSON string[]: the RowKeys of the index rows the recorded outcome has. */
  index?: string;
};

/** An event row as read: the lease's record, and the index rows the row owns (to drop the ones a record loses). */
export interface TableEventRecord extends EventRecord {
  index: string[];
}

type Copy = { partitionKey: string; rowKey: string; status: string; outcome: string };

function indexOf(row: { index?: string | undefined }): string[] {
  return row.index ? (JSON.parse(row.index) as string[]) : [];
}

/** Reads an event row (any of its properties may have been left out of the read's `select`). */
function eventRecordOf(row: TableEntityResult<Partial<EventEntity>>): TableEventRecord {
  return {
    // A row with no status reads as final, as it always has: retention may take it.
    status: (row.status ?? "") as EventStatus,
    leaseUntil: row.leaseUntil ?? 0,
    ...(row.outcome ? { outcome: JSON.parse(row.outcome) as Outcome } : {}),
    ...(row.pending ? { pending: JSON.parse(row.pending) as PendingWrite[] } : {}),
    version: row.etag,
    index: indexOf(row),
  };
}

/** The rows a record writes: its event row, and for an outcome one copy per user key and its attempt row. */
function rowsOf(eventId: string, record: StoredEvent): { event: EventEntity; copies: Copy[] } {
  const partitionKey = keys.partitionOf(eventId);
  const event: EventEntity = {
    partitionKey,
    rowKey: keys.eventRow(eventId),
    status: record.status,
    leaseUntil: record.leaseUntil,
    ...(record.pending ? { pending: JSON.stringify(record.pending) } : {}),
  };
  const { outcome } = record;
  if (!outcome) return { event, copies: [] };
  const index = keys.indexRows(outcome);
  const json = JSON.stringify(outcome);
  const copy = (rowKey: string): Copy => ({ partitionKey, rowKey, status: outcome.status, outcome: json });
  return {
    event: { ...event, outcome: json, index: JSON.stringify(index) },
    copies: [...index.map(copy), copy(keys.attemptRow(outcome, json))],
  };
}

/**
 * The actions that put `record` as an event's row where `expected` says (create it, or replace it on that ETag,
 * which drops pending writes and ends the lease), with its copies, and the deletion of the index rows the row had
 * (`earlierIndex`) and this record has not.
 */
function putActions(
  eventId: string,
  record: StoredEvent,
  expected: Expected,
  earlierIndex: string[],
): TransactionAction[] {
  const { event, copies } = rowsOf(eventId, record);
  return [
    "absent" in expected ? ["create", event] : ["update", event, "Replace", { etag: expected.version }],
    ...copies.map((row): TransactionAction => ["upsert", row, "Replace"]),
    ...earlierIndex
      .filter((rowKey) => !copies.some((row) => row.rowKey === rowKey))
      .map((rowKey): TransactionAction => ["delete", { partitionKey: event.partitionKey, rowKey }]),
  ];
}

/**
 * The actions that record `outcome` as the latest attempt at its event, whatever was there: every row upserted,
 * nothing deleted. An earlier record's index rows stay under their own row keys (its `firstSeenAt`), listed as the
 * earlier attempt they are; the event row no longer names them, so retention ages them out on their own dates.
 */
function attemptActions(outcome: Outcome): TransactionAction[] {
  const { event, copies } = rowsOf(outcome.eventId, eventLease.recorded(outcome));
  return [event, ...copies].map((row): TransactionAction => ["upsert", row, "Replace"]);
}

/** The properties a merge sets on an event row (see `LeaseWrite`), with the row's keys. */
function mergeEntityOf(
  eventId: string,
  set: { leaseUntil: number } | { pending: PendingWrite[] },
): Partial<EventEntity> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: keys.partitionOf(eventId),
    rowKey: keys.eventRow(eventId),
    ...("leaseUntil" in set ? { leaseUntil: set.leaseUntil } : { pending: JSON.stringify(set.pending) }),
  };
}

/** How many entities one outcome's rows hold in a transaction: its event row, an index row per key, an attempt row. */
function rowsPerOutcome(outcome: Outcome): number {
  return 2 + userKeysOf(outcome).length;
}

/** The outcome table's rows as entities, and back (the layout is in outcomeTableKeys.ts). */
export const outcomeTableRows = {
  eventRecordOf,
  indexOf,
  rowsOf,
  putActions,
  attemptActions,
  mergeEntityOf,
  rowsPerOutcome,
} as const;
