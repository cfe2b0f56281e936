/**
 * Which of Graph's service limits a request counts against (https://learn.microsoft.com/en-us/graph/throttling-limits):
 * limits are per service, so a 429 from one says nothing about the others.
 *
 * - `directory`: "Identity and access service limits" — resource units (reads and writes) and the write quota.
 * - `reports`: "Identity and access reports service limits" — 5 requests per 10 s per app and tenant
 *   (`/reports/…`, `/auditLogs/…`: the registration report).
 * - `methods`: `users/{id}/authentication/…`. The page lists `authenticationMethod` among the *reports* resources
 *   (perhaps an editing slip for the reports root, authenticationMethodsRoot); the identity list does not name it.
 *   The app gives the methods a budget of their own and still charges them as identity calls (see `writeLimiter`).
 */
export type GraphService = "directory" | "reports" | "methods";

/** The app's budgets, one per limit a 429 can name. */
export type GraphBudgetName = "reads" | "writes" | "reports" | "methods";

const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** The service of a request's path (relative to the version root, or absolute with `/v1.0` or `/beta` in it). */
export function serviceOf(url: string): GraphService {
  let path: string;
  try {
    path = new URL(url, "http://relative.invalid").pathname.toLowerCase();
  } catch {
    return "directory";
  }
  const relative = path.replace(/^.*?\/(?:v1\.0|beta)(?=\/|$)/, "").replace(/^\/+/, "");
  if (/^(?:reports|auditlogs)(?:\/|$)/.test(relative)) return "reports";
  if (/^(?:me|users\/[^/]+|users\([^)]*\))\/authentication(?:\/|$)/.test(relative)) return "methods";
  return "directory";
}

/** `x-ms-throttle-scope`: `<Scope>/<Limit>/<ApplicationId>/<TenantId|UserId|ResourceId>`, as documented. */
export interface ThrottleScope {
  scope: string;
  /** `Read` (GET), `Write` (POST, PATCH, PUT, DELETE…) or `ReadWrite` (any). */
  limit: string;
  appId: string;
  targetId: string;
}

export function parseThrottleScope(value: string | undefined | null): ThrottleScope | undefined {
  const parts = (value ?? "").trim().split("/");
  if (parts.length !== 4 || parts.some((p) => p === "")) return undefined;
  const [scope = "", limit = "", appId = "", targetId = ""] = parts;
  return { scope, limit, appId, targetId };
}

type HeaderSource = Headers | Record<string, string> | undefined | null;

function headerOf(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * The one budget a 429 pauses. Graph names the limit in `x-ms-throttle-information` (`WriteLimitExceeded`,
 * `ResourceUnitLimitExceeded`, …) and `x-ms-throttle-scope` (its `Limit`: Read, Write, ReadWrite), which the
 * identity service sends; a 429 naming neither pauses the budget of the route that was throttled. A reports 429 is
 * always the reports budget: that service's limit is one count of requests, whatever it says.
 */
export function throttledBudget(method: string, url: string, headers: HeaderSource): GraphBudgetName {
  const service = serviceOf(url);
  if (service === "reports") return "reports";
  const information = headerOf(headers, "x-ms-throttle-information") ?? "";
  const limit = parseThrottleScope(headerOf(headers, "x-ms-throttle-scope"))?.limit.toLowerCase();
  if (/write/i.test(information) || limit === "write") return "writes";
  if (/resourceunit/i.test(information) || limit === "read") return "reads";
  if (service === "methods") return "methods";
  return writeMethods.has(method.toUpperCase()) ? "writes" : "reads";
}
