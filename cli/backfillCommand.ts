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
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import { DirectoryError, DirectoryErrorKind } from "../shared/directory/directoryError.js";
import { type OutcomeStatus, outcomeStatuses } from "../shared/sync/outcome.js";
import type { OutcomeLog } from "../shared/sync/outcomeLog.js";
import type { SyncPolicy } from "../shared/sync/syncPlanner.js";
import { BackfillProgress } from "./backfillProgress.js";
import { fileArgument } from "./fileArgument.js";
import { LineWriter } from "./lineWriter.js";
import { type InputFormat, openRecordSource } from "./openRecordSource.js";
import { openPrivateWriteStream } from "./privateFile.js";
import { BACKFILL_CSV_HEADER, toBackfillCsvLine } from "./toBackfillCsvLine.js";
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
  /** Batches in flight; default 16. */
  concurrency?: number;
  /** Plain progress line interval when stderr is not a terminal; default 10 s. */
  progressIntervalMs?: number;
  /** Checkpoint at least every this many ms; default 2 s. */
  checkpointEveryMs?: number;
}

const CHECKPOINT_EVERY_ROWS = 1000;

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
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      "dry-run": { type: "boolean" },
      mode: { type: "string" },
      target: { type: "string" },
      resume: { type: "boolean" },
      report: { type: "string" },
      "no-outcomes": { type: "boolean" },
      format: { type: "string" },
      country: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout.write(`${backfillUsage}\n`);
    return ExitCode.ok;
  }
  const path = fileArgument("backfill", positionals);
  const dryRun = values["dry-run"] === true;
  const fromStdin = path === "-";
  if (values.resume && dryRun)
    throw new UsageError("--resume continues a real run; a dry run keeps no checkpoint.");
  if (values.resume && fromStdin) throw new UsageError("--resume needs a FILE: stdin cannot be read again.");

  const settings = loadSettings(io.env);
  const policy = policyOf(settings, values.mode, values.target);
  const rules = ruleOptions(settings, values.country);
  const format = toFormat(values.format);

  const checkpointPath = fromStdin || dryRun ? undefined : backfillCheckpointPath(resolve(path));
  const inputInfo = fromStdin ? undefined : await stat(path).catch(() => undefined);
  const fingerprint = inputInfo
    ? { path: resolve(path), size: inputInfo.size, mtimeMs: inputInfo.mtimeMs }
    : undefined;
  const checkpointOptions = {
    mode: policy.mode,
    target: JSON.stringify(policy.target),
    syncedMobile: policy.syncedMobile,
  };
  const previous = checkpointPath ? await loadCheckpoint(checkpointPath) : undefined;
  if (values.resume) {
    if (!previous)
      throw new UsageError(`Nothing to resume: no checkpoint ${checkpointPath} from an interrupted run.`);
    checkResumable(previous, fingerprint, checkpointOptions);
  } else if (previous) {
    io.stderr.write(
      `sspr-prepop backfill: note: starting over; the checkpoint of an earlier interrupted run is replaced (pass --resume to continue it instead)\n`,
    );
  }
  const resumed = values.resume ? previous : undefined;

  const source = await openRecordSource(path, { ...(format ? { format } : {}), stdin: io.stdin });
  const total = fingerprint ? await estimateRows(path, source.format) : undefined;

  const limiter = deps.limiter ?? writeLimiterFromSettings(settings);
  const directory = deps.directory ?? graphDirectoryFromSettings(settings, limiter);
  const outcomes = outcomeLogFor(settings, values["no-outcomes"] === true, dryRun, io);

  const report = await openReport(values.report, io, resumed !== undefined);
  const progress = new BackfillProgress(io.stderr, {
    total,
    alreadyDone: resumed?.totals.rows ?? 0,
    isTTY: (io.stderr as { isTTY?: boolean }).isTTY === true,
    throttled: () => limiter.stats().backOffs,
    ...(deps.progressIntervalMs !== undefined ? { intervalMs: deps.progressIntervalMs } : {}),
  });

  const doneThrough = resumed?.doneThroughLine ?? 0;
  const totals = resumed
    ? structuredClone(resumed.totals)
    : { rows: 0, writes: 0, byStatus: {}, outcomesRecorded: 0, outcomeErrors: 0 };
  let lastLine = doneThrough;
  let sinceSave = 0;
  let savedAt = performance.now();
  const saveCheckpoint = async () => {
    if (!checkpointPath || !fingerprint) return;
    await report.flush();
    await writeBackfillCheckpoint(checkpointPath, {
      version: 1,
      input: fingerprint,
      options: checkpointOptions,
      doneThroughLine: lastLine,
      totals,
      updatedAt: new Date().toISOString(),
    });
    sinceSave = 0;
    savedAt = performance.now();
  };

  const started = performance.now();
  let summary: BackfillSummary;
  try {
    summary = await runBackfill({
      records: source.records,
      rules,
      policy,
      directory,
      outcomes,
      dryRun,
      sourceName: basename(source.name),
      isDone: (line) => line <= doneThrough,
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
      onRow: async (row) => {
        const waiting = report.write(toBackfillCsvLine(row));
        if (waiting) await waiting;
        lastLine = row.line;
        totals.rows++;
        totals.writes += row.writes;
        totals.byStatus[row.outcome.status] = (totals.byStatus[row.outcome.status] ?? 0) + 1;
        if (row.recorded === true) totals.outcomesRecorded++;
        if (row.recorded === false) totals.outcomeErrors++;
        progress.row(row.writes);
        deps.onRow?.(row);
        sinceSave++;
        if (
          sinceSave >= CHECKPOINT_EVERY_ROWS ||
          performance.now() - savedAt >= (deps.checkpointEveryMs ?? 2000)
        ) {
          await saveCheckpoint();
        }
      },
    });
  } catch (err) {
    progress.finish();
    await saveCheckpoint().catch(() => undefined);
    await report.close().catch(() => undefined);
    if (err instanceof DirectoryError && err.kind === DirectoryErrorKind.unauthorized) {
      throw new UsageError(
        `Graph refused the credentials (401 ${err.graphCode ?? ""}): check GRAPH_ACCESS_TOKEN or the managed identity.${
          checkpointPath ? " Finished rows are in the checkpoint; rerun with --resume." : ""
        }`,
        { cause: err },
      );
    }
    throw err;
  }
  progress.finish();
  await report.close();
  const seconds = (performance.now() - started) / 1000;
  if (summary.interrupted) await saveCheckpoint();
  else if (checkpointPath) await removeBackfillCheckpoint(checkpointPath);

  io.stderr.write(
    summaryText({
      name: source.name,
      format: source.format,
      dryRun,
      summary,
      totals,
      resumedRows: resumed?.totals.rows ?? 0,
      seconds,
      throttled: limiter.stats().backOffs,
      report: values.report,
      outcomes: outcomes !== undefined,
      checkpointPath,
    }),
  );
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
    writer.write(BACKFILL_CSV_HEADER);
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
  if (!append || !exists) writer.write(BACKFILL_CSV_HEADER);
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

function summaryText(input: {
  name: string;
  format: InputFormat;
  dryRun: boolean;
  summary: BackfillSummary;
  totals: BackfillCheckpoint["totals"];
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
    .map((status) => `${totals.byStatus[status] ?? 0} ${status}`)
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
