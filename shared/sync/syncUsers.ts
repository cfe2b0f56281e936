import type { CountryCode } from "libphonenumber-js";
import { isUserRegisteredKind, methodKindOfRegisteredName } from "../directory/authMethodKind.js";
import type { AuthMethods, BulkDirectory, UserContactState } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { applyPlans } from "./applyPlans.js";
import { toFieldOutcome } from "./buildOutcome.js";
import type { SyncDecision } from "./decidedOutcome.js";
import { checkFailedReason, privilegeCheckFailedCode } from "./privilegeGuard.js";
import {
  type DesiredContact,
  type FieldPlan,
  needsMethods,
  planSync,
  type SyncPlan,
  type SyncPolicy,
} from "./syncPlanner.js";
import { type GuardAnswer, userGuardRefusals } from "./userGuards.js";
import type { MethodsWrittenEarlier } from "./userRegisteredKinds.js";

/**
 * What syncing users needs of the directory, in the bulk shape: the backfill's directory sends `$batch` requests,
 * `oneUserDirectory` turns a Directory's single calls into it for the queue and the helpdesk fix.
 */
export type SyncDirectory = Pick<
  BulkDirectory,
  "privilegeOfMany" | "listAuthMethodsOf" | "updateProfiles" | "writeAuthMethods"
>;

/** One found user and what their event asks for. */
export interface UserToSync {
  user: UserContactState;
  contact: DesiredContact;
  /** The event's country, used to read existing national-format values. */
  country?: CountryCode | undefined;
  /** Method writes an earlier attempt of this event made (keyed hashes): they are the event's, not the user's. */
  methodsWrittenEarlier?: MethodsWrittenEarlier | undefined;
}

export interface SyncUsersOptions {
  policy: SyncPolicy;
  dryRun?: boolean;
  /** From Graph's registration report: the method names each user registered, by lower-case id. */
  registeredMethods?: ReadonlyMap<string, readonly string[]> | undefined;
  /** What a user failed for a reason worth retrying is told to do (a bulk read or write answers those). */
  retryHint?: string;
  /** Called with each plan that writes, just before the first write (the queue notes it with its lease). */
  beforeWrites?: (plan: SyncPlan) => Promise<void>;
  /**
   * True for a run of many rows (the backfill): a guard that every further row would fail the same way (a missing
   * permission) stops it at once, before anything is written or recorded. One event records that refusal instead.
   */
  stopsRun?: boolean;
  /**
   * Guards only the users whose plan writes, right before the writes (the backfill: a user left as they are needs
   * no privilege answer), instead of every user before their methods are read and planned (the queue, the fix).
   * The same guards in the same order decide either way; only a user with nothing to write ends differently
   * (`unchanged` rather than refused).
   */
  guardWritersOnly?: boolean;
  /** Called once every read is done, before the writes (which may wait for budget). */
  readsDone?: () => void;
}

/** What syncing one user did (or, in a dry run, would do). */
export type UserSync =
  | {
      kind: "synced";
      plan: SyncPlan;
      /** Each field's final action; values raw (masked by `decisionOf`). */
      fields: FieldPlan[];
      requestIds: string[];
      /** `field:code` for each field a refused write carried. */
      refused: string[];
      writes: number;
      /** Why nothing was written for the user at all (a guard's reason). */
      note?: string;
    }
  | Extract<SyncDecision, { kind: "failed" }>;

/**
 * Syncs many found users, in order: the guards (`userGuardRefusals`: guests, then privileged accounts; see
 * `guardWritersOnly`), the methods the policy needs, the plan (`planSync`), and unless `dryRun` the writes
 * (`applyPlans`). The one sequence
 * the queue, the helpdesk fix and the backfill share. In a run (`stopsRun`), a guard or a methods read that every
 * further row would fail the same way (credentials, a missing permission) is thrown at once; a write that would is
 * folded into its user's fields and handed back as `stop`, with everything else of the batch done.
 */
export async function syncUsers(
  directory: SyncDirectory,
  entries: readonly UserToSync[],
  options: SyncUsersOptions,
): Promise<{ results: UserSync[]; stop?: Error }> {
  const results: Array<UserSync | undefined> = entries.map(() => undefined);
  const all = entries.map((entry, index) => ({ entry, index }));
  if (!options.guardWritersOnly) await guard(directory, all, results, options);
  await plan(
    directory,
    all.filter(({ index }) => results[index] === undefined),
    results,
    options,
  );
  const writers = all.filter(({ index }) => writesOf(results[index]) !== undefined);
  if (options.guardWritersOnly) await guard(directory, writers, results, options);
  options.readsDone?.();
  const toWrite = options.dryRun
    ? []
    : all.flatMap(({ entry, index }) => {
        const plan = writesOf(results[index]);
        return plan ? [{ index, userId: entry.user.id, plan }] : [];
      });
  for (const { plan } of toWrite) await options.beforeWrites?.(plan);
  const applied = await applyPlans(directory, toWrite, options.retryHint);
  applied.forEach((done, k) => {
    const write = toWrite[k];
    if (write) results[write.index] = { kind: "synced", plan: write.plan, ...done };
  });
  const stop = applied.find((done) => done.stop)?.stop;
  return {
    results: results.map(
      (result) => result ?? { kind: "failed", code: "internal_error", message: "no result for this user" },
    ),
    ...(stop ? { stop } : {}),
  };
}

type Indexed = { entry: UserToSync; index: number };

/** Runs the guards on `users`, settling the refused ones; in a run, one that stops it is thrown at once. */
async function guard(
  directory: Pick<SyncDirectory, "privilegeOfMany">,
  users: readonly Indexed[],
  results: Array<UserSync | undefined>,
  options: SyncUsersOptions,
): Promise<void> {
  if (users.length === 0) return;
  const answers = await userGuardRefusals(
    directory,
    users.map(({ entry }) => entry),
    options.policy,
  );
  for (const answer of answers) {
    if (options.stopsRun && answer && "fields" in answer && answer.stop) throw answer.stop;
  }
  answers.forEach((answer, k) => {
    const at = users[k];
    const result = guardedResult(answer, options);
    if (at && result) results[at.index] = result;
  });
}

/** Reads the methods `users` need and plans each with `planSync`. */
async function plan(
  directory: Pick<SyncDirectory, "listAuthMethodsOf">,
  users: readonly Indexed[],
  results: Array<UserSync | undefined>,
  options: SyncUsersOptions,
): Promise<void> {
  const methods = await methodsOf(directory, users, options);
  users.forEach(({ entry, index }, k) => {
    const userMethods = methods[k];
    if (userMethods instanceof Error) {
      results[index] = methodsReadFailed(userMethods, options);
      return;
    }
    const planned = planSync({
      user: entry.user,
      contact: entry.contact,
      policy: options.policy,
      ...(userMethods ? { methods: userMethods } : {}),
      ...(entry.country ? { country: entry.country } : {}),
      ...(entry.methodsWrittenEarlier ? { methodsWrittenEarlier: entry.methodsWrittenEarlier } : {}),
    });
    results[index] = {
      kind: "synced",
      plan: planned,
      fields: planned.fields,
      requestIds: [],
      refused: [],
      writes: 0,
    };
  });
}

/** The plan of a user planned to be written (not refused, not yet applied), else undefined. */
function writesOf(result: UserSync | undefined): SyncPlan | undefined {
  if (result?.kind !== "synced" || result.note !== undefined || result.writes > 0) return undefined;
  return result.plan.patch !== undefined || result.plan.methodOps.length > 0 ? result.plan : undefined;
}

/** A user's sync as the decision its outcome is built from (values masked). */
export function decisionOf(sync: UserSync): SyncDecision {
  if (sync.kind === "failed") return sync;
  return {
    kind: "fields",
    fields: sync.fields.map(toFieldOutcome),
    requestIds: sync.requestIds,
    ...(sync.note ? { note: sync.note } : {}),
  };
}

function guardedResult(answer: GuardAnswer, options: SyncUsersOptions): UserSync | undefined {
  if (answer === undefined) return undefined;
  if ("retry" in answer) {
    return {
      kind: "failed",
      code: privilegeCheckFailedCode,
      message: checkFailedReason(directoryFailureOf(answer.retry)),
      ...(options.retryHint ? { hint: options.retryHint } : {}),
    };
  }
  const plan: SyncPlan = { fields: answer.fields, patchFields: [], methodOps: [] };
  return {
    kind: "synced",
    plan,
    fields: answer.fields,
    requestIds: answer.requestIds,
    refused: [],
    writes: 0,
    note: answer.reason,
  };
}

function methodsReadFailed(err: Error, options: SyncUsersOptions): UserSync {
  return {
    kind: "failed",
    code: "methods_read_failed",
    message: `could not read the user's authentication methods (${directoryFailureOf(err).code})`,
    ...(options.retryHint ? { hint: options.retryHint } : {}),
  };
}

/**
 * The methods of each user whose policy needs them (undefined for the others), read in one call. A user the
 * registration report shows with no method at all is not read: there is nothing to list. (The report is updated
 * periodically: a phone or email method added since makes Graph refuse our add of the same type, but a method of
 * another kind registered since the report's update is not seen; docs/backfill.md says so.)
 */
async function methodsOf(
  directory: Pick<SyncDirectory, "listAuthMethodsOf">,
  open: ReadonlyArray<{ entry: UserToSync }>,
  options: SyncUsersOptions,
): Promise<Array<AuthMethods | Error | undefined>> {
  const known = open.map(({ entry }) => options.registeredMethods?.get(entry.user.id.toLowerCase()));
  const read = open.flatMap(({ entry }, k) =>
    needsMethods(options.policy, entry.contact) && known[k]?.length !== 0 ? [k] : [],
  );
  const answers =
    read.length > 0 ? await directory.listAuthMethodsOf(read.map((k) => open[k]?.entry.user.id ?? "")) : [];
  const stop = answers.find(
    (answer) => answer instanceof Error && directoryFailureOf(answer).handling === "stopRun",
  );
  if (stop) throw stop;
  return open.map(({ entry }, k) => {
    if (!needsMethods(options.policy, entry.contact)) return undefined;
    const at = read.indexOf(k);
    if (at < 0) return { phoneMethods: [], emailMethods: [], otherMethods: [] };
    const answer = answers[at] ?? new Error("no answer");
    const registered = known[k];
    return answer instanceof Error || !registered ? answer : withReportedKinds(answer, registered);
  });
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
