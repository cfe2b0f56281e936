import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import type { SharedWriteBudget } from "../../shared/directory/sharedWriteBudget.js";
import { type LimiterClock, WriteLimiter } from "../../shared/graph/writeLimiter.js";
import { TableWriteBudget } from "../../shared/storage/tableWriteBudget.js";
import { useAzurite } from "../support/sharedAzurite.js";

// Several processes write to one tenant (Functions scale-out, a backfill beside them); Graph has one bucket for all
// of them. These tests run two limiters as two processes would, on one storage account.

let azurite: RunningAzurite | undefined;
let tables = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

/** A fresh bucket table, as one storage account every "process" shares. */
function sharedTable(): TableWriteBudget {
  return new TableWriteBudget(freshTableClient());
}

function freshTableClient() {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  return tableClient(settings, `Budget${process.pid}x${++tables}`);
}

/** The most grants in any interval beyond what a full bucket plus its refill over that interval allows. */
function excessOverBucket(times: number[], budget: number, windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sorted.length; i++)
    for (let j = i; j < sorted.length; j++) {
      const span = (sorted[j] ?? 0) - (sorted[i] ?? 0);
      worst = Math.max(worst, j - i + 1 - budget - (span * budget) / windowMs);
    }
  return worst;
}

describe("one write budget for the fleet", () => {
  it("keeps two processes together inside one bucket, where each alone would take the whole budget", async () => {
    const budget = 20;
    const windowMs = 1000;
    const table = sharedTable();
    const grants: number[] = [];
    const aProcess = () =>
      new WriteLimiter({
        budget,
        windowMs,
        shared: table,
        leaseSize: 2,
        onGrant: () => grants.push(Date.now()),
      });
    const [a, b] = [aProcess(), aProcess()];
    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: 30 }, () => a.acquire()),
      ...Array.from({ length: 30 }, () => b.acquire()),
    ]);
    const elapsed = Date.now() - started;
    // 60 writes from a bucket of 20 refilling at 20/s need 2 s; two unshared buckets would need 0.5 s.
    expect(elapsed).toBeGreaterThanOrEqual(1_800);
    // Leased tokens are taken from the row before they are used, so the fleet runs ahead of the bucket by at most
    // the leases held when a busy event loop delays their use (2 processes × 2 tokens).
    expect(excessOverBucket(grants, budget, windowMs)).toBeLessThanOrEqual(4);
  });

  it("pauses the whole fleet when one process is answered 429", async () => {
    const table = sharedTable();
    const a = new WriteLimiter({ budget: 100, windowMs: 1000, shared: table });
    const b = new WriteLimiter({ budget: 100, windowMs: 1000, shared: table });
    a.backOff(1_500);
    // The pause reaches the shared row asynchronously (a 429 never waits on storage); give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await b.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it("shares Graph's resource units too: two processes reading together stay inside one bucket of units", async () => {
    const table = sharedTable();
    const aProcess = () =>
      new WriteLimiter({
        budget: 100,
        windowMs: 1000,
        readUnits: { capacity: 20, windowMs: 1000 },
        shared: table,
      });
    const [a, b] = [aProcess(), aProcess()];
    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: 30 }, () => a.acquireReads(1)),
      ...Array.from({ length: 30 }, () => b.acquireReads(1)),
    ]);
    // 60 units from a bucket of 20 refilling at 20/s need 2 s; two unshared buckets would need 0.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_800);
  });

  it("pauses the fleet's writes for a writes 429 only: a reports or methods 429 leaves the writes going", async () => {
    const table = sharedTable();
    const methods = { requests: 5, windowMs: 10_000 };
    const a = new WriteLimiter({ budget: 100, windowMs: 1000, shared: table, methods, reports: methods });
    const b = new WriteLimiter({ budget: 100, windowMs: 1000, shared: table });
    a.backOff(1_500, "methods");
    a.backOff(1_500, "reports");
    await new Promise((resolve) => setTimeout(resolve, 300));
    let started = Date.now();
    await b.acquire();
    await a.acquire();
    expect(Date.now() - started).toBeLessThan(500);
    expect(a.stats().paused).toMatchObject({ writes: 0, reads: 0 });
    expect(a.stats().paused.methods).toBeGreaterThan(0);

    a.backOff(1_500, "writes");
    await new Promise((resolve) => setTimeout(resolve, 300));
    started = Date.now();
    // More than the token b still holds from its lease: it must go to the row, which is paused.
    await b.acquire(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it.each([
    ["a bucket far over its capacity", { tokens: 1e9, updatedAt: Date.now(), pausedUntil: 0 }],
    ["tokens that are not a number", { tokens: "lots", updatedAt: Date.now(), pausedUntil: 0 }],
    [
      "a last change dated in the future",
      { tokens: 100, updatedAt: Date.now() + 86_400_000, pausedUntil: 0 },
    ],
  ])("never grants more than a full bucket from a row with %s", async (_, fields) => {
    const client = freshTableClient();
    const limiter = new WriteLimiter({ budget: 20, windowMs: 1000, shared: new TableWriteBudget(client) });
    await limiter.acquire(); // creates the row
    await client.upsertEntity({ partitionKey: "graph", rowKey: "writes-20-20-1000", ...fields }, "Replace");
    const started = Date.now();
    for (let i = 0; i < 40; i++) await limiter.acquire();
    // At most a full bucket (20) at once, then 20/s: the other 20 take about a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });

  it("caps a fleet pause at five minutes, so a corrupt row can't stop the fleet for good", async () => {
    let epoch = Date.now();
    const client = freshTableClient();
    const table = new TableWriteBudget(client, () => epoch);
    await table.take(1, { capacity: 20, refill: 20, windowMs: 1000 });
    await client.upsertEntity(
      {
        partitionKey: "graph",
        rowKey: "writes-20-20-1000",
        tokens: 20,
        updatedAt: epoch,
        pausedUntil: 32_503_680_000_000,
      },
      "Replace",
    );
    expect((await table.take(1, { capacity: 20, refill: 20, windowMs: 1000 })).retryInMs).toBeLessThanOrEqual(
      300_000,
    );
    epoch += 300_001;
    expect((await table.take(1, { capacity: 20, refill: 20, windowMs: 1000 })).granted).toBe(1);
  });

  it("keeps writing at a small share, never the whole budget, while the shared bucket is unreachable", async () => {
    let now = 0;
    const clock: LimiterClock = {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    };
    const unreachable: SharedWriteBudget = {
      take: () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { name: "RestError" })),
      pause: () => Promise.reject(new Error("unreachable")),
    };
    const lines: string[] = [];
    const limiter = new WriteLimiter({
      budget: 100,
      windowMs: 1000,
      clock,
      shared: unreachable,
      log: (line) => lines.push(line),
    });
    for (let i = 0; i < 30; i++) await limiter.acquire();
    // 10% of the bucket: 10 at once, then 10 per second — 20 more take 2 s, where the whole budget would take 0.
    expect(now).toBeGreaterThanOrEqual(1_900);
    expect(lines.join("\n")).toMatch(/shared bucket is unreachable .* using 10% of the budget/);
  });
});
