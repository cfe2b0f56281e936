import { InvocationContext, type Timer } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readinessMetrics } from "../../functions/readinessMetrics.js";
import type { SeedUser } from "../../local/graphEmulator/EmulatedTenant.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { loadFunctions } from "../../local/loadFunctions.js";
import { resolveBindingExpression } from "../../local/resolveBindingExpression.js";
import { buildServices, useAppServices } from "../../shared/app/appServices.js";
import { loadSettings } from "../../shared/app/config.js";
import {
  type InMemoryMetrics,
  inMemoryMetrics,
  type MetricPoint,
} from "../../shared/app/metricsFromSettings.js";
import { metricCatalog } from "../../shared/metrics/metrics.js";
import { cannotReasons } from "../../shared/readiness/classifyReadiness.js";
import { resetEmulator, roomyLimiter, startEmulator } from "../support/graphEmulatorFixtures.js";

// The daily readiness run through the real timer function against the emulated tenant: what it counts, that it
// reads at low priority like the CLI's report, and that a Graph failure sets no count at all.

const seedUser = (n: number, overrides: Partial<SeedUser>): SeedUser => ({
  id: `00000000-0000-4000-8000-0000000005${String(n).padStart(2, "0")}`,
  userPrincipalName: `reader${n}@contoso.example`,
  ...overrides,
});

/** Six users whose verdicts are known: three SSPR can reach (u1 mobile, u2 alternate email, u5 synced mobile). */
const readinessTenant = {
  tenant: { domain: "contoso.example" },
  users: [
    seedUser(1, { mobilePhone: "+1 4255550147" }),
    seedUser(2, { otherMails: ["reader2.home@example.com"] }),
    // The same number in another format: SSPR needs it rewritten first.
    seedUser(3, { mobilePhone: "(425) 555-0148" }),
    seedUser(4, {}),
    seedUser(5, {
      onPremisesSyncEnabled: true,
      mobilePhone: "+1 4255550149",
      businessPhones: ["+1 4255550100"],
    }),
    // An address in the tenant's own domain is no way back in for a locked-out user.
    seedUser(6, { otherMails: ["reader6@contoso.example"] }),
  ],
};

let emulator: GraphEmulator;
let memory: InMemoryMetrics;
const logs: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ tenant: readinessTenant });
});
afterAll(async () => {
  useAppServices(undefined);
  await emulator?.close();
});
beforeEach(() => {
  resetEmulator(emulator);
  memory = inMemoryMetrics();
  const settings = loadSettings({
    GRAPH_BASE_URL: emulator.url,
    GRAPH_ACCESS_TOKEN: emulator.token,
    GRAPH_MAX_RETRIES: "0",
    DEFAULT_COUNTRY: "US",
    // Storage clients are built, never called: the run reads Graph only.
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
  });
  useAppServices(buildServices(settings, { metrics: memory.metrics, writeLimiter: roomyLimiter() }));
  logs.length = 0;
});

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};

function run(): Promise<void> {
  return readinessMetrics(
    timer,
    new InvocationContext({ logHandler: (_level, ...args) => logs.push(args.join(" ")) }),
  );
}

/** The readiness gauges by their dimensions, e.g. `all` → 6, `all mobilePhone usable` → 2. */
function gauges(
  points: MetricPoint[],
  metric: "readinessUsers" | "readinessReady" | "readinessFields" | "readinessBuckets",
) {
  return Object.fromEntries(
    points
      .filter((point) => point.name === metricCatalog[metric].name)
      .map((point) => [Object.values(point.dimensions).join(" "), point.value]),
  );
}

describe("the daily readiness timer", () => {
  it("runs on READINESS_SCHEDULE, daily at 06:00 UTC by default", async () => {
    const registration = (await loadFunctions()).find((r) => r.name === "readinessMetrics");
    expect(registration?.kind).toBe("timer");
    const schedule = registration?.kind === "timer" ? String(registration.options.schedule) : "";
    expect(schedule).toBe("%READINESS_SCHEDULE%");
    expect(resolveBindingExpression(schedule, loadSettings({}))).toBe("0 0 6 * * *");
  });

  it("sets the users, SSPR-ready and per-field gauges from the tenant's users, per population", async () => {
    await run();
    const points = await memory.read();
    expect(gauges(points, "readinessUsers")).toEqual({ all: 6, synced: 1, cloudOnly: 5 });
    expect(gauges(points, "readinessReady")).toEqual({ all: 3, synced: 1, cloudOnly: 2 });
    expect(gauges(points, "readinessFields")).toMatchObject({
      "all mobilePhone usable": 2,
      "all mobilePhone notCanonical": 1,
      "all mobilePhone missing": 3,
      "all officePhone usable": 1,
      "all officePhone missing": 5,
      "all alternateEmail usable": 1,
      "all alternateEmail invalid": 1,
      "all alternateEmail missing": 4,
      "synced mobilePhone usable": 1,
    });
    expect(points.find((point) => point.name === metricCatalog.readinessRuns.name)).toEqual({
      name: "sspr.readiness.runs",
      dimensions: { result: "succeeded", code: "none" },
      value: 1,
    });
    expect(logs).toEqual([
      "readiness counted: 6 users, 3 can reset now, 3 after prepopulation, 0 cannot (profile only); 3 reachable by SSPR on their profile",
      expect.stringMatching(
        /^readiness: The tenant's registration report is not available: .*AuditLog\.Read\.All.*\(registration_report_permission_missing\)$/,
      ),
      // The emulated tenant has PIM: which edition the privilege guard decides for is said every run.
      expect.stringMatching(/^readiness: the tenant has PIM .*\(privilege_edition_pim\)$/),
    ]);
    // Counts only: no user, address or number in any metric.
    expect(JSON.stringify(points)).not.toMatch(/reader\d|example\.com|555/);
  });

  it("sets the buckets gauge from the same verdicts as `sspr-prepop report`, per bucket and per reason", async () => {
    await run();
    const buckets = gauges(await memory.read(), "readinessBuckets");
    // Profile only (the emulated app lacks AuditLog.Read.All): u1, u2 and u5 reach SSPR; u3's number needs
    // rewriting, u4 has nothing, u6's address is in the tenant's own domain: prepopulation fills each.
    expect(buckets).toMatchObject({
      "canResetNow none": 3,
      "afterPrepopulation none": 3,
      "cannot privileged": 0,
      "cannot synced_in_ad": 0,
    });
    expect(Object.keys(buckets).filter((key) => key.startsWith("cannot "))).toHaveLength(
      cannotReasons.length,
    );
  });

  it("judges with the tenant's own SSPR verdicts when AuditLog.Read.All is granted, as the report does", async () => {
    emulator.tenant.grantPermission("AuditLog.Read.All");
    await run();
    expect(logs[0]).toMatch(/\(tenant's verdicts\)/);
    const buckets = gauges(await memory.read(), "readinessBuckets");
    expect(
      (buckets["canResetNow none"] ?? 0) +
        (buckets["afterPrepopulation none"] ?? 0) +
        cannotReasons.reduce((sum, reason) => sum + (buckets[`cannot ${reason}`] ?? 0), 0),
    ).toBe(6);
  });

  it("reads every user at low priority, like the CLI's report, one page per 999 users", async () => {
    await run();
    expect(emulator.stats.requestCount("GET users")).toBe(1);
    expect(emulator.stats.priorities).toEqual({ low: emulator.stats.totalRequests() });
  });

  it("is idempotent: a second run the same day sets the same gauges", async () => {
    await run();
    const first = await memory.read();
    await run();
    const second = await memory.read();
    for (const metric of ["readinessUsers", "readinessReady", "readinessFields"] as const) {
      expect(gauges(second, metric)).toEqual(gauges(first, metric));
    }
    expect(second.find((point) => point.name === metricCatalog.readinessRuns.name)?.value).toBe(2);
  });

  it("fails closed when Graph fails: no readiness gauge at all, the run counted as failed with its code, a clear error", async () => {
    emulator.setFaults({ unavailableRate: 1 });
    await expect(run()).rejects.toThrow(
      /^readiness not counted: Graph is unavailable or did not answer in time.* \(transient_failure\); no readiness metric was set, the next scheduled run tries again$/,
    );
    const points = await memory.read();
    expect(points.map((point) => point.name)).toEqual([metricCatalog.readinessRuns.name]);
    expect(points[0]?.dimensions).toEqual({ result: "failed", code: "transient_failure" });
  });

  it("fails closed when listing the users fails after the tenant's domains were read: no count, however far it got", async () => {
    emulator.tenant.failRoute("GET users", 503, 0);
    await expect(run()).rejects.toThrow(/\(transient_failure\)/);
    const names = (await memory.read()).map((point) => point.name);
    expect(names).not.toContain(metricCatalog.readinessUsers.name);
    expect(names).not.toContain(metricCatalog.readinessFields.name);
  });
});
