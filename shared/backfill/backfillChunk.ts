import { createHash } from "node:crypto";
import type { ValidContactEvent } from "../contact/contactEvent.js";
import type { ValidatedRecord } from "../contact/validateStream.js";
import { ensureErrorType } from "../core/errors.js";
import type { UserContactState } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { toUserRef } from "../directory/userRef.js";
import { buildOutcome, claimedUserOf, outcomeUserOf } from "../sync/buildOutcome.js";
import { decidedOutcome, type SyncDecision } from "../sync/decidedOutcome.js";
import { plannerCodes } from "../sync/outcome.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import type { FieldPlan } from "../sync/syncPlanner.js";
import { decisionOf, syncUsers, type UserSync } from "../sync/syncUsers.js";
import { userLookupOf, userNotFound } from "../sync/userLookup.js";
import type { BackfillOptions, BackfillRow } from "./backfill.js";

/** A validated record that keeps its input, so a rejected row can still say which user it named. */
export type BackfillInputRow = ValidatedRecord & { input: unknown };

/** What became of one row that named a user: the decision its outcome is built from, and the CSV's columns. */
interface RowResult {
  decision: SyncDecision;
  /** The user as the directory has them, once found. */
  user?: UserContactState;
  reasons: string[];
  writes: number;
}

/** What a failed row is told to do: a rerun of the export picks it up (a resumed one does not: it is finished). */
const retryHint = "run the backfill again for this row";

/**
 * One batch of rows: resolve the users (one `$batch`), then `syncUsers` — the queue's guards, methods read,
 * planner and writes, in bulk — and record the outcomes. A refusal every further row would meet (no token, refused
 * credentials, a missing permission) stops the run once the batch's outcomes are recorded.
 */
export async function processChunk(
  chunk: BackfillInputRow[],
  options: BackfillOptions,
  readsDone: () => void,
): Promise<BackfillRow[]> {
  const now = options.now?.() ?? new Date();
  const results = new Map<number, RowResult>();
  const found = await resolveUsers(chunk, options, results);
  const { results: synced, stop } = await syncUsers(
    options.directory,
    found.map(({ value, user }) => ({
      user,
      contact: value.contact,
      country: value.country ?? options.rules.defaultCountry,
    })),
    {
      policy: options.policy,
      dryRun: options.dryRun === true,
      registeredMethods: options.knownMethods,
      retryHint,
      stopsRun: true,
      guardWritersOnly: true,
      readsDone,
    },
  );
  found.forEach(({ index, user }, k) => {
    const sync = synced[k];
    if (sync) results.set(index, { ...rowResultOf(sync), user });
  });
  const rows = chunk.map((record, index) => toRow(record, results.get(index), options, now));
  // A row whose write was not sent (the run stopped) is not recorded: --resume makes its attempt.
  if (options.outcomes && !options.dryRun) {
    await recordOutcomes(
      rows.filter((row) => !wasNotSent(row)),
      options.outcomes,
    );
  }
  if (stop) throw stop;
  return rows;
}

/** Finds the chunk's users; a row whose user is absent, ambiguous or named inconsistently is settled here. */
async function resolveUsers(
  chunk: BackfillInputRow[],
  options: BackfillOptions,
  results: Map<number, RowResult>,
): Promise<Array<{ index: number; value: ValidContactEvent; user: UserContactState }>> {
  const valid = chunk.flatMap((record, index) =>
    record.result.ok
      ? [{ index, value: record.result.value, ref: toUserRef(record.result.value.event.user) }]
      : [],
  );
  const found = valid.length > 0 ? await options.directory.findUsers(valid.map((v) => v.ref)) : [];
  throwIfRunCannotGoOn(found);
  return valid.flatMap(({ index, value, ref }, k) => {
    const lookup = userLookupOf(ref, found[k], retryHint);
    if (lookup.kind === "found") return [{ index, value, user: lookup.user }];
    const decision = lookup.kind === "notFound" ? userNotFound : lookup;
    results.set(index, {
      decision,
      reasons:
        decision.kind === "rejected" ? decision.issues.map((i) => `${i.field}:${i.code}`) : [decision.code],
      writes: 0,
    });
    return [];
  });
}

/**
 * A synced user's row: the decision, and the CSV's reasons — the planner's own codes (a guard's among them), then
 * the refused writes' — one per field and code: a field skipped on both targets is named once.
 */
function rowResultOf(sync: UserSync): RowResult {
  if (sync.kind === "failed") return { decision: sync, reasons: [sync.code], writes: 0 };
  const planned = sync.fields.flatMap((field) =>
    field.action !== "skipped" && field.action !== "failed"
      ? []
      : skipCodes.has(field.code)
        ? [`${field.field}:${field.code}`]
        : [],
  );
  return {
    decision: decisionOf(sync),
    reasons: [...new Set([...planned, ...sync.refused])],
    writes: sync.writes,
  };
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
  const refused = answers.find(
    (answer) => answer instanceof Error && directoryFailureOf(answer).handling === "stopRun",
  );
  if (refused) throw refused;
}

function toRow(
  record: BackfillInputRow,
  result: RowResult | undefined,
  options: BackfillOptions,
  now: Date,
): BackfillRow {
  const dryRun = options.dryRun === true;
  const base = {
    eventId: backfillEventId(record, options.sourceName),
    source: "backfill",
    actor: options.actor ?? "backfill",
    now,
    warnings: record.result.warnings,
    dryRun,
  };
  if (!record.result.ok) {
    const issues = record.result.issues;
    return {
      line: record.line,
      outcome: buildOutcome({
        ...base,
        user: claimedUserOf(record.input),
        ...decidedOutcome({ kind: "rejected", issues }),
      }),
      reasons: issues.map((i) => `${i.field}:${i.code}`),
      writes: 0,
    };
  }
  const event = record.result.value.event;
  const ref = toUserRef(event.user);
  const done = result ?? {
    decision: { kind: "failed", code: "internal_error", message: "no result for this row" },
    reasons: ["internal_error"],
    writes: 0,
  };
  const user = done.user
    ? { ...outcomeUserOf(done.user), employeeId: done.user.employeeId ?? ref.employeeId }
    : { userId: ref.id, userPrincipalName: ref.userPrincipalName, employeeId: ref.employeeId };
  const outcome = buildOutcome({
    ...base,
    occurredAt: event.occurredAt,
    user,
    ...decidedOutcome(done.decision, dryRun),
  });
  return { line: record.line, outcome, reasons: done.reasons, writes: done.writes };
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
