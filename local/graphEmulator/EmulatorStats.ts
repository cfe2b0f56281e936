/** Counters tests and benchmarks read to prove how many calls an operation made and how throttling went. */
export class EmulatorStats {
  /** HTTP requests by `METHOD routeKind`, e.g. `GET user`, `PATCH user`, `POST $batch`. */
  requests: Record<string, number> = {};
  /** Requests inside `$batch` bodies, by the same keys. */
  batchItems: Record<string, number> = {};
  /** Applied writes: user id → property (or `phoneMethods/mobile`, `emailMethods`) → count. */
  writes: Record<string, Record<string, number>> = {};
  /** Emulator-clock times (ms) of admitted writes, to check a budget over any window. */
  writeTimes: number[] = [];
  /** HTTP requests that came without a `client-request-id` (Graph then makes one up). */
  withoutClientRequestId = 0;
  /** HTTP requests by `x-ms-throttle-priority` (`normal` when absent, as Graph reads it). */
  priorities: Record<string, number> = {};
  /** `$batch` items by their own `x-ms-throttle-priority` header (`normal` when absent, as Graph reads it). */
  itemPriorities: Record<string, number> = {};
  /**
   * 429 answers by the limit they name: `WriteLimitExceeded`, `ResourceUnitLimitExceeded` (identity), or the
   * service (`reports`, `methods`) whose own bucket refused.
   */
  throttledBy: Record<string, number> = {};
  /** Resource units charged to admitted requests (Graph's cost table; refused ones cost nothing). */
  resourceUnits = 0;
  /** The same units by `METHOD routeKind`, to tell what each part of a run spent (the privilege picture's reads). */
  resourceUnitsByRoute: Record<string, number> = {};
  /** 429 answers, plain and batch items. */
  throttled = 0;
  /** 401 answers. */
  unauthorized = 0;
  /** Injected faults. */
  faults = { unavailable: 0, timeoutAfterWrite: 0 };

  /** Counts one request or batch item. */
  countRequest(key: string, inBatch: boolean): void {
    const table = inBatch ? this.batchItems : this.requests;
    table[key] = (table[key] ?? 0) + 1;
  }

  /** Counts one HTTP request's throttle priority. */
  countPriority(value: string | undefined): void {
    const key = value?.trim().toLowerCase() || "normal";
    this.priorities[key] = (this.priorities[key] ?? 0) + 1;
  }

  /** Counts one `$batch` item's own throttle priority. */
  countItemPriority(value: string | undefined): void {
    const key = value?.trim().toLowerCase() || "normal";
    this.itemPriorities[key] = (this.itemPriorities[key] ?? 0) + 1;
  }

  /** Counts one 429 under the limit it names. */
  countThrottled(limit: string): void {
    this.throttled += 1;
    this.throttledBy[limit] = (this.throttledBy[limit] ?? 0) + 1;
  }

  /** Records an applied write of one property. */
  countWrite(userId: string, property: string): void {
    const perUser = this.writes[userId] ?? {};
    perUser[property] = (perUser[property] ?? 0) + 1;
    this.writes[userId] = perUser;
  }

  /** HTTP requests for a key (0 when none). */
  requestCount(key: string): number {
    return this.requests[key] ?? 0;
  }

  /** All HTTP requests. */
  totalRequests(): number {
    return sum(this.requests);
  }

  /** All batch items. */
  totalBatchItems(): number {
    return sum(this.batchItems);
  }

  /** Applied writes for a user, optionally one property. */
  writesFor(userId: string, property?: string): number {
    const perUser = this.writes[userId.toLowerCase()] ?? {};
    return property === undefined ? sum(perUser) : (perUser[property] ?? 0);
  }

  /** Most writes admitted in any window of `windowMs`. */
  maxWritesInWindow(windowMs: number): number {
    const times = [...this.writeTimes].sort((a, b) => a - b);
    let max = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
      max = Math.max(max, end - start + 1);
    }
    return max;
  }

  /** Zeroes every counter. */
  reset(): void {
    this.requests = {};
    this.batchItems = {};
    this.writes = {};
    this.writeTimes = [];
    this.resourceUnits = 0;
    this.resourceUnitsByRoute = {};
    this.priorities = {};
    this.itemPriorities = {};
    this.throttledBy = {};
    this.withoutClientRequestId = 0;
    this.throttled = 0;
    this.unauthorized = 0;
    this.faults = { unavailable: 0, timeoutAfterWrite: 0 };
  }
}

function sum(table: Record<string, number>): number {
  return Object.values(table).reduce((a, b) => a + b, 0);
}
