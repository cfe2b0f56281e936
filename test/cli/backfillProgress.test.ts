import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { BackfillProgress } from "../../cli/backfillProgress.js";

function progressOn(isTTY: boolean) {
  let now = 0;
  let throttled = 0;
  let text = "";
  const output = new PassThrough();
  output.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  const progress = new BackfillProgress(output, {
    total: 1000,
    isTTY,
    intervalMs: isTTY ? 100 : 10_000,
    throttled: () => throttled,
    now: () => now,
  });
  return {
    progress,
    advance: (ms: number) => {
      now += ms;
    },
    throttle: () => {
      throttled++;
    },
    text: () => text,
  };
}

describe("the backfill's progress", () => {
  it("prints a plain line every interval when stderr is not a terminal", () => {
    const p = progressOn(false);
    for (let i = 0; i < 500; i++) {
      p.advance(50); // 20 rows/s, one write each
      p.progress.row(1);
    }
    p.throttle();
    p.progress.finish();
    const lines = p.text().trimEnd().split("\n");
    expect(lines).toHaveLength(3); // at 10 s and 20 s, then the final one
    expect(lines.every((line) => line.startsWith("backfill: "))).toBe(true);
    expect(p.text()).not.toContain("\r");
    expect(lines.at(-1)).toBe("backfill: 500/~1,000 rows (50%)  20 writes/s ETA 25s  429s: 1  elapsed 25s");
  });

  it("redraws one bar in place on a terminal", () => {
    const p = progressOn(true);
    for (let i = 0; i < 10; i++) {
      p.advance(100);
      p.progress.row(2);
    }
    p.progress.finish();
    const frames = p.text().split("\r\x1b[K").filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(10);
    expect(frames.at(-1)).toMatch(
      /^\[\.{24}\] 10\/~1,000 rows \(1%\) {2}20 writes\/s ETA 1m39s {2}429s: 0 {2}elapsed 1s\n$/,
    );
  });
});
