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
import type { SyncPolicy } from "./syncPlanner.js";
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
  const result = await syncUser(deps.directory, user, valid.contact, {
    // A verified helpdesk admin may change a user's registered methods (that is what the fix is for).
    policy: { ...narrowed.policy, keepUserMethods: false },
    dryRun,
    ...(valid.country ? { country: valid.country } : {}),
  });
  const outcome = buildOutcome({
    eventId: valid.event.eventId,
    source: "http",
    actor: request.actor,
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
