import { z } from "zod";
import { type ContactRuleOptions, validateContactEvent } from "../contact/contactEvent.js";
import { contactModes, sameTargetForAll, targetPolicies } from "../contact/contactFields.js";
import type { RuleIssue } from "../core/result.js";
import { type Directory, userRefFromKey } from "../directory/directory.js";
import { isFinalStatus, type Outcome } from "./outcome.js";
import type { OutcomeLog } from "./outcomeLog.js";
import { toFieldOutcome } from "./syncContactEvent.js";
import type { SyncPolicy } from "./syncPlanner.js";
import { syncUser } from "./syncUser.js";

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
  | { kind: "notFound" }
  /** The event id already holds the outcome of a different request (its Idempotency-Key was reused). */
  | { kind: "idempotencyConflict" }
  | { kind: "done"; outcome: Outcome };

export interface FixDeps {
  directory: Directory;
  outcomes: OutcomeLog;
  rules: ContactRuleOptions;
  policy: SyncPolicy;
}

/**
 * One user's contact fix, synchronously: the same rules, planner and outcome record as the queue path, with
 * the request's mode/target overriding the defaults. A dry run plans and writes nothing, not even a record.
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
): Promise<FixResult> {
  const now = request.now ?? new Date();
  if (typeof request.body !== "object" || request.body === null || Array.isArray(request.body)) {
    return {
      kind: "invalid",
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
  const body = request.body as Record<string, unknown>;
  const options = fixOptions.safeParse(
    Object.fromEntries(Object.entries(body).filter(([key]) => optionKeys.has(key))),
  );
  if (!options.success) {
    return {
      kind: "invalid",
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
    deps.rules,
  );
  if (!validated.ok) {
    // The body is flat; report its own field names rather than the event's `contact.` paths.
    return {
      kind: "invalid",
      issues: validated.issues.map((issue) => ({ ...issue, field: issue.field.replace(/^contact\./, "") })),
    };
  }

  const previous = await deps.outcomes.get(request.eventId);
  if (previous && previous.requestHash !== request.requestHash) return { kind: "idempotencyConflict" };
  if (previous && isFinalStatus(previous.status)) return { kind: "done", outcome: previous };

  const { event, country } = validated.value;
  const user = await deps.directory.findUser(userRefFromKey(request.userKey));
  if (!user) return { kind: "notFound" };
  const target = options.data.target;
  const policy: SyncPolicy = {
    ...deps.policy,
    mode: options.data.mode ?? deps.policy.mode,
    target: target ? sameTargetForAll(target) : deps.policy.target,
  };
  const dryRun = options.data.dryRun === true;
  const result = await syncUser(deps.directory, user, validated.value.contact, {
    policy,
    dryRun,
    ...(country ? { country } : {}),
  });
  const outcome: Outcome = {
    eventId: event.eventId,
    status: result.status,
    source: "http",
    occurredAt: event.occurredAt,
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    ...(user.employeeId ? { employeeId: user.employeeId } : {}),
    fields: result.fields.map(toFieldOutcome),
    errors: [],
    warnings: validated.warnings,
    message: result.message,
    attempts: 1,
    firstSeenAt: now.toISOString(),
    updatedAt: now.toISOString(),
    requestIds: result.requestIds,
    actor: request.actor,
    ...(dryRun ? { dryRun: true } : {}),
    ...(request.requestHash ? { requestHash: request.requestHash } : {}),
  };
  if (!dryRun) {
    await deps.outcomes.record(outcome);
    // A fix made now outranks HR events from before it that are still queued.
    await deps.outcomes.markApplied(user.id, event.occurredAt);
  }
  return { kind: "done", outcome };
}
