import { type ContactMode, contactFields, type TargetPolicy, writesOf } from "../contact/contactFields.js";
import type { DesiredContact, SyncPolicy } from "./syncPlanner.js";

/** What a fix request asks of the policy: its own target and mode, for the fields it writes. */
export interface PolicyRequest {
  target?: TargetPolicy;
  mode?: ContactMode;
  /** What the request writes; the target is checked for these fields only. */
  contact: DesiredContact;
  /** Holds the admin app role: the only callers who may overwrite a value a user already has. */
  callerIsAdmin: boolean;
}

/** Why a request's options were refused: it asked for more than the deployment allows it. */
export interface PolicyRefusal {
  code: "target_not_allowed" | "mode_not_allowed" | "overwrite_needs_admin";
  field: "target" | "mode";
  message: string;
  hint: string;
}

export type NarrowedPolicy = { ok: true; policy: SyncPolicy } | { ok: false; refusal: PolicyRefusal };

/**
 * The policy a request runs under: the deployment's (CONTACT_TARGET, CONTACT_MODE), narrowed by the request,
 * never widened. A request may pick a target the deployment has for every field it writes (`profile` or
 * `methods` where the deployment says `both`) and `fillEmpty` anywhere; a wider target, or `overwrite` where
 * the deployment only fills, is refused rather than quietly narrowed, so the caller knows nothing was done.
 * `overwrite` — asked for or the deployment's — also needs an admin: it replaces a value the user may rely on
 * to reset their password. Pure: the same inputs always give the same answer.
 */
export function narrowPolicy(deployment: SyncPolicy, request: PolicyRequest): NarrowedPolicy {
  const target = { ...deployment.target };
  const fields = contactFields.filter((field) => request.contact[field] !== undefined);
  if (request.target !== undefined) {
    const asked = request.target;
    const wider = fields.filter(
      (field) => !writesOf[asked].every((write) => writesOf[deployment.target[field]].includes(write)),
    );
    if (wider.length > 0) {
      const allowed = wider.map(
        (field) => `${field}: ${allowedTargets(deployment.target[field]).join(" or ")}`,
      );
      return refuse(
        "target_not_allowed",
        "target",
        `target ${asked} is wider than this deployment allows for ${wider.join(", ")} (CONTACT_TARGET ${wider
          .map((field) => `${field}=${deployment.target[field]}`)
          .join(",")}).`,
        `Omit target to use the deployment's, or pick one it allows (${allowed.join("; ")}). Only an operator widens CONTACT_TARGET.`,
      );
    }
    for (const field of fields) target[field] = asked;
  }
  if (request.mode === "overwrite" && deployment.mode !== "overwrite") {
    return refuse(
      "mode_not_allowed",
      "mode",
      "mode overwrite is wider than this deployment allows (CONTACT_MODE fillEmpty): it only fills empty values.",
      "Omit mode to fill only empty values; replacing values needs CONTACT_MODE=overwrite, which only an operator sets.",
    );
  }
  const mode = request.mode ?? deployment.mode;
  if (mode === "overwrite" && !request.callerIsAdmin) {
    return refuse(
      "overwrite_needs_admin",
      "mode",
      "Replacing a value a user already has needs the admin role.",
      'Pass "mode": "fillEmpty" to fill only empty values, or ask an admin.',
    );
  }
  return { ok: true, policy: { ...deployment, target, mode } };
}

function allowedTargets(deployment: TargetPolicy): TargetPolicy[] {
  return deployment === "both" ? ["both", "profile", "methods"] : [deployment];
}

function refuse(
  code: PolicyRefusal["code"],
  field: PolicyRefusal["field"],
  message: string,
  hint: string,
): NarrowedPolicy {
  return { ok: false, refusal: { code, field, message, hint } };
}
