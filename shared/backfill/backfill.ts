import { createHash } from "node:crypto";
import type { ContactRuleOptions, ValidContactEvent } from "../contact/contactEvent.js";
import { type SourceRecord, type ValidatedRecord, validateRecord } from "../contact/validateStream.js";
import { isRecord } from "../core/isRecord.js";
import type { RuleIssue } from "../core/result.js";
import type {
  AuthMethods,
  AuthMethodWrite,
  BulkDirectory,
  ProfileUpdate,
  UserContactState,
  UserRef,
} from "../directory/directory.js";
import { DirectoryError, DirectoryErrorKind } from "../directory/directoryError.js";
import {
  type FieldAction,
  type Outcome,
  type OutcomeStatus,
  outcomeStatuses,
  writingActions,
} from "../sync/outcome.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import { PRIVILEGE_CHECK_FAILED, PRIVILEGED_ACCOUNT, privileged } from "../sync/privilegeGuard.js";
import { toFieldOutcome, toUserRef } from "../sync/syncContactEvent.js";
import {
  type FieldPlan,
  needsMethods,
  planSync,
  type SyncPlan,
  type SyncPolicy,
} from "../sync/syncPlanner.js";
import { statusOf } from "../sync/syncUser.js";
import { writeFailureOf } from "../sync/writeFailure.js";

/** The bulk directory operations a backfill needs; `GraphDirectory` sends each call as `$batch` requests of 20. */
export type BackfillDirectory = Pick<
  BulkDirectory,
  "findUsers" | "privilegeOfMany" | "updateProfiles" | "listAuthMethodsOf" | "writeAuthMethods"
>;

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

/** Totals of one run. */
export interface BackfillSummary {
  rows: number;
  byStatus: Record<OutcomeStatus, number>;
  writes: number;
  /** Rows passed over because a checkpoint says an earlier run finished them. */
  skippedDone: number;
  outcomesRecorded: number;
  outcomeErrors: number;
  /** The first outcome-log error, for one line on stderr. */
  outcomeError?: string;
  /** True when the signal stopped the run before the input ended. */
  interrupted: boolean;
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
  /** Rows that need Graph per batch; default and maximum 20 (Graph's `$batch` limit). */
  chunkSize?: number;
  /** Batches of rows in flight at once; default 16, enough read-ahead to keep the write budget busy. */
  concurrency?: number;
  now?: () => Date;
}

/** A validated record that keeps its input, so a rejected row can still say which user it named. */
type Row = ValidatedRecord & { input: unknown };

const MAX_CHUNK = 20;
// Invalid rows need no Graph call; a cap keeps a file of nothing but bad rows from making one huge chunk.
const MAX_ROWS_PER_CHUNK = 200;

/**
 * Applies an HR export to the directory in bulk: validate each row (the `validate` rules), resolve and read 20
 * users per `$batch`, plan each with `planSync` (the queue's planner), and write 20 per `$batch` through the
 * shared write limiter. Several batches are in flight at once, so reads run ahead and the write budget is the
 * only bottleneck; rows come back to `onRow` in input order. Rows naming a user already in flight wait for that
 * batch, so two rows for one user apply in file order. Never throws for a row; throws only when Graph refuses the
 * credentials (401), since every further row would fail the same way.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const summary = emptySummary();
  const size = Math.max(1, Math.min(MAX_CHUNK, options.chunkSize ?? MAX_CHUNK));
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const isDone = options.isDone;
  const pending: Array<Promise<BackfillRow[]>> = [];
  const inFlight = new Map<string, Promise<unknown>>();

  const emitOldest = async () => {
    const rows = await (pending.shift() ?? Promise.resolve([]));
    for (const row of rows) {
      tally(summary, row);
      await options.onRow?.(row);
    }
  };

  async function* validated(): AsyncGenerator<Row> {
    for await (const record of options.records) {
      if (isDone?.(record.line)) summary.skippedDone++;
      else
        yield {
          ...validateRecord(record, options.rules),
          input: "input" in record ? record.input : undefined,
        };
    }
  }

  try {
    for await (const chunk of chunksOf(validated(), size)) {
      if (options.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      const keys = chunk.flatMap((record) => (record.result.ok ? [refKey(record.result.value)] : []));
      const waitFor = [...new Set(keys.flatMap((key) => inFlight.get(key) ?? []))];
      const done = Promise.all(waitFor).then(() => processChunk(chunk, options));
      const settled = done.catch(() => undefined);
      for (const key of keys) inFlight.set(key, settled);
      void settled.then(() => {
        for (const key of keys) if (inFlight.get(key) === settled) inFlight.delete(key);
      });
      pending.push(done);
      while (pending.length >= concurrency) await emitOldest();
    }
    while (pending.length > 0) await emitOldest();
  } catch (err) {
    // Let the batches in flight end before reporting: their writes happen either way, and a resume redoes them.
    await Promise.allSettled(pending);
    throw err;
  }
  return summary;
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
    if (users.size >= size || chunk.length >= MAX_ROWS_PER_CHUNK) {
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
}

type Slot = { kind: "planned"; planned: Planned } | { kind: "failed"; message: string; code: string };

async function processChunk(chunk: Row[], options: BackfillOptions): Promise<BackfillRow[]> {
  const now = (options.now?.() ?? new Date()).toISOString();
  const valid = chunk.flatMap((record, index) =>
    record.result.ok ? [{ index, value: record.result.value }] : [],
  );
  const slots = new Map<number, Slot>();

  const found =
    valid.length > 0
      ? await options.directory.findUsers(valid.map((v) => toUserRef(v.value.event.user)))
      : [];
  const refused = found.find(
    (state) => state instanceof DirectoryError && state.kind === DirectoryErrorKind.unauthorized,
  );
  if (refused) throw refused;

  const users: Array<{ index: number; value: ValidContactEvent; user: UserContactState }> = [];
  valid.forEach((v, k) => {
    const state = found[k];
    if (state instanceof Error) slots.set(v.index, lookupFailure(state));
    else if (state === undefined) {
      slots.set(v.index, {
        kind: "failed",
        code: "user_not_found",
        message: "user not found in Entra ID; check the user reference (id, userPrincipalName or employeeId)",
      });
    } else users.push({ ...v, user: state });
  });

  // Privileged accounts are never written: checked in bulk before anything is planned, and a user whose privilege
  // cannot be known is not written either (fail closed).
  const privileges =
    users.length > 0 ? await options.directory.privilegeOfMany(users.map((u) => u.user.id)) : [];
  const privilegeRefused = privileges.find(
    (p) => p instanceof DirectoryError && p.kind === DirectoryErrorKind.unauthorized,
  );
  if (privilegeRefused) throw privilegeRefused;
  const writable = users.filter(({ index, value, user }, k) => {
    const privilege = privileges[k] ?? new Error("no answer");
    if (privilege instanceof Error) {
      slots.set(index, privilegeCheckFailure(privilege));
      return false;
    }
    if (!privilege.privileged) return true;
    const refusal = privileged(user, value.contact, options.policy, privilege);
    const plan: SyncPlan = { fields: refusal.fields, patchFields: [], methodOps: [] };
    slots.set(index, {
      kind: "planned",
      planned: {
        user,
        plan,
        fields: refusal.fields,
        reasons: [PRIVILEGED_ACCOUNT],
        requestIds: [],
        writes: 0,
      },
    });
    return false;
  });

  const readMethods = writable.filter((u) => needsMethods(options.policy, u.value.contact));
  const methods = new Map<number, AuthMethods | Error>();
  if (readMethods.length > 0) {
    const answers = await options.directory.listAuthMethodsOf(readMethods.map((u) => u.user.id));
    readMethods.forEach((u, k) => {
      methods.set(u.index, answers[k] ?? new Error("no answer"));
    });
  }

  const planned: Array<{ index: number; planned: Planned }> = [];
  for (const { index, value, user } of writable) {
    const userMethods = methods.get(index);
    if (userMethods instanceof Error) {
      slots.set(index, {
        kind: "failed",
        code: "methods_read_failed",
        message: `could not read the user's authentication methods (${kindOf(userMethods)}); run the backfill again for this row`,
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
    planned.push({ index, planned: entry });
    slots.set(index, { kind: "planned", planned: entry });
  }

  if (!options.dryRun)
    await applyWrites(
      planned.map((p) => p.planned),
      options.directory,
    );

  const rows = chunk.map((record, index) => toRow(record, slots.get(index), options, now));
  if (options.outcomes && !options.dryRun) {
    const log = options.outcomes;
    await Promise.all(
      rows.map(async (row) => {
        try {
          await log.record(row.outcome);
          row.recorded = true;
        } catch (err) {
          row.recorded = false;
          row.reasons.push("outcome_not_recorded");
          row.outcome.message += ` (outcome not recorded: ${err instanceof Error ? err.name : "error"})`;
        }
      }),
    );
  }
  return rows;
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
  patches.forEach((p, k) => {
    p.writes += 1;
    const result = patchResults[k];
    if (result instanceof Error) refuse(p, "profile", undefined, result);
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
  const failure = writeFailureOf(err);
  const outcome: { action: FieldAction; reason: string; code: string } = failure.retry
    ? {
        action: "failed",
        reason: `Graph did not accept the write after retries (${kindOf(err)}); run the backfill again for this row`,
        code: kindOf(err) === DirectoryErrorKind.throttled ? "throttled" : "transient_failure",
      }
    : { action: failure.action, reason: failure.reason, code: writeFailureCode(err) };
  if (!failure.retry && failure.requestId) planned.requestIds.push(failure.requestId);
  for (const plan of planned.fields) {
    if (plan.target !== target || !writingActions.has(plan.action)) continue;
    if (field !== undefined && plan.field !== field) continue;
    plan.action = outcome.action;
    plan.reason = outcome.reason;
    plan.after = plan.before;
    planned.reasons.push(`${plan.field}:${outcome.code}`);
  }
}

function toRow(record: Row, slot: Slot | undefined, options: BackfillOptions, now: string): BackfillRow {
  const base = (status: OutcomeStatus, message: string): Outcome => ({
    eventId: backfillEventId(record, options.sourceName),
    status,
    source: "backfill",
    fields: [],
    errors: [],
    warnings: record.result.warnings,
    message,
    attempts: 1,
    firstSeenAt: now,
    updatedAt: now,
    requestIds: [],
    actor: "backfill",
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  const result = record.result;
  if (!result.ok) {
    const outcome = {
      ...base("rejected", `rejected: ${describeIssues(result.issues)}`),
      ...namedUser(record.input),
    };
    outcome.errors = result.issues;
    return {
      line: record.line,
      outcome,
      reasons: result.issues.map((i) => `${i.field}:${i.code}`),
      writes: 0,
    };
  }
  const event = result.value.event;
  const ref = toUserRef(event.user);
  const identity = {
    occurredAt: event.occurredAt,
    ...(ref.id ? { userId: ref.id } : {}),
    ...(ref.userPrincipalName ? { userPrincipalName: ref.userPrincipalName } : {}),
    ...(ref.employeeId ? { employeeId: ref.employeeId } : {}),
  };
  if (slot === undefined || slot.kind === "failed") {
    const failed = slot ?? { code: "internal_error", message: "no result for this row" };
    return {
      line: record.line,
      outcome: { ...base("failed", failed.message), ...identity },
      reasons: [failed.code],
      writes: 0,
    };
  }
  const { planned } = slot;
  const status = statusOf(planned.fields);
  const outcome: Outcome = {
    ...base(status, summaryOf(status, planned.fields, options.dryRun === true)),
    ...identity,
    userId: planned.user.id,
    userPrincipalName: planned.user.userPrincipalName,
    ...(planned.user.employeeId ? { employeeId: planned.user.employeeId } : {}),
    fields: planned.fields.map(toFieldOutcome),
    requestIds: planned.requestIds,
  };
  const reasons = [
    ...planned.fields.flatMap((field) => {
      const code = plannerReasonCode(field);
      return code ? [`${field.field}:${code}`] : [];
    }),
    ...planned.reasons,
  ];
  return { line: record.line, outcome, reasons, writes: planned.writes };
}

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

/** The user identifiers an invalid row still carries, when they are plausible text (as the queue records them). */
function namedUser(input: unknown): Partial<Outcome> {
  const user = isRecord(input) && isRecord(input.user) ? input.user : {};
  const text = (value: unknown) =>
    typeof value === "string" && value.trim().length > 0 && value.length <= 256 ? value.trim() : undefined;
  const id = text(user.id);
  const userPrincipalName = text(user.userPrincipalName);
  const employeeId = text(user.employeeId);
  return {
    ...(id ? { userId: id } : {}),
    ...(userPrincipalName ? { userPrincipalName } : {}),
    ...(employeeId ? { employeeId } : {}),
  };
}

/** A code for the planner's own non-writing decisions (the reasons are prose meant for people). */
function plannerReasonCode(field: FieldPlan): string | undefined {
  if (field.action !== "skipped") return undefined;
  if (field.reason.includes("synchronized from on-premises AD")) return "synced_from_ad";
  if (field.reason.includes("pass mode overwrite")) return "kept_existing";
  return undefined;
}

function writeFailureCode(err: Error): string {
  if (!(err instanceof DirectoryError)) return "write_failed";
  switch (err.kind) {
    case DirectoryErrorKind.onPremisesMastered:
      return "on_premises_mastered";
    case DirectoryErrorKind.forbidden:
      return "forbidden_privileged_user";
    case DirectoryErrorKind.missingPermission:
      return "missing_permission";
    case DirectoryErrorKind.notFound:
      return "not_found";
    default:
      return `graph_${err.graphCode ?? err.kind}`;
  }
}

function lookupFailure(err: Error): Slot {
  const kind = kindOf(err);
  if (kind === DirectoryErrorKind.ambiguous) {
    return {
      kind: "failed",
      code: "user_ambiguous",
      message: "the employeeId matches more than one user; name the user by userPrincipalName or object id",
    };
  }
  if (kind === DirectoryErrorKind.throttled || kind === DirectoryErrorKind.transient) {
    return {
      kind: "failed",
      code: kind === DirectoryErrorKind.throttled ? "throttled" : "transient_failure",
      message: `could not read the user after retries (${kind}); run the backfill again for this row`,
    };
  }
  return { kind: "failed", code: `lookup_${kind}`, message: `could not read the user: ${err.message}` };
}

function privilegeCheckFailure(err: Error): Slot {
  const why =
    err instanceof DirectoryError && err.kind === DirectoryErrorKind.missingPermission
      ? `missing permission ${err.permission ?? "(unnamed)"}; grant it (infra/scripts/grant-graph-permissions.sh), then`
      : `${kindOf(err)};`;
  return {
    kind: "failed",
    code: PRIVILEGE_CHECK_FAILED,
    message: `could not check whether the account is privileged (${why} run the backfill again for this row); nothing written`,
  };
}

function kindOf(err: Error): string {
  return err instanceof DirectoryError ? err.kind : err.name;
}

function describeIssues(issues: readonly RuleIssue[]): string {
  return issues.map((issue) => `${issue.field} ${issue.code}`).join(", ");
}

function summaryOf(status: OutcomeStatus, fields: FieldPlan[], dryRun: boolean): string {
  if (fields.length === 0) return "no contact fields in the row";
  const list = fields.map((field) => `${field.field}/${field.target} ${field.action}`).join(", ");
  return `${dryRun ? "dry run, would be " : ""}${status}: ${list}`;
}

function emptySummary(): BackfillSummary {
  return {
    rows: 0,
    byStatus: Object.fromEntries(outcomeStatuses.map((s) => [s, 0])) as Record<OutcomeStatus, number>,
    writes: 0,
    skippedDone: 0,
    outcomesRecorded: 0,
    outcomeErrors: 0,
    interrupted: false,
  };
}

function tally(summary: BackfillSummary, row: BackfillRow): void {
  summary.rows++;
  summary.byStatus[row.outcome.status]++;
  summary.writes += row.writes;
  if (row.recorded === true) summary.outcomesRecorded++;
  if (row.recorded === false) {
    summary.outcomeErrors++;
    summary.outcomeError ??= row.outcome.message;
  }
}
