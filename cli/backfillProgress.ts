import type { Writable } from "node:stream";

/** What the progress reads from the write budget (the write limiter): it never changes its pacing. */
export interface BudgetGauge {
  /** Writes per second the bucket refills at (its budget over its window). */
  perSecond: number;
  /** Writes that could start now without waiting (the tokens in the bucket). */
  available(): number;
  /** How long a 429's pause still holds every write back, in ms. */
  pausedForMs(): number;
  /** 429 answers backed off for so far. */
  throttled(): number;
}

/** Time as the progress sees it: tests pass a fake clock and fire its ticks themselves. */
export interface ProgressClock {
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
}

export interface BackfillProgressOptions {
  /** Rows expected in the whole input (from counting lines); undefined for stdin. */
  total?: number | undefined;
  /** Rows an earlier run finished; they count as done from the start. */
  alreadyDone?: number;
  /** A bar redrawn every second on a terminal; otherwise a plain line every `logIntervalMs` (10 s). */
  isTTY: boolean;
  logIntervalMs?: number;
  budget: BudgetGauge;
  /** A dry run writes nothing: its ETA comes from the rows' own pace only. */
  dryRun?: boolean;
  clock?: ProgressClock;
}

const barWidth = 24;
const rateWindowMs = 5_000;
const ttyTickMs = 1_000;
// While the batches in flight finish after Ctrl-C, a log gets the countdown this often.
const windDownLogMs = 2_000;

const realClock: ProgressClock = {
  now: () => performance.now(),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    // The bar must never keep the process alive on its own.
    timer.unref();
    return () => clearInterval(timer);
  },
};

/**
 * The backfill's progress on stderr, on a clock of its own: it moves while the write budget holds the rows back.
 * On a terminal one bar, redrawn every second; in a log (not a TTY) one plain line every 10 s. Each shows rows/s
 * and writes/s (over the last 5 s), the budget's wait (how long the writes already in flight wait for tokens) and
 * an ETA from the bucket's rate, which stays steady through the first burst and the paced rest alike.
 */
export class BackfillProgress {
  private done: number;
  private thisRun = 0;
  private writes = 0;
  private dispatched = 0;
  private readonly started: number;
  private samples: Array<{ at: number; rows: number; writes: number }> = [];
  private readonly clock: ProgressClock;
  private readonly throttledAtStart: number;
  private stopTicking: (() => void) | undefined;
  private stoppingSince: number | undefined;

  constructor(
    private readonly output: Writable,
    private readonly options: BackfillProgressOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.started = this.clock.now();
    this.throttledAtStart = options.budget.throttled();
    this.done = options.alreadyDone ?? 0;
    this.samples.push({ at: this.started, rows: 0, writes: 0 });
  }

  /** Starts ticking: a redraw every second on a terminal, a line every 10 s in a log. */
  start(): void {
    const interval = this.options.isTTY ? ttyTickMs : (this.options.logIntervalMs ?? 10_000);
    this.stopTicking = this.clock.every(interval, () => this.draw());
  }

  /** Rows handed to a batch: they are in flight until reported. */
  dispatch(rows: number): void {
    this.dispatched += rows;
  }

  /** Counts one finished row. */
  row(writes: number): void {
    this.done++;
    this.thisRun++;
    this.writes += writes;
  }

  /** Rows started and not yet finished. */
  inFlight(): number {
    return Math.max(0, this.dispatched - this.thisRun);
  }

  /**
   * Ctrl-C: answers at once with what is left to finish and how long it should take, then counts down (every
   * second on a terminal, every 2 s in a log) until `finish`.
   */
  stopping(): void {
    if (this.stoppingSince !== undefined) return;
    this.stoppingSince = this.clock.now();
    this.output.write(
      `${this.options.isTTY ? "\r\x1b[K" : ""}interrupted: finishing ${format(this.inFlight())} in-flight rows (${this.windDown()}), then saving the checkpoint; Ctrl-C again quits now (the last checkpoint still holds)\n`,
    );
    if (!this.options.isTTY) {
      this.stopTicking?.();
      this.stopTicking = this.clock.every(windDownLogMs, () => this.draw());
    }
  }

  /** Stops ticking and draws the last state (ending the bar's line). */
  finish(): void {
    this.stopTicking?.();
    this.stopTicking = undefined;
    this.draw(true);
  }

  /** The line as it would be drawn now (also what tests read). */
  line(): string {
    const at = this.clock.now();
    const { rowsPerSecond, writesPerSecond } = this.rates(at);
    const total = this.options.total;
    const count = total
      ? `${format(this.done)}/~${format(Math.max(total, this.done))} rows`
      : `${format(this.done)} rows`;
    const share = total ? Math.min(1, this.done / Math.max(total, 1)) : undefined;
    const bar = share === undefined || !this.options.isTTY ? "" : `[${barOf(share)}] `;
    const percent = share === undefined ? "" : ` (${Math.floor(share * 100)}%)`;
    const paused = this.options.budget.pausedForMs();
    const wait = this.options.dryRun
      ? ""
      : `  budget wait ${duration(this.budgetWaitSeconds())}${paused > 0 ? " (429 pause)" : ""}`;
    const eta =
      this.stoppingSince !== undefined
        ? `  finishing ${format(this.inFlight())} in-flight rows… ${this.windDown()}`
        : this.etaText();
    const throttled = this.options.budget.throttled() - this.throttledAtStart;
    return `${bar}${count}${percent}  ${rowsPerSecond.toFixed(0)} rows/s  ${writesPerSecond.toFixed(0)} writes/s${wait}${eta}  429s: ${throttled}  elapsed ${duration((at - this.started) / 1000)}`;
  }

  private draw(final = false): void {
    const at = this.clock.now();
    this.samples.push({ at, rows: this.thisRun, writes: this.writes });
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= at - rateWindowMs) this.samples.shift();
    if (this.options.isTTY) this.output.write(`\r\x1b[K${this.line()}${final ? "\n" : ""}`);
    else this.output.write(`backfill: ${this.line()}\n`);
  }

  private rates(at: number): { rowsPerSecond: number; writesPerSecond: number } {
    const first = this.samples[0] ?? { at: this.started, rows: 0, writes: 0 };
    const seconds = (at - first.at) / 1000;
    if (seconds <= 0) return { rowsPerSecond: 0, writesPerSecond: 0 };
    return {
      rowsPerSecond: (this.thisRun - first.rows) / seconds,
      writesPerSecond: (this.writes - first.writes) / seconds,
    };
  }

  /** Writes per row so far in this run (1 before any row, so the first estimates are not zero). */
  private writesPerRow(): number {
    if (this.options.dryRun) return 0;
    return this.thisRun > 0 ? this.writes / this.thisRun : 1;
  }

  /** Seconds until the bucket has given `writes` tokens: what it holds now goes at once, the rest at its rate. */
  private budgetSeconds(writes: number): number {
    const { budget } = this.options;
    const fromBucket = Math.max(0, writes - budget.available()) / budget.perSecond;
    return fromBucket + budget.pausedForMs() / 1000;
  }

  /** How long the writes of the rows in flight wait for the budget. */
  private budgetWaitSeconds(): number {
    return this.budgetSeconds(this.inFlight() * this.writesPerRow());
  }

  /**
   * The ETA: the longer of the budget's (the writes left at the bucket's rate) and the rows' own pace since the
   * start (reads and latency), so neither the first burst nor a slow tenant makes it jump.
   */
  private etaText(): string {
    const total = this.options.total;
    if (!total) return "";
    const left = Math.max(0, total - this.done);
    const elapsed = (this.clock.now() - this.started) / 1000;
    if (this.thisRun === 0 || elapsed <= 0) return "  ETA -";
    const byRows = left / (this.thisRun / elapsed);
    const byBudget = this.budgetSeconds(left * this.writesPerRow());
    return `  ETA ${duration(Math.max(byRows, byBudget))}`;
  }

  /**
   * The countdown while the rows in flight finish: their writes at the bucket's rate, or the rows' recent pace
   * when that is slower.
   */
  private windDown(): string {
    const { rowsPerSecond } = this.rates(this.clock.now());
    const rowPace = rowsPerSecond > 0 ? this.inFlight() / rowsPerSecond : 0;
    return `about ${duration(Math.max(this.budgetWaitSeconds(), rowPace))}`;
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
