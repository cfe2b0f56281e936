/**
 * What one counter names: whose use is counted (`reads:<object id>`, `events:webhook:hr/events#1a2b3c4d`) and how
 * long its window is. A changed window length is another counter, so a new setting never inherits an old count.
 */
export interface CounterKey {
  subject: string;
  windowSeconds: number;
}

/** A counter as stored: the window it counts (epoch ms of its start) and how much was taken in it. */
export interface CounterRow {
  windowStart: number;
  count: number;
}

/** A counter as loaded: its row (undefined before the first use) and the version a save must still find. */
export interface CounterReading {
  row: CounterRow | undefined;
  /** The store's version of the row (a Table ETag); undefined when there is no row yet. */
  version: string | undefined;
}

/**
 * Where the use limits keep their counters, so every instance of the app counts into the same ones: a limit each
 * instance kept alone would let N instances allow N times the limit. The store only loads and saves on a version
 * (optimistic concurrency); the decision what a row may become is the limiter's (shared/http/windowLimiter.ts),
 * the same over every store.
 */
export interface CounterStore {
  load(key: CounterKey): Promise<CounterReading>;
  /**
   * Saves `row` if the stored row is still at `version` (undefined: if there is still no row); `conflict` when
   * another instance saved first, and the caller loads again. Throws when the store cannot be reached.
   */
  save(key: CounterKey, row: CounterRow, version: string | undefined): Promise<"saved" | "conflict">;
}
