import type { LimiterClock } from "./writeLimiter.js";

export interface RequestBudgetOptions {
  /** Requests per window to start with (Graph's reports limit: 5 per 10 s per app and tenant). */
  requests: number;
  windowMs: number;
  /**
   * The most requests per window the budget may learn its way up to; absent or equal to `requests` = fixed.
   * Learning: each request Graph answers without a 429 raises the rate by one and frees its token (the calls in
   * flight double per round trip, as in TCP's slow start) until the first 429; after it, the rate grows by one per
   * rate's worth of answers. A 429 halves the rate, never below `requests`.
   */
  max?: number;
}

/**
 * A budget counted in requests (Graph's reports limits, and the app's authentication-methods budget): a token
 * bucket of `rate` requests per window, paused by a 429 that names it. Per process: these calls are few beside the
 * directory's, and each process learns the methods' limit from its own answers.
 */
export class RequestBudget {
  private rate: number;
  private tokens: number;
  private at: number;
  private threshold = Number.POSITIVE_INFINITY;
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly floor: number;
  private readonly max: number;
  private readonly windowMs: number;

  constructor(
    options: RequestBudgetOptions,
    private readonly clock: LimiterClock,
  ) {
    if (!(options.requests >= 1) || !(options.windowMs > 0)) {
      throw new RangeError("A request budget needs at least 1 request per positive window");
    }
    this.floor = options.requests;
    this.max = Math.max(options.requests, options.max ?? options.requests);
    this.windowMs = options.windowMs;
    this.rate = options.requests;
    this.tokens = options.requests;
    this.at = clock.now();
  }

  /** Requests per window allowed now (learnt). */
  current(): number {
    return this.rate;
  }

  /** Waits until `count` requests may go (none while paused), then takes them; callers go in arrival order. */
  acquire(count = 1): Promise<void> {
    if (!(count > 0)) return Promise.resolve();
    const turn = this.queue.then(async () => {
      for (;;) {
        const now = this.clock.now();
        if (this.pausedUntil > now) {
          await this.clock.sleep(this.pausedUntil - now);
          continue;
        }
        this.refill(now);
        // A `$batch` may carry more items than the rate: it waits for a full bucket and leaves a debt.
        const wanted = Math.min(count, this.rate);
        if (this.tokens + 1e-9 >= wanted) {
          this.tokens -= count;
          return;
        }
        await this.clock.sleep(Math.max(0.01, ((wanted - this.tokens) * this.windowMs) / this.rate));
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Graph answered one request of this budget without a 429: a learning budget grows. */
  answered(): void {
    if (this.rate >= this.max) return;
    const step = this.rate < this.threshold ? 1 : 1 / this.rate;
    this.rate = Math.min(this.max, this.rate + step);
    // In slow start an answer frees its own token and the new room at once, as an acknowledgement widens a TCP
    // window: the calls in flight double each round trip until Graph first says 429.
    if (this.rate < this.threshold) this.tokens = Math.min(this.rate, this.tokens + 1 + step);
  }

  /** A 429 naming this budget: pause for its Retry-After; a learning budget halves its rate. */
  backOff(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + Math.max(0, ms));
    if (this.max > this.floor) {
      this.threshold = Math.max(this.floor, this.rate / 2);
      this.rate = this.threshold;
      this.tokens = Math.min(this.tokens, this.rate);
    }
  }

  /** Until when (clock time) the budget is paused; 0 or past when not. */
  pausedUntilTime(): number {
    return this.pausedUntil;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.at);
    this.tokens = Math.min(this.rate, this.tokens + (elapsed * this.rate) / this.windowMs);
    this.at = now;
  }
}
