import { z } from "zod";
import {
  type ContactRuleOptions,
  type ValidContactEvent,
  validateContactEvent,
} from "../contact/contactEvent.js";
import { contactModes, targetPolicies } from "../contact/contactFields.js";
import { isRecord } from "../core/isRecord.js";
import type { RuleIssue } from "../core/result.js";
import type { Directory } from "../directory/directory.js";
import { tenantAddressIssue } from "../directory/tenantAddressIssue.js";
import { userRefFromKey } from "../directory/userRef.js";
import { buildOutcome, outcomeUserOf } from "./buildOutcome.js";
import { decidedOutcome } from "./decidedOutcome.js";
import { narrowPolicy, type PolicyRefusal } from "./narrowPolicy.js";
import { isFinalStatus, type Outcome } from "./outcome.js";
import type { OutcomeLog } from "./outcomeLog.js";
import type { FieldPlan, SyncPlan, SyncPolicy } from "./syncPlanner.js";
import { syncUser } from "./syncUser.js";
import { decisionOf } from "./syncUsers.js";
import { userNotFound } from "./userLookup.js";

/** A fix request's options; every other body field is a contact field, checked by the contact rules. */
const fixOptions = z.strictObject({
  mode: z.enum(contactModes).optional(),
  target: z.enum(targetPolicies).optional(),
  dryRun: z.boolean().optional(),
  country: z.string().max(100).optional(),
});
const optionKeys = new Set(Object.keys(fixOptions.shape));

export type FixResult =
  | { kind: "invalid"; issues: RuleIssue[] }
  /** No such user: `code` and `message` are the words every path uses for it (`userNotFound`). */
  | { kind: "notFound"; code: string; message: string }
  | { kind: "refused"; refusal: PolicyRefusal }
  /**
   * The request would replace a phone or email method the user registered: nothing was written (409). Each issue
   * names a field, with code `registered_method_kept` and where to replace it instead.
   */
  | { kind: "registeredMethodKept"; issues: RuleIssue[] }
  /** The event id already holds the outcome of a different request (its Idempotency-Key was reused). */
  | { kind: "idempotencyConflict" }
  | { kind: "done"; outcome: Outcome };

export interface FixDeps {
  directory: Directory;
  outcomes: OutcomeLog;
  rules: ContactRuleOptions;
  policy: SyncPolicy;
}

/** A fix request read: its options and the contact as the rules normalized it. */
interface FixRequest {
  options: z.infer<typeof fixOptions>;
  valid: ValidContactEvent;
  warnings: RuleIssue[];
}

/**
 * One user's contact fix, synchronously: the same rules, planner and outcome record as the queue path, with
 * the request's mode/target narrowing the deployment's. A dry run plans and writes nothing, not even a record.
 */
export async function fixContact(
  deps: FixDeps,
  request: {
    userKey: string;
    body: unknown;
    actor: string;
    /** The verified caller's Entra object id, recorded beside `actor`. */
    actorObjectId?: string | undefined;
    eventId: string;
    /** Fingerprint of the request; a recorded outcome is only given back for the same one. */
    requestHash?: string;
    now?: Date;
  },
  caller: { isAdmin: boolean },
): Promise<FixResult> {
  const now = request.now ?? new Date();
  const read = readFixRequest(request, deps.rules, now);
  if ("issues" in read) return { kind: "invalid", issues: read.issues };
  const { options, valid, warnings } = read;

  // The request may narrow the deployment's target and mode, never widen them (see narrowPolicy).
  const narrowed = narrowPolicy(deps.policy, {
    ...options,
    contact: valid.contact,
    callerIsAdmin: caller.isAdmin,
  });
  if (!narrowed.ok) return { kind: "refused", refusal: narrowed.refusal };

  const inTenant = await tenantAddressIssue(valid.contact, deps.directory);
  if (inTenant) return { kind: "invalid", issues: [inTenant] };

  const previous = await deps.outcomes.get(request.eventId);
  if (previous && previous.requestHash !== request.requestHash) return { kind: "idempotencyConflict" };
  if (previous && isFinalStatus(previous.status)) return { kind: "done", outcome: previous };

  const user = await deps.directory.findUser(userRefFromKey(request.userKey));
  if (!user) return { kind: "notFound", code: userNotFound.code, message: userNotFound.message };
  const dryRun = options.dryRun === true;
  let result: Awaited<ReturnType<typeof syncUser>>;
  try {
    result = await syncUser(deps.directory, user, valid.contact, {
      // A verified helpdesk admin may add a phone or email method beside the user's other methods, never replace
      // one (the planner keeps it: `registered_method_kept`).
      policy: { ...narrowed.policy, keepUserMethods: false },
      dryRun,
      ...(valid.country ? { country: valid.country } : {}),
      beforeWrites: refuseKeptMethods,
    });
  } catch (err) {
    if (err instanceof RegisteredMethodKept) return { kind: "registeredMethodKept", issues: err.issues };
    throw err;
  }
  // A dry run, or a plan with nothing else to write, never reaches beforeWrites: it gets the same answer.
  const kept = result.kind === "synced" ? keptMethodIssues(result.fields) : [];
  if (kept.length > 0) return { kind: "registeredMethodKept", issues: kept };
  const outcome = buildOutcome({
    eventId: valid.event.eventId,
    source: "http",
    actor: request.actor,
    ...(request.actorObjectId ? { actorObjectId: request.actorObjectId } : {}),
    now,
    occurredAt: valid.event.occurredAt,
    user: outcomeUserOf(user),
    warnings,
    dryRun,
    ...(request.requestHash ? { requestHash: request.requestHash } : {}),
    ...decidedOutcome(decisionOf(result), dryRun),
  });
  if (!dryRun) {
    await deps.outcomes.record(outcome);
    // A fix made now outranks HR events from before it that are still queued.
    await deps.outcomes.markApplied(user.id, valid.event.occurredAt);
  }
  return { kind: "done", outcome };
}

const replaceInEntra =
  "Replace a registered method in the Microsoft Entra admin center (Users → Authentication methods) as an Authentication Administrator activated through PIM; Entra then records your own identity in its audit log.";

/**
 * Thrown from `beforeWrites`, before the first write, when the plan keeps a registered method: the request is then
 * refused as a whole, so the profile half of a `both` request is not written without its method half.
 */
class RegisteredMethodKept extends Error {
  constructor(readonly issues: RuleIssue[]) {
    super("the fix would replace a registered authentication method");
    this.name = "RegisteredMethodKept";
  }
}

async function refuseKeptMethods(plan: SyncPlan): Promise<void> {
  const issues = keptMethodIssues(plan.fields);
  if (issues.length > 0) throw new RegisteredMethodKept(issues);
}

/** One issue per field whose registered method the planner kept; no value is named, only the field. */
function keptMethodIssues(fields: readonly FieldPlan[]): RuleIssue[] {
  return fields
    .filter((plan) => plan.code === "registered_method_kept")
    .map((plan) => ({
      field: plan.field,
      code: "registered_method_kept",
      message: `${plan.field}: the user has already registered this authentication method with another value (or one that can't be compared); this API adds a method only where none is registered and never replaces one, so nothing was written.`,
      hint: replaceInEntra,
    }));
}

/** Reads the flat fix body: its options, then every other key as a contact field through the contact rules. */
function readFixRequest(
  request: { userKey: string; body: unknown; eventId: string },
  rules: ContactRuleOptions,
  now: Date,
): FixRequest | { issues: RuleIssue[] } {
  if (!isRecord(request.body)) {
    return {
      issues: [
        {
          field: "body",
          code: "body_not_object",
          message: "The body must be a JSON object.",
          hint: 'e.g. {"mobilePhone": "+1 4255550147"}',
        },
      ],
    };
  }
  const body = request.body;
  const options = fixOptions.safeParse(
    Object.fromEntries(Object.entries(body).filter(([key]) => optionKeys.has(key))),
  );
  if (!options.success) {
    return {
      issues: options.error.issues.map((issue) => ({
        field: issue.path.join("."),
        code: "option_invalid",
        message: issue.message,
        hint: "mode: fillEmpty|overwrite; target: profile|methods|both; dryRun: true|false",
      })),
    };
  }
  const contact = Object.fromEntries(Object.entries(body).filter(([key]) => !optionKeys.has(key)));
  const validated = validateContactEvent(
    {
      eventId: request.eventId,
      source: "http",
      occurredAt: now.toISOString(),
      user: userRefFromKey(request.userKey),
      ...(options.data.country ? { country: options.data.country } : {}),
      contact,
    },
    rules,
  );
  if (!validated.ok) {
    // The body is flat; report its own field names rather than the event's `contact.` paths.
    return {
      issues: validated.issues.map((issue) => ({ ...issue, field: issue.field.replace(/^contact\./, "") })),
    };
  }
  return { options: options.data, valid: validated.value, warnings: validated.warnings };
}
