import type { Directory } from "../directory/directory.js";
import { applyPlans } from "./applyPlans.js";
import { oneUserDirectory } from "./oneUserDirectory.js";
import type { FieldPlan, SyncPlan } from "./syncPlanner.js";

/** What applying a plan did: each field's final action, and Graph's request ids for anything refused. */
export interface Applied {
  fields: FieldPlan[];
  requestIds: string[];
}

/**
 * Carries out one user's plan with single calls (`applyPlans` through `oneUserDirectory`): a refusal that
 * retrying cannot fix (synced user, privileged target, invalid value) marks only the fields it concerns; anything
 * worth retrying is thrown so the caller's retry policy decides.
 */
export async function applyPlan(directory: Directory, userId: string, plan: SyncPlan): Promise<Applied> {
  const [applied] = await applyPlans(oneUserDirectory(directory), [{ userId, plan }]);
  return { fields: applied?.fields ?? plan.fields, requestIds: applied?.requestIds ?? [] };
}
