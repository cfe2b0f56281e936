import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { BackfillProgress, type BudgetGauge, type ProgressClock } from "../../cli/backfillProgress.js";

/** A clock the test moves: `advance` fires every tick that falls due, in order, at its own time. */
function fakeClock() {
  let now = 0;
  const timers: Array<{ ms: number; next: number; tick: () => void; active: boolean }> = [];
  const clock: ProgressClock = {
    now: () => now,
    every: (ms, tick) => {
      const timer = { ms, next: now + ms, tick, active: true };
      timers.push(timer);
      return () => {
        timer.active = false;
      };
    },
  };
  return {
    clock,
    now: () => now,
    advance(ms: number, between?: (at: number) => void) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.active && t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        between?.(due.next);
        now = due.next;
        due.next += due.ms;
        due.tick();
      }
      now = end;
    },
  };
}

/**
 * Graph's write bucket as the limiter keeps it: `capacity` tokens, refilled at `perSecond`, taken by writes. The
 * progress only reads it, as it reads the real limiter.
 */
function aBucket(capacity: number, perSecond: number, time: () => number) {
  let tokens = capacity;
  let at = time();
  let pausedUntil = 0;
  let throttled = 0;
  const refill = () => {
    tokens = Math.min(capacity, tokens + ((time() - at) / 1000) * perSecond);
    at = time();
  };
  const gauge: BudgetGauge = {
    perSecond,
    available: () => {
      refill();
      return Math.floor(tokens);
    },
    pausedForMs: () => Math.max(0, pausedUntil - time()),
    throttled: () => throttled,
  };
  return {
    gauge,
    /** Takes up to `wanted` tokens now; returns how many it got. */
    take(wanted: number): number {
      refill();
      const got = Math.min(wanted, Math.floor(tokens));
      tokens -= got;
      return got;
    },
    pause(ms: number) {
      pausedUntil = time() + ms;
      throttled++;
    },
  };
}

function progressOn(isTTY: boolean, options: { total?: number; capacity?: number; perSecond?: number } = {}) {
  const time = fakeClock();
  const bucket = aBucket(options.capacity ?? 3000, options.perSecond ?? 20, time.now);
  let text = "";
  const output = new PassThrough();
  output.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  const progress = new BackfillProgress(output, {
    total: options.total ?? 6000,
    isTTY,
    budget: bucket.gauge,
    clock: time.clock,
  });
  return {
    progress,
    time,
    bucket,
    text: () => text,
    frames: () => text.split("\r\x1b[K").filter(Boolean),
    lines: () => text.trimEnd().split("\n"),
  };
}

const etaOf = (line: string | undefined) => {
  const match = /ETA (?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?/.exec(line ?? "");
  return match
    ? Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)
    : Number.NaN;
};

describe("the backfill's progress, under a fake clock", () => {
  it("ticks every second on a terminal while the write budget holds every row back", () => {
    const p = progressOn(true);
    p.progress.start();
    p.progress.dispatch(320);
    p.time.advance(5_000);
    const frames = p.frames();
    expect(frames).toHaveLength(5);
    expect(frames.map((frame) => /elapsed (\d+)s/.exec(frame)?.[1])).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("writes a plain line every 10 s in a log, however the rows come", () => {
    const p = progressOn(false);
    p.progress.start();
    // A burst, then nothing for 25 s, then a trickle: the lines keep their beat.
    for (let i = 0; i < 400; i++) p.progress.row(1);
    p.time.advance(25_000);
    for (let i = 0; i < 20; i++) p.progress.row(1);
    p.time.advance(10_000);
    expect(p.lines()).toHaveLength(3);
    expect(p.lines().map((line) => /elapsed (\d+)s/.exec(line)?.[1])).toEqual(["10", "20", "30"]);
    expect(p.text()).not.toContain("\r");
    expect(p.lines().every((line) => line.startsWith("backfill: "))).toBe(true);
  });

  it("shows rows/s, writes/s, the budget's wait and an ETA that stays steady from the first burst to the paced rest", () => {
    // 6,000 rows of one write each: the 3,000-token burst goes at the reads' pace (200 rows/s here), the rest at
    // the bucket's 20 writes/s. The run truly ends after about 150 s.
    const p = progressOn(true);
    p.progress.start();
    p.progress.dispatch(320);
    let done = 0;
    const etas: Array<{ at: number; eta: number; truth: number }> = [];
    let finishedAt = 0;
    for (let second = 1; done < 6000 && second < 400; second++) {
      p.time.advance(1_000, () => {
        const rows = p.bucket.take(Math.min(200, 6000 - done));
        for (let i = 0; i < rows; i++) p.progress.row(1);
        done += rows;
        p.progress.dispatch(rows);
      });
      if (done >= 6000 && finishedAt === 0) finishedAt = second;
      if ([5, 10, 20, 40, 80, 120].includes(second))
        etas.push({ at: second, eta: etaOf(p.progress.line()), truth: 0 });
    }
    for (const point of etas) point.truth = finishedAt - point.at;
    // Within 10% of the time truly left (plus a tick) at every point: no jump between seconds and hours.
    for (const { at, eta, truth } of etas) {
      expect(Math.abs(eta - truth), `at ${at} s: ETA ${eta} s, truly ${truth} s`).toBeLessThanOrEqual(
        truth * 0.1 + 2,
      );
    }
    const line = p.frames().at(40 - 1) ?? "";
    expect(line).toMatch(
      /^\[#+\.+\] [\d,]+\/~6,000 rows \(\d+%\) {2}20 rows\/s {2}20 writes\/s {2}budget wait 1[56]s {2}ETA \d+m\d+s {2}429s: 0 {2}elapsed 40s$/,
    );
  });

  it("says when a 429 pause holds the writes back, and counts it", () => {
    const p = progressOn(false, { capacity: 100 });
    p.progress.start();
    p.progress.dispatch(40);
    p.bucket.take(100);
    p.bucket.pause(30_000);
    p.time.advance(10_000);
    // 20 s of the pause left; the bucket itself has the tokens for the 40 writes in flight.
    expect(p.lines()[0]).toContain("budget wait 20s (429 pause)");
    expect(p.lines()[0]).toContain("429s: 1");
  });

  it("answers Ctrl-C at once with the rows in flight, then counts down every second until saved", () => {
    const p = progressOn(true);
    p.progress.start();
    p.bucket.take(3000);
    p.progress.dispatch(320);
    // Paced by the budget: 20 rows of one write each per second, as many started as finished.
    p.time.advance(10_000, () => {
      const rows = p.bucket.take(20);
      for (let i = 0; i < rows; i++) p.progress.row(1);
      p.progress.dispatch(rows);
    });
    p.progress.stopping();
    expect(p.text()).toContain(
      "interrupted: finishing 320 in-flight rows (about 16s), then saving the checkpoint; Ctrl-C again quits now",
    );
    const countdown: string[] = [];
    for (let second = 0; second < 4; second++) {
      p.time.advance(1_000, () => {
        const rows = p.bucket.take(20);
        for (let i = 0; i < rows; i++) p.progress.row(1);
      });
      const frame = p.frames().at(-1) ?? "";
      countdown.push(
        /finishing ([\d,]+) in-flight rows… about (\d+)s/.exec(frame)?.slice(1).join("/") ?? frame,
      );
    }
    expect(countdown).toEqual(["300/15", "280/14", "260/13", "240/12"]);
  });

  it("counts down in a log every 2 s after Ctrl-C, instead of every 10 s", () => {
    const p = progressOn(false);
    p.progress.start();
    p.bucket.take(3000);
    p.progress.dispatch(100);
    p.progress.stopping();
    p.time.advance(6_000);
    expect(p.lines().filter((line) => line.startsWith("backfill: "))).toHaveLength(3);
    expect(p.lines().at(-1)).toContain("in-flight rows… about");
  });

  it("gives a dry run an ETA from its rows' pace, with no budget wait", () => {
    const time = fakeClock();
    let text = "";
    const output = new PassThrough();
    output.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
    });
    const progress = new BackfillProgress(output, {
      total: 1000,
      isTTY: false,
      dryRun: true,
      budget: aBucket(3000, 20, time.now).gauge,
      clock: time.clock,
    });
    progress.start();
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 10; i++) progress.row(0);
      time.advance(1_000);
    }
    expect(text.trim()).toBe(
      "backfill: 100/~1,000 rows (10%)  10 rows/s  0 writes/s  ETA 1m30s  429s: 0  elapsed 10s",
    );
  });
});
