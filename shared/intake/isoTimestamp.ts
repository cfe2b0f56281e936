/**
 * An ISO 8601 date-time with its offset, the offset with or without a colon: BambooHR writes `+0000`
 * (`2026-01-31T18:42:00+0000`, documentation.bamboohr.com field-based webhooks), ISO 8601 allows both.
 */
export const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** The same instant written as an event's `occurredAt` takes it: the offset with its colon (`+00:00`). */
export function withColonOffset(iso: string): string {
  return iso.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
}
