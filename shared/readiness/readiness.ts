// readiness/: SSPR readiness verdicts per user and field, and the tenant report.

import type { CountryCode } from "libphonenumber-js";
import {
  type ContactField,
  type TargetPolicy,
  type WriteTarget,
  writesOf,
} from "../contact/contactFields.js";
import { toCountryCode } from "../contact/countryCode.js";
import { normalizeEmail } from "../contact/emailRule.js";
import { normalizePhone } from "../contact/phoneRule.js";
import type { RuleIssue } from "../core/result.js";
import type { AuthMethods, UserContactState } from "../directory/directory.js";

/** Whether SSPR can use a value as it is. */
export const verdicts = ["usable", "notCanonical", "invalid", "missing"] as const;
export type Verdict = (typeof verdicts)[number];

/** One field's readiness for SSPR, with what to do about it. */
export interface FieldReadiness {
  field: ContactField;
  source: WriteTarget;
  verdict: Verdict;
  /** The value as stored (absent when missing). */
  value?: string;
  /** The value SSPR needs, when the stored one is the same number in another format. */
  canonical?: string;
  /** What an admin should do; "nothing" when usable. */
  action: string;
  /** Rule code when invalid, e.g. `phone_too_short`. */
  code?: string;
}

export interface ReadinessOptions {
  /** The region of numbers stored in national form, for users without a usable `usageLocation`. */
  country?: CountryCode;
  phoneValidation: "valid" | "possible";
  organizationDomains: readonly string[];
  /**
   * Where the deployment writes each field (CONTACT_TARGET), so an action never advises a write it refuses;
   * absent: the advice names the app's writes without that check (the report, which judges the profile only).
   */
  deploymentTarget?: Record<ContactField, TargetPolicy>;
}

/** Judges the SSPR readiness of every contact field of a user's profile (and methods, when given). */
export function userReadiness(
  user: UserContactState,
  methods: AuthMethods | undefined,
  options: ReadinessOptions,
): FieldReadiness[] {
  const synced = user.onPremisesSyncEnabled === true;
  // A national number is read in the user's own country (usageLocation, the ISO code licensing uses), as the pipeline
  // reads it with the event's country; the report's --country only stands in where the profile says nothing.
  const own = user.usageLocation ? toCountryCode(user.usageLocation) : undefined;
  if (own) options = { ...options, country: own };
  const fields = [
    phoneReadiness("mobilePhone", "profile", user.mobilePhone, options, synced),
    phoneReadiness("officePhone", "profile", user.businessPhones[0] ?? null, options, synced),
    emailReadiness("profile", user.otherMails[0] ?? null, options),
  ];
  if (methods) {
    const mobile = methods.phoneMethods.find((m) => m.phoneType === "mobile")?.phoneNumber ?? null;
    const office = methods.phoneMethods.find((m) => m.phoneType === "office")?.phoneNumber ?? null;
    fields.push(
      phoneReadiness("mobilePhone", "methods", mobile, options, false),
      phoneReadiness("officePhone", "methods", office, options, false),
      emailReadiness("methods", methods.emailMethods[0]?.emailAddress ?? null, options),
    );
  }
  return fields;
}

/** Judges one phone value. */
export function phoneReadiness(
  field: "mobilePhone" | "officePhone",
  source: WriteTarget,
  value: string | null,
  options: ReadinessOptions,
  synced: boolean,
): FieldReadiness {
  const where = synced
    ? `set \`${field === "mobilePhone" ? "mobile" : "telephoneNumber"}\` in AD DS`
    : howToWrite(field, source, options);
  if (value === null || value.trim() === "")
    return { field, source, verdict: "missing", action: `add one: ${where}` };
  const result = normalizePhone(value, {
    field,
    validation: options.phoneValidation,
    ...(options.country ? { defaultCountry: options.country } : {}),
  });
  if (!result.ok) return invalid(field, source, value, result.issues[0]);
  if (result.value.canonical === value) return { field, source, verdict: "usable", value, action: "nothing" };
  return {
    field,
    source,
    verdict: "notCanonical",
    value,
    canonical: result.value.canonical,
    // A registered method is never replaced by the app (docs/security.md): not even to reformat it.
    action:
      source === "methods"
        ? "rewrite in SSPR format: the user registers it again at https://aka.ms/mysecurityinfo, or an Authentication Administrator replaces it in the Entra admin center"
        : `rewrite in SSPR format: ${where}`,
  };
}

/** Judges one alternate email value. */
export function emailReadiness(
  source: WriteTarget,
  value: string | null,
  options: ReadinessOptions,
): FieldReadiness {
  const field = "alternateEmail" as const;
  if (value === null || value.trim() === "") {
    return {
      field,
      source,
      verdict: "missing",
      action: `add a personal address: ${howToWrite(field, source, options)}`,
    };
  }
  const result = normalizeEmail(value, { field, organizationDomains: options.organizationDomains });
  if (!result.ok) return invalid(field, source, value, result.issues[0]);
  return { field, source, verdict: "usable", value, action: "nothing" };
}

/**
 * How a value gets into `source`: the app's own writes (a helpdesk PATCH of contact-info, the backfill) when the
 * deployment writes the field there; otherwise the way around it, naming the setting that keeps the app out.
 */
function howToWrite(field: ContactField, source: WriteTarget, options: ReadinessOptions): string {
  const target = options.deploymentTarget?.[field];
  if (target === undefined || writesOf[target].includes(source)) return "PATCH contact-info or run backfill";
  const elsewhere =
    source === "methods"
      ? "the user registers it at https://aka.ms/mysecurityinfo"
      : "set it in the Entra admin center (the user's properties, contact information)";
  return `${elsewhere}; this deployment writes ${field} to ${target} only (CONTACT_TARGET ${field}=${target})`;
}

function invalid(
  field: ContactField,
  source: WriteTarget,
  value: string,
  issue: RuleIssue | undefined,
): FieldReadiness {
  return {
    field,
    source,
    verdict: "invalid",
    value,
    action: `${issue?.message ?? "invalid"} ${issue?.hint ?? ""}`.trim(),
    ...(issue ? { code: issue.code } : {}),
  };
}
