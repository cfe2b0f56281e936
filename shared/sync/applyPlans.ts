import type { BulkDirectory } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { foldRefusal } from "./buildOutcome.js";
import { profilePatchParts } from "./profilePatchParts.js";
import type { FieldPlan, SyncPlan } from "./syncPlanner.js";
import { fieldRefusalOf, isMasteredRefusal } from "./writeFailure.js";

/**
 * Where planned writes go, in the bulk shape: one answer per item, in input order (undefined = written, else the
 * Error). The backfill's directory sends each call as `$batch` requests; `oneUserDirectory` sends single calls.
 */
export type PlanWriter = Pick<BulkDirectory, "updateProfiles" | "writeAuthMethods">;

/** One user's plan to carry out. */
export interface PlanToApply {
  userId: string;
  plan: SyncPlan;
}

/** What applying one plan did. */
export interface AppliedPlan {
  /** Each field's final action: the plan's, or the refusal of the write that carried it. */
  fields: FieldPlan[];
  /** Graph's request ids for writes refused for good, for support. */
  requestIds: string[];
  /** `field:code` for each field a refused write carried, in the order the refusals came. */
  refused: string[];
  /** Writes sent for this plan. */
  writes: number;
  /** A refusal every further call would meet (no token, refused credentials, a missing permission). */
  stop?: Error;
}

/**
 * Carries out many users' plans: one PATCH per user for all profile fields, then each method write. One
 * AD-mastered property sinks a whole PATCH, so a user whose PATCH was refused for it gets one PATCH per field and
 * the others still land. A refusal marks only the fields its write carried: a final one with its own code and
 * reason, one that stops the run (kept in `stop`) as what it is, and one worth retrying (only a bulk writer
 * answers those; `oneUserDirectory` throws them) as failed with `retryHint`.
 */
export async function applyPlans(
  writer: PlanWriter,
  items: readonly PlanToApply[],
  retryHint = "try again",
): Promise<AppliedPlan[]> {
  const applied = items.map((item) => ({ item, result: startedFrom(item.plan) }));
  const sent = (result: AppliedPlan, carried: Carried, answer: Error | undefined) => {
    result.writes += 1;
    if (answer) refuseWrite(result, carried, answer, retryHint);
  };

  const patches = applied.filter(({ item }) => item.plan.patch !== undefined);
  const patchAnswers = await sendAll(
    (updates) => writer.updateProfiles(updates),
    patches.map(({ item }) => ({ userId: item.userId, patch: item.plan.patch ?? {} })),
  );
  const split = patches.flatMap(({ item, result }, k) => {
    const answer = patchAnswers[k];
    const parts = profilePatchParts(item.plan.patch ?? {});
    if (answer && isMasteredRefusal(answer) && parts.length > 1) {
      result.writes += 1;
      return parts.map((part) => ({ item, result, part }));
    }
    sent(result, { target: "profile" }, answer);
    return [];
  });
  const splitAnswers = await sendAll(
    (updates) => writer.updateProfiles(updates),
    split.map(({ item, part }) => ({ userId: item.userId, patch: part.patch })),
  );
  split.forEach(({ result, part }, k) => {
    sent(result, { target: "profile", field: part.field }, splitAnswers[k]);
  });

  const methodWrites = applied.flatMap(({ item, result }) =>
    item.plan.methodOps.map((op) => ({ item, result, op })),
  );
  const methodAnswers = await sendAll(
    (writes) => writer.writeAuthMethods(writes),
    methodWrites.map(({ item, op }) => ({ userId: item.userId, ...op })),
  );
  methodWrites.forEach(({ result, op }, k) => {
    sent(result, { target: "methods", field: op.field }, methodAnswers[k]);
  });
  return applied.map(({ result }) => result);
}

/** The writes a refused request carried: all of a target, or one field of it. */
type Carried = { target: FieldPlan["target"]; field?: FieldPlan["field"] };

function startedFrom(plan: SyncPlan): AppliedPlan {
  return { fields: plan.fields.map((field) => ({ ...field })), requestIds: [], refused: [], writes: 0 };
}

/** One call for all items, none for no item. */
async function sendAll<T>(
  send: (items: T[]) => Promise<Array<undefined | Error>>,
  items: T[],
): Promise<Array<undefined | Error>> {
  return items.length > 0 ? send(items) : [];
}

/** Marks the fields a refused write carried, as its failure's handling says. */
function refuseWrite(applied: AppliedPlan, carried: Carried, err: Error, retryHint: string): void {
  const failure = directoryFailureOf(err);
  if (failure.handling === "stopRun") applied.stop ??= err;
  // A failure left after the adapter's retries: the field failed this time; the hint says what to do.
  const refusal =
    failure.handling === "retry" || failure.handling === "bug"
      ? {
          action: "failed" as const,
          code: failure.code,
          reason: `Graph did not accept the write after retries (${failure.kind}); ${retryHint}`,
        }
      : fieldRefusalOf(failure);
  if ("requestId" in refusal && refusal.requestId) applied.requestIds.push(refusal.requestId);
  for (const plan of foldRefusal(applied.fields, carried, refusal))
    applied.refused.push(`${plan.field}:${refusal.code}`);
}
