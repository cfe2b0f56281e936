import { type ContactField, contactFields, type TargetPolicy, writesOf } from "../contact/contactFields.js";
import type { ProtectionPolicy } from "./deploymentPolicy.js";

/** A part of the protection policy. */
export type PolicyPart = keyof ProtectionPolicy;

/** Where the local policy was wider than the deployment's, and what it became. */
export interface Narrowing {
  part: PolicyPart;
  /** The field, for a CONTACT_TARGET narrowed per field. */
  field?: ContactField;
}

/** A field the two policies write to disjoint places (`profile` here, `methods` there): no narrower target. */
export interface TargetConflict {
  field: ContactField;
  local: TargetPolicy;
  deployment: TargetPolicy;
}

export type StricterPolicy =
  | { ok: true; policy: ProtectionPolicy; narrowed: Narrowing[] }
  | { ok: false; conflicts: TargetConflict[] };

/**
 * The stricter of two protection policies, part by part: every protected group of either; per field only the
 * targets both allow; `overwrite` and `override` only when both say so. `narrowed` names each part where `local`
 * was wider, so the caller can say so (or refuse, when the admin asked for it on the command line). A field whose
 * targets share nothing has no stricter value: a conflict for a person to resolve. Pure.
 */
export function stricterPolicy(local: ProtectionPolicy, deployment: ProtectionPolicy): StricterPolicy {
  const narrowed: Narrowing[] = [];
  const localGroups = new Set(local.protectedGroupIds.map((id) => id.toLowerCase()));
  const groups = new Set([...localGroups, ...deployment.protectedGroupIds.map((id) => id.toLowerCase())]);
  if (groups.size > localGroups.size) narrowed.push({ part: "protectedGroupIds" });

  const target = { ...local.target };
  const conflicts: TargetConflict[] = [];
  for (const field of contactFields) {
    const both = writesOf[local.target[field]].filter((w) => writesOf[deployment.target[field]].includes(w));
    const [only] = both;
    if (only === undefined) {
      conflicts.push({ field, local: local.target[field], deployment: deployment.target[field] });
      continue;
    }
    const narrower: TargetPolicy = both.length === 2 ? "both" : only;
    if (narrower !== local.target[field]) narrowed.push({ part: "target", field });
    target[field] = narrower;
  }
  if (conflicts.length > 0) return { ok: false, conflicts };

  const mode = local.mode === "overwrite" && deployment.mode === "overwrite" ? "overwrite" : "fillEmpty";
  if (mode !== local.mode) narrowed.push({ part: "mode" });
  const syncedMobile =
    local.syncedMobile === "override" && deployment.syncedMobile === "override" ? "override" : "skip";
  if (syncedMobile !== local.syncedMobile) narrowed.push({ part: "syncedMobile" });

  return {
    ok: true,
    policy: { protectedGroupIds: [...groups].sort(), target, mode, syncedMobile },
    narrowed,
  };
}
