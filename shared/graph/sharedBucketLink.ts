import { SsprError } from "../core/errors.js";
import type { BucketShape, BudgetGrant, SharedWriteBudget } from "../directory/sharedWriteBudget.js";
import { FleetPauseGuard, type RowDistrust } from "./fleetPauseGuard.js";
import type { LimiterClock } from "./writeLimiter.js";

/** The budgets a fleet row holds: Graph's writes and its resource units. */
export type SharedBudgetName = "writes" | "reads";

export interface SharedBucketLinkOptions {
  budget: SharedBudgetName;
  /** Share of the budget a process paces itself on while the row is out of reach or not believed. */
  fallbackShare: number;
  /** Share of the budget a process that may only read the row (a person's CLI) paces itself on. */
  readOnlyShare: number;
  /**
   * How long the row's pause, or a row that grants nothing, may hold this process without a 429 of its own
   * (`FleetPauseGuard`).
   */
  pauseTrustMs?: number;
  /**
   * Called at each visit to a row that is not believed (its pause, or its granting nothing, held this process past
   * the bound), with how long it has held this process and why.
   */
  onPauseDistrusted?: (budget: SharedBudgetName, heldMs: number, why: RowDistrust) => void;
  log: (line: string) => void;
}

/** What one visit to the row gave: tokens, a pause to honour, and whether to pace on an own share for now. */
export interface RowLease {
  granted: number;
  /** How long to pause (ms of this process's clock); 0 when none is honoured. */
  pausedForMs: number;
  retryInMs: number;
  /** True: don't lease for now, pace on `share()` (row unreachable, read-only, or not believed). */
  local: boolean;
}

/** How long a process keeps to its own share after the row was out of reach or not believed. */
const fallbackRetryMs = 30_000;
/** How often a process that may only read the row looks at it for a fleet pause. */
const readOnlyPollMs = 5_000;

/**
 * How a process reaches the fleet's row for one budget: leasing from it; on a small share of its own for a while
 * when the row is out of reach or not believed (its pause, or its granting nothing, held this process too long);
 * or, when it may only read the row, on a fixed share of its own, looking at the row for pauses. `WriteLimiter`
 * (writes) and `ReadUnitBudget` (resource units) each hold one, so both budgets fall back, go read-only and bound a
 * forged pause or a row kept empty the same way.
 */
export class SharedBucketLink {
  /** The own-share period running, on this process's clock: [localSince, localUntil). */
  private localSince = 0;
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

  /**
   * How much of the time from `from` to `now` the process's own bucket refilled: all of it alone or read-only, the
   * part inside the own-share period otherwise (a wait that outlasts the period still earns the period's share).
   */
  ownRefillMs(from: number, now: number): number {
    if (this.shared === undefined || this.readOnly) return Math.max(0, now - from);
    return Math.max(0, Math.min(now, this.localUntil) - Math.max(from, this.localSince));
  }

  /** A wait for the own bucket, cut to the end of the own-share period, when the row is to be visited again. */
  ownWaitMs(wait: number, now: number): number {
    return this.shared === undefined ? wait : Math.min(wait, Math.max(0, this.localUntil - now));
  }

  /** The share of the budget the process's own bucket holds: all of it alone. */
  share(): number {
    if (this.shared === undefined) return 1;
    return this.readOnly ? this.options.readOnlyShare : this.options.fallbackShare;
  }

  /** Graph answered this process 429: its pauses are real, and the row is believed again. */
  throttled(): void {
    if (this.guard.distrusts())
      this.options.log(
        `${this.label()}: Graph throttled this process; the fleet's shared bucket is believed again`,
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
      this.goLocal(fallbackRetryMs);
      this.options.log(
        `${this.label()}: the shared bucket is unreachable (${reasonOf(err)}); using ${this.percent(
          this.options.fallbackShare,
        )} of the budget for ${fallbackRetryMs / 1000} s`,
      );
      return local;
    }
    this.noteAccess(grant);
    const was = this.guard.distrusts();
    const pausedForMs = this.guard.honour(grant.pausedUntil - this.epochNow());
    // A read-only row grants nothing by design: only a writer can be starved.
    if (!grant.readOnly) this.guard.served(wanted, grant.granted, Math.max(pausedForMs, grant.retryInMs));
    this.noteTrust(was);
    if (this.guard.distrusts()) {
      this.goLocal(this.readOnly ? readOnlyPollMs : fallbackRetryMs);
      return { ...local, granted: grant.granted };
    }
    if (this.readOnly) {
      this.goLocal(readOnlyPollMs);
      return { ...local, pausedForMs };
    }
    return { granted: grant.granted, pausedForMs, retryInMs: grant.retryInMs, local: false };
  }

  /** Paces on the own share for `ms` from now (a period already running goes on, lengthened). */
  private goLocal(ms: number): void {
    const now = this.clock.now();
    if (now >= this.localUntil) this.localSince = now;
    this.localUntil = now + ms;
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

  /**
   * Says when the row stops or starts being believed (`FleetPauseGuard`): a warning once when it stops, a line when
   * it is believed again, and `onPauseDistrusted` at each visit while it is not.
   */
  private noteTrust(was: RowDistrust | undefined): void {
    const why = this.guard.distrusts();
    if (!why) {
      if (was === "paused")
        this.options.log(`${this.label()}: the fleet's pause has ended; it is believed again`);
      if (was === "starved")
        this.options.log(
          `${this.label()}: the fleet's shared bucket grants tokens again; it is believed again`,
        );
      return;
    }
    const heldMs = this.guard.heldForMs();
    this.options.onPauseDistrusted?.(this.options.budget, heldMs, why);
    if (why === was) return;
    const held =
      why === "paused"
        ? `the fleet's shared pause has held this process ${minutes(heldMs)} min`
        : `the fleet's shared bucket has granted this process no token for ${minutes(heldMs)} min`;
    const stop = why === "paused" ? "no longer honouring its pause" : "no longer waiting for it";
    this.options.log(
      `${this.label()}: WARNING ${held} without a 429 of its own (why=${why}); ${stop}, pacing on ${this.percent(
        this.share(),
      )} of the budget of its own (Graph's 429s still pause this process). See docs/operations.md`,
    );
  }

  private label(): string {
    return this.options.budget === "writes" ? "write budget" : "read budget";
  }

  private percent(share: number): string {
    return `${Math.round(share * 100)}%`;
  }
}

/** Why the row could not be reached, for the log: the product's own errors say it plainly, others by kind only. */
function reasonOf(err: unknown): string {
  if (err instanceof SsprError) return err.message;
  return err instanceof Error ? err.name : "error";
}

function minutes(ms: number): number {
  return Math.round(ms / 60_000);
}
