/** Time source for the limiter; tests pass a fake or rely on small windows. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface WriteLimiterOptions {
  /** Writes allowed in any window (Graph: 3,000 per app and tenant). */
  budget: number;
  /** Window length in ms (Graph: 150 s). */
  windowMs: number;
  clock?: LimiterClock;
  /** Called with each grant (count, clock time): a hook for metrics and for tests to audit the pacing. */
  onGrant?: (count: number, at: number) => void;
}

const realClock: LimiterClock = {
  // performance.now() is monotonic: a wall-clock jump must not release or freeze a burst of writes.
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Paces Graph writes for the whole process: at most `budget` writes start in any sliding window of `windowMs`,
 * and a 429 pauses everyone until its Retry-After has passed. A sliding window is stricter than Graph's token
 * bucket with the same figures, so a lone process that respects it is never throttled for writes.
 * Share one instance per process (see `sharedWriteLimiter`): two limiters would each spend the full budget.
 */
export class WriteLimiter {
  readonly budget: number;
  readonly windowMs: number;
  private readonly clock: LimiterClock;
  private readonly onGrant: ((count: number, at: number) => void) | undefined;
  /** Start times of recent writes, oldest first; entries before `head` have left the window. */
  private started: number[] = [];
  private head = 0;
  private pausedUntil = 0;
  /** Callers queue here so tokens are granted in arrival order and nobody starves. */
  private queue: Promise<void> = Promise.resolve();
  private counters = { granted: 0, backOffs: 0 };

  constructor(options: WriteLimiterOptions) {
    if (!Number.isInteger(options.budget) || options.budget < 1) {
      throw new RangeError("WriteLimiter budget must be a positive integer");
    }
    if (!(options.windowMs > 0)) throw new RangeError("WriteLimiter windowMs must be positive");
    this.budget = options.budget;
    this.windowMs = options.windowMs;
    this.clock = options.clock ?? realClock;
    this.onGrant = options.onGrant;
  }

  /** Waits until `count` writes may start now, then records them. `count` must not exceed the budget. */
  acquire(count = 1): Promise<void> {
    if (!Number.isInteger(count) || count < 0 || count > this.budget) {
      return Promise.reject(
        new RangeError(`Cannot take ${count} write tokens from a budget of ${this.budget}`),
      );
    }
    const turn = this.queue.then(() => this.take(count));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Pauses every write (and `whenUnpaused` waiter) for `ms`, e.g. a 429's Retry-After. Pauses never shorten. */
  backOff(ms: number): void {
    if (!(ms > 0)) return;
    this.counters.backOffs += 1;
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

  /** Writes that could start right now without waiting. */
  available(): number {
    this.prune(this.clock.now());
    return this.budget - (this.started.length - this.head);
  }

  /** Totals for logs and tests. */
  stats(): { granted: number; backOffs: number; pausedForMs: number } {
    return { ...this.counters, pausedForMs: Math.max(0, this.pausedUntil - this.clock.now()) };
  }

  private async take(count: number): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.prune(now);
      const inWindow = this.started.length - this.head;
      const excess = inWindow + count - this.budget;
      // The slot frees when the `excess`-th oldest write leaves the window.
      const slotWait = excess > 0 ? (this.started[this.head + excess - 1] ?? now) + this.windowMs - now : 0;
      const wait = Math.max(slotWait, this.pausedUntil - now);
      if (wait <= 0) {
        for (let i = 0; i < count; i++) this.started.push(now);
        this.counters.granted += count;
        this.onGrant?.(count, now);
        return;
      }
      await this.clock.sleep(wait);
    }
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (
      this.head < this.started.length &&
      (this.started[this.head] ?? Number.POSITIVE_INFINITY) <= cutoff
    ) {
      this.head += 1;
    }
    // Compact now and then so the array stays about one budget long.
    if (this.head > 1024 && this.head * 2 > this.started.length) {
      this.started = this.started.slice(this.head);
      this.head = 0;
    }
  }
}
