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
  const steps = stepRules
    .map(({ code, users, text }) => ({ code, users: users(summary), text }))
    .filter((step) => step.users > 0)
    .map((step) => ({ code: step.code, users: step.users, text: step.text(step.users, summary) }))
    .sort((a, b) => b.users - a.users);
  const report = registrationReportStep(summary);
  return (report ? [report, ...steps] : steps).slice(0, maxSteps);
}

/** One kind of step: how many users it concerns (none = no step) and what to tell the admin. */
interface StepRule {
  code: string;
  users: (summary: ReadinessSummary) => number;
  text: (users: number, summary: ReadinessSummary) => string;
}

const stepRules: readonly StepRule[] = [
  {
    code: "run_backfill",
    users: (summary) => summary.buckets.afterPrepopulation,
    text: (users, summary) => {
      const fields = contactFields
        .filter((field) => summary.fillable[field] > 0)
        .map((field) => `${field} ${count(summary.fillable[field])}`)
        .join(", ");
      return `Run sspr-prepop backfill with the HR export${feedClause(users, summary)}: ${plural(users, "user")} can then reset their password (fields to fill: ${fields}).`;
    },
  },
  {
    code: "enable_sspr",
    users: (summary) => summary.reasons.sspr_not_enabled,
    text: (users) =>
      `Enable SSPR for ${plural(users, "user")} not covered by its policy (Entra admin center, Password reset, Properties: All, or add them to the selected group).`,
  },
  {
    code: "fix_in_ad",
    users: (summary) => summary.reasons.synced_in_ad,
    text: (users, summary) => {
      const override =
        summary.policy.syncedMobile === "skip"
          ? "; or, where the tenant lets the cloud override synced mobiles, set SYNCED_MOBILE=override"
          : "";
      return `Set mobile (and telephoneNumber) in AD DS for ${plural(users, "synced user")}; Entra Connect syncs them${override}.`;
    },
  },
  {
    code: "fix_invalid_data",
    users: (summary) => summary.reasons.invalid_data,
    text: (users, summary) => {
      const codes = Object.entries(summary.invalidCodes)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([code, n]) => `${code} ${count(n)}`)
        .join(", ");
      return `Correct the invalid values of ${plural(users, "user")} (${codes}) at the source, or rerun the backfill with --mode overwrite.`;
    },
  },
  {
    code: "admins_register",
    users: (summary) => summary.reasons.privileged,
    text: (users) =>
      `Ask ${plural(users, "privileged account")} to register their own methods (My Sign-Ins, Security info): the app never writes an admin's contact data.`,
  },
  {
    code: "grant_privilege_reads",
    users: (summary) => summary.reasons.privilege_unknown,
    text: (users) =>
      `Grant RoleManagement.Read.Directory and GroupMember.Read.All so the privileged-account check can answer for ${plural(users, "user")}, then run the report again.`,
  },
  {
    code: "user_methods_kept",
    users: (summary) => summary.reasons.own_methods_kept,
    text: (users) =>
      `${plural(users, "user")} registered methods of their own that the feed keeps: have them add the missing one, or write the profile too (CONTACT_TARGET=both).`,
  },
  {
    code: "wait_for_tenant",
    users: (summary) => summary.reasons.set_not_counted,
    text: (users) =>
      `${plural(users, "user")} already have contact data the tenant does not count yet: run the report again tomorrow (the registration report refreshes periodically), then check the SSPR policy's number of methods.`,
  },
];

/** Without the registration report every number is from profile data alone: fixing that comes first. */
function registrationReportStep(summary: ReadinessSummary): NextStep | undefined {
  const unavailable = summary.notes.find((note) => note.code.startsWith("registration_report_"));
  if (summary.source !== "profileOnly" || !unavailable) return undefined;
  return {
    code: "read_registration_report",
    users: 0,
    text:
      unavailable.code === "registration_report_not_licensed"
        ? "The tenant's own SSPR verdicts need Microsoft Entra ID P1 or P2; until then these numbers come from profile data only."
        : "Grant AuditLog.Read.All to the identity running the report, so it reads the tenant's own SSPR verdicts (registration report) instead of profile data only.",
  };
}

/**
 * Whether waiting for the HR feed is an alternative: it writes only accounts created within NEW_HIRE_DAYS, so for
 * older users the backfill is the only way (the feed would skip them as `not_a_new_hire`).
 */
function feedClause(users: number, summary: ReadinessSummary): string {
  const days = summary.policy.newHireDays ?? 0;
  if (summary.feedReaches >= users) return " (or let the HR feed run)";
  if (summary.feedReaches === 0) {
    return ` (the HR feed won't: it writes only accounts created in the last ${days} days, NEW_HIRE_DAYS)`;
  }
  return ` (the HR feed reaches only ${count(summary.feedReaches)} of them, created in the last ${days} days: NEW_HIRE_DAYS)`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
