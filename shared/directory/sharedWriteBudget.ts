/**
 * Graph's write bucket for one app and tenant as the fleet keeps it: at most `capacity` tokens, refilled by
 * `refill` tokens every `windowMs` (Graph: 3,000 per 150 s). `capacity` may sit below `refill` — a reserve kept out
 * of the burst — without slowing the refill, which is Graph's.
 */
export interface BucketShape {
  capacity: number;
  refill: number;
  windowMs: number;
  /**
   * The row's name when it is not the write bucket's (`reads-10000`: Graph's resource units, whose capacity a
   * process may learn, so processes that assume different tenant sizes still share one row).
   */
  key?: string;
}

/** What the fleet's bucket answered to one request for tokens. */
export interface BudgetGrant {
  /** Tokens taken now (0 .. wanted). */
  granted: number;
  /** When the rest could be there, in ms from now (0 when everything was granted). */
  retryInMs: number;
  /** Until when (epoch ms) the whole fleet pauses because Graph answered 429; 0 when no pause is in force. */
  pausedUntil: number;
  /**
   * This process may read the fleet's bucket but not write it (a person's sign-in: only the app's identity may
   * write the budget table). Nothing was granted; the caller paces itself on a share of the budget of its own and
   * still honours `pausedUntil`.
   */
  readOnly?: boolean;
}

/**
 * The directory's write budget (and, in a row of its own, its resource-unit budget), shared by every process that writes to the tenant (each Functions instance, the
 * backfill and report CLI): Graph counts writes per app and tenant, so N processes that each paced themselves to
 * the whole budget would together exceed it N times. An adapter keeps the bucket where all of them see it.
 */
export interface SharedWriteBudget {
  /** Takes up to `wanted` tokens from the fleet's bucket (none while the fleet is paused). */
  take(wanted: number, bucket: BucketShape): Promise<BudgetGrant>;
  /** Pauses every process until `untilEpochMs` (a 429's Retry-After); pauses never shorten. A read-only caller's is dropped. */
  pause(untilEpochMs: number, bucket: BucketShape): Promise<void>;
}
