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

describe("a fleet bucket the row cannot keep empty", () => {
  // Graph's 3,000 writes per 150 s, scaled down: 20 per 150 s, one token each 7.5 s, so 15 minutes of fake time
  // take a hundred or so visits to Azurite.
  const slow: BucketShape = { capacity: 20, refill: 20, windowMs: 150_000 };
  const slowRow = { partitionKey: "graph", rowKey: "writes-20-20-150000" };

  it("lets a process write after at most 15 minutes when a writer empties the row (no pause) before each of its visits", async () => {
    const client = freshTableClient();
    const time = fakeTime(5_000);
    await client.createTable();
    // Tokens 0 and written just now: the row never holds a token when the process looks, and never says "pause".
    const empty = () =>
      client.upsertEntity({ ...slowRow, tokens: 0, updatedAt: time.epoch(), pausedUntil: 0 }, "Merge");
    await empty();
    time.everyTick(empty);
    const distrusted: Array<{ budget: SharedBudgetName; heldMs: number; why: string }> = [];
    const lines: string[] = [];
    const grants: number[] = [];
    const limiter = new WriteLimiter({
      budget: slow.refill,
      windowMs: slow.windowMs,
      clock: time.clock,
      epochNow: time.epoch,
      shared: new TableWriteBudget(client, time.epoch),
      onPauseDistrusted: (name, heldMs, why) => distrusted.push({ budget: name, heldMs, why }),
      onGrant: (_count, at) => grants.push(at),
      log: (line) => lines.push(line),
    });

    for (let i = 0; i < 4; i++) await limiter.acquire();

    // Starved no longer than the bound (plus its own share's first token: 10% of 20 per 150 s, one in 75 s).
    expect(grants[0]).toBeGreaterThanOrEqual(minutes(15));
    expect(grants[0]).toBeLessThanOrEqual(minutes(15) + 80_000);
    // Then at its own share, not the whole budget: the next 3 take about 3 × 75 s, not 3 × 7.5 s.
    expect((grants[3] ?? 0) - (grants[0] ?? 0)).toBeGreaterThanOrEqual(200_000);
    expect(distrusted[0]).toMatchObject({ budget: "writes", why: "starved" });
    expect(distrusted[0]?.heldMs).toBeGreaterThanOrEqual(minutes(15));
    expect(
      lines.filter((line) => /WARNING .* granted this process no token for 15 min .*why=starved/.test(line)),
    ).toHaveLength(1);
  });

  it("believes the row again as soon as it grants a token, and says so", async () => {
    const client = freshTableClient();
    const time = fakeTime(5_000);
    await client.createTable();
    let attacking = true;
    const empty = () =>
      attacking
        ? client.upsertEntity({ ...slowRow, tokens: 0, updatedAt: time.epoch(), pausedUntil: 0 }, "Merge")
        : Promise.resolve();
    await empty();
    time.everyTick(empty);
    const lines: string[] = [];
    const limiter = new WriteLimiter({
      budget: slow.refill,
      windowMs: slow.windowMs,
      clock: time.clock,
      epochNow: time.epoch,
      shared: new TableWriteBudget(client, time.epoch),
      log: (line) => lines.push(line),
    });
    await limiter.acquire();
    attacking = false;
    for (let i = 0; i < 3; i++) await limiter.acquire();

    expect(lines.at(-1)).toMatch(/the fleet's shared bucket grants tokens again; it is believed again/);
  });
});

describe("an honest busy fleet", () => {
  it("never trips the bound: six processes wanting more than their share of one bucket each get tokens in time", async () => {
    // Real time, the bound scaled down to 3 s (60 tokens' refill): each process must get a token at least that often.
    const table = new TableWriteBudget(freshTableClient());
    const distrusted: string[] = [];
    const grantsOf = Array.from({ length: 6 }, () => 0);
    const processes = grantsOf.map(
      (_, p) =>
        new WriteLimiter({
          budget: 20,
          windowMs: 1_000,
          shared: table,
          // Leases of 5 from a row that rarely holds that many: most visits are granted part of what they want.
          leaseSize: 5,
          pauseTrustMs: 3_000,
          onPauseDistrusted: (_budget, _heldMs, why) => distrusted.push(`process ${p}: ${why}`),
          onGrant: (count) => {
            grantsOf[p] = (grantsOf[p] ?? 0) + count;
          },
        }),
    );
    const until = Date.now() + 7_000;
    await Promise.all(
      processes.map(async (limiter) => {
        // Each wants a write every 50 ms: six of them want 120/s of a bucket that refills 20/s.
        while (Date.now() < until) await Promise.all([limiter.acquire(), limiter.acquire(2)]);
      }),
    );

    expect(distrusted).toEqual([]);
    for (const granted of grantsOf) expect(granted).toBeGreaterThan(0);
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
