import { setImmediate } from "node:timers/promises";
import { WriteLimiter } from "../../shared/graph/writeLimiter.js";

/**
 * One clock for the Graph adapter (`sleep`), its write limiter (`clock`) and the emulator (`now`): a wait moves the
 * clock on at once and is recorded, so a test asserts how long the adapter waited instead of spending it.
 */
export interface VirtualClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Every wait asked for, in ms, in order. */
  readonly waits: number[];
}

/** A virtual clock starting at `start` (epoch ms, as the emulator's tokens and Retry-After dates expect). */
export function virtualClock(start = Date.now()): VirtualClock {
  let now = start;
  const waits: number[] = [];
  return {
    now: () => now,
    waits,
    async sleep(ms) {
      waits.push(ms);
      now += Math.max(0, ms);
      // Still asynchronous, as a timer is: whatever else is ready runs before the waiter goes on.
      await setImmediate();
    },
  };
}

/** A limiter as roomy as `roomyLimiter`, on the virtual clock (a 429's pause is waited through `clock.sleep`). */
export function limiterOn(clock: VirtualClock): WriteLimiter {
  return new WriteLimiter({ budget: 10_000, windowMs: 1000, clock });
}
