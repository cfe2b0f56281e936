import { type ContactField, contactFields } from "../contact/contactFields.js";
import { isUserRegisteredKind, methodKindOfRegisteredName } from "../directory/authMethodKind.js";
import type { Privilege, RegistrationDetail, UserContactState } from "../directory/directory.js";
import type { SyncPolicy } from "../sync/syncPlanner.js";
import type { FieldReadiness } from "./readiness.js";

/**
 * Where a user stands for self-service password reset, one bucket each:
 * - `canResetNow`: the tenant says SSPR is usable for them (`isSsprCapable`), or, without the tenant's verdict,
 *   their profile holds a usable mobile phone or alternate email;
 * - `afterPrepopulation`: SSPR is (or may be) enabled for them and what is missing is a field the HR feed or a
 *   backfill writes under the app's settings;
 * - `cannot`: something else stands in the way, with a reason.
 */
export const readinessBuckets = ["canResetNow", "afterPrepopulation", "cannot"] as const;
export type ReadinessBucket = (typeof readinessBuckets)[number];

/** Why a user can't reset and prepopulation won't change it; machine codes, in the order they are decided. */
export const cannotReasons = [
  "account_disabled",
  "guest",
  "sspr_not_enabled",
  "privileged",
  "privilege_unknown",
  "synced_in_ad",
  "invalid_data",
  "own_methods_kept",
  "set_not_counted",
] as const;
export type CannotReason = (typeof cannotReasons)[number];

/** One line per reason: what it means and what fixes it, for tables, CSV and "what to do next". */
export const cannotReasonText: Record<CannotReason, string> = {
  account_disabled: "the account is disabled: SSPR does not apply until it is enabled again",
  guest: "a guest (B2B) account: guests reset their password in their home organization",
  sspr_not_enabled:
    "SSPR is not enabled for the user (isSsprEnabled false): the SSPR policy covers only a selected group",
  privileged:
    "a privileged account (directory role, PIM-eligible role or protected group): the app never writes its contact data; the admin registers their own methods",
  privilege_unknown:
    "the app's privileged-account check could not answer for the user, so nothing would be written until it can",
  synced_in_ad:
    "synced from on-premises AD: the missing value must be set in AD DS (`mobile`, `telephoneNumber`); Graph can't change it",
  invalid_data:
    "a stored value breaks a rule and the feed keeps existing values (CONTACT_MODE fillEmpty): fix it, or run the backfill with --mode overwrite",
  own_methods_kept:
    "the user registered methods of their own, which the feed keeps and adds none beside (CONTACT_TARGET methods)",
  set_not_counted:
    "a mobile phone or alternate email is already set, yet the tenant does not count the user as SSPR-capable: its report refreshes periodically, or the SSPR policy asks for more methods",
};

/** The SSPR policy's default methods the report counts a user ready with (office phone only where enabled). */
const ssprFields = ["mobilePhone", "alternateEmail"] as const satisfies readonly ContactField[];

/** Graph's `methodsRegistered` name for each contact field's authentication method. */
const methodName: Record<ContactField, string> = {
  mobilePhone: "mobilePhone",
  officePhone: "officePhone",
  alternateEmail: "email",
};

/** The AD DS attribute Entra Connect syncs into each phone field. */
const adAttribute: Record<"mobilePhone" | "officePhone", string> = {
  mobilePhone: "mobile",
  officePhone: "telephoneNumber",
};

/** What is known of one user. */
export interface ReadinessFacts {
  user: UserContactState;
  /** The tenant's verdict; undefined when the report could not be read or does not list the user. */
  registration: RegistrationDetail | undefined;
  /** `userReadiness` of the profile (the verdicts of the helpdesk read); method verdicts are ignored. */
  profile: readonly FieldReadiness[];
  /**
   * The app's privileged-account guard for the user: undefined when not asked (the report asks only for users
   * prepopulation would write), an Error when it could not answer.
   */
  privilege?: Privilege | Error | undefined;
}

/**
 * The settings prepopulation writes by (the queue's and the backfill's policy), and how far back HR events reach
 * (NEW_HIRE_DAYS; absent: every user, as when it is 0).
 */
export type ReadinessPolicy = Pick<SyncPolicy, "target" | "mode" | "syncedMobile"> & { newHireDays?: number };

/** The verdict: the bucket, and for the last two which fields and why. */
export type ReadinessVerdict =
  | { bucket: "canResetNow"; basis: "tenant" | "profile" }
  | { bucket: "afterPrepopulation"; fields: ContactField[] }
  | {
      bucket: "cannot";
      reason: CannotReason;
      /** The fields in the way (synced, invalid…), when the reason is about fields. */
      fields: ContactField[];
      /** The rule's code for `invalid_data`, e.g. `phone_too_short`. */
      ruleCode?: string;
      /** One human sentence for this user (no contact value in it). */
      detail: string;
    };

/** What prepopulation could do about one field. */
type FieldState =
  | { state: "present" }
  | { state: "fillable" }
  | { state: "synced" }
  | { state: "invalid"; code: string }
  | { state: "ownMethods" };

/**
 * Puts one user in their bucket. Decided in this order: disabled account, guest, the tenant's `isSsprCapable` (or,
 * without the tenant's verdict, a usable profile mobile or alternate email), SSPR not enabled, `isAdmin`; then per
 * field what prepopulation can still do under `policy`: a field is present (a registered method, which counts
 * whoever registered it, or a usable profile value the app would not copy into methods), fillable, or blocked
 * (synced from AD, an invalid value fillEmpty keeps, the user's own methods kept). A fillable mobile phone or
 * alternate email makes the user `afterPrepopulation` (listing every fillable field, office phone too) unless the
 * app's privilege guard says otherwise; else the first blocked SSPR field gives the reason.
 */
export function classifyReadiness(facts: ReadinessFacts, policy: ReadinessPolicy): ReadinessVerdict {
  const { user, registration } = facts;
  if (user.accountEnabled === false) return cannot("account_disabled");
  if (user.userType?.toLowerCase() === "guest") return cannot("guest");
  if (registration?.isSsprCapable) return { bucket: "canResetNow", basis: "tenant" };
  const usable = (field: ContactField) =>
    facts.profile.some((f) => f.field === field && f.source === "profile" && f.verdict === "usable");
  if (!registration && ssprFields.some(usable)) return { bucket: "canResetNow", basis: "profile" };
  if (registration && !registration.isSsprEnabled) return cannot("sspr_not_enabled");
  if (registration?.isAdmin) {
    return cannot("privileged", [], "the tenant's registration report marks the user as an admin (isAdmin)");
  }

  const states = Object.fromEntries(
    contactFields.map((field) => [field, fieldState(field, facts, policy)]),
  ) as Record<ContactField, FieldState>;
  const fillable = contactFields.filter((field) => states[field].state === "fillable");
  if (ssprFields.some((field) => states[field].state === "fillable")) {
    const privilege = facts.privilege;
    if (privilege instanceof Error) return cannot("privilege_unknown", fillable);
    if (privilege?.privileged) {
      return cannot("privileged", fillable, `the app's guard: ${privilegeText(privilege)}`);
    }
    return { bucket: "afterPrepopulation", fields: fillable };
  }

  const blocked = (kind: FieldState["state"]) => ssprFields.filter((field) => states[field].state === kind);
  const synced = blocked("synced");
  if (synced.length > 0) {
    // The office phone is AD's to set for a synced user too: named when it is missing as well.
    const office = states.officePhone.state === "synced" ? (["officePhone"] as const) : [];
    const fields = [...synced, ...office];
    const attributes = fields.flatMap((f) => (f === "alternateEmail" ? [] : [`\`${adAttribute[f]}\``]));
    return cannot("synced_in_ad", fields, `synced from AD: set ${attributes.join(" and ")} in AD DS`);
  }
  const invalid = blocked("invalid");
  const first = invalid[0];
  if (first) {
    const state = states[first];
    const code = state.state === "invalid" ? state.code : "invalid";
    return {
      ...cannot("invalid_data", invalid, `${first} breaks ${code}; fillEmpty keeps the stored value`),
      ruleCode: code,
    };
  }
  const own = blocked("ownMethods");
  if (own.length > 0) return cannot("own_methods_kept", own);
  return cannot("set_not_counted", [...ssprFields]);
}

type CannotVerdict = Extract<ReadinessVerdict, { bucket: "cannot" }>;

function cannot(reason: CannotReason, fields: ContactField[] = [], detail?: string): CannotVerdict {
  return { bucket: "cannot", reason, fields, detail: detail ?? cannotReasonText[reason] };
}

/** What prepopulation could do about `field` for this user under `policy`. */
function fieldState(field: ContactField, facts: ReadinessFacts, policy: ReadinessPolicy): FieldState {
  const { user, registration } = facts;
  if (registration?.methodsRegistered.includes(methodName[field])) return { state: "present" };
  const target = policy.target[field];
  const writesProfile = target !== "methods";
  const writesMethods = target !== "profile";
  const verdict = facts.profile.find((f) => f.field === field && f.source === "profile");
  // A usable profile value is done, unless the app also writes methods and the tenant shows none registered.
  if (verdict?.verdict === "usable" && (!writesMethods || registration === undefined))
    return { state: "present" };
  if (writesMethods) {
    // The feed never adds a method beside ones the user registered, of any kind (keepUserMethods), whoever's they
    // look like.
    const ownMethods =
      registration?.methodsRegistered.some((m) => isUserRegisteredKind(methodKindOfRegisteredName(m))) ??
      false;
    if (!ownMethods) return { state: "fillable" };
    if (!writesProfile) return { state: "ownMethods" };
  }
  if (verdict?.verdict === "usable") return { state: "present" };
  const synced = user.onPremisesSyncEnabled === true;
  if (synced && (field === "officePhone" || (field === "mobilePhone" && policy.syncedMobile === "skip"))) {
    return { state: "synced" };
  }
  if (verdict?.verdict === "invalid" && policy.mode === "fillEmpty") {
    return { state: "invalid", code: verdict.code ?? "invalid" };
  }
  return { state: "fillable" };
}

function privilegeText(privilege: Extract<Privilege, { privileged: true }>): string {
  const via = {
    activeRole: "holds the role",
    eligibleRole: "is PIM-eligible for the role",
    roleGroupOwner: "owns the role-assignable group",
    roleGroupEligible: "can become a member or owner of the role-assignable group",
    roleGroupMember: "is in the role-assignable group",
    protectedGroup: "belongs to the protected group",
  }[privilege.via];
  return `${via} ${privilege.detail}`;
}
