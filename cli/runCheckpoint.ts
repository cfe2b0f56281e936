import type { BackfillRow } from "../shared/backfill/backfill.js";
import { writeBackfillCheckpoint } from "../shared/backfill/backfillCheckpoint.js";
import { addRow, emptyRunTotals, type RunTotals } from "../shared/backfill/runTotals.js";
import type { CheckpointStart } from "./checkpointStartOf.js";
import type { ReportOutput } from "./openReportOutput.js";

const checkpointEveryRows = 1000;

/**
 * The whole file's running totals (carried over from the checkpoint on a resume) and the checkpoint that
 * keeps them: saved every `checkpointEveryRows` rows or `everyMs`, whichever comes first.
 */
export class RunCheckpoint {
  readonly totals: RunTotals;
  /** Rows on or before this line were finished by the interrupted run. */
  readonly doneThrough: number;
  private lastLine: number;
  private sinceSave = 0;
  private savedAt = performance.now();

  constructor(
    private readonly start: CheckpointStart,
    private readonly report: ReportOutput,
    private readonly everyMs: number,
  ) {
    const resumed = start.resumed;
    this.doneThrough = resumed?.doneThroughLine ?? 0;
    this.totals = resumed ? structuredClone(resumed.totals) : emptyRunTotals();
    this.lastLine = this.doneThrough;
  }

  /** Every row up to this line is finished (the interrupted run's, and this run's so far). */
  doneThroughLineNow(): number {
    return this.lastLine;
  }

  /** Counts a reported row; every row up to its line is now finished. */
  count(row: BackfillRow): void {
    this.lastLine = row.line;
    addRow(this.totals, row);
    this.sinceSave++;
  }

  async saveIfDue(): Promise<void> {
    if (this.sinceSave >= checkpointEveryRows || performance.now() - this.savedAt >= this.everyMs) {
      await this.save();
    }
  }

  /** Writes the checkpoint (none for a dry run or stdin), after the report rows it counts. */
  async save(): Promise<void> {
    const { path, input, options } = this.start;
    if (!path || !input) return;
    await this.report.flush();
    await writeBackfillCheckpoint(path, {
      version: 2,
      input,
      options,
      doneThroughLine: this.lastLine,
      totals: this.totals,
      updatedAt: new Date().toISOString(),
    });
    this.sinceSave = 0;
    this.savedAt = performance.now();
  }
}
