import type { LimiterClock } from "./writeLimiter.js";

/** Sleeps until the clock passes `until()`, read again after each sleep: a pause may be extended meanwhile. */
export async function sleepUntil(clock: LimiterClock, until: () => number): Promise<void> {
  for (let wait = until() - clock.now(); wait > 0; wait = until() - clock.now()) await clock.sleep(wait);
}
