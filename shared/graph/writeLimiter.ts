import type { BucketShape, SharedWriteBudget } from "../directory/sharedWriteBudget.js";
import type { RowDistrust } from "./fleetPauseGuard.js";
import type { GraphBudgetName } from "./graphService.js";
import { ReadUnitBudget, type ReadUnitOptions } from "./readUnitBudget.js";
import { realSleep } from "./realSleep.js";
import { RequestBudget, type RequestBudgetOptions } from "./requestBudget.js";
import { SharedBucketLink, type SharedBudgetName } from "./sharedBucketLink.js";
import { sleepUntil } from "./sleepUntil.js";

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
   * The share of the bucket a process paces itself on when it may read the shared bucket but not write it (a
   * person's sign-in running the CLI: only the app's identity may write the budget table). Default 1/2: the app's
   * processes keep the other half, and their 429s reach this process through the row's pause it can still read.
   */
  readOnlyShare?: number;
  /**
   * How long the shared bucket's pause, or a shared bucket granting no token, may hold this process while Graph
   * answers it no 429 of its own; past it the process paces on its fallback share instead (`FleetPauseGuard`).
   * Default 15 minutes.
   */
  pauseTrustMs?: number;
  /**
   * Called at each visit to a shared bucket not believed (its pause, `paused`, or its granting nothing, `starved`,
   * held this process past `pauseTrustMs`): a hook for metrics.
   */
  onPauseDistrusted?: (budget: SharedBudgetName, heldMs: number, why: RowDistrust) => void;
  /**
   * Tokens of the first burst held back, so the jitter between a write leaving and Graph counting it (new
   * connections, uneven latency) can't bunch arrivals past Graph's bucket. Default 0; the app keeps 2%.
   */
  reserve?: number;
  /** Receives one line when the process falls back to its own share and when it gets the shared bucket back. */
  log?: (line: string) => void;
  /**
   * Graph's resource-unit budget (per app and tenant: 3,500 / 5,000 / 8,000 per 10 s by tenant size). Every request
   * takes its documented cost from it, shared by the fleet like the writes when `shared` is given; `lowerTiers`
   * lets a 429 naming the resource units step it down. Absent = not paced (only a 429's pause is waited out).
   */
  readUnits?: ReadUnitOptions;
  /** Graph's identity and access reports limit (5 requests per 10 s per app and tenant); absent = not paced. */
  reports?: RequestBudgetOptions;
  /** The authentication-method calls' own budget (see `graphService`); absent = not paced. */
  methods?: RequestBudgetOptions;
  /** Epoch time for the shared bucket's pause (tests move it with the clock). */
  epochNow?: () => number;
}

/**
 * The share of the budget a sign-in that may only read the fleet's bucket paces on (`readOnlyShare`'s default):
 * the app's processes keep the rest.
 */
export const defaultReadOnlyShare = 0.5;

const realClock: LimiterClock = {
  // performance.now() is monotonic: a wall-clock jump must not release or freeze a burst of writes.
  now: () => performance.now(),
  sleep: realSleep,
};

/**
 * Paces Graph writes the way Graph counts them: a token bucket per app and tenant (Microsoft's throttling limits,
 * "Identity and access service limits": throttling is based on a token bucket). A burst up to the capacity goes at
 * once and the rest flows at the refill rate (`budget` per `windowMs`). A 429 naming the writes pauses every write —
 * of this process and, with a shared bucket, of the fleet — until its Retry-After has passed. Callers are served in
 * arrival order. It also holds Graph's other budgets (resource units, reports, authentication methods), so one
 * object per process carries them all; a 429 pauses only the budget it names.
 */
export class WriteLimiter {
  readonly budget: number;
  readonly windowMs: number;
  private readonly clock: LimiterClock;
  private readonly onGrant: ((count: number, at: number, waitedMs: number) => void) | undefined;
  private readonly onBackOff: ((ms: number) => void) | undefined;
  private readonly shared: SharedWriteBudget | undefined;
  private readonly leaseSize: number;
  /** The way to the fleet's bucket: leasing, on an own share for a while, or read-only. */
  private readonly link: SharedBucketLink;
  private readonly epochNow: () => number;
  /** The burst this process allows itself: the budget less the reserve. */
  private readonly capacity: number;
  /** Tokens this process holds: the whole bucket when alone, leased tokens with a shared bucket. */
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly reads: ReadUnitBudget;
  private readonly readUnitsLearn: boolean;
  private readonly requests: Partial<Record<"reports" | "methods", RequestBudget>>;
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
    const log = options.log ?? (() => undefined);
    this.epochNow = options.epochNow ?? (() => Date.now());
    const shares = {
      fallbackShare: Math.min(1, Math.max(0, options.fallbackShare ?? 0.1)),
      readOnlyShare: Math.min(1, Math.max(0, options.readOnlyShare ?? defaultReadOnlyShare)),
      ...(options.pauseTrustMs !== undefined ? { pauseTrustMs: options.pauseTrustMs } : {}),
      ...(options.onPauseDistrusted ? { onPauseDistrusted: options.onPauseDistrusted } : {}),
      log,
    };
    this.link = new SharedBucketLink(this.shared, this.clock, this.epochNow, { budget: "writes", ...shares });
    const reserve = Math.min(this.budget - 1, Math.max(0, options.reserve ?? 0));
    this.capacity = this.budget - reserve;
    this.tokens = this.shared ? 0 : this.capacity;
    this.refilledAt = this.clock.now();
    // Unpaced reads still wait out a pause: an unbounded bucket.
    this.reads = new ReadUnitBudget(
      options.readUnits ?? { capacity: Number.POSITIVE_INFINITY, windowMs: 10_000 },
      this.clock,
      options.readUnits ? this.shared : undefined,
      this.epochNow,
      shares,
    );
    this.readUnitsLearn = (options.readUnits?.lowerTiers?.length ?? 0) > 0;
    this.requests = {
      ...(options.reports ? { reports: new RequestBudget(options.reports, this.clock) } : {}),
      ...(options.methods ? { methods: new RequestBudget(options.methods, this.clock) } : {}),
    };
  }

  /** The budgets' sizes now (the resource units and the methods' are learnt): for logs and tests. */
  limits(): { readUnits: number; reports?: number; methods?: number } {
    return {
      readUnits: this.reads.current(),
      ...(this.requests.reports ? { reports: this.requests.reports.current() } : {}),
      ...(this.requests.methods ? { methods: this.requests.methods.current() } : {}),
    };
  }

  /** Waits until `count` requests of a budget counted in requests may go (no budget: at once). */
  acquireRequests(budget: "reports" | "methods", count = 1): Promise<void> {
    return this.requests[budget]?.acquire(count) ?? Promise.resolve();
  }

  /** Graph answered a request of that budget without a 429: a learning budget grows. */
  answered(budget: "reports" | "methods"): void {
    this.requests[budget]?.answered();
  }

  /**
   * Visits the fleet's bucket once, taking nothing, so a run says up front how it is paced (`log`): from the fleet's
   * bucket, on its own share because it may only read it (a person's sign-in), or on a fallback share.
   */
  async checkShared(): Promise<void> {
    if (!this.shared) return;
    const { pausedForMs } = await this.link.lease(0, this.bucketShape());
    if (pausedForMs > 0) this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + pausedForMs);
  }

  /** The shared bucket this limiter draws from: its burst (budget less reserve), Graph's refill rate. */
  private bucketShape(): BucketShape {
    return { capacity: this.capacity, refill: this.budget, windowMs: this.windowMs };
  }

  /**
   * Waits until `units` resource units may go (Graph's documented cost of the request), then takes them. `first`:
   * reads that go before the queue (the privilege picture, which writes wait on) take them at once.
   */
  acquireReads(units: number, first = false): Promise<void> {
    return this.reads.acquire(units, first);
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
   * A 429's Retry-After: pauses the budget it names for `ms` — `writes` every write (and `whenUnpaused` waiter), with
   * a shared bucket the whole fleet's; `reads` the resource units (which writes spend too); `reports` or `methods`
   * only those calls. Unnamed: reads and writes, as a 429 of the identity service whose limit is unknown. Pauses
   * never shorten.
   */
  backOff(ms: number, budget?: GraphBudgetName): void {
    this.onBackOff?.(ms);
    if (!(ms > 0)) return;
    this.counters.backOffs += 1;
    if (budget === "reports" || budget === "methods") {
      this.requests[budget]?.backOff(ms);
      return;
    }
    if (budget !== "writes") this.reads.backOff(ms, this.readUnitsLearn && budget === "reads");
    if (budget === "reads") return;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    this.link.throttled();
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
    this.reads.hold(ms);
  }

  /** Resolves once no back-off is in force; reads use it so they don't hammer a throttled tenant either. */
  whenUnpaused(): Promise<void> {
    return sleepUntil(this.clock, () => this.pausedUntil);
  }

  /** Writes that could start right now without waiting (from the tokens this process holds). */
  available(): number {
    this.refillLocal(this.clock.now());
    return Math.floor(this.tokens);
  }

  /** Totals for logs and tests. */
  stats(): {
    granted: number;
    backOffs: number;
    eased: number;
    /** The longer of the writes' and the resource units' pauses left, in ms. */
    pausedForMs: number;
    /** Each budget's pause left, in ms. */
    paused: Record<GraphBudgetName, number>;
  } {
    const now = this.clock.now();
    const left = (until: number | undefined) => Math.max(0, (until ?? 0) - now);
    const paused = {
      writes: left(this.pausedUntil),
      reads: left(this.reads.pausedUntilTime()),
      reports: left(this.requests.reports?.pausedUntilTime()),
      methods: left(this.requests.methods?.pausedUntilTime()),
    };
    return { ...this.counters, pausedForMs: Math.max(paused.writes, paused.reads), paused };
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
      const wait = this.link.usesShared(now)
        ? await this.lease(count)
        : this.link.ownWaitMs(this.localWait(count), now);
      if (wait > 0) await this.clock.sleep(Math.max(wait, 0.01));
    }
  }

  /** Alone (or on its own share), the process's own bucket refills continuously; leased tokens don't. */
  private refillLocal(now: number): void {
    // Only the time on a bucket of its own counts: leased tokens don't refill.
    const elapsed = this.link.ownRefillMs(this.refilledAt, now);
    this.refilledAt = now;
    if (!(elapsed > 0) && !this.link.refillsOwn(now)) return;
    const share = this.link.share();
    const capacity = Math.max(1, this.capacity * share);
    this.tokens = Math.min(capacity, this.tokens + (elapsed * this.budget * share) / this.windowMs);
  }

  private localWait(count: number): number {
    return ((count - this.tokens) * this.windowMs) / (this.budget * this.link.share());
  }

  /** Leases tokens from the fleet's bucket; returns how long to wait before trying again (0: try now). */
  private async lease(count: number): Promise<number> {
    const wanted = Math.max(this.leaseSize, Math.ceil(count - this.tokens));
    const lease = await this.link.lease(wanted, this.bucketShape());
    this.tokens += lease.granted;
    if (lease.pausedForMs > 0)
      this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + lease.pausedForMs);
    if (lease.local) {
      // On its own share from now: never more in hand than that share's burst.
      this.tokens = Math.min(this.tokens, Math.max(1, this.budget * this.link.share()));
      return 0;
    }
    // Short of tokens, wait until the row holds what this request still lacks (a $batch's writes, not a single
    // write), at most a whole lease: the row refills meanwhile (nothing is lost), N starved processes poll it about
    // N × rate ÷ request size times a second, and the last writes of a run don't wait for a lease they won't use.
    if (this.tokens >= count) return 0;
    const untilEnough = ((count - this.tokens) * this.windowMs) / this.budget;
    return Math.max(1, Math.min(lease.retryInMs, untilEnough));
  }
}
