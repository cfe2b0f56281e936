import type { TableClient } from "@azure/data-tables";
import type { CounterKey, CounterReading, CounterRow, CounterStore } from "../sync/counterStore.js";
import { ensureTable } from "./ensureTable.js";
import { isRestStatus } from "./isRestStatus.js";

/** The table holding the use limits' counters (a constant, like the webhook receipts' table). */
export const usageCountersTable = "UsageCounters";

interface CounterEntity {
  partitionKey: string;
  rowKey: string;
  /** The subject in plain text, for an operator reading the table (the key is its base64url). */
  subject: string;
  windowStart: number;
  count: number;
}

/**
 * The counters in Azure Table storage, one row per subject and window length, rewritten as windows pass (so the
 * table holds one row per caller or sender, never one per minute, and needs no sweeping). Saves are conditional
 * on the row's ETag, so instances that count at the same moment never overwrite each other's count.
 */
export class TableCounterStore implements CounterStore {
  /** Creates the table on first use, or finds it there when this identity may not create tables (ensureTable). */
  readonly #ensureTable: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.#ensureTable = ensureTable(table);
  }

  async load(key: CounterKey): Promise<CounterReading> {
    const { partitionKey, rowKey } = keysOf(key);
    try {
      const entity = await this.table.getEntity<CounterEntity>(partitionKey, rowKey);
      return {
        row: { windowStart: Number(entity.windowStart), count: Number(entity.count) },
        version: entity.etag,
      };
    } catch (err) {
      // 404: no row yet, or no table yet (created on the first save).
      if (isRestStatus(err, 404)) return { row: undefined, version: undefined };
      throw err;
    }
  }

  async save(key: CounterKey, row: CounterRow, version: string | undefined): Promise<"saved" | "conflict"> {
    const entity: CounterEntity = { ...keysOf(key), subject: key.subject, ...row };
    try {
      if (version === undefined) {
        await this.#ensureTable();
        await this.table.createEntity(entity);
      } else {
        await this.table.updateEntity(entity, "Replace", { etag: version });
      }
      return "saved";
    } catch (err) {
      // 409: another instance created the row first; 412: it saved since our load; 404: the row was deleted.
      if (isRestStatus(err, 409, 412, 404)) return "conflict";
      throw err;
    }
  }
}

/**
 * Table keys may not hold `/ \ # ?` or control characters, and subjects do (`events:webhook:hr/events#1a2b`):
 * base64url keeps every subject safe and distinct.
 */
function keysOf(key: CounterKey): { partitionKey: string; rowKey: string } {
  return {
    partitionKey: `c_${Buffer.from(key.subject, "utf8").toString("base64url")}`,
    rowKey: `per-${key.windowSeconds}s`,
  };
}
