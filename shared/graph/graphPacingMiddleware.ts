import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { requestMethod, requestUrl, setRequestHeader } from "./graphAuthMiddleware.js";
import type { ThrottlePriority } from "./graphClient.js";
import { requestCost, totalCost } from "./graphCost.js";
import { retryAfterMsOf } from "./graphRequestError.js";
import type { WriteLimiter } from "./writeLimiter.js";

const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);
/** Back-off when a 429 comes without Retry-After (Graph always sends one; other endpoints may not). */
const defaultBackOffMs = 1000;

/**
 * Sits after the SDK's RetryHandler so every attempt, retries included, takes write tokens before it is
 * sent: one per PATCH/POST, one per write item of a `$batch`. Reads only wait out a back-off. Any 429 feeds
 * its Retry-After back to the shared limiter, so one throttled call slows the whole fleet, not just itself; and
 * a response saying the app is past 80% of a Graph limit (`x-ms-throttle-limit-percentage`, 0.8–1.8) slows the
 * process down before a 429 comes.
 */
export class GraphPacingMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly limiter: WriteLimiter,
    private readonly priority?: ThrottlePriority | undefined,
  ) {}

  async execute(context: Context): Promise<void> {
    const writes = writeCount(context);
    const units = readUnitsOf(context);
    if (units > 0) await this.limiter.acquireReads(units);
    if (writes > 0) await this.limiter.acquire(writes);
    else await this.limiter.whenUnpaused();
    if (!this.next)
      throw new Error("GraphPacingMiddleware is the last middleware; the chain needs a fetch handler");
    if (this.priority) setRequestHeader(context, "x-ms-throttle-priority", this.priority);
    await this.next.execute(context);
    const headers = context.response?.headers;
    if (context.response?.status === 429) {
      this.limiter.backOff(retryAfterMsOf(headers) ?? defaultBackOffMs);
      return;
    }
    const percentage = Number(headers?.get("x-ms-throttle-limit-percentage") ?? Number.NaN);
    if (percentage > 1.0) this.limiter.ease(slowDownMsFor(percentage));
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * How long to hold back when Graph says the app used `percentage` (0.8–1.8) of a limit. Up to 1.0 nothing: the
 * write limiter already runs the bucket down to empty on purpose and then keeps to its refill, so "near the
 * limit" is its normal state. Beyond 1.0 something else spends the budget (reads, another process without the
 * shared bucket): 0.5 s per tenth over, at most 2 s — time for the bucket to refill before the next request.
 */
export function slowDownMsFor(percentage: number): number {
  return Math.round(Math.min(2_000, Math.max(0, (percentage - 1.0) * 5_000)));
}

/**
 * Graph's documented resource-unit cost of a request (identity and access limits, see `requestCost`): a `$batch`
 * costs the sum of its items, which Graph evaluates one by one; the envelope itself costs nothing.
 */
export function readUnitsOf(context: Context): number {
  const method = requestMethod(context);
  const url = requestUrl(context);
  if (method === "POST" && isBatchUrl(url)) {
    return totalCost(batchItems(context.options?.body).map((item) => requestCost(item.method, item.url)))
      .resourceUnits;
  }
  return requestCost(method, url, versionRootOf(url)).resourceUnits;
}

/** Where the version root of an absolute Graph URL ends (`/v1.0`, `/beta`, or behind a proxy prefix). */
function versionRootOf(url: string): string {
  try {
    const match = /^(.*?\/(?:v1\.0|beta))(?:\/|$)/i.exec(new URL(url).pathname);
    return match?.[1] ?? "";
  } catch {
    return "";
  }
}

function batchItems(body: unknown): Array<{ method: string; url: string }> {
  if (typeof body !== "string") return [];
  try {
    const parsed = JSON.parse(body) as { requests?: Array<{ method?: unknown; url?: unknown }> };
    return (parsed.requests ?? []).map((r) => ({
      method: String(r.method ?? "GET").toUpperCase(),
      url: String(r.url ?? ""),
    }));
  } catch {
    return [];
  }
}

/** Number of directory writes a request performs: 1 for a write, the write items for a `$batch`. */
export function writeCount(context: Context): number {
  const method = requestMethod(context);
  if (!writeMethods.has(method)) return 0;
  if (!isBatchUrl(requestUrl(context))) return 1;
  return batchItemMethods(context.options?.body).filter((m) => writeMethods.has(m)).length;
}

/** True when the URL is a JSON batch endpoint (`…/$batch`). */
export function isBatchUrl(url: string): boolean {
  try {
    return new URL(url).pathname.endsWith("/$batch");
  } catch {
    return false;
  }
}

/** The upper-cased methods of a serialized `$batch` body; empty when it is not one. */
export function batchItemMethods(body: unknown): string[] {
  return batchItems(body).map((item) => item.method);
}
