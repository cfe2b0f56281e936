import { DirectoryErrorKind } from "../directory/directoryError.js";
import type { GraphClient } from "./graphClient.js";
import { GraphRequestError, retryAfterMsOf } from "./graphRequestError.js";
import { serviceOf, throttledBudget } from "./graphService.js";
import { realSleep } from "./realSleep.js";
import type { WriteLimiter } from "./writeLimiter.js";

/** One request inside a JSON batch; `url` is relative to the version root, e.g. `/users/{id}`. */
export interface BatchRequest {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Names the operation in error messages, e.g. `updateProfile`. */
  operation?: string;
}

/** A successful (2xx) item answer. */
export interface BatchResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphBatchOptions {
  /** Attempts per item, the first included; default 4 (as the SDK's RetryHandler: 1 + 3 retries). */
  maxAttempts?: number;
  /** Base back-off for a 5xx item without Retry-After, doubled per attempt; default 3 s. */
  retryDelayMs?: number;
  /** `$batch` requests in flight at once; default 4. */
  concurrency?: number;
}

/** Graph accepts at most 20 requests per `$batch`. */
export const maxBatchSize = 20;
const maxRetryAfterMs = 180_000;

interface WireItem {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Sends many requests as JSON batches of ≤ 20, results in input order. Graph answers and throttles each item
 * separately and the SDK does not retry items, so items answered 429 or 5xx are resent here after the longest
 * Retry-After among them, waited through the client's `sleep` (a 429 also pauses the budget it names). Write
 * tokens are taken per write item by the pacing middleware when each `$batch` attempt is sent. A failed `$batch`
 * request fails all its items.
 * `dependsOn` is not offered: per-item retries would have to resend whole dependency chains.
 */
export async function graphBatch(
  graph: GraphClient,
  limiter: WriteLimiter,
  requests: readonly BatchRequest[],
  options: GraphBatchOptions = {},
): Promise<Array<BatchResponse | GraphRequestError>> {
  const results: Array<BatchResponse | GraphRequestError | undefined> = new Array(requests.length);
  // A chunk's write items are sent together, so a chunk may not hold more writes than the whole budget.
  const size = Math.max(1, Math.min(maxBatchSize, limiter.budget));
  const chunks: number[][] = [];
  for (let start = 0; start < requests.length; start += size) {
    chunks.push(range(start, Math.min(requests.length, start + size)));
  }
  const settings = {
    maxAttempts: Math.max(1, options.maxAttempts ?? 4),
    retryDelayMs: options.retryDelayMs ?? 3000,
  };
  let next = 0;
  const worker = async () => {
    for (let chunk = chunks[next++]; chunk; chunk = chunks[next++]) {
      await sendChunk(graph, limiter, requests, chunk, results, settings);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(chunks.length, Math.max(1, options.concurrency ?? 4)) }, worker),
  );
  return results.map(
    (result, i) =>
      result ??
      new GraphRequestError(`${operationOf(requests[i])} failed: no result`, {
        kind: DirectoryErrorKind.transient,
        statusCode: 0,
      }),
  );
}

async function sendChunk(
  graph: GraphClient,
  limiter: WriteLimiter,
  requests: readonly BatchRequest[],
  chunk: number[],
  results: Array<BatchResponse | GraphRequestError | undefined>,
  settings: { maxAttempts: number; retryDelayMs: number },
): Promise<void> {
  let pending = chunk;
  for (let attempt = 1; pending.length > 0; attempt++) {
    let answers: Map<string, WireItem>;
    try {
      const body = await graph.client
        .api("/$batch")
        .post({ requests: pending.map((i) => toWire(i, requests)) });
      answers = indexById(body);
    } catch (err) {
      for (const i of pending)
        results[i] = GraphRequestError.fromThrown(`${operationOf(requests[i])} ($batch)`, err);
      return;
    }
    const again: number[] = [];
    let waitMs = 0;
    for (const i of pending) {
      const request = requests[i];
      const answer = answers.get(String(i));
      if (!answer) {
        results[i] = new GraphRequestError(
          `${operationOf(request)} failed: missing from the $batch response`,
          {
            kind: DirectoryErrorKind.transient,
            statusCode: 0,
          },
        );
        continue;
      }
      const headers = answer.headers ?? {};
      const method = request?.method ?? "GET";
      const retryAfterMs = retryAfterMsOf(headers);
      // Each item names its own limit: a methods or reports 429 pauses only that budget (the last attempt's too).
      if (answer.status === 429) {
        limiter.backOff(retryAfterMs ?? 1000, throttledBudget(method, request?.url ?? "", headers));
      } else if (serviceOf(request?.url ?? "") === "methods") limiter.answered("methods");
      if (attempt < settings.maxAttempts && isRetryable(method, answer.status)) {
        waitMs = Math.max(waitMs, retryAfterMs ?? settings.retryDelayMs * 2 ** (attempt - 1));
        again.push(i);
        continue;
      }
      results[i] =
        answer.status >= 200 && answer.status < 300
          ? { status: answer.status, headers, body: answer.body }
          : GraphRequestError.fromResponse(operationOf(request), {
              status: answer.status,
              headers,
              body: answer.body,
            });
    }
    if (again.length > 0 && waitMs > 0) await (graph.sleep ?? realSleep)(Math.min(waitMs, maxRetryAfterMs));
    pending = again;
  }
}

/** 429 and 503 mean "not processed"; other 5xx may follow an applied write, so a creating POST is not resent. */
/**
 * 429 and 503 mean "not processed", so any item may be resent. Any other 5xx (a 504 above all) leaves it unknown
 * whether a write was applied: only reads are resent then, as the single-request client does; a write item comes
 * back as a transient error and its caller re-reads before deciding again.
 */
function isRetryable(method: string, status: number): boolean {
  if (status === 429 || status === 503) return true;
  return status >= 500 && method === "GET";
}

function toWire(index: number, requests: readonly BatchRequest[]) {
  const request = requests[index];
  if (!request) throw new RangeError(`No batch request at ${index}`);
  const wire: Record<string, unknown> = { id: String(index), method: request.method, url: request.url };
  if (request.body !== undefined) {
    wire.body = request.body;
    // Graph rejects an item with a body but no Content-Type.
    wire.headers = { "Content-Type": "application/json", ...request.headers };
  } else if (request.headers) {
    wire.headers = request.headers;
  }
  return wire;
}

function indexById(body: unknown): Map<string, WireItem> {
  const map = new Map<string, WireItem>();
  const responses = (body as { responses?: unknown } | undefined)?.responses;
  if (!Array.isArray(responses)) return map;
  for (const item of responses as WireItem[]) {
    // Graph may answer in any order; the id is the only correlation.
    if (item && typeof item.id === "string" && typeof item.status === "number") map.set(item.id, item);
  }
  return map;
}

function operationOf(request: BatchRequest | undefined): string {
  return request?.operation ?? `${request?.method ?? "?"} batch item`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}
