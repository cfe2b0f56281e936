import type { TableClient } from "@azure/data-tables";
import type { BucketShape, BudgetGrant, SharedWriteBudget } from "../directory/sharedWriteBudget.js";
import { ensureTable } from "./ensureTable.js";
import { isRestStatus } from "./isRestStatus.js";

/** The table holding the fleet's write bucket and resource-unit bucket (a row each), on the app's storage account. */
export const writeBudgetTable = "GraphWriteBudget";

interface BucketRow {
  partitionKey: string;
  rowKey: string;
  /** Tokens left at `updatedAt`; refilled continuously from there. */
  tokens: number;
  /** Epoch ms of the last change. */
  updatedAt: number;
  /** Epoch ms until which the fleet pauses (a 429's Retry-After); 0 when none. */
  pausedUntil: number;
}

/**
 * One row per bucket shape: a changed GRAPH_WRITE_BUDGET or window starts a fresh bucket instead of inheriting one.
 * A named bucket (the resource units') keeps its row whatever its capacity.
 */
const keyOf = (bucket: BucketShape) => ({
  partitionKey: "graph",
  rowKey: bucket.key ?? `writes-${bucket.capacity}-${bucket.refill}-${bucket.windowMs}`,
});
// Concurrent processes race on the one row; a lost race re-reads and tries again.
const maxAttempts = 8;
/** Longest fleet pause the row holds: Graph's Retry-After is seconds; anything longer is a fault, not a 429. */
const maxPauseMs = 5 * 60_000;
/** How long a refused write (403) makes the row read-only to this process before it tries writing again. */
const readOnlyRecheckMs = 5 * 60_000;
/** How far ahead of this process's clock another process's `updatedAt` may be (clock skew) before it's distrusted. */
const maxSkewMs = 60_000;

/**
 * Graph's write bucket for the whole fleet in one Table storage row, updated with ETag optimistic concurrency:
 * each process reads the row, refills it for the time passed, takes a small lease of tokens and writes it back
 * only if nobody else changed it meanwhile (412 → read again). Two table operations per lease, and a lease covers
 * many writes, so the budget costs storage little. Clocks of the processes are Azure's (NTP), so epoch time is
 * good enough for a refill measured in tokens per 50 ms.
 */
export class TableWriteBudget implements SharedWriteBudget {
  /** Creates the table on first use, or finds it there when this identity may not create tables (ensureTable). */
  readonly #ensureTable: () => Promise<void>;
  /** Until when (this process's epoch ms) the row is known to be read-only to this identity. */
  #readOnlyUntil = 0;

  constructor(
    private readonly table: TableClient,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.#ensureTable = ensureTable(table);
  }

  async take(wanted: number, bucket: BucketShape): Promise<BudgetGrant> {
    await this.#ensureTable();
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      const current = await this.read(bucket, now);
      const paused = current.row.pausedUntil > now;
      if (this.readOnly(now))
        return {
          granted: 0,
          retryInMs: 0,
          pausedUntil: paused ? current.row.pausedUntil : 0,
          readOnly: true,
        };
      const tokens = refilled(current.row, bucket, now);
      const granted = paused ? 0 : Math.min(wanted, Math.floor(tokens));
      const row: BucketRow = { ...current.row, tokens: tokens - granted, updatedAt: now };
      if (await this.write(row, current.etag, now)) {
        const missing = wanted - granted - (tokens - granted);
        return {
          granted,
          retryInMs: paused
            ? current.row.pausedUntil - now
            : missing > 0
              ? (missing * bucket.windowMs) / bucket.refill
              : 0,
          pausedUntil: paused ? current.row.pausedUntil : 0,
        };
      }
      if (this.readOnly(now)) continue;
      if (attempt >= maxAttempts) return { granted: 0, retryInMs: 50 * attempt, pausedUntil: 0 };
    }
  }

  async pause(untilEpochMs: number, bucket: BucketShape): Promise<void> {
    await this.#ensureTable();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const now = this.now();
      // A read-only caller's 429 pauses only itself; the app's processes hear Graph's 429s themselves.
      if (this.readOnly(now)) return;
      const current = await this.read(bucket, now);
      const until = Math.min(untilEpochMs, now + maxPauseMs);
      if (current.row.pausedUntil >= until) return;
      if (await this.write({ ...current.row, pausedUntil: until }, current.etag, now)) return;
    }
  }

  /** True while the last write was refused (403): this identity may read the row, not write it. */
  private readOnly(now: number): boolean {
    return now < this.#readOnlyUntil;
  }

  /** The row and its ETag; a missing row is a full bucket (created on the first write, etag undefined). */
  private async read(
    bucket: BucketShape,
    now: number,
  ): Promise<{ row: BucketRow; etag: string | undefined }> {
    const key = keyOf(bucket);
    try {
      const entity = await this.table.getEntity<BucketRow>(key.partitionKey, key.rowKey);
      return {
        row: withinBounds(
          {
            ...key,
            tokens: Number(entity.tokens),
            updatedAt: Number(entity.updatedAt),
            pausedUntil: Number(entity.pausedUntil ?? 0),
          },
          bucket,
          now,
        ),
        etag: entity.etag,
      };
    } catch (err) {
      if (!isRestStatus(err, 404)) throw err;
      return { row: { ...key, tokens: bucket.capacity, updatedAt: now, pausedUntil: 0 }, etag: undefined };
    }
  }

  /**
   * Writes the row if it is unchanged since read (or still absent); false when another process won the race, or
   * when storage refused the write (403: the identity may only read the table; asked again after a while, since a
   * role assignment takes minutes to apply).
   */
  private async write(row: BucketRow, etag: string | undefined, now: number): Promise<boolean> {
    try {
      if (etag === undefined) await this.table.createEntity(row);
      else await this.table.updateEntity(row, "Replace", { etag });
      return true;
    } catch (err) {
      if (isRestStatus(err, 412, 409)) return false;
      if (!isRestStatus(err, 403)) throw err;
      this.#readOnlyUntil = now + readOnlyRecheckMs;
      return false;
    }
  }
}

/**
 * The row as the fleet may trust it. Only the app's identity may write the table in Azure (infra/app/rbac.bicep),
 * but a bug, a clock far off or a role granted too widely could write nonsense; either way the fleet must neither overrun Graph nor stall: tokens within 0..capacity (not a
 * number → 0, refilling from now), `updatedAt` no later than a minute ahead, a pause of at most 5 minutes (a pause written again and again is bounded by each process's own `FleetPauseGuard`).
 */
function withinBounds(row: BucketRow, bucket: BucketShape, now: number): BucketRow {
  const trustedTime = Number.isFinite(row.updatedAt) && row.updatedAt <= now + maxSkewMs;
  const tokens = Number.isFinite(row.tokens) ? Math.min(bucket.capacity, Math.max(0, row.tokens)) : 0;
  return {
    ...row,
    tokens: trustedTime ? tokens : Math.min(tokens, 0),
    updatedAt: trustedTime ? row.updatedAt : now,
    pausedUntil: Number.isFinite(row.pausedUntil) ? Math.min(row.pausedUntil, now + maxPauseMs) : 0,
  };
}

/** The row's tokens refilled for the time since it was written, capped at the capacity. */
function refilled(row: BucketRow, bucket: BucketShape, now: number): number {
  const elapsed = Math.max(0, now - row.updatedAt);
  return Math.min(bucket.capacity, row.tokens + (elapsed * bucket.refill) / bucket.windowMs);
}
