import type { OutcomeStatus } from "../sync/outcome.js";

/**
 * The running totals of a backfill: what one run reports in its summary and what a checkpoint carries over to
 * the resumed run, so both are counted by the same `addRow`. Its JSON is the checkpoint's `totals`.
 */
export interface RunTotals {
  rows: number;
  writes: number;
  /** Rows per outcome status; a status no row had may be missing (checkpoints have always written it so). */
  byStatus: Partial<Record<OutcomeStatus, number>>;
  outcomesRecorded: number;
  outcomeErrors: number;
}

/** The part of a reported row the totals count (a `BackfillRow` fits). */
export interface CountedRow {
  outcome: { status: OutcomeStatus };
  /** Graph writes sent for the row. */
  writes: number;
  /** Whether the outcome reached the outcome log; undefined when not recorded at all. */
  recorded?: boolean | undefined;
}

export function emptyRunTotals(): RunTotals {
  return { rows: 0, writes: 0, byStatus: {}, outcomesRecorded: 0, outcomeErrors: 0 };
}

/** Counts one reported row into the totals. */
export function addRow(totals: RunTotals, row: CountedRow): void {
  totals.rows++;
  totals.writes += row.writes;
  totals.byStatus[row.outcome.status] = (totals.byStatus[row.outcome.status] ?? 0) + 1;
  if (row.recorded === true) totals.outcomesRecorded++;
  if (row.recorded === false) totals.outcomeErrors++;
}
