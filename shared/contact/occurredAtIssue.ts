import type { RuleIssue } from "../core/result.js";

/** How far an event's time may run ahead of the receiver's clock (clock skew between HR systems and Azure). */
export const futureToleranceMs = 5 * 60_000;

/**
 * Refuses an event dated in the future. The out-of-order guard keeps the newest applied time per user, so one
 * event dated 2999 would make every later HR event for that user `stale`.
 */
export function occurredAtIssue(occurredAt: string, receivedAt: Date): RuleIssue | undefined {
  const time = Date.parse(occurredAt);
  if (!(time > receivedAt.getTime() + futureToleranceMs)) return undefined;
  return {
    field: "occurredAt",
    code: "occurred_at_in_future",
    message: `occurredAt is more than ${futureToleranceMs / 60_000} minutes after the time the event was received.`,
    hint: "Send the time the HR change happened (ISO 8601 with a time zone), and check the sender's clock.",
  };
}
