import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { DirectoryErrorKind } from "../directory/directoryError.js";
import { requestMethod, requestUrl, setRequestHeader } from "./graphAuthMiddleware.js";
import type { ThrottlePriority } from "./graphClient.js";
import { requestCost, totalCost } from "./graphCost.js";
import { type GraphRequestError, localRefusalCode, retryAfterMsOf } from "./graphRequestError.js";
import { serviceOf, throttledBudget } from "./graphService.js";
import type { WriteLimiter } from "./writeLimiter.js";

/**
 * Asked right before writes go out (after their wait for budget): which of the target users (as keyed in the
 * write's path) must not be written, and why. The Graph adapter answers it from its privilege picture.
 */
export type WriteGate = (userKeys: readonly string[]) => Promise<ReadonlyMap<string, GraphRequestError>>;

const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);
/** Back-off when a 429 comes without Retry-After (Graph always sends one; other endpoints may not). */
const defaultBackOffMs = 1000;

/**
 * `x-ms-throttle-priority` as Graph's page spells its values (`Low`, `Normal`, `High`; "any other value …
 * indicates a normal request").
 */
export const wirePriority = { low: "Low", normal: "Normal", high: "High" } as const;

/**
 * Sits after the SDK's RetryHandler so every attempt, retries included, takes its budgets before it is sent:
 * resource units by Graph's cost table, one write token per PATCH/POST (and per write item of a `$batch`), one
 * reports or methods request per call of those services. A 429 feeds its Retry-After back to the budget it names
 * (`throttledBudget`): a writes 429 pauses the whole fleet's writes, a reports or methods 429 only those calls. A
 * response saying the app is past 80% of a Graph limit (`x-ms-throttle-limit-percentage`, 0.8–1.8) slows the
 * process down before a 429 comes. The priority goes on the request and on each `$batch` item, which Graph
 * evaluates one by one (json-batching: "Requests in a batch are evaluated individually").
 */
export class GraphPacingMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly limiter: WriteLimiter,
    private readonly priority?: ThrottlePriority | undefined,
    private readonly gate?: WriteGate | undefined,
    /** This client's reads go before the read queue (the privilege picture's: writes wait on them). */
    private readonly readsFirst = false,
  ) {}

  async execute(context: Context): Promise<void> {
    const writes = writeCount(context);
    const units = readUnitsOf(context);
    const calls = serviceCalls(context);
    if (calls.reports > 0) await this.limiter.acquireRequests("reports", calls.reports);
    if (calls.methods > 0) await this.limiter.acquireRequests("methods", calls.methods);
    if (units > 0) await this.limiter.acquireReads(units, this.readsFirst);
    if (writes > 0) await this.limiter.acquire(writes);
    if (!this.next)
      throw new Error("GraphPacingMiddleware is the last middleware; the chain needs a fetch handler");
    if (this.priority) markPriority(context, wirePriority[this.priority]);
    // The moment of writing: however long the wait above took, each target is checked now, and a refused write
    // is answered here without reaching Graph.
    const held = writes > 0 && this.gate ? await holdRefusedWrites(context, this.gate) : [];
    if (held === "all") return;
    await this.next.execute(context);
    if (held.length > 0) await addHeldAnswers(context, held);
    const headers = context.response?.headers;
    const status = context.response?.status ?? 0;
    const url = requestUrl(context);
    if (status === 429) {
      // A `$batch` answered 429 as a whole names no item's limit: the identity service's reads and writes pause.
      const budget = isBatchUrl(url) ? undefined : throttledBudget(requestMethod(context), url, headers);
      this.limiter.backOff(retryAfterMsOf(headers) ?? defaultBackOffMs, budget);
      return;
    }
    if (status > 0 && !isBatchUrl(url) && serviceOf(url) === "methods") this.limiter.answered("methods");
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
 * Sets the priority on the request and on every `$batch` item that has none of its own (a body the caller already
 * serialized is rewritten once, before the first attempt is sent).
 */
function markPriority(context: Context, value: string): void {
  setRequestHeader(context, "x-ms-throttle-priority", value);
  if (!isBatchUrl(requestUrl(context))) return;
  const body = parseBatch(context.options?.body);
  if (!body || !context.options) return;
  const requests = body.requests.map((item) => {
    const headers = (item.headers ?? {}) as Record<string, string>;
    const has = Object.keys(headers).some((k) => k.toLowerCase() === "x-ms-throttle-priority");
    return has ? item : { ...item, headers: { ...headers, "x-ms-throttle-priority": value } };
  });
  context.options.body = JSON.stringify({ ...body, requests });
}

/** How many calls of the reports and methods services a request makes (a `$batch`: its items'). */
export function serviceCalls(context: Context): { reports: number; methods: number } {
  const url = requestUrl(context);
  const urls = isBatchUrl(url) ? batchItems(context.options?.body).map((item) => item.url) : [url];
  const services = urls.map(serviceOf);
  return {
    reports: services.filter((s) => s === "reports").length,
    methods: services.filter((s) => s === "methods").length,
  };
}

/**
 * Graph's documented resource-unit cost of a request (identity and access limits, see `requestCost`): a `$batch`
 * costs the sum of its items, which Graph evaluates one by one; the envelope itself costs nothing.
 */
export function readUnitsOf(context: Context): number {
  const method = requestMethod(context);
  const url = requestUrl(context);
  if (method === "POST" && isBatchUrl(url)) {
    const items = batchItems(context.options?.body).filter((item) => serviceOf(item.url) !== "reports");
    return totalCost(items.map((item) => requestCost(item.method, item.url))).resourceUnits;
  }
  // The reports service counts requests, not resource units.
  if (serviceOf(url) === "reports") return 0;
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
  return (parseBatch(body)?.requests ?? []).map(itemTarget);
}

/** A `$batch` item's upper-cased method and its url. */
function itemTarget(item: Record<string, unknown>): { method: string; url: string } {
  return { method: String(item.method ?? "GET").toUpperCase(), url: String(item.url ?? "") };
}

/** The user a `$batch` item writes to (its key as the url has it); undefined for a read or a path under no user. */
function writtenUserOf(item: Record<string, unknown>): string | undefined {
  const { method, url } = itemTarget(item);
  return writeMethods.has(method) ? userKeyOf(url) : undefined;
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

interface WireAnswer {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Asks the gate about the request's write targets. A refused single write gets its answer in `context.response`
 * ("all"); a `$batch` loses its refused items, whose answers are returned to be added to Graph's. Writes that name
 * no user (none in this app) pass.
 */
async function holdRefusedWrites(context: Context, gate: WriteGate): Promise<WireAnswer[] | "all"> {
  const url = requestUrl(context);
  if (!isBatchUrl(url)) {
    const key = userKeyOf(url);
    if (key === undefined) return [];
    const refused = (await gate([key])).get(key);
    if (!refused) return [];
    const answer = refusalAnswer("0", refused);
    context.response = new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: answer.headers,
    });
    return "all";
  }
  const body = parseBatch(context.options?.body);
  if (!body) return [];
  const targets = body.requests.map(writtenUserOf);
  const keys = [...new Set(targets.filter((key) => key !== undefined))];
  if (keys.length === 0) return [];
  const refused = await gate(keys);
  if (refused.size === 0) return [];
  const held: WireAnswer[] = [];
  const kept = body.requests.filter((item, k) => {
    const key = targets[k];
    const refusal = key === undefined ? undefined : refused.get(key);
    if (refusal) held.push(refusalAnswer(String(item.id), refusal));
    return !refusal;
  });
  if (kept.length === 0) {
    context.response = new Response(JSON.stringify({ responses: held }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
    return "all";
  }
  if (context.options) context.options.body = JSON.stringify({ ...body, requests: kept });
  return held;
}

/** Puts the held items' answers beside Graph's in the `$batch` response. */
async function addHeldAnswers(context: Context, held: WireAnswer[]): Promise<void> {
  const response = context.response;
  if (response?.status !== 200) return;
  const parsed = (await response.json()) as { responses?: unknown[] };
  context.response = new Response(
    JSON.stringify({ ...parsed, responses: [...(parsed.responses ?? []), ...held] }),
    {
      status: 200,
      headers: response.headers,
    },
  );
}

/**
 * The local answer for a write not sent. Its code is the app's own (never one of Graph's), so the adapter's error
 * reading gives it its kind; 403 is neither retried by the SDK nor by the `$batch` item retry.
 */
function refusalAnswer(id: string, refusal: GraphRequestError): WireAnswer {
  const code =
    refusal.kind === DirectoryErrorKind.privilegedTarget
      ? localRefusalCode.privilegedTarget
      : refusal.kind === DirectoryErrorKind.notSent
        ? localRefusalCode.notSent
        : refusal.kind === DirectoryErrorKind.invalidRequest
          ? localRefusalCode.notById
          : localRefusalCode.privilegeUnknown;
  return {
    id,
    status: 403,
    headers: { "content-type": "application/json" },
    body: { error: { code, message: refusal.message } },
  };
}

/** The user key of a path under `/users/{key}` or `/users('{key}')`, decoded; undefined for any other path. */
export function userKeyOf(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url, "http://relative.invalid").pathname;
  } catch {
    return undefined;
  }
  const match = /\/users(?:\/([^/]+)|\('([^)]*)'\))/.exec(path);
  const raw = match?.[1] ?? match?.[2];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function parseBatch(body: unknown): { requests: Array<Record<string, unknown>> } | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const parsed = JSON.parse(body) as { requests?: unknown };
    return Array.isArray(parsed.requests)
      ? (parsed as { requests: Array<Record<string, unknown>> })
      : undefined;
  } catch {
    return undefined;
  }
}
