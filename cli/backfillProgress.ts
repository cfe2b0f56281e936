import type { Writable } from "node:stream";

export interface BackfillProgressOptions {
  /** Rows expected in the whole input (an estimate from counting lines); undefined for stdin. */
  total?: number | undefined;
  /** Rows an earlier run finished; they count as done from the start. */
  alreadyDone?: number;
  /** A redrawn bar on a terminal; otherwise a plain line every `intervalMs`. */
  isTTY: boolean;
  intervalMs?: number;
  /** 429 answers seen so far (the write limiter counts each back-off). */
  throttled: () => number;
  now?: () => number;
}

const barWidth = 24;
const rateWindowMs = 5_000;
const ttyRedrawMs = 100;

/**
 * The backfill's progress on stderr: rows, writes per second, ETA and 429 answers. On a terminal it is one bar
 * redrawn in place; in a log (not a TTY) it is a plain line every few seconds, so CI logs stay readable.
 */
export class BackfillProgress {
  private rows = 0;
  private writes = 0;
  private readonly started: number;
  private lastDrawn = 0;
  private samples: Array<{ at: number; rows: number; writes: number }> = [];
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly throttledAtStart: number;

  constructor(
    private readonly output: Writable,
    private readonly options: BackfillProgressOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    this.lastDrawn = this.started;
    this.intervalMs = options.intervalMs ?? (options.isTTY ? ttyRedrawMs : 10_000);
    this.throttledAtStart = options.throttled();
    this.rows = options.alreadyDone ?? 0;
    this.samples.push({ at: this.started, rows: this.rows, writes: 0 });
  }

  /** Counts one finished row and redraws when it is time. */
  row(writes: number): void {
    this.rows++;
    this.writes += writes;
    const at = this.now();
    if (at - this.lastDrawn >= this.intervalMs) this.draw(at);
  }

  /** Draws the last state and ends the bar's line. */
  finish(): void {
    this.draw(this.now(), true);
  }

  /** The line as it would be drawn now (also what tests read). */
  line(at = this.now()): string {
    const { rowsPerSecond, writesPerSecond } = this.rates(at);
    const total = this.options.total;
    const count = total
      ? `${format(this.rows)}/~${format(Math.max(total, this.rows))} rows`
      : `${format(this.rows)} rows`;
    const share = total ? Math.min(1, this.rows / Math.max(total, 1)) : undefined;
    const eta =
      total && rowsPerSecond > 0 ? ` ETA ${duration(Math.max(0, total - this.rows) / rowsPerSecond)}` : "";
    const throttled = this.options.throttled() - this.throttledAtStart;
    const bar = share === undefined || !this.options.isTTY ? "" : `[${barOf(share)}] `;
    const percent = share === undefined ? "" : ` (${Math.floor(share * 100)}%)`;
    return `${bar}${count}${percent}  ${writesPerSecond.toFixed(0)} writes/s${eta}  429s: ${throttled}  elapsed ${duration((at - this.started) / 1000)}`;
  }

  private draw(at: number, final = false): void {
    this.lastDrawn = at;
    this.samples.push({ at, rows: this.rows, writes: this.writes });
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) < at - rateWindowMs) this.samples.shift();
    if (this.options.isTTY) this.output.write(`\r\x1b[K${this.line(at)}${final ? "\n" : ""}`);
    else this.output.write(`backfill: ${this.line(at)}\n`);
  }

  private rates(at: number): { rowsPerSecond: number; writesPerSecond: number } {
    const first = this.samples[0] ?? { at: this.started, rows: 0, writes: 0 };
    const seconds = (at - first.at) / 1000;
    if (seconds <= 0) return { rowsPerSecond: 0, writesPerSecond: 0 };
    return {
      rowsPerSecond: (this.rows - first.rows) / seconds,
      writesPerSecond: (this.writes - first.writes) / seconds,
    };
  }
}

function barOf(share: number): string {
  const filled = Math.round(share * barWidth);
  return `${"#".repeat(filled)}${".".repeat(barWidth - filled)}`;
}

function format(n: number): string {
  return n.toLocaleString("en-US");
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
