import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { AppServices } from "../shared/app/appServices.js";
import { loadSettings, type Settings } from "../shared/app/config.js";
import {
  graphDirectoryFromSettings,
  writeLimiterFromSettings,
} from "../shared/app/graphDirectoryFromSettings.js";
import { outcomeLogFromSettings } from "../shared/app/outcomeLogFromSettings.js";
import { contactRuleOptionsFrom, policyFrom } from "../shared/app/ruleOptions.js";
import {
  type BackfillDirectory,
  type BackfillRow,
  type BackfillSummary,
  runBackfill,
} from "../shared/backfill/backfill.js";
import {
  type BackfillCheckpoint,
  backfillCheckpointPath,
  readBackfillCheckpoint,
  removeBackfillCheckpoint,
  writeBackfillCheckpoint,
} from "../shared/backfill/backfillCheckpoint.js";
import { addRow, emptyRunTotals, type RunTotals } from "../shared/backfill/runTotals.js";
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import { type OutcomeStatus, outcomeStatuses } from "../shared/sync/outcome.js";
import type { OutcomeLog } from "../shared/sync/outcomeLog.js";
import type { SyncPolicy } from "../shared/sync/syncPlanner.js";
import { BackfillProgress } from "./backfillProgress.js";
import { fileArgument } from "./fileArgument.js";
import { LineWriter } from "./lineWriter.js";
import { type InputFormat, openRecordSource } from "./openRecordSource.js";
import { openPrivateWriteStream } from "./privateFile.js";
import { backfillCsvHeader, toBackfillCsvLine } from "./toBackfillCsvLine.js";
import { UsageError } from "./usageError.js";
import { type CommandIo, ExitCode } from "./validateCommand.js";

/** Exit codes of `backfill`: the shared ones plus "interrupted, resume with --resume". */
export const BackfillExitCode = { ...ExitCode, someRowsNotApplied: 1, interrupted: 3 } as const;

export const backfillUsage = `Usage: sspr-prepop backfill FILE [--dry-run] [--mode fillEmpty|overwrite] [--target profile|methods|both]
                          [--resume] [--report out.csv] [--no-outcomes] [--format csv|jsonl] [--country XX]

Applies an HR export (the formats "validate" reads) to Entra ID in bulk: validates each row, resolves and reads
users 20 per Graph $batch, plans with the queue's planner and writes 20 per $batch, paced to stay just under the
write budget. Progress goes to stderr; the per-row result CSV to --report (default stdout).

  FILE              CSV (header row) or JSON Lines of ContactEvents; - reads stdin (no checkpoint then)
  --dry-run         read and plan only: no write, no outcome, no checkpoint
  --mode M          fillEmpty (default: CONTACT_MODE) or overwrite
  --target T        profile, methods or both, or per field like mobilePhone=both (default: CONTACT_TARGET)
  --resume          continue an interrupted run from its checkpoint (.sspr-checkpoint.<FILE name>.json)
  --report FILE     write the per-row CSV there (appended to on --resume) instead of stdout
  --no-outcomes     don't record outcomes in Table storage
  --format F        csv or jsonl (default: from the extension, else from the first character)
  --country XX      default region for numbers in national form (overrides DEFAULT_COUNTRY)
  -h, --help        show this help

Exit status: 0 every row applied or already as asked, 1 some row rejected, skipped, partial or failed,
2 usage, settings, input or credential error, 3 interrupted (Ctrl-C): the checkpoint is saved, rerun with --resume.
Settings: GRAPH_BASE_URL, GRAPH_ACCESS_TOKEN or AZURE_CLIENT_ID, GRAPH_WRITE_BUDGET, GRAPH_WRITE_WINDOW_SECONDS,
AzureWebJobsStorage (outcomes; unset = not recorded), OUTCOMES_TABLE, DEFAULT_COUNTRY, PHONE_VALIDATION,
ORGANIZATION_DOMAINS, CONTACT_TARGET, CONTACT_MODE, SYNCED_MOBILE.`;

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
  /** Checkpoint at least every this many ms; default 2 s. */
  checkpointEveryMs?: number;
}

const checkpointEveryRows = 1000;

/** `sspr-prepop backfill`: the bin's entry, with Ctrl-C wired to a graceful stop. */
export async function backfillCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: leave now; the last periodic checkpoint still lets --resume continue.
      process.exit(BackfillExitCode.interrupted);
    }
    io.stderr.write(
      "\nsspr-prepop backfill: interrupted; finishing the batches in flight, then saving the checkpoint (Ctrl-C again to quit now)\n",
    );
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
  const request = backfillRequestOf(args, io.env);
  if (request === "help") {
    io.stdout.write(`${backfillUsage}\n`);
    return ExitCode.ok;
  }
  const start = await checkpointStartOf(request, io);
  const run = await openRun(request, start, io, deps);
  const checkpoint = new RunCheckpoint(start, run.report, deps.checkpointEveryMs ?? 2000);

  const started = performance.now();
  const summary = await applyRows(request, start, run, checkpoint, deps);
  run.progress.finish();
  await run.report.close();
  const seconds = (performance.now() - started) / 1000;
  if (summary.interrupted) await checkpoint.save();
  else if (start.path) await removeBackfillCheckpoint(start.path);

  io.stderr.write(
    summaryText({
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
      isDone: (line) => line <= checkpoint.doneThrough,
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

/** What one run is asked to do: the command line, checked, and the settings it applies. */
interface BackfillRequest {
  /** The input FILE, or `-` for stdin. */
  path: string;
  fromStdin: boolean;
  dryRun: boolean;
  resume: boolean;
  /** --report FILE; undefined = stdout. */
  report: string | undefined;
  noOutcomes: boolean;
  settings: Settings;
  policy: SyncPolicy;
  rules: ContactRuleOptions;
  format: InputFormat | undefined;
}

const backfillOptions = {
  "dry-run": { type: "boolean" },
  mode: { type: "string" },
  target: { type: "string" },
  resume: { type: "boolean" },
  report: { type: "string" },
  "no-outcomes": { type: "boolean" },
  format: { type: "string" },
  country: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses and checks the arguments (a UsageError for the first wrong one); "help" when --help was asked. */
function backfillRequestOf(args: readonly string[], env: CommandIo["env"]): BackfillRequest | "help" {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: backfillOptions,
  });
  if (values.help) return "help";
  const path = fileArgument("backfill", positionals);
  const dryRun = values["dry-run"] === true;
  const fromStdin = path === "-";
  if (values.resume && dryRun)
    throw new UsageError("--resume continues a real run; a dry run keeps no checkpoint.");
  if (values.resume && fromStdin) throw new UsageError("--resume needs a FILE: stdin cannot be read again.");

  const settings = loadSettings(env);
  return {
    path,
    fromStdin,
    dryRun,
    resume: values.resume === true,
    report: values.report,
    noOutcomes: values["no-outcomes"] === true,
    settings,
    policy: policyOf(settings, values.mode, values.target),
    rules: ruleOptions(settings, values.country),
    format: toFormat(values.format),
  };
}

/** Where the run keeps its checkpoint and what it continues from: the resume decision. */
interface CheckpointStart {
  /** The checkpoint file; undefined for a dry run or stdin, which keep none. */
  path: string | undefined;
  /** The input's fingerprint; undefined for stdin. */
  input: BackfillCheckpoint["input"] | undefined;
  /** The options that change what a row does; a resume must use the same. */
  options: BackfillCheckpoint["options"];
  /** The interrupted run's checkpoint when --resume continues it. */
  resumed: BackfillCheckpoint | undefined;
}

/**
 * Reads an earlier run's checkpoint: with --resume it must exist and match the input and options; without,
 * a note says it is replaced.
 */
async function checkpointStartOf(request: BackfillRequest, io: CommandIo): Promise<CheckpointStart> {
  const { path, policy } = request;
  const checkpointPath =
    request.fromStdin || request.dryRun ? undefined : backfillCheckpointPath(resolve(path));
  const inputInfo = request.fromStdin ? undefined : await stat(path).catch(() => undefined);
  const input = inputInfo
    ? { path: resolve(path), size: inputInfo.size, mtimeMs: inputInfo.mtimeMs }
    : undefined;
  const options = {
    mode: policy.mode,
    target: JSON.stringify(policy.target),
    syncedMobile: policy.syncedMobile,
  };
  const previous = checkpointPath ? await loadCheckpoint(checkpointPath) : undefined;
  if (request.resume) {
    if (!previous)
      throw new UsageError(`Nothing to resume: no checkpoint ${checkpointPath} from an interrupted run.`);
    checkResumable(previous, input, options);
  } else if (previous) {
    io.stderr.write(
      `sspr-prepop backfill: note: starting over; the checkpoint of an earlier interrupted run is replaced (pass --resume to continue it instead)\n`,
    );
  }
  return { path: checkpointPath, input, options, resumed: request.resume ? previous : undefined };
}

/** What a run reads, writes and reports to. */
interface OpenRun {
  source: Awaited<ReturnType<typeof openRecordSource>>;
  limiter: AppServices["writeLimiter"];
  directory: BackfillDirectory;
  outcomes: OutcomeLog | undefined;
  report: ReportOutput;
  progress: BackfillProgress;
}

async function openRun(
  request: BackfillRequest,
  start: CheckpointStart,
  io: CommandIo,
  deps: BackfillDeps,
): Promise<OpenRun> {
  const { settings, format } = request;
  const source = await openRecordSource(request.path, { ...(format ? { format } : {}), stdin: io.stdin });
  const total = start.input ? await estimateRows(request.path, source.format) : undefined;

  const limiter = deps.limiter ?? writeLimiterFromSettings(settings);
  const directory = deps.directory ?? graphDirectoryFromSettings(settings, limiter, "low");
  const outcomes = outcomeLogFor(settings, request.noOutcomes, request.dryRun, io);

  const report = await openReport(request.report, io, start.resumed !== undefined);
  const progress = new BackfillProgress(io.stderr, {
    total,
    alreadyDone: start.resumed?.totals.rows ?? 0,
    isTTY: (io.stderr as { isTTY?: boolean }).isTTY === true,
    throttled: () => limiter.stats().backOffs,
    ...(deps.progressIntervalMs !== undefined ? { intervalMs: deps.progressIntervalMs } : {}),
  });
  return { source, limiter, directory, outcomes, report, progress };
}

/**
 * The whole file's running totals (carried over from the checkpoint on a resume) and the checkpoint that
 * keeps them: saved every `checkpointEveryRows` rows or `everyMs`, whichever comes first.
 */
class RunCheckpoint {
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
      version: 1,
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

/** What a failed run throws: refused credentials become a usage error naming the setting to check. */
function failureOf(err: unknown, checkpointPath: string | undefined): unknown {
  const failure = directoryFailureOf(err);
  if (failure.category === "credentials") {
    return new UsageError(
      `${failure.reason}.${
        checkpointPath ? " Finished rows are in the checkpoint; rerun with --resume." : ""
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

function policyOf(settings: Settings, mode: string | undefined, target: string | undefined): SyncPolicy {
  const policy = policyFrom(settings);
  if (mode !== undefined) {
    if (mode !== "fillEmpty" && mode !== "overwrite") {
      throw new UsageError(`--mode must be fillEmpty or overwrite, not "${mode.slice(0, 20)}".`);
    }
    policy.mode = mode;
  }
  if (target !== undefined) {
    // The same parser as CONTACT_TARGET, so the flag accepts exactly what the setting does.
    try {
      policy.target = loadSettings({ CONTACT_TARGET: target }).CONTACT_TARGET;
    } catch {
      throw new UsageError(
        `--target must be profile, methods or both, or per field like mobilePhone=methods,officePhone=profile.`,
      );
    }
  }
  return policy;
}

function ruleOptions(settings: Settings, country: string | undefined): ContactRuleOptions {
  const rules = contactRuleOptionsFrom(settings);
  if (country !== undefined) {
    const code = toCountryCode(country);
    if (code === undefined) {
      throw new UsageError(
        `--country must be an ISO 3166-1 alpha-2 code such as US or DE, not "${country.slice(0, 40)}".`,
      );
    }
    rules.defaultCountry = code;
  }
  return rules;
}

function toFormat(value: string | undefined): InputFormat | undefined {
  if (value === undefined) return undefined;
  const format = value.toLowerCase();
  if (format === "csv" || format === "jsonl") return format;
  if (format === "ndjson") return "jsonl";
  throw new UsageError(`--format must be csv or jsonl, not "${value.slice(0, 20)}".`);
}

async function loadCheckpoint(path: string): Promise<BackfillCheckpoint | undefined> {
  try {
    return await readBackfillCheckpoint(path);
  } catch (err) {
    throw new UsageError(
      `Cannot read the checkpoint ${path} (${err instanceof Error ? err.message : String(err)}); delete it to start over.`,
    );
  }
}

function checkResumable(
  checkpoint: BackfillCheckpoint,
  input: BackfillCheckpoint["input"] | undefined,
  options: BackfillCheckpoint["options"],
): void {
  if (!input || checkpoint.input.size !== input.size || checkpoint.input.mtimeMs !== input.mtimeMs) {
    throw new UsageError(
      "The input changed since the checkpoint was written (size or modification time); a resume would skip the wrong rows. Delete the checkpoint to start over.",
    );
  }
  for (const key of ["mode", "target", "syncedMobile"] as const) {
    if (checkpoint.options[key] !== options[key]) {
      throw new UsageError(
        `The interrupted run used ${key} ${checkpoint.options[key]}, not ${options[key]}; resume with the same options or delete the checkpoint.`,
      );
    }
  }
}

function outcomeLogFor(
  settings: Settings,
  disabled: boolean,
  dryRun: boolean,
  io: CommandIo,
): OutcomeLog | undefined {
  if (disabled || dryRun) return undefined;
  if (!settings.AzureWebJobsStorage && !settings.AzureWebJobsStorage__tableServiceUri) {
    io.stderr.write(
      "sspr-prepop backfill: note: AzureWebJobsStorage is not set, so outcomes are not recorded (the per-row CSV is the only record); set it, or pass --no-outcomes to silence this note\n",
    );
    return undefined;
  }
  return outcomeLogFromSettings(settings);
}

interface ReportOutput {
  write(text: string): Promise<void> | undefined;
  flush(): Promise<void>;
  close(): Promise<void>;
}

async function openReport(path: string | undefined, io: CommandIo, append: boolean): Promise<ReportOutput> {
  if (path === undefined) {
    const writer = new LineWriter(io.stdout);
    writer.write(backfillCsvHeader);
    return { write: (text) => writer.write(text), flush: () => writer.flush(), close: () => writer.flush() };
  }
  const exists = await stat(path).then(
    (info) => info.size > 0,
    () => false,
  );
  const stream = await openPrivateWriteStream(path, append ? "a" : "w").catch((err: Error) => {
    throw new UsageError(`Cannot write the report ${path}: ${err.message}`, { cause: err });
  });
  const writer = new LineWriter(stream);
  if (!append || !exists) writer.write(backfillCsvHeader);
  return {
    write: (text) => writer.write(text),
    flush: () => writer.flush(),
    close: async () => {
      await writer.flush();
      await new Promise<void>((done, reject) =>
        stream.end((err?: Error | null) => (err ? reject(err) : done())),
      );
    },
  };
}

/** Counts the input's rows roughly (lines, less the header), for the progress bar's total and ETA. */
async function estimateRows(path: string, format: InputFormat): Promise<number | undefined> {
  let lines = 0;
  let last = 10;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
      last = chunk[chunk.length - 1] ?? last;
    }
  } catch {
    return undefined;
  }
  if (last !== 10) lines++;
  return Math.max(0, lines - (format === "csv" ? 1 : 0));
}

/** A dry run writes nothing: its summary says what a real run would do ("2 would update"), never "2 updated". */
function wouldBe(status: string): string {
  if (status === "updated") return "would update";
  if (status === "partial") return "would partly update";
  return status;
}

function summaryText(input: {
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
  if (input.report) lines.push(`  per-row results: ${input.report}`);
  if (summary.interrupted) {
    lines.push(
      input.checkpointPath
        ? `  interrupted: checkpoint saved to ${input.checkpointPath}; rerun with --resume to continue`
        : "  interrupted: no checkpoint (dry run or stdin); rerun to start over",
    );
  }
  return `${lines.join("\n")}\n`;
}
