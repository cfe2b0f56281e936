import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphThrottle } from "../../local/graphEmulator/GraphThrottle.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { readUnitsFromSettings } from "../../shared/app/graphDirectoryFromSettings.js";
import { GraphPacingMiddleware } from "../../shared/graph/graphPacingMiddleware.js";
import { serviceOf, throttledBudget } from "../../shared/graph/graphService.js";
import { RequestBudget } from "../../shared/graph/requestBudget.js";
import { type LimiterClock, WriteLimiter } from "../../shared/graph/writeLimiter.js";
import { aTenant, directoryFor, graphFetch, startEmulator } from "../support/graphEmulatorFixtures.js";

// Graph's limits are per service (throttling-limits): the identity service's resource units and writes, the
// reports' 5 requests per 10 s, and the authentication methods, which the page lists under the reports. A 429
// pauses the budget it names, nothing else.

function fakeClock(): LimiterClock & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

const app = "5f0c2d4e-8a7b-4c19-9e3d-000000005a11";
const tenant = "3c0e9a51-7d2b-4f6e-8a40-00000000c0de";

describe("which budget a 429 pauses", () => {
  it.each([
    ["PATCH", "/users/u1", { "x-ms-throttle-information": "WriteLimitExceeded" }, "writes"],
    ["GET", "/users/u1", { "x-ms-throttle-information": "ResourceUnitLimitExceeded" }, "reads"],
    ["GET", "/users/u1", { "x-ms-throttle-scope": `Tenant_Application/Write/${app}/${tenant}` }, "writes"],
    ["PATCH", "/users/u1", { "x-ms-throttle-scope": `Tenant_Application/Read/${app}/${tenant}` }, "reads"],
    // Naming no limit: the route's own budget.
    ["PATCH", "/users/u1", {}, "writes"],
    ["GET", "/users?$top=999", {}, "reads"],
    ["GET", "/users/u1/authentication/methods", {}, "methods"],
    ["POST", "/users/u1/authentication/phoneMethods", { "Retry-After": "3" }, "methods"],
    [
      "GET",
      "/users/u1/authentication/methods",
      { "x-ms-throttle-scope": `Tenant/ReadWrite/${app}/${tenant}` },
      "methods",
    ],
    // A methods call that hit the identity write quota (if the identity limits apply to methods after all).
    [
      "PATCH",
      "/users/u1/authentication/emailMethods/m",
      { "x-ms-throttle-information": "WriteLimitExceeded" },
      "writes",
    ],
    ["GET", "/reports/authenticationMethods/userRegistrationDetails", {}, "reports"],
    [
      "GET",
      "https://graph.microsoft.com/v1.0/reports/authenticationMethods/userRegistrationDetails",
      { "x-ms-throttle-information": "ResourceUnitLimitExceeded" },
      "reports",
    ],
  ] as const)("%s %s answered 429 with %j pauses %s", (method, url, headers, budget) => {
    expect(throttledBudget(method, url, headers)).toBe(budget);
  });

  it.each([
    ["/users/u1", "directory"],
    ["http://127.0.0.1:4000/v1.0/users('$x@contoso.example')/authentication/methods", "methods"],
    ["/reports/authenticationMethods/userRegistrationDetails?$top=1000", "reports"],
    ["/roleManagement/directory/roleAssignments", "directory"],
  ] as const)("%s belongs to the %s service", (url, service) => {
    expect(serviceOf(url)).toBe(service);
  });
});

describe("the authentication methods' own budget, learnt from Graph's answers", () => {
  it("starts at the published 5 per 10 s, grows while Graph answers, halves on a 429 and never goes below 5", async () => {
    const clock = fakeClock();
    const budget = new RequestBudget({ requests: 5, windowMs: 10_000, max: 100 }, clock);
    expect(budget.current()).toBe(5);
    for (let i = 0; i < 40; i++) {
      await budget.acquire();
      budget.answered();
    }
    // Slow start: each answer frees its token and adds one, so 40 calls went without waiting for the refill.
    expect(clock.now()).toBe(0);
    expect(budget.current()).toBe(45);
    budget.backOff(2_000);
    expect(budget.current()).toBe(22.5);
    for (let i = 0; i < 3; i++) budget.backOff(1_000);
    expect(budget.current()).toBe(5);
    await budget.acquire();
    expect(clock.now()).toBeGreaterThanOrEqual(2_000);
  });

  it("keeps a set figure when learning is off (max = start)", async () => {
    const clock = fakeClock();
    const budget = new RequestBudget({ requests: 5, windowMs: 10_000 }, clock);
    for (let i = 0; i < 10; i++) {
      await budget.acquire();
      budget.answered();
    }
    expect(budget.current()).toBe(5);
    // 5 at once, the other 5 at the refill rate of one per 2 s.
    expect(clock.now()).toBeGreaterThanOrEqual(9_990);
  });
});

describe("the resource units: by tenant size, set or learnt", () => {
  it("keeps a set GRAPH_READ_UNITS (95% of it), and `auto` steps down a tenant size on each 429 naming them", () => {
    expect(readUnitsFromSettings(5000)).toEqual({ capacity: 4750, windowMs: 10_000 });
    const limiter = new WriteLimiter({
      budget: 10,
      windowMs: 1000,
      readUnits: readUnitsFromSettings("auto"),
    });
    expect(limiter.limits().readUnits).toBe(7600);
    limiter.backOff(10, "writes");
    expect(limiter.limits().readUnits).toBe(7600);
    limiter.backOff(10, "reads");
    expect(limiter.limits().readUnits).toBe(4750);
    // A second 429 of the same burst (while the pause is in force) is the same finding.
    limiter.backOff(10, "reads");
    expect(limiter.limits().readUnits).toBe(4750);
  });
});

describe("priority on every request, $batch items included", () => {
  it("puts x-ms-throttle-priority in each $batch item's headers, keeping an item's own", async () => {
    const middleware = new GraphPacingMiddleware(new WriteLimiter({ budget: 10, windowMs: 1000 }), "low");
    let sent: { headers: Record<string, string>; body: string } | undefined;
    middleware.setNext({
      execute: async (context) => {
        sent = {
          headers: context.options?.headers as Record<string, string>,
          body: String(context.options?.body),
        };
        context.response = new Response("{}", { status: 200 });
      },
      setNext: () => undefined,
    });
    await middleware.execute({
      request: "http://127.0.0.1/v1.0/$batch",
      options: {
        method: "POST",
        headers: {},
        body: JSON.stringify({
          requests: [
            { id: "0", method: "GET", url: "/users/a" },
            {
              id: "1",
              method: "PATCH",
              url: "/users/b",
              body: {},
              headers: { "Content-Type": "application/json" },
            },
            { id: "2", method: "GET", url: "/users/c", headers: { "X-MS-Throttle-Priority": "High" } },
          ],
        }),
      },
    });
    expect(sent?.headers["x-ms-throttle-priority"]).toBe("Low");
    const items = JSON.parse(sent?.body ?? "{}").requests;
    expect(items.map((i: { headers: Record<string, string> }) => i.headers)).toEqual([
      { "x-ms-throttle-priority": "Low" },
      { "Content-Type": "application/json", "x-ms-throttle-priority": "Low" },
      { "X-MS-Throttle-Priority": "High" },
    ]);
  });
});

describe("on the emulated tenant, each service throttles apart", () => {
  let emulator: GraphEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ tenant: aTenant(12) });
  });
  afterAll(async () => emulator.close());

  it("a methods 429 pauses the methods only: directory writes go on at once", async () => {
    emulator.setThrottle({ methodRequests: 3, methodWindowMs: 60_000 });
    const limiter = new WriteLimiter({
      budget: 100,
      windowMs: 1000,
      readUnits: { capacity: 3000, windowMs: 10_000 },
      methods: { requests: 20, windowMs: 10_000, max: 100 },
    });
    const directory = directoryFor(emulator, { limiter, batch: { maxAttempts: 1 } });
    const ids = Array.from(
      { length: 6 },
      (_, k) => `00000000-0000-4000-8000-${(k + 1).toString(16).padStart(12, "0")}`,
    );
    const answers = await directory.listAuthMethodsOf(ids);
    expect(answers.filter((a) => a instanceof Error)).toHaveLength(3);
    expect(emulator.stats.throttledBy).toEqual({ methods: 3 });
    expect(limiter.stats().paused.methods).toBeGreaterThan(15_000); // one call per 20 s: Retry-After 20
    expect(limiter.stats().paused).toMatchObject({ writes: 0, reads: 0 });
    const started = performance.now();
    await directory.updateProfiles(
      ids.map((userId) => ({ userId, patch: { mobilePhone: "+1 4255550123" } })),
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(emulator.stats.writesFor(ids[0] ?? "")).toBe(1);
    // The learning budget halved on the 429s (20 + 3 answered → 23, then halved per 429, never below 20).
    expect(limiter.limits().methods).toBe(20);
  });

  it("a 429 naming the resource units makes `auto` assume a smaller tenant, once per burst", async () => {
    emulator.setThrottle({ resourceUnits: 30, resourceWindowMs: 10_000, methodRequests: undefined });
    const limiter = new WriteLimiter({
      budget: 100,
      windowMs: 1000,
      readUnits: { capacity: 60, windowMs: 10_000, lowerTiers: [40, 25] },
    });
    const directory = directoryFor(emulator, { limiter, batch: { maxAttempts: 1 } });
    const answers = await directory.findUsers(
      Array.from({ length: 40 }, (_, k) => ({ userPrincipalName: `user${(k % 12) + 1}@contoso.example` })),
    );
    expect(answers.filter((a) => a instanceof Error).length).toBeGreaterThan(0);
    expect(emulator.stats.throttledBy).toMatchObject({ ResourceUnitLimitExceeded: expect.any(Number) });
    expect(limiter.limits().readUnits).toBe(40);
    expect(limiter.stats().paused.reads).toBeGreaterThan(0);
    expect(limiter.stats().paused.writes).toBe(0);
  });

  it("answers each limit's 429 with the headers that name it", async () => {
    emulator.setThrottle({ writeBudget: 1, writeWindowMs: 60_000, methodRequests: undefined });
    const user = "00000000-0000-4000-8000-000000000001";
    await graphFetch(emulator, `/users/${user}`, { method: "PATCH", body: { jobTitle: "A" } });
    const refused = await graphFetch(emulator, `/users/${user}`, {
      method: "PATCH",
      body: { jobTitle: "B" },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ms-throttle-information")).toBe("WriteLimitExceeded");
    expect(refused.headers.get("x-ms-throttle-scope")).toBe(`Tenant_Application/Write/${app}/${tenant}`);
    expect(throttledBudget("PATCH", `/users/${user}`, refused.headers)).toBe("writes");
  });

  it("records each $batch item's own priority, as Graph evaluates items one by one", async () => {
    emulator.stats.reset();
    await graphFetch(emulator, "/$batch", {
      method: "POST",
      headers: { "x-ms-throttle-priority": "Low" },
      body: {
        requests: [
          {
            id: "a",
            method: "GET",
            url: "/users/00000000-0000-4000-8000-000000000001",
            headers: { "x-ms-throttle-priority": "Low" },
          },
          { id: "b", method: "GET", url: "/users/00000000-0000-4000-8000-000000000002" },
        ],
      },
    });
    expect(emulator.stats.priorities).toEqual({ low: 1 });
    // The envelope's header is not taken to reach the items: an item without its own is normal.
    expect(emulator.stats.itemPriorities).toEqual({ low: 1, normal: 1 });
  });
});

describe("the emulated tenant's priority: low is throttled first", () => {
  it("holds a refused high-priority request's tokens from lower priorities until its Retry-After", () => {
    let now = 0;
    const throttle = new GraphThrottle(
      { writeBudget: 2, writeWindowMs: 2_000 },
      () => 1000,
      () => now,
    );
    const write = { resourceUnits: 1, writes: 1 };
    const [low, normal, high] = [0, 1, 2];
    expect(throttle.charge(write, "directory", normal).ok).toBe(true);
    expect(throttle.charge(write, "directory", normal).ok).toBe(true);
    expect(throttle.charge(write, "directory", high).ok).toBe(false);
    now = 1_200; // 1.2 writes refilled: room for one, which the waiting high request holds
    expect(throttle.charge(write, "directory", low).ok).toBe(false);
    expect(throttle.charge(write, "directory", high).ok).toBe(true);
  });

  it("throttles one priority alone exactly as without priorities", () => {
    let now = 0;
    const throttle = new GraphThrottle(
      { writeBudget: 2, writeWindowMs: 2_000 },
      () => 1000,
      () => now,
    );
    const write = { resourceUnits: 1, writes: 1 };
    const admitted = [0, 0, 0, 1_000, 1_000].map((at) => {
      now = at;
      return throttle.charge(write, "directory", 0).ok;
    });
    expect(admitted).toEqual([true, true, false, true, false]);
  });
});
