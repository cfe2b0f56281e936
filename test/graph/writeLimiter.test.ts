import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LimiterClock, WriteLimiter } from "../../shared/graph/writeLimiter.js";
import { manualClock } from "../support/manualClock.js";

/** Starts `count` acquisitions and records the clock time each one is granted. */
function acquireAll(limiter: WriteLimiter, clock: LimiterClock, count: number, size = 1): number[] {
  const grantedAt: number[] = [];
  for (let i = 0; i < count; i++) void limiter.acquire(size).then(() => grantedAt.push(clock.now()));
  return grantedAt;
}

/** The most grants in any interval beyond what a full bucket plus its refill over that interval allows. */
function excessOverBucket(times: number[], budget: number, windowMs: number): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (const start of times)
    for (const end of times) {
      if (end < start) continue;
      const inInterval = times.filter((t) => t >= start && t <= end).length;
      worst = Math.max(worst, inInterval - budget - ((end - start) * budget) / windowMs);
    }
  return worst;
}

describe("WriteLimiter, Graph's token bucket", () => {
  it.each([
    // budget, windowMs, acquisitions → grant times: a full bucket at once, then one token per windowMs/budget.
    [3, 1000, 5, [0, 0, 0, 333, 667]],
    [4, 150, 6, [0, 0, 0, 0, 38, 75]],
    [1, 100, 3, [0, 100, 200]],
  ])("with a bucket of %i over %i ms grants %i writes at %j", async (budget, windowMs, count, expected) => {
    const clock = manualClock();
    const limiter = new WriteLimiter({ budget, windowMs, clock });
    const granted = acquireAll(limiter, clock, count);
    for (let t = 0; t < 1000; t += 1) await clock.advance(1);
    expect(granted.map(Math.round)).toEqual(expected);
  });

  it("never grants more than a full bucket plus its refill in any interval, whatever the arrival pattern", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 1, max: 3 })), {
          minLength: 1,
          maxLength: 25,
        }),
        async (budget, arrivals) => {
          const clock = manualClock();
          const limiter = new WriteLimiter({ budget, windowMs: 500, clock });
          const grants: number[] = [];
          let pending = 0;
          for (const [gapMs, size] of arrivals) {
            await clock.advance(gapMs);
            const n = Math.min(size, budget);
            pending += 1;
            void limiter.acquire(n).then(() => {
              for (let i = 0; i < n; i++) grants.push(clock.now());
              pending -= 1;
            });
          }
          for (let i = 0; i < 200 && pending > 0; i++) await clock.advance(100);
          expect(pending).toBe(0);
          expect(excessOverBucket(grants, budget, 500)).toBeLessThanOrEqual(1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("grants in arrival order", async () => {
    const clock = manualClock();
    const limiter = new WriteLimiter({ budget: 1, windowMs: 100, clock });
    const order: number[] = [];
    for (const n of [1, 2, 3]) void limiter.acquire().then(() => order.push(n));
    await clock.advance(300);
    expect(order).toEqual([1, 2, 3]);
  });

  it("takes several tokens together for a batch, waiting for the refill of the missing ones", async () => {
    const clock = manualClock();
    const limiter = new WriteLimiter({ budget: 20, windowMs: 1000, clock });
    const granted = acquireAll(limiter, clock, 3, 8);
    await clock.advance(0);
    expect(granted).toEqual([0, 0]);
    expect(limiter.available()).toBe(4);
    // 4 more tokens are needed at 20 per second: 200 ms.
    await clock.advance(199);
    expect(granted).toEqual([0, 0]);
    await clock.advance(1);
    expect(granted).toEqual([0, 0, 200]);
  });

  it("pauses every write and read for a 429's Retry-After", async () => {
    const clock = manualClock();
    const limiter = new WriteLimiter({ budget: 10, windowMs: 1000, clock });
    limiter.backOff(2000);
    limiter.backOff(500); // a shorter pause never cuts a longer one
    const granted = acquireAll(limiter, clock, 1);
    let readAt: number | undefined;
    void limiter.whenUnpaused().then(() => {
      readAt = clock.now();
    });
    await clock.advance(1999);
    expect(granted).toEqual([]);
    expect(readAt).toBeUndefined();
    await clock.advance(1);
    expect(granted).toEqual([2000]);
    expect(readAt).toBe(2000);
    expect(limiter.stats()).toMatchObject({ granted: 1, backOffs: 2 });
  });

  it.each([
    ["a budget of 0", { budget: 0, windowMs: 1000 }],
    ["a non-positive window", { budget: 5, windowMs: 0 }],
  ])("refuses %s", (_, options) => {
    expect(() => new WriteLimiter(options)).toThrow(RangeError);
  });

  it("refuses to take more tokens than the whole budget", async () => {
    const limiter = new WriteLimiter({ budget: 5, windowMs: 1000 });
    await expect(limiter.acquire(6)).rejects.toThrow(RangeError);
    await expect(limiter.acquire(5)).resolves.toBeUndefined();
  });

  it("paces real time at the refill rate once the bucket is empty", async () => {
    const limiter = new WriteLimiter({ budget: 4, windowMs: 200 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => limiter.acquire()));
    // 4 at once, then 6 more at 20 per second: 300 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe("WriteLimiter's hooks, which the app's metrics read", () => {
  it("tells how long each grant waited: nothing while the bucket has room, the refill time after", async () => {
    const clock = manualClock();
    const waits: number[] = [];
    const limiter = new WriteLimiter({
      budget: 1,
      windowMs: 100,
      clock,
      onGrant: (count, _at, waitedMs) => waits.push(count, waitedMs),
    });
    acquireAll(limiter, clock, 3);
    for (let t = 0; t < 300; t += 1) await clock.advance(1);
    expect(waits.map(Math.round)).toEqual([1, 0, 1, 100, 1, 200]);
  });

  it("tells every back-off (each a 429), one with no Retry-After time included", () => {
    const backOffs: number[] = [];
    const limiter = new WriteLimiter({ budget: 10, windowMs: 1000, onBackOff: (ms) => backOffs.push(ms) });
    limiter.backOff(1500);
    limiter.backOff(0);
    expect(backOffs).toEqual([1500, 0]);
  });
});

describe("WriteLimiter on the fleet's shared bucket", () => {
  /** A fleet bucket on the manual clock, empty at the start, refilling at `perSecond`; counts the takes. */
  function emptySharedBucket(clock: LimiterClock, perSecond: number) {
    let tokens = 0;
    let at = clock.now();
    const takes: number[] = [];
    return {
      takes,
      async take(wanted: number) {
        const now = clock.now();
        tokens += ((now - at) * perSecond) / 1000;
        at = now;
        takes.push(now);
        const granted = Math.min(wanted, Math.floor(tokens));
        tokens -= granted;
        const missing = wanted - granted - tokens;
        return { granted, retryInMs: missing > 0 ? (missing * 1000) / perSecond : 0, pausedUntil: 0 };
      },
      async pause() {},
    };
  }

  it("a starved $batch of 20 writes waits for its 20 tokens, not for a whole lease of 60 it would not use", async () => {
    const clock = manualClock();
    const shared = emptySharedBucket(clock, 20);
    const limiter = new WriteLimiter({ budget: 3000, windowMs: 150_000, clock, shared, leaseSize: 60 });
    const granted: number[] = [];
    void limiter.acquire(20).then(() => granted.push(clock.now()));
    for (let t = 0; t < 4000; t += 10) await clock.advance(10);
    // 20 tokens at 20 per second: about one second (a whole lease would have been three).
    expect(granted).toHaveLength(1);
    expect(granted[0]).toBeGreaterThanOrEqual(1000);
    expect(granted[0]).toBeLessThan(1200);
    // And it asked the bucket twice, not once per write it needed.
    expect(shared.takes.length).toBeLessThanOrEqual(3);
  });
});
