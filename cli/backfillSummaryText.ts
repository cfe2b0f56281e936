import type { BackfillSummary } from "../shared/backfill/backfill.js";
import type { BackfillCheckpoint } from "../shared/backfill/backfillCheckpoint.js";
import type { RunTotals } from "../shared/backfill/runTotals.js";
import { type OutcomeStatus, outcomeStatuses } from "../shared/sync/outcome.js";
import type { InputFormat } from "./openRecordSource.js";

/** A dry run writes nothing: its summary says what a real run would do ("2 would update"), never "2 updated". */
function wouldBe(status: string): string {
  if (status === "updated") return "would update";
  if (status === "partial") return "would partly update";
  return status;
}

/** What the run says on stderr when it ends: the totals by status, its pace, and where to look next. */
export function backfillSummaryText(input: {
  name: string;
  format: InputFormat;
  dryRun: boolean;
  summary: BackfillSummary;
  totals: RunTotals;
  resumedRows: number;
  seconds: number;
  throttled: number;
  report: string | undefined;
  outcomes: boolean;
  checkpointPath: string | undefined;
  doneThroughLine: number;
}): string {
  const { summary, totals } = input;
  const statuses = outcomeStatuses
    .filter((status) => (totals.byStatus[status as OutcomeStatus] ?? 0) > 0)
    .map((status) => `${totals.byStatus[status] ?? 0} ${input.dryRun ? wouldBe(status) : status}`)
    .join(", ");
  const lines = [
    `backfill ${input.name} (${input.format})${input.dryRun ? " DRY RUN, nothing written" : ""}: ${totals.rows} rows${statuses ? `: ${statuses}` : ""}`,
  ];
  if (input.resumedRows > 0) {
    lines.push(
      `  resumed: ${input.resumedRows} rows were finished by the interrupted run, ${summary.rows} by this one`,
    );
  }
  const rate = input.seconds > 0 ? summary.writes / input.seconds : 0;
  lines.push(
    `  this run: ${summary.rows} rows, ${summary.writes} writes in ${input.seconds.toFixed(1)} s (${rate.toFixed(1)} writes/s), 429 answers: ${input.throttled}`,
  );
  if (input.outcomes) {
    lines.push(
      `  outcomes recorded: ${summary.outcomesRecorded}${summary.outcomeErrors > 0 ? `, NOT recorded: ${summary.outcomeErrors} (${summary.outcomeError ?? ""})` : ""}`,
    );
  }
  const registration = summary.registrationReport;
  if (registration.state === "used") {
    lines.push(
      "  registration report: read; methods listed only for users who registered a phone or email method",
    );
  } else if (registration.state === "unavailable") {
    lines.push(`  registration report: not readable (${registration.why}); methods listed for every user`);
  }
  if (input.report) lines.push(`  per-row results: ${input.report}`);
  if (summary.interrupted) {
    lines.push(
      input.checkpointPath
        ? `  interrupted: saved; every row through line ${input.doneThroughLine} is finished (checkpoint ${input.checkpointPath}); rerun with --resume to continue`
        : "  interrupted: no checkpoint (dry run or stdin); rerun to start over",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** What a resumed run says first: where it picks up, what the interrupted run finished, and what is left. */
export function resumeNote(name: string, resumed: BackfillCheckpoint, total: number | undefined): string {
  const left =
    total === undefined
      ? ""
      : `; about ${Math.max(0, total - resumed.totals.rows).toLocaleString("en-US")} rows left`;
  return `sspr-prepop backfill: resuming ${name} after line ${resumed.doneThroughLine.toLocaleString("en-US")}: ${resumed.totals.rows.toLocaleString("en-US")} rows were finished by the interrupted run (checkpoint of ${resumed.updatedAt})${left}\n`;
}
