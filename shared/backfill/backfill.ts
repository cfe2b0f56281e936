// backfill/: applying a whole HR export in bulk, with its checkpoint.

import { createHash } from "node:crypto";
import type { ContactRuleOptions, ValidContactEvent } from "../contact/contactEvent.js";
import { occurredAtIssue } from "../contact/occurredAtIssue.js";
import { type SourceRecord, type ValidatedRecord, validateRecord } from "../contact/validateStream.js";
import { ensureErrorType } from "../core/errors.js";
import type { RuleIssue } from "../core/result.js";
import { isUserRegisteredKind, methodKindOfRegisteredName } from "../directory/authMethodKind.js";
import type {
  AuthMethods,
  BulkDirectory,
  RegistrationDetail,
  UserContactState,
} from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { identityMismatchOf } from "../directory/identityMismatchOf.js";
import { toUserRef } from "../directory/userRef.js";
import { withTenantDomains } from "../directory/withTenantDomains.js";
import {
  buildOutcome,
  claimedUserOf,
  foldRefusal,
  rejectionSummaryOf,
  statusOf,
  summaryOf,
  toFieldOutcome,
} from "../sync/buildOutcome.js";
import { type Outcome, plannerCodes } from "../sync/outcome.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import { privilegeCheckFailedCode } from "../sync/privilegeGuard.js";
import { profilePatchParts } from "../sync/profilePatchParts.js";
import {
  type FieldPlan,
  needsMethods,
  planSync,
  type SyncPlan,
  type SyncPolicy,
} from "../sync/syncPlanner.js";
import { userGuardRefusals } from "../sync/userGuards.js";
import { isMasteredRefusal, writeFailureOf } from "../sync/writeFailure.js";
import { addRow, emptyRunTotals, type RunTotals } from "./runTotals.js";

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

/** A validated record that keeps its input, so a rejected row can still say which user it named. */
type Row = ValidatedRecord & { input: unknown };

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
  const isDone = options.isDone;
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

  async function* validated(): AsyncGenerator<Row> {
    // With the tenant's verified domains, read once the first row with an alternate email needs them.
    let rules: ContactRuleOptions | undefined;
    for await (const record of options.records) {
      if (isDone?.(record.line)) summary.skippedDone++;
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

  try {
    for await (const chunk of chunksOf(validated(), size)) {
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

/** At most `size` holders at once; `acquire` waits for a free place, in arrival order. */
class Gate {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<void> {
    if (this.held >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held++;
  }

  /** Hands the place to the next waiter, if any (so `held` stays counted), else frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
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

interface Planned {
  user: UserContactState;
  plan: SyncPlan;
  fields: FieldPlan[];
  reasons: string[];
  requestIds: string[];
  writes: number;
  /** A write refused for a reason no row can get past (credentials, a missing permission): the run stops. */
  stop?: Error;
}

type Slot =
  | { kind: "planned"; planned: Planned }
  | { kind: "failed"; message: string; code: string }
  | { kind: "rejected"; issue: RuleIssue };

/** A validated row's user as the directory has them. */
type Resolved = { index: number; value: ValidContactEvent; user: UserContactState };
type PlannedRow = { index: number; value: ValidContactEvent; entry: Planned };

/**
 * One batch of rows: resolve the users (one `$batch`), refuse the ones whose identifiers disagree, read methods
 * where the policy needs them, plan, refuse privileged accounts among the users the plan would write, write, and
 * record the outcomes. Each step fills `slots` (row index → what happened) for the rows it settles.
 */
async function processChunk(
  chunk: Row[],
  options: BackfillOptions,
  readsDone: () => void,
): Promise<BackfillRow[]> {
  const now = options.now?.() ?? new Date();
  const slots = new Map<number, Slot>();
  const resolved = await resolveUsers(chunk, options, slots);
  const planned = await planChunk(resolved, options, slots);
  const writable = await withoutRefused(planned, options, slots);
  readsDone();
  if (!options.dryRun) await applyWrites(writable, options.directory);
  const rows = chunk.map((record, index) => toRow(record, slots.get(index), options, now));
  // A row whose write was not sent (the run stopped) is not recorded: --resume makes its attempt.
  if (options.outcomes && !options.dryRun)
    await recordOutcomes(
      rows.filter((row) => !wasNotSent(row)),
      options.outcomes,
    );
  // Writes this batch sent are recorded above; a refusal that every further write would meet stops the run now.
  const stop = writable.find((p) => p.stop)?.stop;
  if (stop) throw stop;
  return rows;
}

/** Finds the chunk's users; a row whose user is absent, ambiguous or named inconsistently is settled here. */
async function resolveUsers(
  chunk: Row[],
  options: BackfillOptions,
  slots: Map<number, Slot>,
): Promise<Resolved[]> {
  const valid = chunk.flatMap((record, index) =>
    record.result.ok ? [{ index, value: record.result.value }] : [],
  );
  const found =
    valid.length > 0
      ? await options.directory.findUsers(valid.map((v) => toUserRef(v.value.event.user)))
      : [];
  throwIfRunCannotGoOn(found);
  const users: Resolved[] = [];
  valid.forEach((v, k) => {
    const state = found[k];
    if (state instanceof Error) slots.set(v.index, lookupFailure(state));
    else if (state === undefined) {
      slots.set(v.index, {
        kind: "failed",
        code: "user_not_found",
        message: "user not found in Entra ID; check the user reference (id, userPrincipalName or employeeId)",
      });
    } else {
      const mismatch = identityMismatchOf(toUserRef(v.value.event.user), state);
      if (mismatch) slots.set(v.index, { kind: "rejected", issue: mismatch });
      else users.push({ ...v, user: state });
    }
  });
  return users;
}

/**
 * The guards every path runs (`userGuardRefusals`: guests, then privileged accounts) for every user the plan would
 * write, right before the writes; a user whose privilege cannot be known is not written (fail closed). Users the
 * plan leaves alone are not checked: nothing is written for them either way. The privilege answers come from one
 * tenant-wide picture, refreshed when older than PRIVILEGE_MAX_AGE_SECONDS, so they cost no resource unit per user
 * (docs/graph.md); each write is checked against it once more when it goes out. Returns the plans to write.
 */
async function withoutRefused(
  planned: PlannedRow[],
  options: BackfillOptions,
  slots: Map<number, Slot>,
): Promise<Planned[]> {
  const toWrite = planned.filter(({ entry }) => hasWrites(entry.plan));
  const refusals =
    toWrite.length > 0
      ? await userGuardRefusals(
          options.directory,
          toWrite.map(({ value, entry }) => ({ user: entry.user, contact: value.contact })),
          options.policy,
        )
      : [];
  throwIfRunCannotGoOn(refusals);
  return toWrite.flatMap(({ index, entry }, k) => {
    const refusal = refusals[k];
    if (refusal === undefined) return [entry];
    if (refusal instanceof Error) {
      slots.set(index, privilegeCheckFailure(refusal));
      return [];
    }
    const plan: SyncPlan = { fields: refusal.fields, patchFields: [], methodOps: [] };
    slots.set(index, {
      kind: "planned",
      planned: { user: entry.user, plan, fields: refusal.fields, reasons: [], requestIds: [], writes: 0 },
    });
    return [];
  });
}

function hasWrites(plan: SyncPlan): boolean {
  return plan.patchFields.length > 0 || plan.methodOps.length > 0;
}

/** Reads the methods the policy needs (one `$batch`) and plans each user with the queue's planner. */
async function planChunk(
  users: Resolved[],
  options: BackfillOptions,
  slots: Map<number, Slot>,
): Promise<PlannedRow[]> {
  const methods = new Map<number, AuthMethods | Error>();
  const readMethods = users.filter((u) => {
    if (!needsMethods(options.policy, u.value.contact)) return false;
    // The report says this user registered no method of any kind: there is nothing to list. (It is updated
    // periodically: a phone or email method added since makes Graph refuse our add of the same type, but a method
    // of another kind registered since the report's update is not seen; docs/backfill.md says so.)
    const known = options.knownMethods?.get(u.user.id.toLowerCase());
    if (known && known.length === 0) {
      methods.set(u.index, { phoneMethods: [], emailMethods: [], otherMethods: [] });
      return false;
    }
    return true;
  });
  if (readMethods.length > 0) {
    const answers = await options.directory.listAuthMethodsOf(readMethods.map((u) => u.user.id));
    throwIfRunCannotGoOn(answers);
    readMethods.forEach((u, k) => {
      const answer = answers[k] ?? new Error("no answer");
      const known = options.knownMethods?.get(u.user.id.toLowerCase());
      methods.set(u.index, answer instanceof Error || !known ? answer : withReportedKinds(answer, known));
    });
  }
  const planned: PlannedRow[] = [];
  for (const { index, value, user } of users) {
    const userMethods = methods.get(index);
    if (userMethods instanceof Error) {
      slots.set(index, {
        kind: "failed",
        code: "methods_read_failed",
        message: `could not read the user's authentication methods (${directoryFailureOf(userMethods).code}); run the backfill again for this row`,
      });
      continue;
    }
    const country = value.country ?? options.rules.defaultCountry;
    const plan = planSync({
      user,
      contact: value.contact,
      policy: options.policy,
      ...(userMethods ? { methods: userMethods } : {}),
      ...(country ? { country } : {}),
    });
    const entry: Planned = {
      user,
      plan,
      fields: plan.fields.map((field) => ({ ...field })),
      reasons: [],
      requestIds: [],
      writes: 0,
    };
    planned.push({ index, value, entry });
    slots.set(index, { kind: "planned", planned: entry });
  }
  return planned;
}

/** A row with a write the adapter did not send because the run was stopping (`not_sent`). */
export function wasNotSent(row: Pick<BackfillRow, "reasons">): boolean {
  return row.reasons.some((reason) => reason.endsWith(":not_sent"));
}

/**
 * Records the chunk's outcomes in one call: the Table log writes them in a few entity-group transactions (well
 * under one request per row), so recording keeps up with the write budget (docs/backfill.md, "Outcomes"). A row
 * whose record fails says so instead of failing the run.
 */
async function recordOutcomes(rows: BackfillRow[], log: OutcomeLog): Promise<void> {
  const failures = await log
    .recordMany(rows.map((row) => row.outcome))
    .catch((err: unknown) => rows.map(() => ensureErrorType(err)));
  rows.forEach((row, k) => {
    const failure = failures[k];
    row.recorded = failure === undefined;
    if (failure) {
      row.reasons.push("outcome_not_recorded");
      row.outcome.message += ` (outcome not recorded: ${failure.name})`;
    }
  });
}

/**
 * No token, refused credentials or a missing Graph permission fail every further row the same way: stop the run
 * (exit 2, naming the fix) rather than fail each row as if a rerun could help.
 */
function throwIfRunCannotGoOn(answers: readonly unknown[]): void {
  const refused = answers.find((answer) => answer instanceof Error && stopsTheRun(answer));
  if (refused) throw refused;
}

function stopsTheRun(err: Error): boolean {
  const { category } = directoryFailureOf(err);
  return category === "credentials" || category === "missingPermission";
}

/** Sends the chunk's profile PATCHes and method writes as `$batch` items and folds refusals into the fields. */
async function applyWrites(planned: Planned[], directory: BackfillDirectory): Promise<void> {
  const patches = planned.filter((p) => p.plan.patch !== undefined);
  const methodWrites = planned.flatMap((p) => p.plan.methodOps.map((op) => ({ planned: p, op })));
  const [patchResults, methodResults] = await Promise.all([
    patches.length > 0
      ? directory.updateProfiles(patches.map((p) => ({ userId: p.user.id, patch: p.plan.patch ?? {} })))
      : Promise.resolve([]),
    methodWrites.length > 0
      ? directory.writeAuthMethods(methodWrites.map(({ planned: p, op }) => ({ userId: p.user.id, ...op })))
      : Promise.resolve([]),
  ]);
  // One AD-mastered property sinks a whole PATCH: those users get one PATCH per field, so the others still land.
  const split = patches.flatMap((p, k) => {
    const result = patchResults[k];
    const parts = profilePatchParts(p.plan.patch ?? {});
    return result instanceof Error && isMasteredRefusal(result) && parts.length > 1
      ? parts.map((part) => ({ planned: p, part }))
      : [];
  });
  const splitResults =
    split.length > 0
      ? await directory.updateProfiles(
          split.map(({ planned: p, part }) => ({ userId: p.user.id, patch: part.patch })),
        )
      : [];
  const retried = new Set(split.map(({ planned: p }) => p));
  patches.forEach((p, k) => {
    p.writes += 1;
    const result = patchResults[k];
    if (result instanceof Error && !retried.has(p)) refuse(p, "profile", undefined, result);
  });
  split.forEach(({ planned: p, part }, k) => {
    p.writes += 1;
    const result = splitResults[k];
    if (result instanceof Error) refuse(p, "profile", part.field, result);
  });
  methodWrites.forEach(({ planned: p, op }, k) => {
    p.writes += 1;
    const result = methodResults[k];
    if (result instanceof Error) refuse(p, "methods", op.field, result);
  });
}

/** Marks the fields a failed write carried, as `applyPlan` does; a failure left after the retries is final here. */
function refuse(
  planned: Planned,
  target: FieldPlan["target"],
  field: FieldPlan["field"] | undefined,
  err: Error,
) {
  if (stopsTheRun(err)) {
    // Recorded as what it is (no "run again": that would fail the same way), then the run stops.
    planned.stop ??= err;
    const { code, reason } = directoryFailureOf(err);
    for (const plan of foldRefusal(planned.fields, { target, field }, { action: "failed", code, reason })) {
      planned.reasons.push(`${plan.field}:${code}`);
    }
    return;
  }
  const failure = writeFailureOf(err);
  const result: Pick<FieldPlan, "action" | "code" | "reason"> = failure.retry
    ? {
        action: "failed",
        code: failure.failure.code,
        reason: `Graph did not accept the write after retries (${failure.failure.kind}); run the backfill again for this row`,
      }
    : failure;
  if (!failure.retry && failure.requestId) planned.requestIds.push(failure.requestId);
  for (const plan of foldRefusal(planned.fields, { target, field }, result)) {
    planned.reasons.push(`${plan.field}:${result.code}`);
  }
}

function toRow(record: Row, slot: Slot | undefined, options: BackfillOptions, now: Date): BackfillRow {
  const base = {
    eventId: backfillEventId(record, options.sourceName),
    source: "backfill",
    actor: "backfill",
    now,
    warnings: record.result.warnings,
    dryRun: options.dryRun === true,
  };
  const result = record.result;
  if (!result.ok) {
    return {
      line: record.line,
      outcome: buildOutcome({
        ...base,
        status: "rejected",
        user: claimedUserOf(record.input),
        errors: result.issues,
        message: rejectionSummaryOf(result.issues),
      }),
      reasons: result.issues.map((i) => `${i.field}:${i.code}`),
      writes: 0,
    };
  }
  const event = result.value.event;
  const ref = toUserRef(event.user);
  const named = { userId: ref.id, userPrincipalName: ref.userPrincipalName, employeeId: ref.employeeId };
  if (slot?.kind === "rejected") {
    return {
      line: record.line,
      outcome: buildOutcome({
        ...base,
        status: "rejected",
        occurredAt: event.occurredAt,
        user: named,
        errors: [slot.issue],
        message: rejectionSummaryOf([slot.issue]),
      }),
      reasons: [`${slot.issue.field}:${slot.issue.code}`],
      writes: 0,
    };
  }
  if (slot === undefined || slot.kind === "failed") {
    const failed = slot ?? { code: "internal_error", message: "no result for this row" };
    return {
      line: record.line,
      outcome: buildOutcome({
        ...base,
        status: "failed",
        occurredAt: event.occurredAt,
        user: named,
        message: failed.message,
      }),
      reasons: [failed.code],
      writes: 0,
    };
  }
  const { planned } = slot;
  const status = statusOf(planned.fields);
  const outcome = buildOutcome({
    ...base,
    status,
    occurredAt: event.occurredAt,
    user: {
      userId: planned.user.id,
      userPrincipalName: planned.user.userPrincipalName,
      employeeId: planned.user.employeeId ?? ref.employeeId,
    },
    fields: planned.fields.map(toFieldOutcome),
    message: summaryOf(status, planned.fields, options.dryRun === true),
    requestIds: planned.requestIds,
  });
  // The CSV names why a field was not written: the planner's own skips (its codes), then refused writes.
  // One reason per field and code: a field skipped on both targets is named once.
  const reasons = [
    ...new Set([
      ...planned.fields.flatMap((field) =>
        field.action === "skipped" && skipCodes.has(field.code) ? [`${field.field}:${field.code}`] : [],
      ),
      ...planned.reasons,
    ]),
  ];
  return { line: record.line, outcome, reasons, writes: planned.writes };
}

/** The planner's own codes (a refused write's code comes with the refusal, in `planned.reasons`). */
const skipCodes: ReadonlySet<FieldPlan["code"]> = new Set(plannerCodes);

/**
 * The outcome's event id: `backfill-` + the row's own eventId (CSV rows without one get a stable hash of their
 * values from the reader), so re-running an export finds the same records; unreadable rows hash their place.
 */
export function backfillEventId(
  record: Pick<ValidatedRecord, "eventId" | "line">,
  sourceName: string,
): string {
  if (record.eventId) return `backfill-${record.eventId}`;
  const digest = createHash("sha256").update(`${sourceName}:${record.line}`).digest("hex").slice(0, 32);
  return `backfill-line-${digest}`;
}

function lookupFailure(err: Error): Slot {
  const failure = directoryFailureOf(err);
  if (failure.category === "ambiguous")
    return { kind: "failed", code: failure.code, message: failure.reason };
  if (failure.category === "retryLater") {
    return {
      kind: "failed",
      code: failure.code,
      message: `could not read the user after retries (${failure.kind}); run the backfill again for this row`,
    };
  }
  return {
    kind: "failed",
    code: `lookup_${failure.kind}`,
    message: `could not read the user: ${err.message}`,
  };
}

function privilegeCheckFailure(err: Error): Slot {
  const failure = directoryFailureOf(err);
  const why = failure.category === "missingPermission" ? `${failure.reason}, then` : `${failure.kind};`;
  return {
    kind: "failed",
    code: privilegeCheckFailedCode,
    message: `could not check whether the account is privileged (${why} run the backfill again for this row); nothing written`,
  };
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

/**
 * The listed methods, plus every kind the registration report names that the listing lacks (security questions,
 * which Graph v1.0 does not list, or a method the report still shows): any of them makes the methods the user's
 * own. Phone and email names add nothing: the listing has those with their values.
 */
function withReportedKinds(methods: AuthMethods, registered: readonly string[]): AuthMethods {
  const listed = new Set(methods.otherMethods.map((method) => method.kind));
  const reported = registered
    .map(methodKindOfRegisteredName)
    .filter(
      (kind) => kind !== "phone" && kind !== "email" && isUserRegisteredKind(kind) && !listed.has(kind),
    );
  return {
    ...methods,
    otherMethods: [...methods.otherMethods, ...[...new Set(reported)].map((kind) => ({ kind }))],
  };
}

/**
 * Reads Graph's registration report once, when some field targets methods and the adapter can read it, so users
 * who registered no method at all are planned without listing their methods (Microsoft's advice for
 * whole-population scans). A report that can't be read (no AuditLog.Read.All, no P1/P2 licence, Graph failing)
 * only means every user's methods are listed, as without it.
 */
async function registeredMethodsOf(
  options: BackfillOptions,
  summary: BackfillSummary,
): Promise<Map<string, readonly string[]> | undefined> {
  const targetsMethods = Object.values(options.policy.target).some((target) => target !== "profile");
  const list = options.directory.listRegistrationDetails;
  if (!targetsMethods || !list || options.knownMethods) return undefined;
  const known = new Map<string, readonly string[]>();
  try {
    for await (const page of list.call(options.directory)) {
      for (const detail of page) known.set(detail.userId.toLowerCase(), detail.methodsRegistered);
    }
  } catch (err) {
    summary.registrationReport = { state: "unavailable", why: directoryFailureOf(err).reason };
    return undefined;
  }
  summary.registrationReport = { state: "used" };
  return known;
}
