import { emulatedAppId, emulatedTenantId } from "./EmulatorTokens.js";

/** Throttling knobs; defaults are Graph's published limits (https://learn.microsoft.com/en-us/graph/throttling-limits). */
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
  /**
   * Requests per window to the authentication-method paths, a bucket of their own instead of the identity
   * limits: the throttling page's literal reading (it lists `authenticationMethod` under the reports limits,
   * 5 per 10 s). Default unset: the methods count as identity paths (resource units and writes), the other
   * reading — the page may be an editing slip, and nothing else documents a methods limit.
   */
  methodRequests?: number;
  /** Methods window in ms; default 10 s. */
  methodWindowMs?: number;
}

/** The service limits a route counts against (each route of graphRoutes names its own). */
export type GraphService = "directory" | "reports" | "methods";

/** What one request costs. */
export interface RequestCost {
  resourceUnits: number;
  writes: number;
}

export type ChargeResult =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; retryAfterSeconds: number; headers: Record<string, string> };

/** `x-ms-throttle-priority` as Graph reads it: Low, High, anything else (or none) Normal. */
export function priorityRank(value: string | undefined): number {
  const v = value?.trim().toLowerCase();
  return v === "low" ? 0 : v === "high" ? 2 : 1;
}

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

/**
 * A token bucket that refills continuously: `capacity` tokens per `windowMs`. Priority: "low priority requests
 * are throttled first, normal priority requests second, and high priority requests last"; how Graph does it is not
 * published. Here a refused request holds its cost until one of its priority gets through (at most its Retry-After
 * and 5 s for the client to come back): requests of lower priority may not take those tokens meanwhile, so the
 * refill serves it first. One priority alone is throttled exactly as without.
 */
class TokenBucket {
  private tokens: number;
  private last: number;
  private held: { rank: number; amount: number; until: number } | undefined;

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
    if (this.held && this.held.until <= now) this.held = undefined;
  }

  /** ms until `amount` tokens are there for a request of `rank` (0 when they are now). */
  waitFor(amount: number, rank: number): number {
    const reserved = this.held && this.held.rank > rank ? this.held.amount : 0;
    const missing = amount + reserved - this.tokens;
    return missing <= 0 ? 0 : (missing * this.windowMs) / this.capacity;
  }

  /** A refused request of `rank` keeps `amount` for itself until `until` (the highest priority waiting wins). */
  hold(rank: number, amount: number, until: number): void {
    if (this.held && this.held.rank > rank) return;
    this.held = { rank, amount: Math.min(amount, this.capacity), until };
  }

  /** Takes `amount` for a request of `rank`; one of the waiting priority (or higher) ends the hold. */
  take(amount: number, rank: number): void {
    this.tokens -= amount;
    if (this.held && rank >= this.held.rank) this.held = undefined;
  }

  /** Share of the budget in use, 0..1+. */
  usedRatio(): number {
    return (this.capacity - this.tokens) / this.capacity;
  }
}

/** How long past its Retry-After a refused request's tokens stay held for it (the client's way back). */
const holdGraceMs = 5_000;

/** The buckets a request draws from, each with the headers Graph's 429 names it by. */
interface Draw {
  bucket: TokenBucket;
  amount: number;
  information?: string;
  limit: "Write" | "ReadWrite";
}

/**
 * The throttling model, per app and tenant and per service, as the throttling page lists the limits: the
 * identity service's resource-unit bucket AND write bucket, the reports' request bucket, and (when configured) the
 * authentication methods' own. A request is admitted only if each of its buckets has room; a refused one costs
 * nothing and gets 429 with Retry-After in whole seconds and the headers naming the limit.
 */
export class GraphThrottle {
  private options: Required<Omit<ThrottleOptions, "resourceUnits" | "methodRequests">> & {
    resourceUnits: number;
    methodRequests: number | undefined;
  };
  private resourceBucket!: TokenBucket;
  private writeBucket!: TokenBucket;
  private reportBucket!: TokenBucket;
  private methodBucket: TokenBucket | undefined;

  constructor(
    options: ThrottleOptions,
    private readonly tenantSize: () => number,
    private readonly now: () => number,
  ) {
    this.options = this.resolve(options);
    this.rebuild();
  }

  /** Changes the limits at runtime; the buckets start full again. */
  configure(options: ThrottleOptions): void {
    this.options = this.resolve({ ...this.options, ...options });
    this.rebuild();
  }

  /** Current limits. */
  limits(): Readonly<ThrottleOptions> {
    const { methodRequests, ...rest } = this.options;
    return methodRequests === undefined ? rest : { ...rest, methodRequests };
  }

  /** Admits the request (taking its cost from each bucket of its service) or says how long to wait. */
  charge(cost: RequestCost, service: GraphService, priority = 1): ChargeResult {
    const draws = this.drawsFor(cost, service);
    const identity = draws.some((d) => d.bucket === this.resourceBucket);
    const headers: Record<string, string> = identity
      ? { "x-ms-resource-unit": String(cost.resourceUnits) }
      : {};
    if (!this.options.enabled) return { ok: true, headers };
    const now = this.now();
    for (const draw of draws) draw.bucket.refill(now);
    const waits = draws.map((d) => d.bucket.waitFor(d.amount, priority));
    const longest = waits.reduce((max, w, k) => (w >= (waits[max] ?? 0) ? k : max), 0);
    const waitMs = waits[longest] ?? 0;
    if (waitMs > 0) {
      const named = draws[longest] as Draw;
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      for (const draw of draws)
        draw.bucket.hold(priority, draw.amount, now + retryAfterSeconds * 1000 + holdGraceMs);
      headers["x-ms-throttle-scope"] =
        `Tenant_Application/${named.limit}/${emulatedAppId}/${emulatedTenantId}`;
      if (named.information) headers["x-ms-throttle-information"] = named.information;
      if (identity) headers["x-ms-throttle-limit-percentage"] = this.percentage(cost);
      // Graph sends whole seconds; never 0, or clients would spin.
      return { ok: false, retryAfterSeconds, headers };
    }
    for (const draw of draws) draw.bucket.take(draw.amount, priority);
    if (identity) {
      const used = Math.max(this.resourceBucket.usedRatio(), this.writeBucket.usedRatio());
      // Graph adds this header only once an app has used more than 80% of a limit.
      if (used > 0.8) headers["x-ms-throttle-limit-percentage"] = used.toFixed(1);
    }
    return { ok: true, headers };
  }

  /**
   * The buckets of a request: the reports count requests only; the methods their own bucket when one is set,
   * else the identity limits like any directory path.
   */
  private drawsFor(cost: RequestCost, service: GraphService): Draw[] {
    // The reports service's 429 names no identity reason: the page documents none for it (an assumption).
    if (service === "reports") return [{ bucket: this.reportBucket, amount: 1, limit: "ReadWrite" }];
    if (service === "methods" && this.methodBucket) {
      return [{ bucket: this.methodBucket, amount: 1, limit: "ReadWrite" }];
    }
    const draws: Draw[] = [
      {
        bucket: this.resourceBucket,
        amount: cost.resourceUnits,
        information: "ResourceUnitLimitExceeded",
        limit: "ReadWrite",
      },
    ];
    if (cost.writes > 0) {
      draws.push({
        bucket: this.writeBucket,
        amount: cost.writes,
        information: "WriteLimitExceeded",
        limit: "Write",
      });
    }
    return draws;
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
      methodRequests: options.methodRequests,
      methodWindowMs: options.methodWindowMs ?? 10_000,
    };
  }

  private rebuild(): void {
    const now = this.now();
    const o = this.options;
    this.resourceBucket = new TokenBucket(o.resourceUnits, o.resourceWindowMs, now);
    this.writeBucket = new TokenBucket(o.writeBudget, o.writeWindowMs, now);
    this.reportBucket = new TokenBucket(o.reportRequests, o.reportWindowMs, now);
    this.methodBucket =
      o.methodRequests === undefined ? undefined : new TokenBucket(o.methodRequests, o.methodWindowMs, now);
  }
}

function defaultResourceUnits(users: number): number {
  if (users < 50) return 3500;
  if (users <= 500) return 5000;
  return 8000;
}
