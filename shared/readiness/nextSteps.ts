import { contactFields } from "../contact/contactFields.js";
import type { ReadinessSummary } from "./readinessSummary.js";

/** One thing to do, with how many users it concerns (0 for a step about the report itself). */
export interface NextStep {
  code: string;
  users: number;
  text: string;
}

/** At most this many steps: the list is for deciding what to do first. */
const maxSteps = 5;

/**
 * "What to do next", derived from the counts alone: each bucket or reason with users in it becomes a step, the
 * ones concerning most users first; a missing registration report comes first, as it changes every number.
 */
export function nextSteps(summary: ReadinessSummary): NextStep[] {
  const steps: NextStep[] = [];
  const reasons = summary.reasons;
  const plural = (n: number, one: string, many = `${one}s`) =>
    `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

  const after = summary.buckets.afterPrepopulation;
  if (after > 0) {
    const fields = contactFields
      .filter((field) => summary.fillable[field] > 0)
      .map((field) => `${field} ${summary.fillable[field].toLocaleString("en-US")}`)
      .join(", ");
    steps.push({
      code: "run_backfill",
      users: after,
      text: `Run sspr-prepop backfill with the HR export (or let the HR feed run): ${plural(after, "user")} can then reset their password (fields to fill: ${fields}).`,
    });
  }
  if (reasons.sspr_not_enabled > 0) {
    steps.push({
      code: "enable_sspr",
      users: reasons.sspr_not_enabled,
      text: `Enable SSPR for ${plural(reasons.sspr_not_enabled, "user")} not covered by its policy (Entra admin center, Password reset, Properties: All, or add them to the selected group).`,
    });
  }
  if (reasons.synced_in_ad > 0) {
    const override =
      summary.policy.syncedMobile === "skip"
        ? "; or, where the tenant lets the cloud override synced mobiles, set SYNCED_MOBILE=override"
        : "";
    steps.push({
      code: "fix_in_ad",
      users: reasons.synced_in_ad,
      text: `Set mobile (and telephoneNumber) in AD DS for ${plural(reasons.synced_in_ad, "synced user")}; Entra Connect syncs them${override}.`,
    });
  }
  if (reasons.invalid_data > 0) {
    const codes = Object.entries(summary.invalidCodes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([code, n]) => `${code} ${n.toLocaleString("en-US")}`)
      .join(", ");
    steps.push({
      code: "fix_invalid_data",
      users: reasons.invalid_data,
      text: `Correct the invalid values of ${plural(reasons.invalid_data, "user")} (${codes}) at the source, or rerun the backfill with --mode overwrite.`,
    });
  }
  if (reasons.privileged > 0) {
    steps.push({
      code: "admins_register",
      users: reasons.privileged,
      text: `Ask ${plural(reasons.privileged, "privileged account")} to register their own methods (My Sign-Ins, Security info): the app never writes an admin's contact data.`,
    });
  }
  if (reasons.privilege_unknown > 0) {
    steps.push({
      code: "grant_privilege_reads",
      users: reasons.privilege_unknown,
      text: `Grant RoleManagement.Read.Directory and GroupMember.Read.All so the privileged-account check can answer for ${plural(reasons.privilege_unknown, "user")}, then run the report again.`,
    });
  }
  if (reasons.own_methods_kept > 0) {
    steps.push({
      code: "user_methods_kept",
      users: reasons.own_methods_kept,
      text: `${plural(reasons.own_methods_kept, "user")} registered methods of their own that the feed keeps: have them add the missing one, or write the profile too (CONTACT_TARGET=both).`,
    });
  }
  if (reasons.set_not_counted > 0) {
    steps.push({
      code: "wait_for_tenant",
      users: reasons.set_not_counted,
      text: `${plural(reasons.set_not_counted, "user")} already have contact data the tenant does not count yet: run the report again tomorrow (the registration report refreshes periodically), then check the SSPR policy's number of methods.`,
    });
  }
  steps.sort((a, b) => b.users - a.users);
  const unavailable = summary.notes.find((note) => note.code.startsWith("registration_report_"));
  if (summary.source === "profileOnly" && unavailable) {
    steps.unshift({
      code: "read_registration_report",
      users: 0,
      text:
        unavailable.code === "registration_report_not_licensed"
          ? "The tenant's own SSPR verdicts need Microsoft Entra ID P1 or P2; until then these numbers come from profile data only."
          : "Grant AuditLog.Read.All to the identity running the report, so it reads the tenant's own SSPR verdicts (registration report) instead of profile data only.",
    });
  }
  return steps.slice(0, maxSteps);
}
