/** Throttling knobs; defaults are Graph's identity & access limits. */
export interface ThrottleOptions {
  /** false turns throttling off entirely. */
  enabled?: boolean;
  /** Resource units per window; default by tenant size: 3,500 (<50 users), 5,000 (50–500), 8,000 (>500). */
  resourceUnits?: number;
  /** Resource-unit window in ms; default 10 s. */
  resourceWindowMs?: number;
  /** Writes per window per app and tenant; default 3,000. */
  writeBudget?: number;
  /** Write window in ms; default 150 s. */
  writeWindowMs?: number;
  /**
   * Requests per window per app and tenant to the identity and access reports (the registration report), a
   * budget of their own: default 5, Graph's "Identity and access reports service limits".
   */
  reportRequests?: number;
  /** Report window in ms; default 10 s. */
  reportWindowMs?: number;
}

/** What one request costs. */
export interface RequestCost {
  resourceUnits: number;
  writes: number;
  /** 1 for a request to the identity and access reports, which count against their own budget only. */
  reports?: number;
}

export type ChargeResult =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; retryAfterSeconds: number; headers: Record<string, string> };

/**
 * Graph's published costs (https://learn.microsoft.com/en-us/graph/throttling-limits, "Identity and access service
 * limits"): `baseUnits` is the route's listed base (each route's `cost` in graphRoutes), a write 1 RU + 1 write;
 * `$select` −1, `$expand` +1, `$top` below 20 −1; never below 1.
 */
export function costOf(method: string, baseUnits: number, query: URLSearchParams): RequestCost {
  const top = Number(query.get("$top"));
  const modifier =
    (query.has("$select") ? -1 : 0) +
    (query.has("$expand") ? 1 : 0) +
    (query.has("$top") && Number.isFinite(top) && top < 20 ? -1 : 0);
  const base = method === "GET" ? baseUnits : 1;
  return { resourceUnits: Math.max(1, base + modifier), writes: method === "GET" ? 0 : 1 };
}

/** A token bucket that refills continuously: `capacity` tokens per `windowMs`. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly windowMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / this.windowMs);
    this.last = now;
  }

  /** ms until `amount` tokens are there (0 when they are now). */
  waitFor(amount: number): number {
    const missing = amount - this.tokens;
    return missing <= 0 ? 0 : (missing * this.windowMs) / this.capacity;
  }

  take(amount: number): void {
    this.tokens -= amount;
  }

  /** Share of the budget in use, 0..1+. */
  usedRatio(): number {
    return (this.capacity - this.tokens) / this.capacity;
  }
}

/**
 * The identity & access throttling model: per app and tenant, a resource-unit bucket AND a write bucket. A request
 * is admitted only if both have room; a refused one costs nothing and gets 429 with Retry-After in whole seconds.
 */
export class GraphThrottle {
  private options: Required<Omit<ThrottleOptions, "resourceUnits">> & { resourceUnits: number };
  private resourceBucket!: TokenBucket;
  private writeBucket!: TokenBucket;
  private reportBucket!: TokenBucket;

  constructor(
    options: ThrottleOptions,
    private readonly tenantSize: () => number,
    private readonly now: () => number,
  ) {
    this.options = this.resolve(options);
    this.rebuild();
  }

  /** Changes the limits at runtime; both buckets start full again. */
  configure(options: ThrottleOptions): void {
    this.options = this.resolve({ ...this.options, ...options });
    this.rebuild();
  }

  /** Current limits. */
  limits(): Readonly<ThrottleOptions> {
    return { ...this.options };
  }

  /** Admits the request (taking its cost) or says how long to wait. */
  charge(cost: RequestCost): ChargeResult {
    if ((cost.reports ?? 0) > 0) return this.chargeReport(cost.reports ?? 0);
    const headers: Record<string, string> = { "x-ms-resource-unit": String(cost.resourceUnits) };
    if (!this.options.enabled) return { ok: true, headers };
    const now = this.now();
    this.resourceBucket.refill(now);
    this.writeBucket.refill(now);
    const resourceWait = this.resourceBucket.waitFor(cost.resourceUnits);
    const writeWait = cost.writes > 0 ? this.writeBucket.waitFor(cost.writes) : 0;
    if (resourceWait > 0 || writeWait > 0) {
      const waitMs = Math.max(resourceWait, writeWait);
      headers["x-ms-throttle-information"] =
        writeWait >= resourceWait ? "WriteLimitExceeded" : "ResourceUnitLimitExceeded";
      headers["x-ms-throttle-limit-percentage"] = this.percentage(cost);
      // Graph sends whole seconds; never 0, or clients would spin.
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), headers };
    }
    this.resourceBucket.take(cost.resourceUnits);
    if (cost.writes > 0) this.writeBucket.take(cost.writes);
    const used = Math.max(this.resourceBucket.usedRatio(), this.writeBucket.usedRatio());
    // Graph adds this header only once an app has used more than 80% of a limit.
    if (used > 0.8) headers["x-ms-throttle-limit-percentage"] = used.toFixed(1);
    return { ok: true, headers };
  }

  /**
   * A reports request: its own bucket, apart from the resource-unit and write buckets (Graph lists the reports
   * under a service limit of their own, counted in requests, not resource units).
   */
  private chargeReport(requests: number): ChargeResult {
    if (!this.options.enabled) return { ok: true, headers: {} };
    this.reportBucket.refill(this.now());
    const waitMs = this.reportBucket.waitFor(requests);
    if (waitMs > 0) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), headers: {} };
    }
    this.reportBucket.take(requests);
    return { ok: true, headers: {} };
  }

  private percentage(cost: RequestCost): string {
    const resource = this.resourceBucket.usedRatio() + cost.resourceUnits / this.resourceBucket.capacity;
    const writes = this.writeBucket.usedRatio() + cost.writes / this.writeBucket.capacity;
    return Math.max(resource, writes).toFixed(1);
  }

  private resolve(options: ThrottleOptions) {
    return {
      enabled: options.enabled ?? true,
      resourceUnits: options.resourceUnits ?? defaultResourceUnits(this.tenantSize()),
      resourceWindowMs: options.resourceWindowMs ?? 10_000,
      writeBudget: options.writeBudget ?? 3000,
      writeWindowMs: options.writeWindowMs ?? 150_000,
      reportRequests: options.reportRequests ?? 5,
      reportWindowMs: options.reportWindowMs ?? 10_000,
    };
  }

  private rebuild(): void {
    const now = this.now();
    this.resourceBucket = new TokenBucket(this.options.resourceUnits, this.options.resourceWindowMs, now);
    this.writeBucket = new TokenBucket(this.options.writeBudget, this.options.writeWindowMs, now);
    this.reportBucket = new TokenBucket(this.options.reportRequests, this.options.reportWindowMs, now);
  }
}

function defaultResourceUnits(users: number): number {
  if (users < 50) return 3500;
  if (users <= 500) return 5000;
  return 8000;
}
