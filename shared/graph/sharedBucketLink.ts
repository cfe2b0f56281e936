import type { BucketShape, BudgetGrant, SharedWriteBudget } from "../directory/sharedWriteBudget.js";
import { FleetPauseGuard } from "./fleetPauseGuard.js";
import type { LimiterClock } from "./writeLimiter.js";

/** The budgets a fleet row holds: Graph's writes and its resource units. */
export type SharedBudgetName = "writes" | "reads";

export interface SharedBucketLinkOptions {
  budget: SharedBudgetName;
  /** Share of the budget a process paces itself on while the row is out of reach or its pause distrusted. */
  fallbackShare: number;
  /** Share of the budget a process that may only read the row (a person's CLI) paces itself on. */
  readOnlyShare: number;
  /** How long the row's pause may hold this process without a 429 of its own (`FleetPauseGuard`). */
  pauseTrustMs?: number;
  /** Called each time the row's pause is found and not honoured, with how long it has held this process. */
  onPauseDistrusted?: (budget: SharedBudgetName, heldMs: number) => void;
  log: (line: string) => void;
}

/** What one visit to the row gave: tokens, a pause to honour, and whether to pace on an own share for now. */
export interface RowLease {
  granted: number;
  /** How long to pause (ms of this process's clock); 0 when none is honoured. */
  pausedForMs: number;
  retryInMs: number;
  /** True: don't lease for now, pace on `share()` (row unreachable, read-only, or its pause distrusted). */
  local: boolean;
}

/** How long a process keeps to its own share after the row was out of reach or its pause distrusted. */
const fallbackRetryMs = 30_000;
/** How often a process that may only read the row looks at it for a fleet pause. */
const readOnlyPollMs = 5_000;

/**
 * How a process reaches the fleet's row for one budget: leasing from it; on a small share of its own for a while
 * when the row is out of reach or its pause is distrusted; or, when it may only read the row, on a fixed share of
 * its own, looking at the row for pauses. `WriteLimiter` (writes) and `ReadUnitBudget` (resource units) each
 * hold one, so both budgets fall back, go read-only and bound a forged pause the same way.
 */
export class SharedBucketLink {
  private localUntil = 0;
  private readOnly = false;
  private readonly guard: FleetPauseGuard;

  constructor(
    private readonly shared: SharedWriteBudget | undefined,
    private readonly clock: LimiterClock,
    private readonly epochNow: () => number,
    private readonly options: SharedBucketLinkOptions,
  ) {
    this.guard = new FleetPauseGuard(() => clock.now(), options.pauseTrustMs);
  }

  /** True when it is time to visit the row (a fleet bucket exists and no own-share period is running). */
  usesShared(now: number): boolean {
    return this.shared !== undefined && now >= this.localUntil;
  }

  /** True when the process refills a bucket of its own: alone, read-only, or on its own share for now. */
  refillsOwn(now: number): boolean {
    return this.shared === undefined || this.readOnly || now < this.localUntil;
  }

  /** The share of the budget the process's own bucket holds: all of it alone. */
  share(): number {
    if (this.shared === undefined) return 1;
    return this.readOnly ? this.options.readOnlyShare : this.options.fallbackShare;
  }

  /** Graph answered this process 429: its pauses are real, and the row's are believed again. */
  throttled(): void {
    if (this.guard.distrusts())
      this.options.log(
        `${this.label()}: Graph throttled this process; the fleet's pauses are believed again`,
      );
    this.guard.throttled();
  }

  /** Asks the row for `wanted` tokens. */
  async lease(wanted: number, shape: BucketShape): Promise<RowLease> {
    const local = { granted: 0, pausedForMs: 0, retryInMs: 0, local: true };
    if (!this.shared) return local;
    let grant: BudgetGrant;
    try {
      grant = await this.shared.take(wanted, shape);
    } catch (err) {
      // Storage is out of reach: keep going, but only at a small share, never at the whole budget.
      this.localUntil = this.clock.now() + fallbackRetryMs;
      this.options.log(
        `${this.label()}: the shared bucket is unreachable (${err instanceof Error ? err.name : "error"}); using ${this.percent(
          this.options.fallbackShare,
        )} of the budget for ${fallbackRetryMs / 1000} s`,
      );
      return local;
    }
    this.noteAccess(grant);
    const pausedForMs = this.honoured(grant.pausedUntil - this.epochNow());
    if (this.guard.distrusts()) {
      this.localUntil = this.clock.now() + (this.readOnly ? readOnlyPollMs : fallbackRetryMs);
      return { ...local, granted: grant.granted };
    }
    if (this.readOnly) {
      this.localUntil = this.clock.now() + readOnlyPollMs;
      return { ...local, pausedForMs };
    }
    return { granted: grant.granted, pausedForMs, retryInMs: grant.retryInMs, local: false };
  }

  /** Notes a change between a writable and a read-only row, or the row reachable again, with one line each. */
  private noteAccess(grant: BudgetGrant): void {
    const readOnly = grant.readOnly === true;
    if (readOnly && !this.readOnly) {
      this.options.log(
        `${this.label()}: this sign-in may read the fleet's shared bucket but not write it (only the app's identity may); pacing on ${this.percent(
          this.options.readOnlyShare,
        )} of the budget of its own and honouring the fleet's pauses`,
      );
    } else if (!readOnly && (this.readOnly || this.localUntil > 0) && !this.guard.distrusts()) {
      this.options.log(`${this.label()}: the shared bucket is reachable again`);
    }
    this.readOnly = readOnly;
    if (!readOnly) this.localUntil = 0;
  }

  /** The row's pause as this process honours it: bounded by the guard, which is told when it stops believing. */
  private honoured(rowPausedForMs: number): number {
    const wasDistrusting = this.guard.distrusts();
    const pausedForMs = this.guard.honour(rowPausedForMs);
    if (!this.guard.distrusts()) {
      if (wasDistrusting)
        this.options.log(`${this.label()}: the fleet's pause has ended; it is believed again`);
      return pausedForMs;
    }
    const heldMs = this.guard.heldForMs();
    this.options.onPauseDistrusted?.(this.options.budget, heldMs);
    if (!wasDistrusting) {
      this.options.log(
        `${this.label()}: WARNING the fleet's shared pause has held this process ${Math.round(
          heldMs / 60_000,
        )} min without a 429 of its own; no longer honouring it, pacing on ${this.percent(
          this.share(),
        )} of the budget of its own (Graph's 429s still pause this process). See docs/operations.md`,
      );
    }
    return 0;
  }

  private label(): string {
    return this.options.budget === "writes" ? "write budget" : "read budget";
  }

  private percent(share: number): string {
    return `${Math.round(share * 100)}%`;
  }
}
