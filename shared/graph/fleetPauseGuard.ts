/**
 * How long a process honours the fleet row's pause when it has not been answered 429 itself meanwhile. Graph's
 * Retry-After is seconds and the row caps one pause at 5 minutes, so a fleet held this long is held by a row
 * someone keeps refreshing (or a fault), not by Graph.
 */
export const defaultPauseTrustMs = 15 * 60_000;

/**
 * Idle time between two pauses that still counts as one hold: a process that woke at a pause's end and leases
 * again within it was held all along; one that came back later starts a new hold.
 */
const holdGapMs = 60_000;

/**
 * Bounds how long a shared pause can hold this process. The fleet's row says "pause", and anyone who may write the
 * row can say it again every few seconds (each pause is capped, the refresh is not). What the row cannot forge is
 * this process's own experience: it remembers, on its own clock, since when it has been held by the row's pauses
 * without having been answered 429 itself. Past `trustMs` it stops honouring the row's pause (and paces on its own
 * share, the caller's part) until the row shows no pause or Graph throttles this process; its own 429s always pause
 * it, whatever the row says.
 */
export class FleetPauseGuard {
  private heldSince: number | undefined;
  private heldUntil = 0;
  private distrusting = false;

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
      this.reset();
      return 0;
    }
    if (this.distrusting) return 0;
    const now = this.now();
    if (this.heldSince === undefined || now > this.heldUntil + holdGapMs) this.heldSince = now;
    const left = this.trustMs - (now - this.heldSince);
    if (left <= 0) {
      this.distrusting = true;
      return 0;
    }
    const honoured = Math.min(pausedForMs, left);
    this.heldUntil = now + honoured;
    return honoured;
  }

  /** True while the row's pauses are not honoured (held past the bound with no 429 of this process's own). */
  distrusts(): boolean {
    return this.distrusting;
  }

  /** How long (ms) this process has been held by the row so far; 0 when not held. */
  heldForMs(): number {
    return this.heldSince === undefined ? 0 : this.now() - this.heldSince;
  }

  /** Graph answered this process 429: the throttling is real, so the row's pauses are believed again. */
  throttled(): void {
    this.reset();
  }

  private reset(): void {
    this.heldSince = undefined;
    this.heldUntil = 0;
    this.distrusting = false;
  }
}
