import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import { eventLease } from "../sync/eventLease.js";
import { isRestStatus } from "./isRestStatus.js";
import { outcomeTableKeys as keys } from "./outcomeTableKeys.js";
import { type EventEntity, outcomeTableRows } from "./outcomeTableRows.js";
import { maxOutcomesPerTransaction } from "./transactionGroupsOf.js";

/** What retention needs of an event row: whether it is final, and the index rows it lists. */
interface EventState {
  status: string;
  index: string[];
}

type OldRow = { rowKey: string; etag: string };

/**
 * Deletes the outcome table's events whose final record was last touched before `cutoff` (see
 * OutcomeLog.deleteOlderThan), bucket by bucket, then the first layout's old rows; returns how many events.
 */
export async function sweepOutcomeTable(table: TableClient, cutoff: Date): Promise<number> {
  let deleted = 0;
  for (const partition of keys.buckets) deleted += await sweepBucket(table, partition, cutoff);
  return deleted + (await sweepFirstLayout(table, cutoff));
}

/**
 * Deletes a bucket's final events last touched before `cutoff`, each with its index rows, in transactions; and
 * any old index row no event lists any more. Deferred and in-progress events keep their rows. State rows live
 * in other partitions and are never touched. Returns the events deleted.
 */
async function sweepBucket(table: TableClient, partition: string, cutoff: Date): Promise<number> {
  const events = new Map<string, EventState>();
  const oldIndexRows: OldRow[] = [];
  const oldAttemptRows: OldRow[] = [];
  const rows = table.listEntities<EventEntity>({
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

  const doomed = [...events].filter(([, state]) => eventLease.isFinal(state.status));
  const listed = new Set([...events.values()].flatMap((state) => state.index));
  let deleted = 0;
  for (const group of chunksOf(doomed, maxOutcomesPerTransaction)) {
    deleted += await deleteEvents(table, partition, group);
  }
  for (const row of oldIndexRows.filter((r) => !listed.has(r.rowKey))) {
    await deleteUnlessKept(table, partition, row, events, indexRowKept);
  }
  for (const row of oldAttemptRows) await deleteUnlessKept(table, partition, row, events, attemptKept);
  return deleted;
}

function stateOf(row: { status?: string; index?: string }): EventState {
  return { status: row.status ?? "", index: outcomeTableRows.indexOf(row) };
}

/**
 * An attempt recorded before the cutoff ages out, unless its event is still live (deferred or in progress):
 * then its history stays with it.
 */
const attemptKept = (_row: OldRow, owner: EventState | undefined) =>
  owner !== undefined && !eventLease.isFinal(owner.status);

/**
 * An old index row that its event's old record did not list is kept if the event's current record lists it
 * (the event row is newer than the cutoff), deleted otherwise.
 */
const indexRowKept = (row: OldRow, owner: EventState | undefined) =>
  owner?.index.includes(row.rowKey) ?? false;

/**
 * Deletes an old attempt or index row unless `kept` says its event (the old record read in this sweep, else the
 * current one) still needs it — on its ETag, so a row written again meanwhile stays.
 */
async function deleteUnlessKept(
  table: TableClient,
  partition: string,
  row: OldRow,
  oldEvents: Map<string, EventState>,
  kept: (row: OldRow, owner: EventState | undefined) => boolean,
): Promise<void> {
  const eventRow = keys.eventRowOf(row.rowKey);
  const owner = oldEvents.get(eventRow) ?? (await readEventRow(table, partition, eventRow));
  if (kept(row, owner)) return;
  await deleteOnEtag(table, partition, row);
}

async function deleteOnEtag(table: TableClient, partition: string, row: OldRow): Promise<void> {
  try {
    await table.deleteEntity(partition, row.rowKey, { etag: row.etag });
  } catch (err) {
    if (!isRestStatus(err, 404, 412)) throw err;
  }
}

/** An event row's status and index rows by its keys; undefined when it is gone. */
async function readEventRow(
  table: TableClient,
  partition: string,
  rowKey: string,
): Promise<EventState | undefined> {
  try {
    return stateOf(
      await table.getEntity<EventEntity>(partition, rowKey, {
        queryOptions: { select: ["index", "status"] },
      }),
    );
  } catch (err) {
    if (isRestStatus(err, 404)) return undefined;
    throw err;
  }
}

/** Deletes final events with their index rows, in one transaction (or one by one when some row is gone). */
async function deleteEvents(
  table: TableClient,
  partition: string,
  events: Array<[string, EventState]>,
): Promise<number> {
  const rowKeysOf = ([rowKey, state]: [string, EventState]) => [rowKey, ...state.index];
  try {
    await table.submitTransaction(
      events
        .flatMap(rowKeysOf)
        .map((rowKey): TransactionAction => ["delete", { partitionKey: partition, rowKey }]),
    );
    return events.length;
  } catch (err) {
    if (!isRestStatus(err, 404)) throw err;
  }
  // Another sweep got to some of them first.
  let deleted = 0;
  for (const event of events) {
    const [eventRow, ...indexRows] = rowKeysOf(event);
    for (const rowKey of indexRows) await deleteRow(table, partition, rowKey);
    if (eventRow && (await deleteRow(table, partition, eventRow))) deleted += 1;
  }
  return deleted;
}

/** Deletes one row; false when it was already gone. */
async function deleteRow(table: TableClient, partition: string, rowKey: string): Promise<boolean> {
  try {
    await table.deleteEntity(partition, rowKey);
    return true;
  } catch (err) {
    if (isRestStatus(err, 404)) return false;
    throw err;
  }
}

/**
 * Deletes the first layout's rows (`e_<event>` event partitions, `u_<user>` index partitions) older than the
 * cutoff, whatever their status: nothing reads them any more, and retention is what keeps their personal data
 * from staying for ever. Returns the events among them.
 */
async function sweepFirstLayout(table: TableClient, cutoff: Date): Promise<number> {
  const rows = table.listEntities({
    queryOptions: {
      filter: odata`Timestamp lt ${cutoff} and ((PartitionKey ge ${"e_"} and PartitionKey lt ${"e`"}) or (PartitionKey ge ${"u_"} and PartitionKey lt ${"u`"}))`,
      select: ["PartitionKey", "RowKey"],
    },
  });
  let events = 0;
  for await (const row of rows) {
    if (!row.partitionKey || !row.rowKey) continue;
    if ((await deleteRow(table, row.partitionKey, row.rowKey)) && row.partitionKey.startsWith("e_"))
      events += 1;
  }
  return events;
}

function chunksOf<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
