import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LimiterClock, WriteLimiter } from "../../shared/graph/writeLimiter.js";

/** A clock that only moves when the test says so; sleepers wake in time order. */
function manualClock(): LimiterClock & { advance(ms: number): Promise<void> } {
  let now = 0;
  let sleepers: Array<{ at: number; wake: () => void }> = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms) => new Promise<void>((wake) => sleepers.push({ at: now + ms, wake })),
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const due = sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = Math.max(now, due.at);
        sleepers = sleepers.filter((s) => s !== due);
        due.wake();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}

/** Starts `count` acquisitions and records the clock time each one is granted. */
function acquireAll(limiter: WriteLimiter, clock: LimiterClock, count: number, size = 1): number[] {
  const grantedAt: number[] = [];
  for (let i = 0; i < count; i++) void limiter.acquire(size).then(() => grantedAt.push(clock.now()));
  return grantedAt;
}

function maxInWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (const start of times)
    max = Math.max(max, times.filter((t) => t >= start && t < start + windowMs).length);
  return max;
}

describe("WriteLimiter", () => {
  it("grants the whole budget at once, then one more as each write leaves the window", async () => {
    const clock = manualClock();
    const limiter = new WriteLimiter({ budget: 3, windowMs: 1000, clock });
    const granted = acquireAll(limiter, clock, 5);
    await clock.advance(0);
    expect(granted).toEqual([0, 0, 0]);
    await clock.advance(999);
    expect(granted).toHaveLength(3);
    await clock.advance(1);
    expect(granted).toEqual([0, 0, 0, 1000, 1000]);
  });

  it("never lets more than the budget start in any window, whatever the arrival pattern", async () => {
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
          expect(maxInWindow(grants, 500)).toBeLessThanOrEqual(budget);
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

  it("takes several tokens together for a batch", async () => {
    const clock = manualClock();
    const limiter = new WriteLimiter({ budget: 20, windowMs: 1000, clock });
    const granted = acquireAll(limiter, clock, 3, 8);
    await clock.advance(0);
    expect(granted).toEqual([0, 0]);
    expect(limiter.available()).toBe(4);
    await clock.advance(1000);
    expect(granted).toEqual([0, 0, 1000]);
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

  it("paces real time with small windows", async () => {
    const limiter = new WriteLimiter({ budget: 4, windowMs: 150 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => limiter.acquire()));
    // 4 at once, 4 after one window, 2 after two windows.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});
