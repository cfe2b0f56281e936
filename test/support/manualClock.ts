import type { LimiterClock } from "../../shared/graph/writeLimiter.js";

/** A clock that only moves when the test says so; sleepers wake in time order. */
export interface ManualClock extends LimiterClock {
  /** Moves the clock on by `ms`, waking each sleeper due on the way at its own time. */
  advance(ms: number): Promise<void>;
  /** How many sleepers wait for the clock (a write waiting for budget is one). */
  sleeping(): number;
}

/** A manual clock starting at `start` ms (0, or an epoch time where the clock also dates things). */
export function manualClock(start = 0): ManualClock {
  let now = start;
  let sleepers: Array<{ at: number; wake: () => void }> = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms) => new Promise<void>((wake) => sleepers.push({ at: now + ms, wake })),
    sleeping: () => sleepers.length,
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
