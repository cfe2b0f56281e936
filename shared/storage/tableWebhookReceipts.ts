import type { TableClient } from "@azure/data-tables";
import type { WebhookReceipts } from "../intake/webhookReceipts.js";
import { ensureTable } from "./ensureTable.js";
import { isRestStatus } from "./isRestStatus.js";

/** The table holding one receipt per sender and webhook event id (a constant, like the queue pipeline's own tables). */
export const webhookReceiptsTable = "WebhookReceipts";

interface ReceiptEntity {
  partitionKey: string;
  rowKey: string;
  state: "pending" | "enqueued";
  receivedAt: string;
  enqueuedAt?: string;
}

const receiptRow = "receipt";

/**
 * Receipts in Azure Table storage: one row per sender and event id; creating an existing row (409) means "seen
 * before". Each receipt is its own partition, so deliveries never contend for one.
 */
export class TableWebhookReceipts implements WebhookReceipts {
  /** Creates the table on first use, or finds it there when this identity may not create tables (ensureTable). */
  readonly #ensureTable: () => Promise<void>;

  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#ensureTable = ensureTable(table);
  }

  async claim(scope: string, eventId: string): Promise<"new" | "duplicate"> {
    await this.#ensureTable();
    const partitionKey = toPartitionKey(scope, eventId);
    try {
      await this.table.createEntity<ReceiptEntity>({
        partitionKey,
        rowKey: receiptRow,
        state: "pending",
        receivedAt: this.now().toISOString(),
      });
      return "new";
    } catch (err) {
      if (!isRestStatus(err, 409)) throw err;
    }
    // Seen before. Only an enqueued receipt makes this a duplicate: a pending one is a delivery whose enqueue
    // failed or is still running, and queueing it again is safe because the pipeline is idempotent by eventId.
    const existing = await this.table.getEntity<ReceiptEntity>(partitionKey, receiptRow);
    return existing.state === "enqueued" ? "duplicate" : "new";
  }

  async markEnqueued(scope: string, eventId: string): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: toPartitionKey(scope, eventId),
        rowKey: receiptRow,
        state: "enqueued",
        enqueuedAt: this.now().toISOString(),
      },
      "Merge",
    );
  }
}

/**
 * Table keys may not hold `/ \ # ?` or control characters: base64url keeps any scope and event id safe and
 * distinct, and `.` (not in the base64url alphabet) separates them unambiguously.
 */
function toPartitionKey(scope: string, eventId: string): string {
  return `r_${Buffer.from(scope, "utf8").toString("base64url")}.${Buffer.from(eventId, "utf8").toString("base64url")}`;
}
