import type { CounterKey, CounterRow, CounterStore } from "../sync/counterStore.js";

/** A use limit: at most `perWindow` per `windowSeconds`, counted per subject in fixed windows of the UTC clock. */
export interface WindowLimit {
  /** What is counted (`reads`, `events`): the counters' namespace, so two limits never share a counter. */
  name: string;
  perWindow: number;
  windowSeconds: number;
}

/**
 * What a limiter answered: taken, or refused with when to come back. `limitReached`: the window is spent;
 * `overWholeLimit`: the amount alone is more than a whole window allows (it would never pass); `busy`: so many
 * requests of the same subject raced for the counter at once that this one gave up (come back in a second).
 */
export type Allowance =
  | { ok: true; used: number; remaining: number; resetsAt: Date }
  | {
      ok: false;
      why: "limitReached" | "overWholeLimit" | "busy";
      used: number;
      retryAfterSeconds: number;
      resetsAt: Date;
    };

/** The limiter's time: now in epoch ms, and a wait before trying a raced counter again (tests pass fakes). */
export interface LimiterTime {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realTime: LimiterTime = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

// Instances of one subject race on one row; each round one wins and the others load again. Ten rounds serve ten
// requests of one caller at the same instant, far more than a person clicks; a flood beyond that is told `busy`.
const maxAttempts = 10;

/**
 * Counts use against a limit in a CounterStore every instance shares: load the subject's counter, decide
 * (`decideAllowance`), save on the version loaded; a lost race loads again. A refusal takes nothing, so a sender
 * that is told to come back has spent none of its allowance on the refused request. A store that cannot be
 * reached throws: the caller answers 503, never lets the request through (a limit that fails open is none).
 */
export class WindowLimiter {
  constructor(
    readonly limit: WindowLimit,
    private readonly store: CounterStore,
    private readonly time: LimiterTime = realTime,
  ) {}

  /** Takes `amount` (1 for a read, a delivery's events) from `subject`'s allowance in the current window. */
  async take(subject: string, amount = 1): Promise<Allowance> {
    const key: CounterKey = {
      subject: `${this.limit.name}:${subject}`,
      windowSeconds: this.limit.windowSeconds,
    };
    let decided: Decided | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const reading = await this.store.load(key);
      decided = decideAllowance(reading.row, amount, this.limit, this.time.now());
      if (decided.next === undefined) return decided.allowance;
      if ((await this.store.save(key, decided.next, reading.version)) === "saved") return decided.allowance;
      // Jittered, so the racers of one round do not meet again in the next.
      await this.time.sleep(5 + Math.random() * 10 * attempt);
    }
    const last = decided?.allowance;
    const resetsAt = last?.resetsAt ?? new Date(this.time.now());
    return { ok: false, why: "busy", used: last?.used ?? 0, retryAfterSeconds: 1, resetsAt };
  }
}

/** A decision over one loaded counter: the answer, and the row to save when something is taken. */
export interface Decided {
  allowance: Allowance;
  next?: CounterRow;
}

/**
 * The pure decision: is there room for `amount` more in the window `now` falls in? Windows are fixed and aligned
 * to the epoch (a minute starts at :00 UTC), so every instance names the same window without talking to another.
 */
export function decideAllowance(
  row: CounterRow | undefined,
  amount: number,
  limit: WindowLimit,
  now: number,
): Decided {
  const windowMs = limit.windowSeconds * 1000;
  const counted = countedRow(row, Math.floor(now / windowMs) * windowMs, windowMs, limit.perWindow);
  const resetsAtMs = counted.windowStart + windowMs;
  const resetsAt = new Date(resetsAtMs);
  const refused = (why: "limitReached" | "overWholeLimit"): Decided => ({
    allowance: {
      ok: false,
      why,
      used: counted.count,
      retryAfterSeconds: Math.max(1, Math.ceil((resetsAtMs - now) / 1000)),
      resetsAt,
    },
  });
  if (amount > limit.perWindow) return refused("overWholeLimit");
  if (counted.count + amount > limit.perWindow) return refused("limitReached");
  const used = counted.count + amount;
  return {
    allowance: { ok: true, used, remaining: limit.perWindow - used, resetsAt },
    next: { windowStart: counted.windowStart, count: used },
  };
}

/**
 * The stored row as this window's count. A row of an earlier window counts nothing now. A row of the next window
 * is another instance whose clock runs a little ahead: its count goes on. Anyone with the storage role can edit
 * the row, so a window further ahead is not believed (it would lock the subject out), and a count that is not a
 * number spends the window (a limit that fails open is none).
 */
function countedRow(
  row: CounterRow | undefined,
  current: number,
  windowMs: number,
  perWindow: number,
): CounterRow {
  const believed =
    row !== undefined &&
    Number.isFinite(row.windowStart) &&
    row.windowStart >= current &&
    row.windowStart <= current + windowMs;
  if (!believed) return { windowStart: current, count: 0 };
  return {
    windowStart: row.windowStart,
    count: Number.isFinite(row.count) && row.count >= 0 ? row.count : perWindow,
  };
}
