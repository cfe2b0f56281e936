import type { BucketShape, SharedWriteBudget } from "../directory/sharedWriteBudget.js";
import { SharedBucketLink, type SharedBucketLinkOptions } from "./sharedBucketLink.js";
import { sleepUntil } from "./sleepUntil.js";
import type { LimiterClock } from "./writeLimiter.js";

export interface ReadUnitOptions {
  /** Resource units per window the app allows itself (Graph: 3,500 / 5,000 / 8,000 per 10 s by tenant size). */
  capacity: number;
  windowMs: number;
  /**
   * Smaller capacities to step down to, largest first, when Graph answers a 429 naming the resource units
   * (`ResourceUnitLimitExceeded`): the tenant is smaller than assumed. Absent = the capacity is fixed (a setting).
   */
  lowerTiers?: readonly number[];
}

/**
 * Graph's resource-unit budget for one app and tenant (identity and access limits), which every request spends
 * (a write costs 1 unit too). With a shared row (Table storage) the fleet takes its units from one bucket in
 * leases of 1/10 of it (a second of the refill); alone, the process refills its own. Reads that go first (the privilege
 * picture, which writes wait on) take their units at once and leave a debt the reads behind them repay.
 */
export class ReadUnitBudget {
  private capacity: number;
  private readonly log: (line: string) => void;
  private readonly windowMs: number;
  private readonly tiers: number[];
  private tokens: number;
  private at: number;
  private pausedUntil = 0;
  private readonly link: SharedBucketLink;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    options: ReadUnitOptions,
    private readonly clock: LimiterClock,
    private readonly shared: SharedWriteBudget | undefined,
    private readonly epochNow: () => number,
    link: Omit<SharedBucketLinkOptions, "budget">,
  ) {
    this.log = link.log;
    this.link = new SharedBucketLink(shared, clock, epochNow, { ...link, budget: "reads" });
    this.capacity = options.capacity;
    this.windowMs = options.windowMs;
    this.tiers = [...(options.lowerTiers ?? [])].filter((t) => t < options.capacity);
    this.tokens = shared ? 0 : options.capacity;
    this.at = clock.now();
  }

  /** Resource units per window allowed now. */
  current(): number {
    return this.capacity;
  }

  /** The fleet's row: one per window whatever the capacity, so processes that learnt different sizes share it. */
  private shape(): BucketShape {
    return {
      capacity: this.capacity,
      refill: this.capacity,
      windowMs: this.windowMs,
      key: `reads-${this.windowMs}`,
    };
  }

  /** Waits until `units` may go, then takes them; `first` takes them at once (the debt delays those behind). */
  acquire(units: number, first = false): Promise<void> {
    const cost = Math.min(units, this.capacity);
    // Unpaced (no budget given): only a pause is waited out.
    if (!(cost > 0) || !Number.isFinite(this.capacity)) return this.whenUnpaused();
    if (first) {
      return this.whenUnpaused().then(() => {
        this.refillLocal(this.clock.now());
        this.tokens -= cost;
      });
    }
    const turn = this.queue.then(async () => {
      for (;;) {
        await this.whenUnpaused();
        const now = this.clock.now();
        this.refillLocal(now);
        if (this.tokens + 1e-9 >= cost) {
          this.tokens -= cost;
          return;
        }
        const wait = this.link.usesShared(now)
          ? await this.lease(cost)
          : this.link.ownWaitMs(this.localWait(cost), now);
        if (wait > 0) await this.clock.sleep(Math.max(0.01, wait));
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** A 429 naming the resource units: pause (the fleet too) and, when learning, assume the next smaller tenant. */
  backOff(ms: number, learn: boolean): void {
    // The 429s of one burst (a $batch's items) are one finding: a size is stepped down once per pause.
    const fresh = this.pausedUntil <= this.clock.now();
    this.hold(ms);
    this.link.throttled();
    this.shared?.pause(this.epochNow() + ms, this.shape()).catch(() => undefined);
    const next = learn && fresh ? this.tiers.shift() : undefined;
    if (next !== undefined) {
      this.log(
        `read budget: Graph throttled the resource units; assuming ${next} per ${this.windowMs / 1000} s`,
      );
      this.capacity = next;
      this.tokens = Math.min(this.tokens, next);
    }
  }

  /** Holds reads back locally for `ms` (a 429's pause, or Graph saying a limit is overspent). */
  hold(ms: number): void {
    if (ms > 0) this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  /** Until when (clock time) reads are held back; 0 or past when not. */
  pausedUntilTime(): number {
    return this.pausedUntil;
  }

  whenUnpaused(): Promise<void> {
    return sleepUntil(this.clock, () => this.pausedUntil);
  }

  private refillLocal(now: number): void {
    // Only the time on a bucket of its own counts: leased tokens don't refill.
    const elapsed = this.link.ownRefillMs(this.at, now);
    this.at = now;
    if (!(elapsed > 0) && !this.link.refillsOwn(now)) return;
    const share = this.link.share();
    const room = this.capacity * share;
    // A debt (first reads) is repaid by the refill; the balance never refills past the room.
    this.tokens = Math.min(
      Math.max(room, this.tokens),
      this.tokens + (elapsed * this.capacity * share) / this.windowMs,
    );
  }

  private localWait(cost: number): number {
    return ((cost - this.tokens) * this.windowMs) / (this.capacity * this.link.share());
  }

  /** Leases units from the fleet's row; returns how long to wait before trying again. */
  private async lease(cost: number): Promise<number> {
    // A second of the refill at a time: every read waits on the lease in front of it, so a lease must outlast the
    // storage round trips it costs (the writes' 1/50 would make storage latency, not Graph, bound the reads).
    const wanted = Math.max(Math.ceil(this.capacity / 10), Math.ceil(cost - this.tokens));
    const lease = await this.link.lease(wanted, this.shape());
    this.tokens += lease.granted;
    if (lease.pausedForMs > 0) this.hold(lease.pausedForMs);
    if (lease.local) {
      this.tokens = Math.min(this.tokens, this.capacity * this.link.share());
      return 0;
    }
    if (this.tokens >= cost) return 0;
    const untilEnough = ((cost - this.tokens) * this.windowMs) / this.capacity;
    return Math.max(1, Math.min(lease.retryInMs, untilEnough));
  }
}
