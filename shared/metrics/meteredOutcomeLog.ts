import type { FieldOutcome, Outcome } from "../sync/outcome.js";
import type { Claim, OutcomeLog, UserKey } from "../sync/outcomeLog.js";
import type { Metrics } from "./metrics.js";

/**
 * The outcome log, counting each outcome it stores on `sspr.outcomes`. Every use case (the queue, the helpdesk
 * fix, the backfill) records through the OutcomeLog port, so this is the one place outcomes are counted: an
 * outcome is counted once it is written, never when the write failed (a lost lease writes nothing).
 */
export class MeteredOutcomeLog implements OutcomeLog {
  constructor(
    private readonly inner: OutcomeLog,
    private readonly metrics: Metrics,
  ) {}

  async record(outcome: Outcome, token?: string): Promise<void> {
    await this.inner.record(outcome, token);
    this.count(outcome);
  }

  async recordMany(outcomes: readonly Outcome[]): Promise<Array<Error | undefined>> {
    const results = await this.inner.recordMany(outcomes);
    outcomes.forEach((outcome, i) => {
      if (results[i] === undefined) this.count(outcome);
    });
    return results;
  }

  get(eventId: string): Promise<Outcome | undefined> {
    return this.inner.get(eventId);
  }

  claim(eventId: string, leaseMs: number, now: Date): Promise<Claim> {
    return this.inner.claim(eventId, leaseMs, now);
  }

  notePending(eventId: string, token: string, fields: FieldOutcome[]): Promise<string> {
    return this.inner.notePending(eventId, token, fields);
  }

  release(eventId: string, token: string): Promise<void> {
    return this.inner.release(eventId, token);
  }

  attemptsOf(eventId: string, top: number): Promise<Outcome[]> {
    return this.inner.attemptsOf(eventId, top);
  }

  lastAppliedAt(userId: string): Promise<string | undefined> {
    return this.inner.lastAppliedAt(userId);
  }

  markApplied(userId: string, occurredAt: string): Promise<void> {
    return this.inner.markApplied(userId, occurredAt);
  }

  listByUser(user: UserKey, top: number): Promise<Outcome[]> {
    return this.inner.listByUser(user, top);
  }

  deleteOlderThan(cutoff: Date): Promise<number> {
    return this.inner.deleteOlderThan(cutoff);
  }

  private count(outcome: Outcome): void {
    this.metrics.add("outcomes", 1, { status: outcome.status, code: explainingCodeOf(outcome) });
  }
}

/**
 * The one machine code that says why an outcome is what it is: the first rule issue (a rejection), else the
 * first failed field's code, else the event's own failure code, else the first skipped field's code. Only codes,
 * never the human `reason` or `message` (which may quote masked values).
 */
export function explainingCodeOf(outcome: Outcome): string | undefined {
  return (
    outcome.errors[0]?.code ??
    outcome.fields.find((field) => field.action === "failed")?.code ??
    outcome.code ??
    outcome.fields.find((field) => field.action === "skipped")?.code
  );
}
