import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import {
  GraphPacingMiddleware,
  readUnitsOf,
  slowDownMsFor,
} from "../../shared/graph/graphPacingMiddleware.js";
import { WriteLimiter } from "../../shared/graph/writeLimiter.js";

/** Runs the pacing middleware on one request whose answer is `status` with `headers`; returns what was sent. */
async function send(
  middleware: GraphPacingMiddleware,
  answer: { status: number; headers?: Record<string, string> },
): Promise<Record<string, string>> {
  let sent: Record<string, string> = {};
  const next: Middleware = {
    execute: async (context: Context) => {
      sent = { ...(context.options?.headers as Record<string, string>) };
      context.response = new Response(null, { status: answer.status, headers: answer.headers ?? {} });
    },
    setNext: () => undefined,
  };
  middleware.setNext(next);
  await middleware.execute({
    request: "http://127.0.0.1/v1.0/users/x",
    options: { method: "GET", headers: {} },
  });
  return sent;
}

describe("the pacing middleware listens to Graph", () => {
  it.each([
    [undefined, {}],
    // Graph's page spells the values Low, Normal, High.
    ["low", { "x-ms-throttle-priority": "Low" }],
    ["normal", { "x-ms-throttle-priority": "Normal" }],
    ["high", { "x-ms-throttle-priority": "High" }],
  ] as const)("with priority %s sends %j", async (priority, expected) => {
    const middleware = new GraphPacingMiddleware(new WriteLimiter({ budget: 10, windowMs: 1000 }), priority);
    expect(await send(middleware, { status: 200 })).toEqual(expected);
  });

  it.each([
    [0.8, 0],
    [1.0, 0],
    [1.2, 1000],
    [1.8, 2000],
  ])("holds back %s of a limit used for %i ms", (percentage, ms) => {
    expect(slowDownMsFor(percentage)).toBe(ms);
  });

  it("slows the process before a 429 when Graph says a limit is overspent, without counting a 429", async () => {
    const limiter = new WriteLimiter({ budget: 10, windowMs: 1000 });
    await send(new GraphPacingMiddleware(limiter), {
      status: 200,
      headers: { "x-ms-throttle-limit-percentage": "1.4" },
    });
    expect(limiter.stats()).toMatchObject({ backOffs: 0, eased: 1 });
    expect(limiter.stats().pausedForMs).toBeGreaterThan(1_500);
  });

  it("pauses for a 429's Retry-After and counts it", async () => {
    const limiter = new WriteLimiter({ budget: 10, windowMs: 1000 });
    await send(new GraphPacingMiddleware(limiter), { status: 429, headers: { "Retry-After": "3" } });
    expect(limiter.stats()).toMatchObject({ backOffs: 1 });
    expect(limiter.stats().pausedForMs).toBeGreaterThan(2_500);
  });
});

describe("resource units, as Graph counts them", () => {
  it.each([
    ["GET", "http://h/v1.0/users/6f1c2a40-0000-4000-8000-000000000001", undefined, 1],
    ["GET", "http://h/v1.0/users/mei.chen@contoso.example?$select=id,mobilePhone", undefined, 1],
    ["GET", "http://h/v1.0/users?$filter=employeeId%20eq%20'E1'", undefined, 2],
    ["GET", "http://h/v1.0/users?$filter=employeeId%20eq%20'E1'&$select=id", undefined, 1],
    ["PATCH", "http://h/v1.0/users/6f1c2a40-0000-4000-8000-000000000001", undefined, 1],
    [
      "POST",
      "http://h/v1.0/$batch",
      JSON.stringify({
        requests: [
          { method: "GET", url: "/users/mei.chen@contoso.example?$select=id" },
          { method: "GET", url: "/roleManagement/directory/roleAssignments?$filter=x" },
          { method: "PATCH", url: "/users/6f1c2a40-0000-4000-8000-000000000001" },
        ],
      }),
      3,
    ],
    [
      "GET",
      "https://graph.microsoft.com/v1.0/users/6f1c2a40-0000-4000-8000-000000000001/transitiveMemberOf?$top=999",
      undefined,
      2,
    ],
    [
      "GET",
      "http://127.0.0.1:7000/v1.0/roleManagement/directory/roleAssignments?$expand=roleDefinition",
      undefined,
      2,
    ],
    ["GET", "http://h/v1.0/users?$select=id&$top=5", undefined, 1],
    ["GET", "http://h/v1.0/groups/0f1e2d3c/transitiveMembers", undefined, 5],
  ])("costs %s %s %i units", (method, url, body, expected) => {
    expect(readUnitsOf({ request: url, options: { method, body } })).toBe(expected);
  });

  it("paces reads to the resource-unit budget: a full bucket at once, then its refill", async () => {
    let now = 0;
    const limiter = new WriteLimiter({
      budget: 10,
      windowMs: 1000,
      readUnits: { capacity: 100, windowMs: 10_000 },
      clock: {
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      },
    });
    for (let i = 0; i < 150; i++) await limiter.acquireReads(1);
    // 100 at once, then 50 more at 10 per second.
    expect(now).toBeGreaterThanOrEqual(4_990);
    expect(now).toBeLessThan(5_100);
  });
});
