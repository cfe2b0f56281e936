import type { Directory } from "../directory/directory.js";
import { foldRefusal } from "./buildOutcome.js";
import { profilePatchParts } from "./profilePatchParts.js";
import type { FieldPlan, MethodOp, SyncPlan } from "./syncPlanner.js";
import { isMasteredRefusal, writeFailureOf } from "./writeFailure.js";

/** What applying a plan did: each field's final action, and Graph's request ids for anything refused. */
export interface Applied {
  fields: FieldPlan[];
  requestIds: string[];
}

/**
 * Carries out a plan: one PATCH for all profile fields, then each method write. A refusal that retrying
 * cannot fix (synced user, privileged target, invalid value) marks only the fields it concerns; anything
 * transient is thrown so the caller's retry policy decides.
 */
export async function applyPlan(directory: Directory, userId: string, plan: SyncPlan): Promise<Applied> {
  const fields = plan.fields.map((field) => ({ ...field }));
  const requestIds: string[] = [];
  const refuse = (target: FieldPlan["target"], field: FieldPlan["field"] | undefined, err: unknown) => {
    const failure = writeFailureOf(err);
    if (failure.retry) throw err;
    if (failure.requestId) requestIds.push(failure.requestId);
    foldRefusal(fields, { target, field }, failure);
  };

  if (plan.patch) {
    try {
      await directory.updateProfile(userId, plan.patch);
    } catch (err) {
      const parts = profilePatchParts(plan.patch);
      if (!isMasteredRefusal(err) || parts.length < 2) refuse("profile", undefined, err);
      // One AD-mastered property sinks the whole PATCH: write each field on its own so the others still land.
      else {
        for (const part of parts) {
          try {
            await directory.updateProfile(userId, part.patch);
          } catch (partErr) {
            refuse("profile", part.field, partErr);
          }
        }
      }
    }
  }
  for (const op of plan.methodOps) {
    try {
      await applyMethodOp(directory, userId, op);
    } catch (err) {
      refuse("methods", op.field, err);
    }
  }
  return { fields, requestIds };
}

function applyMethodOp(directory: Directory, userId: string, op: MethodOp): Promise<unknown> {
  switch (op.kind) {
    case "addPhone":
      return directory.addPhoneMethod(userId, op.phoneNumber, op.phoneType);
    case "updatePhone":
      return directory.updatePhoneMethod(userId, op.methodId, op.phoneNumber);
    case "addEmail":
      return directory.addEmailMethod(userId, op.emailAddress);
    case "updateEmail":
      return directory.updateEmailMethod(userId, op.methodId, op.emailAddress);
  }
}
