import type { CountryCode } from "libphonenumber-js";
import type { Directory, UserContactState } from "../directory/directory.js";
import { applyPlan } from "./applyPlan.js";
import { type OutcomeStatus, writingActions } from "./outcome.js";
import { privilegeRefusal } from "./privilegeGuard.js";
import {
  type DesiredContact,
  type FieldPlan,
  needsMethods,
  planSync,
  type SyncPlan,
  type SyncPolicy,
} from "./syncPlanner.js";

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
 * the queue, the HTTP fix and the backfill share, so they can't disagree about what a contact means.
 */
export async function syncUser(
  directory: Directory,
  user: UserContactState,
  contact: DesiredContact,
  options: {
    policy: SyncPolicy;
    country?: CountryCode;
    dryRun?: boolean;
    /** Called with a plan that writes, just before its first write (the queue notes it with its lease). */
    beforeWrites?: (plan: SyncPlan) => Promise<void>;
  },
): Promise<SyncResult> {
  // Privileged accounts are never written, by any path: checked before anything else is read or planned.
  const refused = await privilegeRefusal(directory, user, contact, options.policy);
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
  });
  if (!options.dryRun && (plan.patch || plan.methodOps.length > 0)) await options.beforeWrites?.(plan);
  const { fields, requestIds } = options.dryRun
    ? { fields: plan.fields, requestIds: [] }
    : await applyPlan(directory, user.id, plan);
  const status = statusOf(fields);
  return { status, plan, fields, requestIds, message: summaryOf(status, fields, options.dryRun === true) };
}

/** The final status from the fields' actions. */
export function statusOf(fields: readonly Pick<FieldPlan, "action">[]): OutcomeStatus {
  const wrote = fields.some((field) => writingActions.has(field.action));
  const missed = fields.filter((field) => field.action === "skipped" || field.action === "failed");
  if (wrote) return missed.length > 0 ? "partial" : "updated";
  if (missed.some((field) => field.action === "failed")) return "failed";
  if (missed.length > 0) return "skipped";
  return "unchanged";
}

/** The outcome's one-line summary, e.g. `updated: mobilePhone/profile set, officePhone/profile unchanged`. */
export function summaryOf(
  status: OutcomeStatus,
  fields: readonly Pick<FieldPlan, "field" | "target" | "action">[],
  dryRun: boolean,
): string {
  if (fields.length === 0) return "no contact fields in the event";
  const list = fields.map((field) => `${field.field}/${field.target} ${field.action}`).join(", ");
  return `${dryRun ? "dry run, would be " : ""}${status}: ${list}`;
}
