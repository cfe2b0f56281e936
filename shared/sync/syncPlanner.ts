import type { CountryCode } from "libphonenumber-js";
import {
  type ContactField,
  type ContactMode,
  contactFields,
  type TargetPolicy,
  type WriteTarget,
} from "../contact/contactFields.js";
import { isMaskedContact } from "../contact/isMaskedContact.js";
import { maskContact, maskEmail } from "../contact/mask.js";
import { normalizePhone } from "../contact/phoneRule.js";
import type { AuthMethods, PhoneType, ProfilePatch, UserContactState } from "../directory/directory.js";
import type { FieldAction, FieldCode } from "./outcome.js";
import { type MethodsWrittenEarlier, userRegisteredKinds } from "./userRegisteredKinds.js";

/** The normalized contact an event asks for; absent fields are left as they are. */
export interface DesiredContact {
  mobilePhone?: string;
  officePhone?: string;
  alternateEmail?: string;
}

/** How to write: where each field goes, whether existing values may be replaced, and what to do for synced users. */
export interface SyncPolicy {
  target: Record<ContactField, TargetPolicy>;
  mode: ContactMode;
  syncedMobile: "skip" | "override";
  /**
   * True for event sources (queue, webhooks, SCIM, backfill): a user's own authentication methods, of any kind
   * (Authenticator, FIDO2/passkey, Windows Hello, OATH, Temporary Access Pass, phone, email, …), are theirs, so an
   * event never replaces one, and never adds one beside those the user registered. The helpdesk fix (a verified
   * admin asking for this one user) turns it off: it may then add a phone or email method where the user has none of
   * that type, beside their methods of other kinds, but never replaces a phone or email method the user has, in any
   * mode (`registered_method_kept`: replacing one is left to Entra's own governance, docs/security.md).
   */
  keepUserMethods: boolean;
}

/** One field's planned action; before/after are raw values here and are masked when recorded. */
export interface FieldPlan {
  field: ContactField;
  target: WriteTarget;
  action: FieldAction;
  /** Why, for machines (CSV columns, filters): stable across rewordings of `reason`. */
  code: FieldCode;
  /** Why, for people. */
  reason: string;
  before: string | null;
  after: string | null;
}

/** An authentication-method write. */
export type MethodOp =
  | { kind: "addPhone"; field: ContactField; phoneType: PhoneType; phoneNumber: string }
  | { kind: "updatePhone"; field: ContactField; methodId: string; phoneNumber: string }
  | { kind: "addEmail"; field: ContactField; emailAddress: string }
  | { kind: "updateEmail"; field: ContactField; methodId: string; emailAddress: string };

/** What to write for one event: at most one profile PATCH plus method writes. */
export interface SyncPlan {
  fields: FieldPlan[];
  patch?: ProfilePatch;
  patchFields: ContactField[];
  methodOps: MethodOp[];
}

export interface PlanInput {
  user: UserContactState;
  /** Required when any field targets methods. */
  methods?: AuthMethods;
  contact: DesiredContact;
  /** Method writes an earlier attempt of the same event started, so they count as its own. */
  methodsWrittenEarlier?: MethodsWrittenEarlier;
  /** The event's country, used to read existing national-format values. */
  country?: CountryCode;
  policy: SyncPolicy;
}

/** True when a field of `policy` needs the user's authentication methods read. */
export function needsMethods(policy: SyncPolicy, contact: DesiredContact): boolean {
  return (Object.keys(contact) as ContactField[]).some(
    (field) => contact[field] !== undefined && policy.target[field] !== "profile",
  );
}

const adGuidance: Record<"mobilePhone" | "officePhone", string> = {
  mobilePhone:
    "the user is synchronized from on-premises AD: set `mobile` in AD DS and let Entra Connect sync it",
  officePhone:
    "the user is synchronized from on-premises AD: set `telephoneNumber` in AD DS and let Entra Connect sync it (Graph cannot write a synced user's office phone)",
};

const keepHint = "kept: replacing it needs mode overwrite, where CONTACT_MODE allows it";

/**
 * Plans the writes that bring a user's contact data to what the event asks for, honouring the policy.
 * Pure: the same state, contact and policy always give the same plan.
 */
export function planSync(input: PlanInput): SyncPlan {
  const { user, contact, policy } = input;
  const fields: FieldPlan[] = [];
  const patch: ProfilePatch = {};
  const patchFields: ContactField[] = [];
  const methodOps: MethodOp[] = [];
  const synced = user.onPremisesSyncEnabled === true;

  for (const field of contactFields) {
    const desired = contact[field];
    if (desired === undefined) continue;
    for (const target of targetsOf(policy.target[field])) {
      const plan =
        target === "profile"
          ? planProfileField(field, desired, input, synced)
          : planMethodField(field, desired, input);
      fields.push(plan.field);
      if (plan.patch) {
        Object.assign(patch, plan.patch);
        patchFields.push(field);
      }
      if (plan.op) methodOps.push(plan.op);
    }
  }
  return { fields, ...(patchFields.length > 0 ? { patch } : {}), patchFields, methodOps };
}

/**
 * The plan for a user the event may not write at all: every field it names, on every target the policy gives it,
 * `skipped` (or `failed`) with one code and reason, the current value kept. Methods are not even read for such a
 * user, so their before/after is unknown (null).
 */
export function refuseAllFields(
  contact: DesiredContact,
  policy: SyncPolicy,
  user: UserContactState,
  why: { action?: Extract<FieldAction, "skipped" | "failed">; code: FieldCode; reason: string },
): FieldPlan[] {
  const action = why.action ?? "skipped";
  return contactFields.flatMap((field) =>
    contact[field] === undefined
      ? []
      : targetsOf(policy.target[field]).map((target) => {
          const before = target === "profile" ? profileValueOf(user, field) : null;
          return { field, target, action, code: why.code, reason: why.reason, before, after: before };
        }),
  );
}

/** The user's own method for `field` is left as it is: an event source never changes or adds to them. */
function keptUserMethod(field: ContactField, methods: AuthMethods, kinds: readonly string[]): FieldPlan {
  const phoneType: PhoneType = field === "mobilePhone" ? "mobile" : "office";
  const registered =
    field === "alternateEmail"
      ? methods.emailMethods[0]?.emailAddress
      : methods.phoneMethods.find((method) => method.phoneType === phoneType)?.phoneNumber;
  const before = registered ?? null;
  return {
    field,
    target: "methods",
    action: "skipped",
    code: "user_registered_methods",
    before,
    after: before,
    reason: `the user has registered their own authentication methods (${kinds.join(", ")}); an HR event never changes or adds to them (a helpdesk admin may add a method of a kind they lack with PATCH /api/users/{user}/contact-info; replacing one is done in the Entra admin center)`,
  };
}

/** A field's current profile value (the first office phone, the first alternate email). */
function profileValueOf(user: UserContactState, field: ContactField): string | null {
  if (field === "mobilePhone") return user.mobilePhone;
  if (field === "officePhone") return user.businessPhones[0] ?? null;
  return user.otherMails[0] ?? null;
}

function targetsOf(policy: TargetPolicy): WriteTarget[] {
  return policy === "both" ? ["profile", "methods"] : [policy];
}

interface Planned {
  field: FieldPlan;
  patch?: ProfilePatch;
  op?: MethodOp;
}

function planProfileField(field: ContactField, desired: string, input: PlanInput, synced: boolean): Planned {
  const { user, policy } = input;
  if (field === "alternateEmail") {
    const before = user.otherMails[0] ?? null;
    const same = (mail: string) => mail.toLowerCase() === desired.toLowerCase();
    // SSPR and the readiness report read the first address: in overwrite mode a desired address further down the
    // list is moved first, as any other would be.
    const has = policy.mode === "overwrite" ? before !== null && same(before) : user.otherMails.some(same);
    const base = { field, target: "profile" as const, before, after: desired };
    if (has) {
      return {
        field: {
          ...base,
          action: "unchanged",
          code: "already_present",
          reason: "already an alternate email",
        },
      };
    }
    if (user.otherMails.length === 0) {
      return {
        field: { ...base, action: "set", code: "was_empty", reason: "alternate email was empty" },
        patch: { otherMails: [desired] },
      };
    }
    if (policy.mode === "fillEmpty") {
      return {
        field: {
          ...base,
          action: "skipped",
          code: "kept_existing",
          after: before,
          reason: `user already has an alternate email; ${keepHint}`,
        },
      };
    }
    // Overwrite replaces the first address (the one SSPR uses): keeping it, even second, would still let a reset
    // code reach it, and the record would say "replaced" of an address still there. PATCH replaces the whole
    // collection, so the other entries are sent back as they are (Graph allows 250).
    const others = user.otherMails.slice(1).filter((mail) => !same(mail));
    const otherMails = [desired, ...others].slice(0, 250);
    const kept =
      others.length === 0 ? "" : `; ${others.length} other ${others.length === 1 ? "entry" : "entries"} kept`;
    // Masks show a first letter and a domain's: two addresses can look alike masked, so say when they differ.
    const alike =
      maskEmail(before ?? "") === maskEmail(desired)
        ? " (a different address, though both look alike masked)"
        : "";
    return {
      field: {
        ...base,
        action: "replaced",
        code: "replaced_on_request",
        reason: `replaced the first alternate email${alike}; the earlier one removed${kept}`,
      },
      patch: { otherMails },
    };
  }

  const current = field === "mobilePhone" ? user.mobilePhone : (user.businessPhones[0] ?? null);
  const base = { field, target: "profile" as const, before: current, after: desired };
  if (synced && (field === "officePhone" || policy.syncedMobile === "skip")) {
    return {
      field: {
        ...base,
        action: "skipped",
        code: "synced_from_ad",
        after: current,
        reason: adGuidance[field],
      },
    };
  }
  const toPatch = (value: string): ProfilePatch =>
    field === "mobilePhone" ? { mobilePhone: value } : { businessPhones: [value] };
  return decidePhone(base, current, desired, input, toPatch);
}

function planMethodField(field: ContactField, desired: string, input: PlanInput): Planned {
  const methods = input.methods ?? { phoneMethods: [], emailMethods: [], otherMethods: [] };
  if (input.policy.keepUserMethods) {
    const kinds = userRegisteredKinds(methods, input.methodsWrittenEarlier);
    if (kinds.length > 0) return { field: keptUserMethod(field, methods, kinds) };
  }
  if (field === "alternateEmail") return planEmailMethod(field, desired, methods, input.policy);

  // SSPR can use the mobile and office methods only; alternateMobile is never written.
  const phoneType: PhoneType = field === "mobilePhone" ? "mobile" : "office";
  const existing = methods.phoneMethods.find((method) => method.phoneType === phoneType);
  const base = { field, target: "methods" as const, before: existing?.phoneNumber ?? null, after: desired };
  if (!existing) {
    return {
      field: { ...base, action: "set", code: "was_empty", reason: `no ${phoneType} phone method registered` },
      op: { kind: "addPhone", field, phoneType, phoneNumber: desired },
    };
  }
  if (!input.policy.keepUserMethods) {
    const same =
      !isMaskedContact(existing.phoneNumber) &&
      (existing.phoneNumber === desired || isSameNumber(existing.phoneNumber, desired, input.country));
    return { field: registeredMethodOf(base, same, `${phoneType} phone method`) };
  }
  const planned = decidePhone(base, existing.phoneNumber, desired, input, () => ({}));
  if (
    planned.field.action === "set" ||
    planned.field.action === "reformatted" ||
    planned.field.action === "replaced"
  ) {
    return {
      field: planned.field,
      op: { kind: "updatePhone", field, methodId: existing.id, phoneNumber: desired },
    };
  }
  return { field: planned.field };
}

/** The email method's plan: add one when none is registered, else keep or (mode overwrite) replace the first. */
function planEmailMethod(
  field: ContactField,
  desired: string,
  methods: AuthMethods,
  policy: Pick<SyncPolicy, "mode" | "keepUserMethods">,
): Planned {
  const existing = methods.emailMethods[0];
  const before = existing?.emailAddress ?? null;
  const base = { field, target: "methods" as const, before, after: desired };
  if (!existing) {
    return {
      field: { ...base, action: "set", code: "was_empty", reason: "no email method registered" },
      op: { kind: "addEmail", field, emailAddress: desired },
    };
  }
  const same = existing.emailAddress.toLowerCase() === desired.toLowerCase();
  if (!policy.keepUserMethods) return { field: registeredMethodOf(base, same, "email method") };
  if (same) {
    return {
      field: {
        ...base,
        action: "unchanged",
        code: "already_present",
        reason: "email method already registered",
      },
    };
  }
  if (policy.mode === "fillEmpty") {
    return {
      field: {
        ...base,
        action: "skipped",
        code: "kept_existing",
        after: before,
        reason: `user registered their own email method; ${keepHint}`,
      },
    };
  }
  return {
    field: {
      ...base,
      action: "replaced",
      code: "replaced_on_request",
      reason: "email method replaced (mode overwrite)",
    },
    op: { kind: "updateEmail", field, methodId: existing.id, emailAddress: desired },
  };
}

/**
 * The helpdesk's answer for a phone or email method the user already has (event sources keep every method before
 * they get here). The same value is left as it is, and the same number in another format is not rewritten either:
 * nothing is written to a registered method. Any other value, or one Graph gave masked (which can't be compared),
 * is kept, and the fix refuses the whole request (409 `registered_method_kept`): replacing an MFA method belongs to
 * Entra's own governance (PIM, access reviews, its audit log under the admin's own name), not to this app.
 */
function registeredMethodOf(
  base: Omit<FieldPlan, "action" | "code" | "reason">,
  same: boolean,
  what: string,
): FieldPlan {
  if (same) {
    return {
      ...base,
      action: "unchanged",
      code: "already_present",
      after: base.before,
      reason: `${what} already registered`,
    };
  }
  return {
    ...base,
    action: "skipped",
    code: "registered_method_kept",
    after: base.before,
    reason: `the user has a ${what} registered with another value; this API never replaces a registered method (an Authentication Administrator does, in the Entra admin center)`,
  };
}

function decidePhone(
  base: Omit<FieldPlan, "action" | "code" | "reason">,
  current: string | null,
  desired: string,
  input: PlanInput,
  toPatch: (value: string) => ProfilePatch,
): Planned {
  if (current === null || current.trim() === "") {
    return {
      field: { ...base, action: "set", code: "was_empty", reason: "was empty" },
      patch: toPatch(desired),
    };
  }
  if (current === desired)
    return {
      field: { ...base, action: "unchanged", code: "already_present", reason: "already in SSPR format" },
    };
  if (isSameNumber(current, desired, input.country)) {
    return {
      field: {
        ...base,
        action: "reformatted",
        code: "same_number_reformatted",
        reason: "same number rewritten in SSPR format",
      },
      patch: toPatch(desired),
    };
  }
  if (input.policy.mode === "fillEmpty") {
    return {
      field: {
        ...base,
        action: "skipped",
        code: "kept_existing",
        after: current,
        reason: `a different number is already there; ${keepHint}`,
      },
    };
  }
  // Masks keep a country code and three digits: two numbers can look alike masked, so say when they differ.
  const alike =
    maskContact(current) === maskContact(desired)
      ? " by a different number, though both look alike masked"
      : "";
  return {
    field: {
      ...base,
      action: "replaced",
      code: "replaced_on_request",
      reason: `replaced${alike} (mode overwrite)`,
    },
    patch: toPatch(desired),
  };
}

/** Compares an existing directory value (any format) with a canonical number. */
function isSameNumber(current: string, canonical: string, country: CountryCode | undefined): boolean {
  const [, countryCode = "", nsn = ""] = /^\+(\d+) (\d+)$/.exec(canonical) ?? [];
  const parsed = normalizePhone(current, {
    field: "current",
    validation: "possible",
    defaultCountry: country,
  });
  if (parsed.ok) return parsed.value.canonical === canonical;
  // Without a country an existing national-format value cannot be parsed; compare its digits instead.
  const digits = current.replace(/x.*$/i, "").replace(/\D/g, "");
  return (
    digits === nsn ||
    digits === `${countryCode}${nsn}` ||
    (digits.length > nsn.length && digits.endsWith(nsn) && digits.startsWith("0"))
  );
}
