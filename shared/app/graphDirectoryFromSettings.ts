import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { isLoopbackHost, type ThrottlePriority } from "../graph/graphClient.js";
import { createGraphDirectory, type GraphDirectory } from "../graph/graphDirectory.js";
import { WriteLimiter } from "../graph/writeLimiter.js";
import { type Metrics, noMetrics } from "../metrics/metrics.js";
import { TableWriteBudget, writeBudgetTable } from "../storage/tableWriteBudget.js";
import type { Settings } from "./config.js";
import { tableClient } from "./storageClients.js";

/**
 * Graph counts writes when they arrive, and arrivals jitter (new TLS connections, uneven latency), so the limiter
 * refills a little slower than Graph: one second on Graph's 150 s, the same share (0.67%) of a scaled window.
 */
const windowHeadroomShare = 1 / 150;

/**
 * Tokens kept out of the first burst, so writes that arrive bunched (jitter) right when the bucket runs dry don't
 * overrun Graph's: one second of Graph's refill (20 of 3,000), at most 2% of a small scaled bucket, at least 1.
 * The reserve costs its size at the refill rate once per run (1 s at Graph's budget), never the steady rate.
 */
export function writeReserve(budget: number, windowSeconds: number): number {
  return Math.max(1, Math.ceil(Math.min(budget / windowSeconds, budget * 0.02)));
}

/** Graph's resource units per 10 s by tenant size: above 500 users, 50–500, under 50 (throttling-limits). */
export const tenantSizeUnits = [8000, 5000, 3500] as const;
/** Graph's "identity and access reports" limit: 5 requests per 10 s per app and tenant. */
const reportRequests = 5;
const serviceWindowMs = 10_000;
/** Kept a little under Graph's figure: other readers of the tenant (the portal, other apps) count too. */
const readShare = 0.95;

/** GRAPH_READ_UNITS as a budget: a set figure is fixed; `auto` starts large and steps down on a 429 naming it. */
export function readUnitsFromSettings(setting: number | "auto"): {
  capacity: number;
  windowMs: number;
  lowerTiers?: number[];
} {
  const units = (figure: number) => Math.floor(figure * readShare);
  if (setting !== "auto") return { capacity: units(setting), windowMs: serviceWindowMs };
  const [large, ...smaller] = tenantSizeUnits;
  return { capacity: units(large), windowMs: serviceWindowMs, lowerTiers: smaller.map(units) };
}

/**
 * The write limiter: Graph's token bucket sized from GRAPH_WRITE_BUDGET / GRAPH_WRITE_WINDOW_SECONDS. Graph's
 * budget is per app and tenant, so a process builds one (in `buildServices`), and with storage configured every
 * process — each Functions instance, the backfill and report CLI — leases its tokens from one bucket row in the
 * app's storage account (`TableWriteBudget`), so the fleet together stays inside one bucket.
 */
export function writeLimiterFromSettings(
  s: Settings,
  log?: (line: string) => void,
  metrics: Metrics = noMetrics,
): WriteLimiter {
  const storage = s.AzureWebJobsStorage !== undefined || s.AzureWebJobsStorage__tableServiceUri !== undefined;
  return new WriteLimiter({
    budget: s.GRAPH_WRITE_BUDGET,
    windowMs: s.GRAPH_WRITE_WINDOW_SECONDS * 1000 * (1 + windowHeadroomShare),
    reserve: writeReserve(s.GRAPH_WRITE_BUDGET, s.GRAPH_WRITE_WINDOW_SECONDS),
    readUnits: readUnitsFromSettings(s.GRAPH_READ_UNITS),
    reports: { requests: reportRequests, windowMs: serviceWindowMs },
    methods: {
      requests: s.GRAPH_METHOD_REQUESTS,
      windowMs: serviceWindowMs,
      max: s.GRAPH_METHOD_REQUESTS_MAX,
    },
    ...(storage ? { shared: new TableWriteBudget(tableClient(s, writeBudgetTable)) } : {}),
    log: log ?? ((line) => console.warn(line)),
    // The budget's use, and every 429 (each pauses the writes): what the workbook's budget chart shows.
    onGrant: (count, _at, waitedMs) => {
      if (count <= 0) return;
      metrics.add("writeTokens", count);
      metrics.observe("writeWait", waitedMs);
    },
    onBackOff: () => metrics.add("graphThrottled", 1),
    // A shared row whose pause or emptiness held this process past the bound (FleetPauseGuard): the fleet-paused
    // alert reads it.
    onPauseDistrusted: (budget, _heldMs, why) => metrics.add("fleetPauseDistrusted", 1, { budget, why }),
  });
}

/**
 * Builds the Graph adapter from settings: a static GRAPH_ACCESS_TOKEN for a loopback GRAPH_BASE_URL (emulator),
 * otherwise the managed identity (AZURE_CLIENT_ID selects a user-assigned one). `credential` (the CLI's sign-in)
 * replaces both. `stopSignal` (the CLI's Ctrl-C) drops writes still waiting for budget instead of sending them.
 */
export function graphDirectoryFromSettings(
  s: Settings,
  limiter: WriteLimiter,
  priority?: ThrottlePriority,
  credential?: TokenCredential,
  stopSignal?: AbortSignal,
): GraphDirectory {
  const accessToken = credential ? undefined : s.GRAPH_ACCESS_TOKEN;
  const emulator = isLoopbackHost(new URL(s.GRAPH_BASE_URL).hostname);
  return createGraphDirectory({
    baseUrl: s.GRAPH_BASE_URL,
    accessToken,
    // Only built when needed: a local run with a static token never touches Azure identity endpoints, and an
    // emulator never gets the app's identity.
    credential:
      credential ??
      (accessToken === undefined && !emulator
        ? new DefaultAzureCredential(s.AZURE_CLIENT_ID ? { managedIdentityClientId: s.AZURE_CLIENT_ID } : {})
        : undefined),
    limiter,
    ...(priority ? { priority } : {}),
    retry: { maxRetries: s.GRAPH_MAX_RETRIES, delaySeconds: s.GRAPH_RETRY_DELAY_SECONDS },
    protectedGroupIds: s.PROTECTED_GROUP_IDS,
    privilegeMaxAgeMs: s.PRIVILEGE_MAX_AGE_SECONDS * 1000,
    ...(stopSignal ? { stopSignal } : {}),
  });
}
