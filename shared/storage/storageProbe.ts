import type { TableClient } from "@azure/data-tables";
import type { QueueClient } from "@azure/storage-queue";

/** What one read of a queue or table found; nothing is created or changed. */
export type StorageReach =
  | { state: "exists" }
  | { state: "absent" }
  | { state: "refused"; status: number; code?: string | undefined }
  | { state: "unreachable"; reason: string };

/** Reads the queue's properties: it exists, is absent (created on first use), or storage refused or didn't answer. */
export async function probeQueue(queue: QueueClient, timeoutMs = 10_000): Promise<StorageReach> {
  try {
    await queue.getProperties({ abortSignal: AbortSignal.timeout(timeoutMs) });
    return { state: "exists" };
  } catch (err) {
    return reachOf(err);
  }
}

/** Reads at most one entity of the table, with the same verdicts as `probeQueue`. */
export async function probeTable(table: TableClient, timeoutMs = 10_000): Promise<StorageReach> {
  try {
    const pages = table
      .listEntities({
        queryOptions: { select: ["PartitionKey"] },
        abortSignal: AbortSignal.timeout(timeoutMs),
      })
      .byPage({ maxPageSize: 1 });
    await pages.next();
    return { state: "exists" };
  } catch (err) {
    return reachOf(err);
  }
}

/** Whether this identity may write a table: known either way, or `unknown` (storage answered something else). */
export type TableWriteReach = "writable" | "readOnly" | "unknown";

/** The row the write probe addresses: no adapter reads or writes this partition, and it is never created. */
export const writeProbeKeys = { partitionKey: "doctor", rowKey: "write-probe" } as const;

/**
 * Asks whether this identity may write the table without writing anything: a merge of nothing into a row that is
 * not there, on the condition that it is (If-Match: *). Storage authorizes the request before looking for the row,
 * so a reader is refused (403) and a writer is told the row is missing (404); neither creates a row.
 */
export async function probeTableWrite(table: TableClient, timeoutMs = 10_000): Promise<TableWriteReach> {
  try {
    // A probe row someone planted anyway gets a merge of no properties: still nothing written that anyone reads.
    await table.updateEntity({ ...writeProbeKeys }, "Merge", {
      etag: "*",
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    return "writable";
  } catch (err) {
    const { statusCode } = (err ?? {}) as { statusCode?: unknown };
    if (statusCode === 404 || statusCode === 412) return "writable";
    if (statusCode === 403) return "readOnly";
    return "unknown";
  }
}

function reachOf(err: unknown): StorageReach {
  const { statusCode, code } = (err ?? {}) as { statusCode?: unknown; code?: unknown };
  const status = typeof statusCode === "number" ? statusCode : undefined;
  const errorCode = typeof code === "string" ? code : undefined;
  if (status === 404) return { state: "absent" };
  if (status === 401 || status === 403) return { state: "refused", status, code: errorCode };
  if (status !== undefined && status >= 400 && status < 500)
    return { state: "refused", status, code: errorCode };
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
  const reason = status !== undefined ? `HTTP ${status}` : `${errorCode ?? name}: ${message.slice(0, 200)}`;
  return { state: "unreachable", reason };
}
