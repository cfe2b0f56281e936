import type { BucketShape, SharedWriteBudget } from "../directory/sharedWriteBudget.js";
import { realSleep } from "./realSleep.js";

/** Time source for the limiter; tests pass a fake or rely on small windows. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface WriteLimiterOptions {
  /** The bucket's capacity: writes that may go at once (Graph: 3,000 per app and tenant). */
  budget: number;
  /** Time in ms to refill a whole bucket (Graph: 150 s, i.e. 20 writes/s). */
  windowMs: number;
  clock?: LimiterClock;
  /**
   * Called with each grant (count, clock time, and how long the caller waited for it in ms): a hook for metrics
   * and for tests to audit the pacing.
   */
  onGrant?: (count: number, at: number, waitedMs: number) => void;
  /** Called on each `backOff`, i.e. each 429 Graph answered (a request or a `$batch` item): a hook for metrics. */
  onBackOff?: (ms: number) => void;
  /**
   * The fleet's bucket (Table storage in Azure): when given, this process takes its tokens from it in small
   * leases, so all processes together stay inside one bucket. Without it the process has the bucket to itself.
   */
  shared?: SharedWriteBudget;
  /** Tokens taken from the shared bucket at a time; default 1/50 of the budget (60 of Graph's 3,000), at least 1. */
  leaseSize?: number;
  /**
   * The share of the bucket a process uses on its own while the shared bucket can't be reached (storage down):
   * never the whole budget, since other processes may still be writing. Default 1/10.
   */
  fallbackShare?: number;
  /**
   * Tokens of the first burst held back, so the jitter between a write leaving and Graph counting it (new
   * connections, uneven latency) can't bunch arrivals past Graph's bucket. Default 0; the app keeps 2%.
   */
  reserve?: number;
  /** Receives one line when the process falls back to its own share and when it gets the shared bucket back. */
  log?: (line: string) => void;
  /**
   * Graph's resource-unit budget for reads (per app and tenant: 8,000 per 10 s for a large tenant). Reads take
   * their documented cost from it; absent = reads are not paced (they only wait out a 429's pause).
   */
  readUnits?: { capacity: number; windowMs: number };
  /** Epoch time for the shared bucket's pause (tests move it with the clock). */
  epochNow?: () => number;
}

const realClock: LimiterClock = {
  // performance.now() is monotonic: a wall-clock jump must not release or freeze a burst of writes.
  now: () => performance.now(),
  sleep: realSleep,
};

/** The resource-unit bucket for reads: `tokens` may sit below zero after reads that went first. */
interface ReadBucket {
  capacity: number;
  windowMs: number;
  tokens: number;
  at: number;
}

/** Refills the read bucket for the time since its last refill, up to its capacity. */
function refillReads(bucket: ReadBucket, now: number): void {
  bucket.tokens = Math.min(
    bucket.capacity,
    bucket.tokens + ((now - bucket.at) * bucket.capacity) / bucket.windowMs,
  );
  bucket.at = now;
}

/** How long a process keeps to its fallback share before it tries the shared bucket again. */
const fallbackRetryMs = 30_000;

/**
 * Paces Graph writes the way Graph counts them: a token bucket per app and tenant (Microsoft's throttling limits,
 * "Identity and access service limits": throttling is based on a token bucket). A burst up to the capacity goes at
 * once and the rest flows at the refill rate (`budget` per `windowMs`). A 429 pauses every write — of this process
 * and, with a shared bucket, of the fleet — until its Retry-After has passed. Callers are served in arrival order.
 */
export class WriteLimiter {
  readonly budget: number;
  readonly windowMs: number;
  private readonly clock: LimiterClock;
  private readonly onGrant: ((count: number, at: number, waitedMs: number) => void) | undefined;
  private readonly onBackOff: ((ms: number) => void) | undefined;
  private readonly shared: SharedWriteBudget | undefined;
  private readonly leaseSize: number;
  private readonly fallbackShare: number;
  private readonly log: (line: string) => void;
  private readonly epochNow: () => number;
  /** The burst this process allows itself: the budget less the reserve. */
  private readonly capacity: number;
  /** Tokens this process holds: the whole bucket when alone, leased tokens with a shared bucket. */
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  /** While set (clock time), the shared bucket is out of reach and the process keeps to its fallback share. */
  private fallbackUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly readBucket: ReadBucket | undefined;
  private readQueue: Promise<void> = Promise.resolve();
  private counters = { granted: 0, backOffs: 0, eased: 0 };

  constructor(options: WriteLimiterOptions) {
    if (!Number.isInteger(options.budget) || options.budget < 1) {
      throw new RangeError("WriteLimiter budget must be a positive integer");
    }
    if (!(options.windowMs > 0)) throw new RangeError("WriteLimiter windowMs must be positive");
    this.budget = options.budget;
    this.windowMs = options.windowMs;
    this.clock = options.clock ?? realClock;
    this.onGrant = options.onGrant;
    this.onBackOff = options.onBackOff;
    this.shared = options.shared;
    this.leaseSize = Math.max(1, Math.min(this.budget, options.leaseSize ?? Math.floor(this.budget / 50)));
    this.fallbackShare = Math.min(1, Math.max(0, options.fallbackShare ?? 0.1));
    this.log = options.log ?? (() => undefined);
    this.epochNow = options.epochNow ?? (() => Date.now());
    const reserve = Math.min(this.budget - 1, Math.max(0, options.reserve ?? 0));
    this.capacity = this.budget - reserve;
    this.tokens = this.shared ? 0 : this.capacity;
    this.refilledAt = this.clock.now();
    this.readBucket = options.readUnits
      ? { ...options.readUnits, tokens: options.readUnits.capacity, at: this.refilledAt }
      : undefined;
  }

  /** The shared bucket this limiter draws from: its burst (budget less reserve), Graph's refill rate. */
  private bucketShape(): BucketShape {
    return { capacity: this.capacity, refill: this.budget, windowMs: this.windowMs };
  }

  /**
   * Waits until `units` resource units of reads may go (Graph's documented cost of the request), then takes them.
   * Reads wait out a 429's pause too. Without a read budget only the pause applies.
   */
  acquireReads(units: number, first = false): Promise<void> {
    const bucket = this.readBucket;
    if (!bucket || !(units > 0)) return this.whenUnpaused();
    const cost = Math.min(units, bucket.capacity);
    if (first) return this.takeReadsFirst(bucket, cost);
    const turn = this.readQueue.then(async () => {
      for (;;) {
        await this.whenUnpaused();
        refillReads(bucket, this.clock.now());
        if (bucket.tokens + 1e-9 >= cost) {
          bucket.tokens -= cost;
          return;
        }
        await this.clock.sleep(Math.max(0.01, ((cost - bucket.tokens) * bucket.windowMs) / bucket.capacity));
      }
    });
    this.readQueue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Reads that go before the queue (the privilege picture, which writes wait on): they take their units at once,
   * the balance may go below zero, and the reads queued behind wait that much longer — the budget is kept either way.
   */
  private async takeReadsFirst(bucket: ReadBucket, cost: number): Promise<void> {
    await this.whenUnpaused();
    refillReads(bucket, this.clock.now());
    bucket.tokens -= cost;
  }

  /** Waits until `count` writes may start now, then takes their tokens. `count` must not exceed the budget. */
  acquire(count = 1): Promise<void> {
    if (!Number.isInteger(count) || count < 0 || count > this.budget) {
      return Promise.reject(
        new RangeError(`Cannot take ${count} write tokens from a budget of ${this.budget}`),
      );
    }
    const askedAt = this.clock.now();
    const turn = this.queue.then(() => this.take(count, askedAt));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Pauses every write (and `whenUnpaused` waiter) for `ms`, e.g. a 429's Retry-After; with a shared bucket the
   * whole fleet pauses. Pauses never shorten.
   */
  backOff(ms: number): void {
    this.onBackOff?.(ms);
    if (!(ms > 0)) return;
    this.counters.backOffs += 1;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    // Best effort: a fleet that misses one pause is paced by the bucket and by its own 429s anyway.
    this.shared?.pause(this.epochNow() + ms, this.bucketShape()).catch(() => undefined);
  }

  /**
   * Holds this process's next requests back for `ms` without counting a 429: Graph warned that the app is near a
   * limit. Local only (another process near the limit hears the same warning itself).
   */
  ease(ms: number): void {
    if (!(ms > 0)) return;
    this.counters.eased += 1;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  /** Resolves once no back-off is in force; reads use it so they don't hammer a throttled tenant either. */
  async whenUnpaused(): Promise<void> {
    for (
      let wait = this.pausedUntil - this.clock.now();
      wait > 0;
      wait = this.pausedUntil - this.clock.now()
    ) {
      await this.clock.sleep(wait);
    }
  }

  /** Writes that could start right now without waiting (from the tokens this process holds). */
  available(): number {
    this.refillLocal(this.clock.now());
    return Math.floor(this.tokens);
  }

  /** Totals for logs and tests. */
  stats(): { granted: number; backOffs: number; eased: number; pausedForMs: number } {
    return { ...this.counters, pausedForMs: Math.max(0, this.pausedUntil - this.clock.now()) };
  }

  private async take(count: number, askedAt: number): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const paused = this.pausedUntil - now;
      if (paused > 0) {
        await this.clock.sleep(paused);
        continue;
      }
      this.refillLocal(now);
      // Refill arithmetic is in floating point: a bucket a billionth short of a token has the token.
      if (this.tokens + 1e-9 >= count) {
        this.tokens = Math.max(0, this.tokens - count);
        this.counters.granted += count;
        this.onGrant?.(count, now, Math.max(0, now - askedAt));
        return;
      }
      const wait = this.usesShared(now) ? await this.lease(count) : this.localWait(count);
      if (wait > 0) await this.clock.sleep(Math.max(wait, 0.01));
    }
  }

  /** Alone (or in fallback), the process's own bucket refills continuously; leased tokens don't. */
  private refillLocal(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.refilledAt = now;
    if (this.usesShared(now)) return;
    const share = this.shared ? this.fallbackShare : 1;
    const capacity = Math.max(1, this.capacity * share);
    this.tokens = Math.min(capacity, this.tokens + (elapsed * this.budget * share) / this.windowMs);
  }

  private localWait(count: number): number {
    const share = this.shared ? this.fallbackShare : 1;
    return ((count - this.tokens) * this.windowMs) / (this.budget * share);
  }

  private usesShared(now: number): boolean {
    return this.shared !== undefined && now >= this.fallbackUntil;
  }

  /** Leases tokens from the fleet's bucket; returns how long to wait before trying again (0: try now). */
  private async lease(count: number): Promise<number> {
    const shared = this.shared;
    if (!shared) return 0;
    const wanted = Math.max(this.leaseSize, Math.ceil(count - this.tokens));
    try {
      const grant = await shared.take(wanted, this.bucketShape());
      if (this.fallbackUntil > 0) {
        this.fallbackUntil = 0;
        this.log("write budget: the shared bucket is reachable again");
      }
      this.tokens += grant.granted;
      const pausedFor = grant.pausedUntil - this.epochNow();
      if (pausedFor > 0) this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + pausedFor);
      // Short of tokens, wait until the row holds what this request still lacks (a $batch's writes, not a single
      // write), at most a whole lease: the row refills meanwhile (nothing is lost), N starved processes poll it about
      // N × rate ÷ request size times a second, and the last writes of a run don't wait for a lease they won't use.
      if (this.tokens >= count) return 0;
      const untilEnough = ((count - this.tokens) * this.windowMs) / this.budget;
      return Math.max(1, Math.min(grant.retryInMs, untilEnough));
    } catch (err) {
      // Storage is out of reach: keep writing, but only at a small share, never at the whole budget.
      this.fallbackUntil = this.clock.now() + fallbackRetryMs;
      this.tokens = Math.min(this.tokens, Math.max(1, this.budget * this.fallbackShare));
      this.log(
        `write budget: the shared bucket is unreachable (${err instanceof Error ? err.name : "error"}); using ${Math.round(
          this.fallbackShare * 100,
        )}% of the budget for ${fallbackRetryMs / 1000} s`,
      );
      return 0;
    }
  }
}
