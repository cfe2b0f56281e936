import type { CountryCode } from "libphonenumber-js";
import type { Directory, UserContactState } from "../directory/directory.js";
import { applyPlan } from "./applyPlan.js";
import { statusOf, summaryOf } from "./buildOutcome.js";
import type { OutcomeStatus } from "./outcome.js";
import {
  type DesiredContact,
  type FieldPlan,
  type MethodWrittenEarlier,
  needsMethods,
  planSync,
  type SyncPlan,
  type SyncPolicy,
} from "./syncPlanner.js";
import { userGuardRefusal } from "./userGuards.js";

/** What one sync did (or, for a dry run, would do) to one user. */
export interface SyncResult {
  status: OutcomeStatus;
  plan: SyncPlan;
  fields: FieldPlan[];
  requestIds: string[];
  message: string;
}

/**
 * Reads what the plan needs beyond the user's profile, plans, and applies unless `dryRun`: the one sequence
 * the queue and the HTTP fix share, so they can't disagree about what a contact means.
 */
export async function syncUser(
  directory: Directory,
  user: UserContactState,
  contact: DesiredContact,
  options: {
    policy: SyncPolicy;
    country?: CountryCode;
    dryRun?: boolean;
    /** Method writes an earlier attempt of this event made (masked): they are the event's, not the user's. */
    methodsWrittenEarlier?: readonly MethodWrittenEarlier[];
    /** Called with a plan that writes, just before its first write (the queue notes it with its lease). */
    beforeWrites?: (plan: SyncPlan) => Promise<void>;
  },
): Promise<SyncResult> {
  // Guests and privileged accounts are never written, by any path: checked before anything else is read or planned.
  const refused = await userGuardRefusal(directory, user, contact, options.policy);
  if (refused) {
    const status = statusOf(refused.fields);
    const summary = summaryOf(status, refused.fields, options.dryRun === true);
    const plan: SyncPlan = { fields: refused.fields, patchFields: [], methodOps: [] };
    return {
      status,
      plan,
      fields: refused.fields,
      requestIds: refused.requestIds,
      message: `${summary}; ${refused.reason}`,
    };
  }
  const methods = needsMethods(options.policy, contact)
    ? await directory.listAuthMethods(user.id)
    : undefined;
  const plan = planSync({
    user,
    contact,
    policy: options.policy,
    ...(methods ? { methods } : {}),
    ...(options.country ? { country: options.country } : {}),
    ...(options.methodsWrittenEarlier ? { methodsWrittenEarlier: options.methodsWrittenEarlier } : {}),
  });
  if (!options.dryRun && (plan.patch || plan.methodOps.length > 0)) await options.beforeWrites?.(plan);
  const { fields, requestIds } = options.dryRun
    ? { fields: plan.fields, requestIds: [] }
    : await applyPlan(directory, user.id, plan);
  const status = statusOf(fields);
  return { status, plan, fields, requestIds, message: summaryOf(status, fields, options.dryRun === true) };
}
