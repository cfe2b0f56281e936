// backfill/: applying a whole HR export in bulk, with its checkpoint.

import type { ContactRuleOptions, ValidContactEvent } from "../contact/contactEvent.js";
import { occurredAtIssue } from "../contact/occurredAtIssue.js";
import { type SourceRecord, validateRecord } from "../contact/validateStream.js";
import type { BulkDirectory, RegistrationDetail } from "../directory/directory.js";
import { toUserRef } from "../directory/userRef.js";
import { withTenantDomains } from "../directory/withTenantDomains.js";
import type { Outcome } from "../sync/outcome.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import type { SyncPolicy } from "../sync/syncPlanner.js";
import { type BackfillInputRow, processChunk, wasNotSent } from "./backfillChunk.js";
import { Gate, once } from "./gate.js";
import { registeredMethodsOf } from "./registeredMethodsOf.js";
import { addRow, emptyRunTotals, type RunTotals } from "./runTotals.js";

// The event id and "was a write of this row left unsent" belong to the rows a batch makes; named here too, for
// the CLI and the checkpoint that read a run through this file.
export { backfillEventId, wasNotSent } from "./backfillChunk.js";

/** The bulk directory operations a backfill needs; `GraphDirectory` sends each call as `$batch` requests of 20. */
export type BackfillDirectory = Pick<
  BulkDirectory,
  | "findUsers"
  | "privilegeOfMany"
  | "updateProfiles"
  | "listAuthMethodsOf"
  | "writeAuthMethods"
  | "verifiedDomains"
> & {
  /** Graph's registration report, when the adapter can read it (see `registeredMethodsOf`). */
  listRegistrationDetails?: () => AsyncIterable<RegistrationDetail[]>;
  /** The privilege picture `privilegeOfMany` answers from, when the adapter keeps one (read ahead of the rows). */
  privilegePicture?: BulkDirectory["privilegePicture"];
};

/** What the backfill did (or, in a dry run, would do) with one input row. Values are masked. */
export interface BackfillRow {
  line: number;
  /** The outcome as recorded (or as it would be): masked values, per-field actions and reasons. */
  outcome: Outcome;
  /** Short machine codes saying why fields or the row ended as they did, e.g. `kept_existing`. */
  reasons: string[];
  /** Graph writes sent for this row (0 in a dry run). */
  writes: number;
  /** Whether the outcome reached the outcome log; undefined when not recorded (dry run, no log). */
  recorded?: boolean;
}

/** Totals of one run: the rows it reported (`RunTotals`), and what it passed over or met on the way. */
export interface BackfillSummary extends RunTotals {
  /** Rows passed over because a checkpoint says an earlier run finished them. */
  skippedDone: number;
  /** The first outcome-log error, for one line on stderr. */
  outcomeError?: string;
  /** True when the signal stopped the run (the batches in flight finished; --resume does the rest). */
  interrupted: boolean;
  /** Rows left for --resume because a write of theirs was not sent after the stop (Ctrl-C during a budget wait). */
  leftForResume: number;
  /**
   * Whether Graph's registration report told which users have no phone or email method (their methods are then
   * not listed): `used`, `unavailable` (with why, e.g. AuditLog.Read.All missing), or `not needed` (no field
   * targets methods, or the adapter can't read it).
   */
  registrationReport: { state: "used" | "not needed" } | { state: "unavailable"; why: string };
}

export interface BackfillOptions {
  records: AsyncIterable<SourceRecord>;
  rules: ContactRuleOptions;
  policy: SyncPolicy;
  directory: BackfillDirectory;
  /** Where outcomes go, as on the queue path; omitted = not recorded. Never used in a dry run. */
  outcomes?: OutcomeLog | undefined;
  dryRun?: boolean;
  /** The input's name; with the line it makes a stable event id for rows that carry none. */
  sourceName: string;
  /** Who ran it, as the outcomes' actor (`backfill:` + the signed-in account or app); default `backfill`. */
  actor?: string;
  /** Lines an earlier run finished (from a checkpoint): skipped without any call. */
  isDone?: (line: number) => boolean;
  /** Stops taking new rows; the batches in flight finish and are reported. */
  signal?: AbortSignal;
  /** Receives each row in input order, once its batch has finished. */
  onRow?: (row: BackfillRow) => void | Promise<void>;
  /** Told how many rows each batch carries when it starts: rows started and not yet reported are in flight. */
  onDispatch?: (rows: number) => void;
  /** Rows that need Graph per batch; default and maximum 20 (Graph's `$batch` limit). */
  chunkSize?: number;
  /** Batches of rows reading and planning at once; default 16. Batches waiting for write tokens don't count. */
  concurrency?: number;
  /** Batches started but not yet reported, at most; default 512 (about 10,000 rows held in memory). */
  maxPending?: number;
  /** Set by `runBackfill` from the registration report: the methods each user registered, by lower-case id. */
  knownMethods?: ReadonlyMap<string, readonly string[]>;
  now?: () => Date;
}

type Row = BackfillInputRow;

const maxChunk = 20;
// Invalid rows need no Graph call; a cap keeps a file of nothing but bad rows from making one huge chunk.
const maxRowsPerChunk = 200;

/**
 * Applies an HR export to the directory in bulk: validate each row (the `validate` rules), resolve and read 20
 * users per `$batch`, plan each with `planSync` (the queue's planner), and write 20 per `$batch` through the
 * shared write limiter. Several batches are in flight at once, so reads run ahead and the write budget is the
 * only bottleneck; rows come back to `onRow` in input order. Rows naming a user already in flight wait for that
 * batch, so two rows for one user apply in file order. Never throws for a row; throws only when there is no token,
 * Graph refuses it (401) or a Graph permission is missing, since every further row would fail the same way.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const summary = emptySummary();
  // The first writes need the privilege picture: read it while the registration report and first rows are read.
  // A failure here is met again, and reported, by the first check.
  if (!options.dryRun) options.directory.privilegePicture?.().catch(() => undefined);
  const registered = await registeredMethodsOf(options, summary);
  if (registered) options = { ...options, knownMethods: registered };
  const size = Math.max(1, Math.min(maxChunk, options.chunkSize ?? maxChunk));
  const maxPending = Math.max(1, options.maxPending ?? 512);
  const readGate = new Gate(Math.max(1, options.concurrency ?? 16));
  const now = () => options.now?.() ?? new Date();
  const pending: Array<{ rows: Promise<BackfillRow[]>; settled: boolean }> = [];
  const inFlight = new Map<string, Promise<unknown>>();

  // After Ctrl-C, writes still waiting for budget are not sent: the first row that lost one, and every row after it,
  // is left for --resume (not reported, not counted, not in the checkpoint), so the resumed run writes it once.
  let leaving = false;
  const emitOldest = async () => {
    const rows = await (pending.shift()?.rows ?? Promise.resolve([]));
    for (const row of rows) {
      leaving ||= wasNotSent(row);
      if (leaving) {
        summary.leftForResume++;
        continue;
      }
      addRow(summary, row);
      if (row.recorded === false) summary.outcomeError ??= row.outcome.message;
      await options.onRow?.(row);
    }
  };

  try {
    for await (const chunk of chunksOf(validatedRows(options, summary, now), size)) {
      if (options.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      // Reads are what a batch holds a slot for; a batch waiting for write tokens has released its slot, so the
      // batches behind it keep reading and planning (users with nothing to write finish without waiting at all).
      await readGate.acquire();
      const keys = chunk.flatMap((record) => (record.result.ok ? [refKey(record.result.value)] : []));
      const waitFor = [...new Set(keys.flatMap((key) => inFlight.get(key) ?? []))];
      const release = once(() => readGate.release());
      const done = Promise.all(waitFor)
        .then(() => processChunk(chunk, options, release))
        .finally(release);
      const settled = done.catch(() => undefined);
      for (const key of keys) inFlight.set(key, settled);
      const entry = { rows: done, settled: false };
      void settled.then(() => {
        entry.settled = true;
        for (const key of keys) if (inFlight.get(key) === settled) inFlight.delete(key);
      });
      pending.push(entry);
      options.onDispatch?.(chunk.length);
      while (pending[0]?.settled || pending.length >= maxPending) await emitOldest();
    }
    while (pending.length > 0) await emitOldest();
    // Stopped after the last row was taken: the batches in flight finished, but the run was still interrupted.
    if (options.signal?.aborted) summary.interrupted = true;
  } catch (err) {
    // Let the batches in flight end before reporting: their writes happen either way, and a resume redoes them.
    await Promise.allSettled(pending.map((p) => p.rows));
    throw err;
  }
  return summary;
}

/** The rows to apply, validated (those a checkpoint says are done are counted and passed over). */
async function* validatedRows(
  options: BackfillOptions,
  summary: BackfillSummary,
  now: () => Date,
): AsyncGenerator<Row> {
  // With the tenant's verified domains, read once the first row with an alternate email needs them.
  let rules: ContactRuleOptions | undefined;
  for await (const record of options.records) {
    if (options.isDone?.(record.line)) summary.skippedDone++;
    else {
      let row = validateRecord(record, rules ?? options.rules);
      if (!rules && row.result.ok && row.result.value.contact.alternateEmail !== undefined) {
        rules = await withTenantDomains(options.rules, options.directory);
        row = validateRecord(record, rules);
      }
      yield refuseFutureEvents({ ...row, input: inputOf(record) }, now());
    }
  }
}

/** A row dated in the future is rejected like the queue rejects it: it could make later HR events look stale. */
function refuseFutureEvents(row: Row, receivedAt: Date): Row {
  if (!row.result.ok) return row;
  const future = occurredAtIssue(row.result.value.event.occurredAt, receivedAt);
  return future ? { ...row, result: { ok: false, issues: [future], warnings: row.result.warnings } } : row;
}

function inputOf(record: SourceRecord): unknown {
  return "input" in record ? record.input : undefined;
}

/** Groups validated records into batches holding at most `size` rows that need Graph, one row per user each. */
async function* chunksOf(records: AsyncIterable<Row>, size: number): AsyncGenerator<Row[]> {
  let chunk: Row[] = [];
  let users = new Set<string>();
  for await (const record of records) {
    const key = record.result.ok ? refKey(record.result.value) : undefined;
    if (key !== undefined && users.has(key)) {
      yield chunk;
      chunk = [];
      users = new Set();
    }
    chunk.push(record);
    if (key !== undefined) users.add(key);
    if (users.size >= size || chunk.length >= maxRowsPerChunk) {
      yield chunk;
      chunk = [];
      users = new Set();
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The same user named the same way gives the same key; case-insensitive as Entra compares UPNs. */
function refKey(valid: ValidContactEvent): string {
  const ref = toUserRef(valid.event.user);
  if (ref.id) return `id:${ref.id.toLowerCase()}`;
  if (ref.userPrincipalName) return `upn:${ref.userPrincipalName.toLowerCase()}`;
  return `employeeId:${ref.employeeId ?? ""}`;
}

function emptySummary(): BackfillSummary {
  return {
    ...emptyRunTotals(),
    skippedDone: 0,
    interrupted: false,
    leftForResume: 0,
    registrationReport: { state: "not needed" },
  };
}
