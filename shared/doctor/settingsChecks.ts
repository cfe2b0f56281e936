import type { ContactField, TargetPolicy } from "../contact/contactFields.js";
import type { DoctorCheck } from "./doctorReport.js";

/** The settings the doctor reasons about (a structural slice of the app's Settings). */
export interface DoctorSettings {
  CONTACT_TARGET: Record<ContactField, TargetPolicy>;
  SYNCED_MOBILE: "skip" | "override";
  NEW_HIRE_DAYS: number;
  CONTACT_READER_ROLE: string;
  CONTACT_ADMIN_ROLE: string;
  GRAPH_WRITE_BUDGET: number;
  GRAPH_WRITE_WINDOW_SECONDS: number;
  WEBSITE_AUTH_ENABLED: boolean;
  APP_SIGNING_KEY?: string | undefined;
  HR_WEBHOOK_SECRETS?: readonly string[];
  BAMBOOHR_WEBHOOK_KEY?: string | undefined;
  SCIM_TOKEN?: string | undefined;
}

/** Graph's identity-and-access write limit per app and tenant: 3,000 per 150 s (20 a second). */
const graphWrites = { budget: 3000, perSecond: 20 };

/**
 * Settings that each parse but say contradictory or risky things together. Each finding is a warning: the app
 * runs, but not the way whoever set it probably meant.
 */
export function settingsChecks(s: DoctorSettings): DoctorCheck[] {
  const findings: DoctorCheck[] = [];
  const warn = (code: string, detail: string, fix: string) =>
    findings.push({ check: "settings", status: "warn", code, detail, fix });

  if (s.SYNCED_MOBILE === "override" && s.CONTACT_TARGET.mobilePhone === "methods") {
    warn(
      "synced_mobile_unused",
      "SYNCED_MOBILE=override changes only profile writes of a synced user's mobilePhone, and CONTACT_TARGET writes mobilePhone to authentication methods only",
      "set SYNCED_MOBILE=skip, or write mobilePhone to the profile too (CONTACT_TARGET=both, or mobilePhone=both)",
    );
  }
  if (s.CONTACT_READER_ROLE === s.CONTACT_ADMIN_ROLE) {
    warn(
      "reader_role_is_admin_role",
      `CONTACT_READER_ROLE and CONTACT_ADMIN_ROLE are both ${s.CONTACT_ADMIN_ROLE}: every helpdesk reader may also change recovery contact data`,
      "give the two settings different app roles (defaults ContactInfo.Read and ContactInfo.ReadWrite)",
    );
  }
  if (s.NEW_HIRE_DAYS === 0) {
    warn(
      "new_hire_check_off",
      "NEW_HIRE_DAYS=0: HR events may write the recovery contact data of any user, not only new hires, so a changed HR record changes how a long-standing account resets its password",
      "set NEW_HIRE_DAYS (default 30) and bring existing users in with `sspr-prepop backfill`",
    );
  }
  const perSecond = s.GRAPH_WRITE_BUDGET / s.GRAPH_WRITE_WINDOW_SECONDS;
  if (s.GRAPH_WRITE_BUDGET > graphWrites.budget || perSecond > graphWrites.perSecond) {
    warn(
      "write_budget_over_graph",
      `GRAPH_WRITE_BUDGET=${s.GRAPH_WRITE_BUDGET} per ${s.GRAPH_WRITE_WINDOW_SECONDS} s is more than Graph allows an app (3,000 per 150 s): writes past it are answered 429 and retried`,
      "remove GRAPH_WRITE_BUDGET and GRAPH_WRITE_WINDOW_SECONDS to use Graph's limit",
    );
  }
  const webhooksOn = (s.HR_WEBHOOK_SECRETS?.length ?? 0) > 0 || !!s.BAMBOOHR_WEBHOOK_KEY || !!s.SCIM_TOKEN;
  const writesMethods = Object.values(s.CONTACT_TARGET).some((target) => target !== "profile");
  if (!s.APP_SIGNING_KEY && (webhooksOn || writesMethods)) {
    warn(
      "app_signing_key_missing",
      `APP_SIGNING_KEY is not set: ${[
        webhooksOn ? "every webhook event is recorded with actor `queue`, not its verified sender" : "",
        writesMethods ? "a retried event counts a method it wrote itself as the user's own and skips it" : "",
      ]
        .filter(Boolean)
        .join("; ")}`,
      "set APP_SIGNING_KEY to a random secret of 32+ characters, from Key Vault (docs/deploy.md)",
    );
  }
  if (findings.length === 0) {
    findings.push({
      check: "settings",
      status: "ok",
      code: "settings_ok",
      detail: `settings read and consistent (CONTACT_TARGET mobilePhone=${s.CONTACT_TARGET.mobilePhone}, officePhone=${s.CONTACT_TARGET.officePhone}, alternateEmail=${s.CONTACT_TARGET.alternateEmail}; SYNCED_MOBILE=${s.SYNCED_MOBILE})`,
    });
  }
  return findings;
}

/** The one finding when the settings can't be read at all: nothing else can be checked. */
export function unreadableSettingsCheck(message: string): DoctorCheck {
  return {
    check: "settings",
    status: "fail",
    code: "settings_invalid",
    detail: message,
    fix: "correct the named settings (README: Settings); nothing else was checked",
  };
}
