import { RestError, type TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import type { BucketShape } from "../../shared/directory/sharedWriteBudget.js";
import type { SharedBudgetName } from "../../shared/graph/sharedBucketLink.js";
import { type LimiterClock, WriteLimiter } from "../../shared/graph/writeLimiter.js";
import { TableWriteBudget } from "../../shared/storage/tableWriteBudget.js";
import { useAzurite } from "../support/sharedAzurite.js";

// The fleet's budget row on Azurite, attacked: whoever may write the row can pause the whole fleet, 5 minutes at a
// time, again and again. Time is a fake clock that moves when a process sleeps; nothing sleeps for real.

let azurite: RunningAzurite | undefined;
let tables = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

function freshTableClient(): TableClient {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  return tableClient(settings, `Stall${process.pid}x${++tables}`);
}

const epochStart = Date.UTC(2030, 0, 1);
const minutes = (n: number) => n * 60_000;
const budget = 20;
const windowMs = 1000;
const writeRow = { partitionKey: "graph", rowKey: `writes-${budget}-${budget}-${windowMs}` };
const shape: BucketShape = { capacity: budget, refill: budget, windowMs };

/**
 * A fake clock for one process; `everyTick` runs each `tickMs` of fake time while it sleeps (the attacker's
 * refresh). Past two hours of fake time it throws: a process held for good fails the test instead of hanging it.
 */
function fakeTime(tickMs = 3_000) {
  let now = 0;
  const ticks: Array<() => Promise<unknown>> = [];
  const clock: LimiterClock = {
    now: () => now,
    sleep: async (ms) => {
      for (let left = ms; left > 0; ) {
        const step = Math.min(left, tickMs);
        now += step;
        left -= step;
        for (const tick of ticks) await tick();
      }
      if (now > minutes(120)) throw new Error("held for two hours of fake time");
    },
  };
  return {
    clock,
    epoch: () => epochStart + now,
    now: () => now,
    everyTick: (fn: () => Promise<unknown>) => ticks.push(fn),
  };
}

/** Someone with write access to the table who pauses the fleet for another 5 minutes each time it is called. */
function attacker(table: TableClient, epoch: () => number) {
  return () =>
    table.upsertEntity(
      { ...writeRow, tokens: budget, updatedAt: epoch(), pausedUntil: epoch() + minutes(5) },
      "Merge",
    );
}

describe("a fleet pause the row cannot make endless", () => {
  it("holds a process at most 15 minutes when a writer re-pauses the row every 3 s, then writes go on at its own share", async () => {
    const client = freshTableClient();
    const time = fakeTime();
    const forge = attacker(client, time.epoch);
    await client.createTable();
    await forge();
    time.everyTick(forge);
    const distrusted: Array<{ budget: SharedBudgetName; heldMs: number }> = [];
    const lines: string[] = [];
    const grants: number[] = [];
    const limiter = new WriteLimiter({
      budget,
      windowMs,
      clock: time.clock,
      epochNow: time.epoch,
      shared: new TableWriteBudget(client, time.epoch),
      onPauseDistrusted: (name, heldMs) => distrusted.push({ budget: name, heldMs }),
      onGrant: (_count, at) => grants.push(at),
      log: (line) => lines.push(line),
    });

    for (let i = 0; i < 10; i++) await limiter.acquire();

    // Honoured while it could be a real throttle, and no longer than the bound (and its own share's first token).
    expect(grants[0]).toBeGreaterThanOrEqual(minutes(15) - 1);
    expect(grants[0]).toBeLessThanOrEqual(minutes(15) + 1_000);
    // Then its own share (10%: 2 writes/s), not the whole budget: the row still can't make it overrun Graph.
    expect((grants.at(-1) ?? 0) - (grants[0] ?? 0)).toBeGreaterThanOrEqual(3_500);
    expect(distrusted[0]).toEqual({ budget: "writes", heldMs: minutes(15) });
    expect(
      lines.filter((line) => /WARNING the fleet's shared pause has held this process 15 min/.test(line)),
    ).toHaveLength(1);
  });

  it("still pauses for a 429 Graph answers the process itself while it ignores the row", async () => {
    const client = freshTableClient();
    const time = fakeTime();
    const forge = attacker(client, time.epoch);
    await client.createTable();
    await forge();
    time.everyTick(forge);
    const limiter = new WriteLimiter({
      budget,
      windowMs,
      clock: time.clock,
      epochNow: time.epoch,
      shared: new TableWriteBudget(client, time.epoch),
    });
    await limiter.acquire();
    const distrustingFrom = time.now();
    expect(distrustingFrom).toBeLessThanOrEqual(minutes(15) + 1_000);

    limiter.backOff(90_000, "writes");
    for (let i = 0; i < 3; i++) await limiter.acquire();

    // The 429's Retry-After is waited out whatever the row says (and restarts the row's 15 minutes of credit).
    expect(time.now() - distrustingFrom).toBeGreaterThanOrEqual(90_000);
    expect(time.now() - distrustingFrom).toBeLessThanOrEqual(90_000 + minutes(15) + 10_000);
  });

  it("honours an honest fleet pause (one 429's Retry-After) to its end", async () => {
    const client = freshTableClient();
    const time = fakeTime();
    const app = new TableWriteBudget(client, time.epoch);
    await app.take(0, shape);
    await app.pause(time.epoch() + 90_000, shape);
    const limiter = new WriteLimiter({
      budget,
      windowMs,
      clock: time.clock,
      epochNow: time.epoch,
      shared: app,
    });
    await limiter.acquire();
    expect(time.now()).toBeGreaterThanOrEqual(90_000);
    expect(time.now()).toBeLessThan(95_000);
  });
});

describe("a sign-in that may only read the budget table (the CLI run by a person)", () => {
  /** The same table, with every write refused as Azure refuses a Storage Table Data Reader's. */
  function readOnlyView(table: TableClient): TableClient {
    const refused = () =>
      Promise.reject(
        new RestError("This request is not authorized to perform this operation using this permission.", {
          statusCode: 403,
          code: "AuthorizationPermissionMismatch",
        }),
      );
    return new Proxy(table, {
      get(target, property, receiver) {
        if (["createTable", "createEntity", "updateEntity", "upsertEntity"].includes(String(property)))
          return refused;
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  it("neither fails nor runs unpaced: it honours the fleet's pause it can read, then paces on half the budget", async () => {
    const client = freshTableClient();
    const time = fakeTime();
    const app = new TableWriteBudget(client, time.epoch);
    await app.take(0, shape);
    await app.pause(time.epoch() + 60_000, shape);
    const lines: string[] = [];
    const grants: number[] = [];
    const cli = new WriteLimiter({
      budget,
      windowMs,
      clock: time.clock,
      epochNow: time.epoch,
      shared: new TableWriteBudget(readOnlyView(client), time.epoch),
      onGrant: (_count, at) => grants.push(at),
      log: (line) => lines.push(line),
    });

    // What the backfill does before its first row: the run says how it is paced before anything else.
    await cli.checkShared();
    expect(lines).toHaveLength(1);
    for (let i = 0; i < 30; i++) await cli.acquire();
    cli.backOff(5_000, "writes"); // its own 429: no row to write, the pause is its own
    const before = time.now();
    await cli.acquire();

    expect(grants[0]).toBeGreaterThanOrEqual(60_000);
    // Half the bucket: 10 at once, then 10/s — the other 20 take 2 s, where the whole budget would take 0.5 s.
    expect((grants[29] ?? 0) - (grants[0] ?? 0)).toBeGreaterThanOrEqual(1_900);
    expect(time.now() - before).toBeGreaterThanOrEqual(5_000);
    expect(lines[0]).toMatch(
      /may read the fleet's shared bucket but not write it .* pacing on 50% of the budget/,
    );
    // The app's row is untouched by the CLI: still the app's pause.
    const row = await client.getEntity<{ pausedUntil: number }>(writeRow.partitionKey, writeRow.rowKey);
    expect(Number(row.pausedUntil)).toBe(epochStart + 60_000);
  });
});
