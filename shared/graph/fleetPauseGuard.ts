/**
 * How long a process honours the fleet row's pause, or goes without a token from it, when it has not been answered
 * 429 itself meanwhile. Graph's Retry-After is seconds and the row caps one pause at 5 minutes, and an honest busy
 * fleet grants each process some tokens every few seconds, so a process held this long is held by a row someone
 * keeps refreshing or emptying (or a fault), not by Graph.
 */
export const defaultPauseTrustMs = 15 * 60_000;

/**
 * Idle time between two visits to the row that still counts as one hold: a process that woke when the row said and
 * visits again within it was held all along; one that came back later (it had nothing to write) starts anew.
 */
const holdGapMs = 60_000;

/** Why the row is not believed: its pause held this process too long, or it granted it nothing for too long. */
export type RowDistrust = "paused" | "starved";

/** One stretch of time on this process's clock: since when, and until when the row said to come back. */
interface Hold {
  since: number;
  until: number;
}

/**
 * Bounds how long the fleet's row can hold this process. Anyone who may write the row can say "pause" again every
 * few seconds (each pause is capped, the refresh is not), or set its tokens to 0 again and again. What the row cannot
 * forge is this process's own experience: it remembers, on its own clock, since when it has been held by the row's
 * pauses, and since when it has wanted tokens and been granted none (pauses included, so a row that alternates the
 * two is bounded too), without having been answered 429 itself. Past `trustMs` it stops believing the row (the caller
 * paces on its own share) until the row shows no pause (`paused`) or grants a token again (`starved`), or Graph
 * throttles this process; its own 429s always pause it, whatever the row says. A process granted at least one token
 * within the bound is not starved: a busy honest fleet shares the tokens, it does not withhold them.
 */
export class FleetPauseGuard {
  private paused: Hold | undefined;
  private unserved: Hold | undefined;
  private distrust: RowDistrust | undefined;

  constructor(
    private readonly now: () => number,
    private readonly trustMs: number = defaultPauseTrustMs,
  ) {}

  /**
   * The row says the fleet is paused for `pausedForMs` more (≤ 0: not paused). Returns how long to honour it:
   * all of it while the hold is within the bound, what is left of the bound at most, 0 once distrusted.
   */
  honour(pausedForMs: number): number {
    if (!(pausedForMs > 0)) {
      this.paused = undefined;
      if (this.distrust === "paused") this.distrust = undefined;
      return 0;
    }
    if (this.distrust) return 0;
    const now = this.now();
    this.paused = continued(this.paused, now);
    const left = this.trustMs - (now - this.paused.since);
    if (left <= 0) {
      this.distrust = "paused";
      return 0;
    }
    const honoured = Math.min(pausedForMs, left);
    this.paused.until = now + honoured;
    return honoured;
  }

  /**
   * One visit to the row that wanted `wanted` tokens and was granted `granted`, to come back in `nextVisitInMs`
   * (the row's retry or its pause). Granted none, for the bound in all: the row is not believed (`starved`) until it
   * grants a token again. A visit that wanted nothing (a look at the row) changes nothing.
   */
  served(wanted: number, granted: number, nextVisitInMs: number): void {
    if (!(wanted > 0)) return;
    if (granted > 0) {
      this.unserved = undefined;
      if (this.distrust === "starved") this.distrust = undefined;
      return;
    }
    const now = this.now();
    this.unserved = continued(this.unserved, now);
    this.unserved.until = Math.max(this.unserved.until, now + Math.max(0, nextVisitInMs));
    if (!this.distrust && now - this.unserved.since >= this.trustMs) this.distrust = "starved";
  }

  /** Why the row is not believed now; undefined while it is. */
  distrusts(): RowDistrust | undefined {
    return this.distrust;
  }

  /** How long (ms) the row has held this process so far (by the distrust's reason, else by its pause); 0 when not. */
  heldForMs(): number {
    const hold = this.distrust === "starved" ? this.unserved : this.paused;
    return hold === undefined ? 0 : this.now() - hold.since;
  }

  /** Graph answered this process 429: the throttling is real, so the row is believed again. */
  throttled(): void {
    this.paused = undefined;
    this.unserved = undefined;
    this.distrust = undefined;
  }
}

/** The hold going on at `now`, or a new one when the last ended more than the idle gap ago. */
function continued(hold: Hold | undefined, now: number): Hold {
  return hold !== undefined && now <= hold.until + holdGapMs ? hold : { since: now, until: now };
}
