import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { AppServices } from "../shared/app/appServices.js";
import { loadSettings, type Settings } from "../shared/app/config.js";
import {
  graphDirectoryFromSettings,
  writeLimiterFromSettings,
} from "../shared/app/graphDirectoryFromSettings.js";
import { type GraphSignIn, graphAccessNeeds } from "../shared/app/graphSignIn.js";
import { outcomeLogFromSettings } from "../shared/app/outcomeLogFromSettings.js";
import { protectionPolicyFrom } from "../shared/app/protectionPolicyFrom.js";
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
  fingerprintInput,
  type InputFingerprint,
  isSameInput,
  readBackfillCheckpoint,
  removeBackfillCheckpoint,
  writeBackfillCheckpoint,
} from "../shared/backfill/backfillCheckpoint.js";
import { addRow, emptyRunTotals, type RunTotals } from "../shared/backfill/runTotals.js";
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import type { DeploymentPolicyStore, ProtectionPolicy } from "../shared/sync/deploymentPolicy.js";
import { type OutcomeStatus, outcomeStatuses } from "../shared/sync/outcome.js";
import type { OutcomeLog } from "../shared/sync/outcomeLog.js";
import type { PolicyPart } from "../shared/sync/stricterPolicy.js";
import type { SyncPolicy } from "../shared/sync/syncPlanner.js";
import { BackfillProgress, type ProgressClock } from "./backfillProgress.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { countryOption, inputFormatOption } from "./commandOptions.js";
import { fileArgument } from "./fileArgument.js";
import { authOptions, signInChecked, signInRequestOf } from "./graphSignInOptions.js";
import { LineWriter } from "./lineWriter.js";
import { type InputFormat, openRecordSource } from "./openRecordSource.js";
import { openPrivateWriteStream } from "./privateFile.js";
import { backfillCsvHeader, toBackfillCsvLine } from "./toBackfillCsvLine.js";
import { underDeploymentPolicy } from "./underDeploymentPolicy.js";
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

const checkpointEveryRows = 1000;

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
  const request = await underDeployment(asked, io, deps);
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
      doneThroughLine: checkpoint.doneThroughLineNow(),
    }),
  );
  return exitCodeOf(summary, checkpoint.totals);
}

/** What a resumed run says first: where it picks up, what the interrupted run finished, and what is left. */
function resumeNote(name: string, resumed: BackfillCheckpoint, total: number | undefined): string {
  const left =
    total === undefined
      ? ""
      : `; about ${Math.max(0, total - resumed.totals.rows).toLocaleString("en-US")} rows left`;
  return `sspr-prepop backfill: resuming ${name} after line ${resumed.doneThroughLine.toLocaleString("en-US")}: ${resumed.totals.rows.toLocaleString("en-US")} rows were finished by the interrupted run (checkpoint of ${resumed.updatedAt})${left}\n`;
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

/** What one run is asked to do: the command line, checked, and the settings it applies. */
interface BackfillRequest {
  /** The input FILE, or `-` for stdin. */
  path: string;
  fromStdin: boolean;
  dryRun: boolean;
  resume: boolean;
  /** --report FILE; undefined = stdout. */
  report: string | undefined;
  /** --force: an existing --report FILE may be replaced. */
  force: boolean;
  /** The Graph sign-in asked for (--auth, --tenant, --client-id). */
  signIn: ReturnType<typeof signInRequestOf>;
  noOutcomes: boolean;
  /** This shell's settings; once the deployed app's policy is applied, the stricter of both. */
  settings: Settings;
  /** The policy this shell asks for: its settings with --mode and --target in place. */
  local: ProtectionPolicy;
  /** The policy parts the command line chose. */
  fromFlags: ReadonlySet<PolicyPart>;
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
  force: { type: "boolean" },
  "no-outcomes": { type: "boolean" },
  auth: { type: "string" },
  tenant: { type: "string" },
  "client-id": { type: "string" },
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
  if (values.force && values.report === undefined)
    throw new UsageError("--force replaces an existing --report FILE; name the FILE with --report.");

  const settings = loadSettings(env);
  const local = localPolicyOf(settings, values.mode, values.target);
  return {
    path,
    fromStdin,
    dryRun,
    resume: values.resume === true,
    report: values.report,
    force: values.force === true,
    signIn: signInRequestOf(values),
    noOutcomes: values["no-outcomes"] === true,
    settings,
    local,
    fromFlags: new Set<PolicyPart>([
      ...(values.mode !== undefined ? (["mode"] as const) : []),
      ...(values.target !== undefined ? (["target"] as const) : []),
    ]),
    policy: policyFrom(settings),
    rules: ruleOptions(settings, values.country),
    format: inputFormatOption(values.format),
  };
}

/** Where the run keeps its checkpoint and what it continues from: the resume decision. */
interface CheckpointStart {
  /** The checkpoint file; undefined for a dry run or stdin, which keep none. */
  path: string | undefined;
  /** The input's fingerprint (content hash); undefined for stdin. */
  input: InputFingerprint | undefined;
  /** Rows in the input, counted from its lines; undefined for stdin. */
  total: number | undefined;
  /** The options that change what a row does; a resume must use the same. */
  options: BackfillCheckpoint["options"];
  /** The interrupted run's checkpoint when --resume continues it. */
  resumed: BackfillCheckpoint | undefined;
}

/**
 * Reads an earlier run's checkpoint: with --resume it must exist and match the input's content and the options;
 * without, a note says it is replaced.
 */
async function checkpointStartOf(request: BackfillRequest, io: CommandIo): Promise<CheckpointStart> {
  const { path, policy } = request;
  const checkpointPath =
    request.fromStdin || request.dryRun ? undefined : backfillCheckpointPath(resolve(path));
  // One read of the input gives its content hash and its line count; a missing file is reported when opened.
  const fingerprint = request.fromStdin
    ? undefined
    : await fingerprintInput(resolve(path)).catch(() => undefined);
  const input = fingerprint
    ? { path: fingerprint.path, size: fingerprint.size, sha256: fingerprint.sha256 }
    : undefined;
  const total = fingerprint
    ? Math.max(0, fingerprint.lines - (csvLike(path, request.format) ? 1 : 0))
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
    checkResumable(previous, fingerprint, options);
  } else if (previous) {
    io.stderr.write(
      `sspr-prepop backfill: note: starting over; the checkpoint of an earlier interrupted run is replaced (pass --resume to continue it instead)\n`,
    );
  }
  return { path: checkpointPath, input, total, options, resumed: request.resume ? previous : undefined };
}

/** Whether the input has a header line to leave out of the row count (CSV), judged before it is opened. */
function csvLike(path: string, format: InputFormat | undefined): boolean {
  if (format) return format === "csv";
  return !/\.(jsonl|ndjson|json)$/i.test(path);
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
  const limiter = deps.limiter ?? writeLimiterFromSettings(settings);
  // Signed in and checked before a row is read: a missing permission stops here, not on the first write.
  const directory =
    deps.directory ??
    graphDirectoryFromSettings(
      settings,
      limiter,
      "low",
      await signInChecked(
        "backfill",
        settings,
        request.signIn,
        graphAccessNeeds({ policy: request.policy, dryRun: request.dryRun }),
        io,
        deps.signIn,
      ),
      // Ctrl-C: writes still waiting for Graph's budget are dropped, not sent minutes after the stop.
      deps.signal,
    );
  const source = await openRecordSource(request.path, { ...(format ? { format } : {}), stdin: io.stdin });
  const outcomes = outcomeLogFor(settings, request.noOutcomes, request.dryRun, io);

  const report = await openReport(request.report, io, start.resumed !== undefined, request.force);
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
  if (failure.category === "credentials" || failure.category === "missingPermission") {
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

/** This shell's protection policy: its settings, with --mode and --target in their place. */
function localPolicyOf(
  settings: Settings,
  mode: string | undefined,
  target: string | undefined,
): ProtectionPolicy {
  const policy = protectionPolicyFrom(settings);
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

/**
 * The request under the deployed app's policy: settings and sync policy the stricter of the app's and this
 * shell's, so the protected groups reach the Graph directory as PROTECTED_GROUP_IDS does. A run that writes
 * refuses without it.
 */
async function underDeployment(
  request: BackfillRequest,
  io: CommandIo,
  deps: BackfillDeps,
): Promise<BackfillRequest> {
  const settings = await underDeploymentPolicy(
    {
      command: "backfill",
      settings: request.settings,
      local: request.local,
      fromFlags: request.fromFlags,
      writes: !request.dryRun,
      store: deps.deploymentPolicy,
    },
    io,
  );
  return { ...request, settings, policy: policyFrom(settings) };
}

function ruleOptions(settings: Settings, country: string | undefined): ContactRuleOptions {
  const rules = contactRuleOptionsFrom(settings);
  const code = countryOption(country);
  if (code) rules.defaultCountry = code;
  return rules;
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
  input: InputFingerprint | undefined,
  options: BackfillCheckpoint["options"],
): void {
  if (!input || !isSameInput(checkpoint, input)) {
    throw new UsageError(
      checkpoint.input.sha256 !== undefined
        ? "The input's content changed since the checkpoint was written; a resume would skip the wrong rows. Restore the file the run started with, or delete the checkpoint to start over."
        : "The input changed since the checkpoint was written (size or modification time: this checkpoint predates content hashes); a resume would skip the wrong rows. Delete the checkpoint to start over.",
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

async function openReport(
  path: string | undefined,
  io: CommandIo,
  append: boolean,
  force: boolean,
): Promise<ReportOutput> {
  if (path === undefined) {
    const writer = new LineWriter(io.stdout);
    writer.write(backfillCsvHeader);
    return { write: (text) => writer.write(text), flush: () => writer.flush(), close: () => writer.flush() };
  }
  const exists = await stat(path).then(
    (info) => info.size > 0,
    () => false,
  );
  if (exists && !append && !force) {
    throw new UsageError(
      `The report ${path} exists: it is the per-row record of an earlier run. Pass --force to replace it, name another --report FILE, or --resume to append to it.`,
    );
  }
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
