import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { requestMethod, requestUrl } from "./graphAuthMiddleware.js";
import { retryAfterMsOf } from "./graphRequestError.js";
import type { WriteLimiter } from "./writeLimiter.js";

const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);
/** Back-off when a 429 comes without Retry-After (Graph always sends one; other endpoints may not). */
const defaultBackOffMs = 1000;

/**
 * Sits after the SDK's RetryHandler so every attempt, retries included, takes write tokens before it is
 * sent: one per PATCH/POST, one per write item of a `$batch`. Reads only wait out a back-off. Any 429 feeds
 * its Retry-After back to the shared limiter, so one throttled call slows the whole process, not just itself.
 */
export class GraphPacingMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly limiter: WriteLimiter) {}

  async execute(context: Context): Promise<void> {
    const writes = writeCount(context);
    if (writes > 0) await this.limiter.acquire(writes);
    else await this.limiter.whenUnpaused();
    if (!this.next)
      throw new Error("GraphPacingMiddleware is the last middleware; the chain needs a fetch handler");
    await this.next.execute(context);
    if (context.response?.status === 429) {
      this.limiter.backOff(retryAfterMsOf(context.response.headers) ?? defaultBackOffMs);
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
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
  if (typeof body !== "string") return [];
  try {
    const parsed = JSON.parse(body) as { requests?: Array<{ method?: unknown }> };
    return (parsed.requests ?? []).map((r) => String(r.method ?? "GET").toUpperCase());
  } catch {
    return [];
  }
}
