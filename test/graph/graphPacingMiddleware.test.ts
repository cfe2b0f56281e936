import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import { GraphPacingMiddleware, slowDownMsFor } from "../../shared/graph/graphPacingMiddleware.js";
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
    ["low", { "x-ms-throttle-priority": "low" }],
    ["high", { "x-ms-throttle-priority": "high" }],
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
