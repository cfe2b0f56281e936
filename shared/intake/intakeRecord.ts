import type { RuleIssue } from "../core/result.js";

/**
 * One record an HR adapter read from a request: ContactEvent input still to be validated, or the issues that
 * kept it from becoming one (with its event id when the adapter could tell).
 */
export type IntakeRecord =
  | { ok: true; event: unknown }
  | { ok: false; eventId?: string; issues: RuleIssue[] };

/** A record that goes on to validation. */
export function intakeEvent(event: unknown): IntakeRecord {
  return { ok: true, event };
}

/** A record the adapter refused; it is reported by index and never enqueued. */
export function intakeRefused(issues: RuleIssue[], eventId?: string): IntakeRecord {
  return eventId === undefined ? { ok: false, issues } : { ok: false, eventId, issues };
}
