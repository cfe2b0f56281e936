import { randomUUID } from "node:crypto";
import { admitRoute } from "./admitRoute.js";
import { type BatchItem, dependencyOrder, validateBatch } from "./batchItems.js";
import type { EmulatedTenant } from "./EmulatedTenant.js";
import { EmulatorStats } from "./EmulatorStats.js";
import { EmulatorTokens } from "./EmulatorTokens.js";
import {
  badRequest,
  type EmulatorRequest,
  type EmulatorResponse,
  graphError,
  json,
  routeFailureAnswer,
  stampError,
} from "./emulatorResponse.js";
import { type RouteResolution, resolveRoute } from "./GraphRoute.js";
import { costOf, GraphThrottle, priorityRank, type ThrottleOptions } from "./GraphThrottle.js";
import { graphRoutes } from "./graphRoutes.js";
import { header, parseBody, splitUrl } from "./requestParts.js";

/** Fault injection: probabilities from 0 to 1. */
export interface FaultOptions {
  /** 503 before the request is applied. */
  unavailableRate: number;
  /** 504 after a write WAS applied: the client cannot tell it happened. */
  timeoutAfterWriteRate: number;
}

export interface EmulatorCoreOptions {
  tenant: EmulatedTenant;
  /**
   * An opaque bearer token accepted besides the JWTs the emulator issues (it carries no claims the app can read).
   */
  token?: string | undefined;
  throttle?: ThrottleOptions;
  latencyMs?: number;
  faults?: Partial<FaultOptions>;
  /** Random source for faults; tests pass a scripted one. */
  random?: () => number;
  /** Clock (ms) for throttling; defaults to performance.now(). */
  now?: () => number;
}

const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);
const apiVersion = "v1.0";

/** One operation after parsing, shared by plain requests and `$batch` items: its route is found once. */
interface Operation {
  method: string;
  resolution: RouteResolution;
  query: URLSearchParams;
  body: unknown;
  /** Its own `x-ms-throttle-priority` (a `$batch` item's from its `headers`: Graph evaluates items one by one). */
  priority: string | undefined;
}

/**
 * The emulated Graph v1.0 subset without the HTTP server: authentication, request ids, latency, throttling,
 * fault injection, routing (by the route table, graphRoutes) and `$batch`. `handle` answers one HTTP request.
 */
export class GraphEmulatorCore {
  readonly stats = new EmulatorStats();
  readonly tenant: EmulatedTenant;
  /** The token issued when the emulator started: a JWT whose `roles` claim lists the permissions granted then. */
  readonly token: string;
  private readonly tokens: EmulatorTokens;
  /** Public base URL with version; set once the server knows its port. */
  baseUrl = `http://127.0.0.1/${apiVersion}`;
  private readonly throttle: GraphThrottle;
  private faults: FaultOptions;
  private latencyMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(options: EmulatorCoreOptions) {
    this.tenant = options.tenant;
    this.tokens = new EmulatorTokens(options.token);
    this.token = this.issueToken();
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
    this.latencyMs = options.latencyMs ?? 0;
    this.faults = { unavailableRate: 0, timeoutAfterWriteRate: 0, ...options.faults };
    this.throttle = new GraphThrottle(options.throttle ?? {}, () => this.tenant.size, this.now);
  }

  /**
   * A new token, as Entra ID issues one: its `roles` claim lists the application permissions granted now. Every
   * token the emulator issued stays accepted; what a request may do is decided by the live grants (as if each call
   * came with a fresh token), so a revoked permission is refused at once whatever the token says.
   */
  issueToken(): string {
    return this.tokens.issue(this.tenant.grantedPermissions());
  }

  /** True for a token this emulator issued, or the opaque token it was started with. */
  accepts(token: string | undefined): boolean {
    return this.tokens.accepts(token);
  }

  /** Changes fault probabilities at runtime (unset ones keep their value). */
  setFaults(faults: Partial<FaultOptions>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Current fault probabilities. */
  getFaults(): FaultOptions {
    return { ...this.faults };
  }

  /** Sets the delay added to every HTTP request. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Current per-request delay in ms. */
  getLatency(): number {
    return this.latencyMs;
  }

  /** Changes throttling limits at runtime; the buckets start full. */
  setThrottle(options: ThrottleOptions): void {
    this.throttle.configure(options);
  }

  /** Current throttling limits. */
  getThrottle(): Readonly<ThrottleOptions> {
    return this.throttle.limits();
  }

  /** Answers one HTTP request; every answer carries `request-id` and `client-request-id`. */
  async handle(request: EmulatorRequest): Promise<EmulatorResponse> {
    const requestId = randomUUID();
    const sent = header(request.headers, "client-request-id");
    if (sent === undefined) this.stats.withoutClientRequestId += 1;
    const clientRequestId = sent ?? requestId;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const response = this.dispatch(request, clientRequestId);
    stampError(response, requestId, clientRequestId);
    response.headers = {
      ...response.headers,
      "request-id": requestId,
      "client-request-id": clientRequestId,
      Date: new Date().toUTCString(),
    };
    return response;
  }

  private dispatch(request: EmulatorRequest, clientRequestId: string): EmulatorResponse {
    const method = request.method.toUpperCase();
    const parsed = splitUrl(request.url);
    const isBatch = parsed?.version === apiVersion && parsed.path.toLowerCase() === "$batch";
    const resolution =
      parsed?.version === apiVersion && !isBatch ? resolveRoute(graphRoutes, method, parsed.path) : undefined;
    this.stats.countRequest(`${method} ${isBatch ? "$batch" : (resolution?.name ?? "unknown")}`, false);
    this.stats.countPriority(header(request.headers, "x-ms-throttle-priority"));

    const presented = /^Bearer\s+(.+)$/i.exec(header(request.headers, "authorization") ?? "")?.[1]?.trim();
    if (!this.tokens.accepts(presented)) {
      this.stats.unauthorized += 1;
      return graphError(
        401,
        "InvalidAuthenticationToken",
        presented === undefined ? "Access token is empty." : "Access token validation failure.",
        { "WWW-Authenticate": 'Bearer realm="", error="invalid_token"' },
      );
    }
    if (!parsed) return badRequest("Invalid request URL.");
    if (parsed.version !== apiVersion) return badRequest(`Invalid version: ${parsed.version}`);

    const body = parseBody(request, method);
    if ("error" in body) return body.error;
    if (isBatch) {
      if (method !== "POST") return graphError(405, "BadRequest", "The $batch endpoint accepts POST only.");
      return this.batch(body.value, clientRequestId);
    }
    return this.operate(
      {
        method,
        resolution: resolution ?? resolveRoute(graphRoutes, method, parsed.path),
        query: parsed.query,
        body: body.value,
        priority: header(request.headers, "x-ms-throttle-priority"),
      },
      false,
    );
  }

  /**
   * Throttling → injected failure → 503 fault → the route's permission and edition → its handler → 504-after-write
   * fault, for one plain request or batch item.
   */
  private operate(op: Operation, inBatch: boolean): EmulatorResponse {
    const routeKey = `${op.method} ${op.resolution.name}`;
    if (inBatch) this.stats.countRequest(routeKey, true);
    if (op.resolution.kind === "methodNotAllowed") {
      return graphError(
        405,
        "Request_BadRequest",
        `The HTTP method '${op.method}' is not allowed on this resource.`,
      );
    }
    const { route, params } = op.resolution;
    const isWrite = writeMethods.has(op.method);
    const cost = costOf(op.method, route.cost, op.query);
    const charge = this.throttle.charge(cost, route.service, priorityRank(op.priority));
    if (!charge.ok) {
      this.stats.countThrottled(charge.headers["x-ms-throttle-information"] ?? route.service);
      return graphError(429, "TooManyRequests", "Too many requests.", {
        ...charge.headers,
        "Retry-After": String(charge.retryAfterSeconds),
      });
    }
    const units = Number(charge.headers["x-ms-resource-unit"] ?? 0);
    this.stats.resourceUnits += units;
    this.stats.resourceUnitsByRoute[routeKey] = (this.stats.resourceUnitsByRoute[routeKey] ?? 0) + units;
    if (isWrite) this.stats.writeTimes.push(this.now());
    const failing = this.tenant.routeFailure(routeKey);
    if (failing !== undefined) return routeFailureAnswer(failing.status, failing.retryAfterSeconds);
    if (this.faults.unavailableRate > 0 && this.random() < this.faults.unavailableRate) {
      this.stats.faults.unavailable += 1;
      return graphError(503, "serviceNotAvailable", "The service is temporarily unavailable.");
    }
    const response =
      admitRoute(route, this.tenant, op.body) ??
      route.handler(
        { tenant: this.tenant, stats: this.stats, baseUrl: this.baseUrl, query: op.query, body: op.body },
        params,
      );
    const applied = response.status >= 200 && response.status < 300;
    if (
      isWrite &&
      applied &&
      this.faults.timeoutAfterWriteRate > 0 &&
      this.random() < this.faults.timeoutAfterWriteRate
    ) {
      this.stats.faults.timeoutAfterWrite += 1;
      return graphError(504, "GatewayTimeout", "The request timed out.");
    }
    response.headers = { ...charge.headers, ...response.headers };
    return response;
  }

  /** JSON batching: each item answered (and throttled, and admitted) separately through the same route table. */
  private batch(body: unknown, clientRequestId: string): EmulatorResponse {
    const items = validateBatch(body);
    if ("error" in items) return items.error;
    const answers = new Map<string, EmulatorResponse>();
    const order = dependencyOrder(items.value);
    if (!order)
      return badRequest("Invalid batch payload: dependsOn must reference other requests without cycles.");
    for (const item of order) {
      const failedDependency = (item.dependsOn ?? []).some((id) => {
        const status = answers.get(id)?.status ?? 0;
        return status < 200 || status >= 300;
      });
      const answer = failedDependency
        ? graphError(424, "FailedDependency", "The request depends on a request that failed.")
        : this.batchItem(item);
      stampError(answer, randomUUID(), clientRequestId);
      answers.set(item.id, answer);
    }
    return json(200, {
      responses: items.value.map((item) => {
        const answer = answers.get(item.id) ?? graphError(500, "InternalServerError", "Missing answer.");
        const out: Record<string, unknown> = { id: item.id, status: answer.status, headers: answer.headers };
        if (answer.body !== undefined) out.body = answer.body;
        return out;
      }),
    });
  }

  private batchItem(item: BatchItem): EmulatorResponse {
    const parsed = splitUrl(`/${apiVersion}/${item.url.replace(/^\//, "")}`);
    if (!parsed) return badRequest("Invalid request URL.");
    const method = item.method.toUpperCase();
    // The item's own headers only: no page says the envelope's priority reaches the items.
    const priority = header(item.headers ?? {}, "x-ms-throttle-priority");
    this.stats.countItemPriority(priority);
    return this.operate(
      {
        method,
        resolution: resolveRoute(graphRoutes, method, parsed.path),
        query: parsed.query,
        body: item.body,
        priority,
      },
      true,
    );
  }
}
