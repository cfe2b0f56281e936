import { RestError, type TableClient } from "@azure/data-tables";
import type { QueueClient } from "@azure/storage-queue";
import { outcomeEventRowsFilter } from "../../../shared/storage/outcomeTableRowOf.js";
import { isFinalStatus, type OutcomeStatus, outcomeStatuses } from "../../../shared/sync/outcome.js";

/** Number of events with a final record in the outcome table (0 before the table exists). */
export async function countFinal(table: TableClient): Promise<number> {
  let finals = 0;
  const rows = table.listEntities<{ status?: string }>({
    queryOptions: { filter: outcomeEventRowsFilter, select: ["status"] },
  });
  try {
    for await (const row of rows) {
      if (row.status && row.status !== "processing" && isFinalStatus(row.status as OutcomeStatus))
        finals += 1;
    }
  } catch (err) {
    if (err instanceof RestError && err.statusCode === 404) return 0;
    throw err;
  }
  return finals;
}

/** Messages on a queue, visible or not (0 when it doesn't exist). */
export async function queueLength(queue: QueueClient): Promise<number> {
  if (!(await queue.exists())) return 0;
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

const outcomeLine = new RegExp(`^\\[onboardingQueue\\] (\\S+) (${outcomeStatuses.join("|")}) `);

/**
 * Follows the queue function's log (one `<eventId> <status> …` line per event it settles) to count the events
 * with a final outcome. Progress is read from the log rather than by scanning the outcome table every second:
 * Azurite answers such scans single-threaded and would slow the run it measures. The table is checked in full
 * once the run has settled.
 */
export class FinalOutcomeTracker {
  readonly #finals = new Set<string>();
  #read = 0;

  constructor(private readonly lines: readonly string[]) {}

  /** Events seen settling with a final status so far. */
  get count(): number {
    for (; this.#read < this.lines.length; this.#read += 1) {
      const match = outcomeLine.exec(this.lines[this.#read] ?? "");
      if (match?.[1] && isFinalStatus(match[2] as OutcomeStatus)) this.#finals.add(match[1]);
    }
    return this.#finals.size;
  }
}

/**
 * Waits until `expected` events have settled and the queue is empty (duplicates and retries drained), printing
 * progress every 15 s. Throws with the counts when `timeoutMs` passes first.
 */
export async function waitUntilSettled(options: {
  finals: () => number | Promise<number>;
  queue: QueueClient;
  expected: number;
  timeoutMs: number;
  label: string;
  pollMs?: number;
}): Promise<void> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const finals = await options.finals();
    const queued = finals >= options.expected ? await queueLength(options.queue) : undefined;
    if (finals >= options.expected && queued === 0) return;
    const now = Date.now();
    if (now - started > options.timeoutMs) {
      throw new Error(
        `${options.label}: not settled after ${Math.round(options.timeoutMs / 1000)} s: ${finals}/${options.expected} final, ${queued ?? "?"} queued`,
      );
    }
    if (now - lastReport >= 15_000) {
      lastReport = now;
      console.log(
        `[reliability] ${options.label}: ${finals}/${options.expected} final, ${Math.round((now - started) / 1000)} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
