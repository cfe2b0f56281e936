import { basename } from "node:path";
import { type AppServices, commandServices } from "../shared/app/appServices.js";
import { type GraphSignIn, graphAccessNeeds } from "../shared/app/graphSignIn.js";
import {
  type BackfillDirectory,
  type BackfillRow,
  type BackfillSummary,
  runBackfill,
} from "../shared/backfill/backfill.js";
import { removeBackfillCheckpoint } from "../shared/backfill/backfillCheckpoint.js";
import type { RunTotals } from "../shared/backfill/runTotals.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import type { DeploymentPolicyStore } from "../shared/sync/deploymentPolicy.js";
import { outcomeStatuses } from "../shared/sync/outcome.js";
import type { OutcomeLog } from "../shared/sync/outcomeLog.js";
import { BackfillProgress, type ProgressClock } from "./backfillProgress.js";
import { type BackfillRequest, backfillRequestOf, underDeployment } from "./backfillRequest.js";
import { backfillSummaryText, resumeNote } from "./backfillSummaryText.js";
import { type CheckpointStart, checkpointStartOf } from "./checkpointStartOf.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { authOptions, signInChecked } from "./graphSignInOptions.js";
import { openRecordSource } from "./openRecordSource.js";
import { openReportOutput, type ReportOutput, refuseToReplaceReport } from "./openReportOutput.js";
import { RunCheckpoint } from "./runCheckpoint.js";
import { toBackfillCsvLine } from "./toBackfillCsvLine.js";
import { UsageError } from "./usageError.js";

/** Exit codes of `backfill`: the shared ones plus "interrupted, resume with --resume". */
export const BackfillExitCode = { ...ExitCode, someRowsNotApplied: 1, interrupted: 3 } as const;

export const backfillUsage = `Usage: sspr-prepop backfill FILE [--dry-run] [--mode fillEmpty|overwrite] [--target profile|methods|both]
                          [--resume] [--report out.csv [--force]] [--no-outcomes] [--format csv|jsonl] [--country XX]
                          [--auth cli|device-code|managed-identity|app] [--tenant ID] [--client-id ID]

Applies an HR export (the formats "validate" reads) to Entra ID in bulk: validates each row, resolves and reads
users 20 per Graph $batch, plans with the queue's planner and writes 20 per $batch, paced to stay just under the
write budget. Progress goes to stderr; the per-row result CSV to --report (default stdout).

  FILE              CSV (header row) or JSON Lines of ContactEvents; - reads stdin (no checkpoint then)
  --dry-run         read and plan only: no write, no outcome, no checkpoint
  --mode M          fillEmpty (default: CONTACT_MODE) or overwrite (only where the deployed app overwrites)
  --target T        profile, methods or both, or per field like mobilePhone=both (default: CONTACT_TARGET;
                    never wider than the deployed app's)
  --resume          continue an interrupted run from its checkpoint (.sspr-checkpoint.<FILE name>.json)
  --report FILE     write the per-row CSV there (appended to on --resume) instead of stdout
  --force           replace an existing --report FILE (it is the only per-row record of an earlier run)
  --no-outcomes     don't record outcomes in Table storage
  --format F        csv or jsonl (default: from the extension, else from the first character)
  --country XX      default region for numbers in national form (overrides DEFAULT_COUNTRY)
${authOptions}
  -h, --help        show this help

The deployed app's protection policy comes first: the app publishes it to its storage account at each start
(table DeploymentPolicy), and the run applies the stricter of it and this shell's settings — protected groups of
both, the narrower CONTACT_TARGET, CONTACT_MODE and SYNCED_MOBILE — saying which on stderr. When it cannot be read
(no AzureWebJobsStorage, no row, a corrupt row, another schema), nothing is written (exit 2, naming the fix);
--dry-run runs with this shell's settings and a warning. A --mode or --target wider than the app's is refused.
Before the first row the sign-in is checked: its Graph permissions (and, signed in as an admin, an Entra role
that may change other users' contact data) must cover the mode and target; what is missing is named, exit 2.
Exit status: 0 every row applied or already as asked, 1 some row rejected, skipped, partial or failed,
2 usage, settings, input, sign-in or permission error, 3 interrupted (Ctrl-C): the checkpoint is saved, rerun with
--resume. Settings: GRAPH_BASE_URL, GRAPH_AUTH, AZURE_TENANT_ID, GRAPH_ACCESS_TOKEN (emulator), AZURE_CLIENT_ID,
GRAPH_WRITE_BUDGET, GRAPH_WRITE_WINDOW_SECONDS, AzureWebJobsStorage (the deployment's policy, and outcomes),
OUTCOMES_TABLE, DEFAULT_COUNTRY, PHONE_VALIDATION, ORGANIZATION_DOMAINS, CONTACT_TARGET, CONTACT_MODE,
SYNCED_MOBILE, PROTECTED_GROUP_IDS.`;

/** What tests and the benchmark may inject; the bin uses none of it. */
export interface BackfillDeps {
  /** Stops the run as Ctrl-C does. Default: the process's SIGINT. */
  signal?: AbortSignal;
  /** The write limiter; default the process-wide one sized from GRAPH_WRITE_BUDGET / _WINDOW_SECONDS. */
  limiter?: AppServices["writeLimiter"];
  directory?: BackfillDirectory;
  /** Called after each row is reported (tests stop a run after K rows with it). */
  onRow?: (row: BackfillRow) => void;
  /** Batches in flight, reading or writing (tests make runs step by step with 1); default: the backfill's. */
  concurrency?: number;
  /** Plain progress line interval when stderr is not a terminal; default 10 s. */
  progressIntervalMs?: number;
  /** The progress bar's clock (tests tick it by hand). */
  progressClock?: ProgressClock;
  /** The sign-in, instead of choosing one from --auth and the settings (tests pass a fake credential). */
  signIn?: GraphSignIn;
  /** Checkpoint at least every this many ms; default 2 s. */
  checkpointEveryMs?: number;
  /** Where the deployed app's policy is read; default table DeploymentPolicy on AzureWebJobsStorage. */
  deploymentPolicy?: DeploymentPolicyStore;
}

/** `sspr-prepop backfill`: the bin's entry, with Ctrl-C wired to a graceful stop. */
export async function backfillCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: leave now; the last periodic checkpoint still lets --resume continue.
      process.exit(BackfillExitCode.interrupted);
    }
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    return await runBackfillCommand(args, io, { signal: controller.signal });
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** The backfill command with its dependencies open for injection; returns the exit code. */
export async function runBackfillCommand(
  args: readonly string[],
  io: CommandIo,
  deps: BackfillDeps = {},
): Promise<number> {
  const asked = backfillRequestOf(args, io.env);
  if (asked === "help") {
    io.stdout.write(`${backfillUsage}\n`);
    return ExitCode.ok;
  }
  const request = await underDeployment(asked, io, deps.deploymentPolicy);
  const start = await checkpointStartOf(request, io);
  const run = await openRun(request, start, io, deps);
  const checkpoint = new RunCheckpoint(start, run.report, deps.checkpointEveryMs ?? 2000);
  if (start.resumed) io.stderr.write(resumeNote(run.source.name, start.resumed, start.total));

  // Ctrl-C is answered at once, whatever the batches in flight are waiting for.
  const onAbort = () => run.progress.stopping();
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  const started = performance.now();
  run.progress.start();
  let summary: BackfillSummary;
  try {
    summary = await applyRows(request, start, run, checkpoint, deps);
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
  }
  run.progress.finish();
  await run.report.close();
  const seconds = (performance.now() - started) / 1000;
  if (summary.interrupted) await checkpoint.save();
  else if (start.path) await removeBackfillCheckpoint(start.path);

  io.stderr.write(
    backfillSummaryText({
      name: run.source.name,
      format: run.source.format,
      dryRun: request.dryRun,
      summary,
      totals: checkpoint.totals,
      resumedRows: start.resumed?.totals.rows ?? 0,
      seconds,
      throttled: run.limiter.stats().backOffs,
      report: request.report,
      outcomes: run.outcomes !== undefined,
      checkpointPath: start.path,
      doneThroughLine: checkpoint.doneThroughLineNow(),
    }),
  );
  return exitCodeOf(summary, checkpoint.totals);
}

/**
 * Runs the rows through `runBackfill`. When it throws, the rows finished so far are kept (report closed,
 * checkpoint saved) and refused credentials become a usage error (exit 2) saying how to go on.
 */
async function applyRows(
  request: BackfillRequest,
  start: CheckpointStart,
  run: OpenRun,
  checkpoint: RunCheckpoint,
  deps: BackfillDeps,
): Promise<BackfillSummary> {
  try {
    return await runBackfill({
      records: run.source.records,
      rules: request.rules,
      policy: request.policy,
      directory: run.directory,
      outcomes: run.outcomes,
      dryRun: request.dryRun,
      sourceName: basename(run.source.name),
      actor: run.actor,
      isDone: (line) => line <= checkpoint.doneThrough,
      onDispatch: (rows) => run.progress.dispatch(rows),
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.concurrency !== undefined
        ? { concurrency: deps.concurrency, maxPending: deps.concurrency }
        : {}),
      onRow: rowHandler(run, checkpoint, deps),
    });
  } catch (err) {
    run.progress.finish();
    await checkpoint.save().catch(() => undefined);
    await run.report.close().catch(() => undefined);
    throw failureOf(err, start.path);
  }
}

/** What a run reads, writes and reports to. */
interface OpenRun {
  source: Awaited<ReturnType<typeof openRecordSource>>;
  limiter: AppServices["writeLimiter"];
  directory: BackfillDirectory;
  outcomes: OutcomeLog | undefined;
  report: ReportOutput;
  progress: BackfillProgress;
  /** The outcomes' actor: `backfill:` + who signed in, or `backfill` when the token names no one. */
  actor: string;
}

/**
 * Opens what the run needs, in the order a problem is best found: signed in and checked before a row is read
 * (a missing permission stops here, not on the first write), then the input, the outcome log and the report.
 */
async function openRun(
  request: BackfillRequest,
  start: CheckpointStart,
  io: CommandIo,
  deps: BackfillDeps,
): Promise<OpenRun> {
  const { settings, format } = request;
  const append = start.resumed !== undefined;
  const reportExists = request.report
    ? await refuseToReplaceReport(request.report, append, request.force)
    : false;
  const { credential, signedInAs } = deps.directory
    ? {}
    : await signInChecked(
        "backfill",
        settings,
        request.signIn,
        graphAccessNeeds({ policy: request.policy, dryRun: request.dryRun }),
        io,
        deps.signIn,
      );
  const services = commandServices(
    settings,
    deps.limiter ? { writeLimiter: deps.limiter } : {},
    // Ctrl-C: writes still waiting for Graph's budget are dropped, not sent minutes after the stop.
    { credential, priority: "low", stopSignal: deps.signal },
  );
  const limiter = services.writeLimiter;
  // Before the first row: a sign-in that may only read the budget row says here that it paces on its own share.
  await limiter.checkShared();
  const directory = deps.directory ?? services.directory;
  await graphAnswers(directory);
  const source = await openRecordSource(request.path, { ...(format ? { format } : {}), stdin: io.stdin });
  const outcomes = outcomeLogFor(request, services, io);
  const report = await openReportOutput(request.report, io, append, reportExists);
  const progress = new BackfillProgress(io.stderr, {
    total: start.total,
    alreadyDone: start.resumed?.totals.rows ?? 0,
    isTTY: (io.stderr as { isTTY?: boolean }).isTTY === true,
    dryRun: request.dryRun,
    budget: {
      perSecond: (limiter.budget * 1000) / limiter.windowMs,
      available: () => limiter.available(),
      pausedForMs: () => limiter.stats().pausedForMs,
      throttled: () => limiter.stats().backOffs,
    },
    ...(deps.progressIntervalMs !== undefined ? { logIntervalMs: deps.progressIntervalMs } : {}),
    ...(deps.progressClock ? { clock: deps.progressClock } : {}),
  });
  // The outcomes name who ran the backfill, as the helpdesk's name their caller: the account or app signed in.
  const actor = signedInAs ? `backfill:${signedInAs}` : "backfill";
  return { source, limiter, directory, outcomes, report, progress, actor };
}

/**
 * Graph out of reach, or refusing the credentials, before the first row: stop at once (exit 2), naming the fix,
 * with nothing read, recorded, reported or checkpointed — rather than fail every row "run again" and leave files
 * that block a plain rerun. One cheap read the run makes anyway (the tenant's verified domains); a refusal of that
 * read for want of its permission still shows Graph answering, and is left to the rows that need it.
 */
async function graphAnswers(directory: Pick<BackfillDirectory, "verifiedDomains">): Promise<void> {
  try {
    await directory.verifiedDomains();
  } catch (err) {
    const failure = directoryFailureOf(err);
    if (failure.category === "missingPermission") return;
    if (failure.handling === "final") return;
    const fix =
      failure.category === "credentials"
        ? ""
        : " Check GRAPH_BASE_URL and the network or proxy to Microsoft Graph, then run again.";
    throw new UsageError(
      `stopped before the first row: ${failure.reason}; nothing was written or recorded.${fix}`,
      { cause: err },
    );
  }
}

/** Each row, in input order: its CSV line, the totals, progress, then the checkpoint when one is due. */
function rowHandler(
  run: OpenRun,
  checkpoint: RunCheckpoint,
  deps: BackfillDeps,
): (row: BackfillRow) => Promise<void> {
  return async (row) => {
    const waiting = run.report.write(toBackfillCsvLine(row));
    if (waiting) await waiting;
    checkpoint.count(row);
    run.progress.row(row.writes);
    deps.onRow?.(row);
    await checkpoint.saveIfDue();
  };
}

/**
 * What a failed run throws: no token, refused credentials or a missing permission become a usage error (exit 2)
 * naming the fix; the rows finished before it stay in the checkpoint.
 */
function failureOf(err: unknown, checkpointPath: string | undefined): unknown {
  const failure = directoryFailureOf(err);
  if (failure.handling === "stopRun") {
    return new UsageError(
      `stopped: ${failure.reason}.${
        checkpointPath
          ? " The rows finished before it are in the checkpoint: once fixed, rerun with --resume."
          : ""
      }`,
      { cause: err },
    );
  }
  return err;
}

function exitCodeOf(summary: BackfillSummary, totals: RunTotals): number {
  if (summary.interrupted) return BackfillExitCode.interrupted;
  const notApplied = outcomeStatuses.some(
    (status) => status !== "updated" && status !== "unchanged" && (totals.byStatus[status] ?? 0) > 0,
  );
  return notApplied || totals.outcomeErrors > 0 ? BackfillExitCode.someRowsNotApplied : ExitCode.ok;
}

/** The outcome log a real run records in; none for a dry run, with --no-outcomes, or without storage (a note). */
function outcomeLogFor(
  request: BackfillRequest,
  services: AppServices,
  io: CommandIo,
): OutcomeLog | undefined {
  if (request.noOutcomes || request.dryRun) return undefined;
  const { settings } = services;
  if (!settings.AzureWebJobsStorage && !settings.AzureWebJobsStorage__tableServiceUri) {
    io.stderr.write(
      "sspr-prepop backfill: note: AzureWebJobsStorage is not set, so outcomes are not recorded (the per-row CSV is the only record); set it, or pass --no-outcomes to silence this note\n",
    );
    return undefined;
  }
  return services.outcomes;
}
