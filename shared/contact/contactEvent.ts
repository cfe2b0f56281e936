// contact/: the pure contact rules — the ContactEvent schema, phone, email and country rules, field names, masks.

import type { CountryCode } from "libphonenumber-js/max";
import type { z } from "zod";
import { isRecord } from "../core/isRecord.js";
import { fail, ok, type Result, type RuleIssue } from "../core/result.js";
import { type ContactEvent, contactEventSchema, readWellFormedEvent } from "./contactEventSchema.js";
import { contactFields } from "./contactFields.js";
import { toCountryCode } from "./countryCode.js";
import { type EmailRuleOptions, normalizeEmail } from "./emailRule.js";
import { normalizePhone, type PhoneRuleOptions } from "./phoneRule.js";

/**
 * Contact values in the form SSPR needs; a missing key means "leave the user's value as is". Every value is
 * JSON-safe (`+{cc} {digits}` or a dot-atom ASCII address: no character JSON escapes), and `validate` writes
 * them unescaped; test/contact/contactRules.property.test.ts holds the rules to it.
 */
export interface NormalizedContact {
  mobilePhone?: string;
  officePhone?: string;
  alternateEmail?: string;
}

/** A ContactEvent that passed every rule, with its resolved country and normalized contact values. */
export interface ValidContactEvent {
  event: ContactEvent;
  country?: CountryCode;
  contact: NormalizedContact;
  /** libphonenumber's type of each normalized phone (`MOBILE`, `FIXED_LINE`, …) when known: upper-case names, JSON-safe. */
  phoneTypes: { mobilePhone?: string; officePhone?: string };
}

/** What the contact rules need from the settings; the pure rules take it as a value and never read env. */
export interface ContactRuleOptions {
  defaultCountry?: CountryCode;
  phoneValidation: "valid" | "possible";
  organizationDomains: readonly string[];
}

const userFields = ["id", "userPrincipalName", "employeeId"] as const;
const maxUnknownFieldIssues = 20;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Names HR systems and identity tools use for security questions and answers, compared without case,
// separators or digits ("Security Answer 2", "secret_question", "securityQA").
const securityQuestionKey = /(?:security|secret|recovery|challenge)(?:questions?|answers?|qa)|passwordhint/;
const printableName = /^[\p{L} .'()&,-]{1,60}$/u;

const hints: Readonly<Record<string, string>> = {
  event_not_an_object: "Send one JSON object per event: {eventId, source, occurredAt, user, contact}.",
  field_required: "Every ContactEvent needs eventId, source, occurredAt, user and contact.",
  field_invalid_type: "Send text (or null to leave the value as is).",
  field_empty: "Give the field a value or leave it out.",
  field_too_long: "Shorten the value to the limit named in the message.",
  field_invalid_format: "Use an ISO 8601 date-time with a time zone, e.g. 2026-11-24T09:00:00Z.",
  field_invalid: "Check the value against the ContactEvent format in docs/validate.md.",
  unknown_field:
    "Remove or rename the field; contact fields are mobilePhone, officePhone and alternateEmail.",
  security_questions_not_settable:
    "Remove the field. Only the user can register security questions; prepopulate mobilePhone, officePhone or alternateEmail instead.",
  user_missing_identifier: "Name the user by id (object id), userPrincipalName or employeeId.",
  actor_not_settable: "Leave actor out: a message put on the queue directly is recorded with actor queue.",
  user_id_not_guid:
    "user.id is the user's Entra object id, a GUID such as 6f1c2a40-0000-4000-8000-000000000001; name the user by userPrincipalName or employeeId otherwise.",
  country_unknown: "Use an ISO 3166-1 alpha-2 code such as US, DE or GB, or an English country name.",
  event_unprocessable: "Check that the event is plain JSON data.",
};

/** Says whether a field name denotes security questions or answers, which no import may ever carry. */
export function isSecurityQuestionField(name: string): boolean {
  return securityQuestionKey.test(name.toLowerCase().replace(/[^a-z]/g, ""));
}

/** Checks one event against the schema and the contact rules; never throws, whatever `input` is. */
export function validateContactEvent(input: unknown, options: ContactRuleOptions): Result<ValidContactEvent> {
  try {
    return validate(input, options);
  } catch (err) {
    // Reached only by inputs that are not plain data (throwing getters, revoked proxies). The error text is
    // left out on purpose: it could quote the value.
    const name = err instanceof Error ? err.name : typeof err;
    return fail([
      issue("event", "event_unprocessable", `The event could not be read as plain data (${name}).`),
    ]);
  }
}

function validate(input: unknown, options: ContactRuleOptions): Result<ValidContactEvent> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    const kind = input === null ? "null" : Array.isArray(input) ? "an array" : `a ${typeof input}`;
    return fail([issue("event", "event_not_an_object", `The event is ${kind}, not an object.`)]);
  }
  const raw = input as Record<string, unknown>;
  // The schema runs only for an event the hand check does not pass, to word its issues. No `reportInput`: any
  // parse context takes zod off its compiled fast path (4x slower); the few failing events look their values
  // up in `raw` instead.
  let event = readWellFormedEvent(raw);
  let issues: RuleIssue[] = [];
  if (event === undefined) {
    const parsed = contactEventSchema.safeParse(raw);
    if (parsed.success) event = parsed.data;
    else issues = toRuleIssues(parsed.error.issues, raw);
  }
  const warnings: RuleIssue[] = [];
  checkUserIdentifiers(raw, issues);
  const country = resolveCountry(Object.hasOwn(raw, "country") ? raw.country : undefined, issues);
  const contactInput = Object.hasOwn(raw, "contact") ? raw.contact : undefined;
  const { contact, phoneTypes } = isRecord(contactInput)
    ? readContact(
        contactInput,
        phoneOptionsFor(options, country ?? options.defaultCountry),
        options,
        issues,
        warnings,
      )
    : { contact: {}, phoneTypes: {} };
  if (event === undefined || issues.length > 0) return fail(issues, warnings);
  if (
    contact.mobilePhone === undefined &&
    contact.officePhone === undefined &&
    contact.alternateEmail === undefined
  ) {
    warnings.push(
      issue("contact", "contact_empty", "The event sets no contact field, so it changes nothing.", {
        hint: "Add mobilePhone, officePhone or alternateEmail, or drop the event.",
      }),
    );
  }
  // Blank identifiers mean "not given"; dropping them spares every consumer an `=== ""` check.
  for (const key of userFields) {
    if (event.user[key] !== undefined && !isFilled(event.user[key])) delete event.user[key];
  }
  if (event.country !== undefined && !isFilled(event.country)) delete event.country;
  const value: ValidContactEvent = { event, contact, phoneTypes };
  if (country) value.country = country;
  return ok(value, warnings);
}

// Own properties only, read by name at each site (one shape each, where a shared helper sees every shape).
function checkUserIdentifiers(raw: Record<string, unknown>, issues: RuleIssue[]): void {
  const user = Object.hasOwn(raw, "user") ? raw.user : undefined;
  const userId = isRecord(user) && Object.hasOwn(user, "id") ? user.id : undefined;
  if (
    isRecord(user) &&
    !isFilled(userId) &&
    !isFilled(Object.hasOwn(user, "userPrincipalName") ? user.userPrincipalName : undefined) &&
    !isFilled(Object.hasOwn(user, "employeeId") ? user.employeeId : undefined)
  ) {
    issues.push(issue("user", "user_missing_identifier", "The event does not say which user it is about."));
  }
  // The object id becomes a segment of Graph URLs (/users/{id}/authentication/…): anything but a GUID, such
  // as `..`, could point the request at another resource. The value is not echoed.
  if (isFilled(userId) && !guidPattern.test(userId)) {
    issues.push(issue("user.id", "user_id_not_guid", "user.id is not an object id (a GUID)."));
  }
}

/** Normalizes the contact fields given, adding each field's issues and warnings to the event's. */
function readContact(
  contactInput: Record<string, unknown>,
  [mobileOptions, officeOptions]: PhoneOptionPair,
  options: ContactRuleOptions,
  issues: RuleIssue[],
  warnings: RuleIssue[],
): Pick<ValidContactEvent, "contact" | "phoneTypes"> {
  const contact: NormalizedContact = {};
  const phoneTypes: ValidContactEvent["phoneTypes"] = {};
  const mobile = Object.hasOwn(contactInput, "mobilePhone") ? contactInput.mobilePhone : undefined;
  if (isFilled(mobile)) {
    const result = normalizePhone(mobile, mobileOptions);
    if (result.warnings.length > 0) warnings.push(...result.warnings);
    if (!result.ok) issues.push(...result.issues);
    else {
      contact.mobilePhone = result.value.canonical;
      if (result.value.type) phoneTypes.mobilePhone = result.value.type;
    }
  }
  const office = Object.hasOwn(contactInput, "officePhone") ? contactInput.officePhone : undefined;
  if (isFilled(office)) {
    const result = normalizePhone(office, officeOptions);
    if (result.warnings.length > 0) warnings.push(...result.warnings);
    if (!result.ok) issues.push(...result.issues);
    else {
      contact.officePhone = result.value.canonical;
      if (result.value.type) phoneTypes.officePhone = result.value.type;
    }
  }
  const email = Object.hasOwn(contactInput, "alternateEmail") ? contactInput.alternateEmail : undefined;
  if (isFilled(email)) {
    const result = normalizeEmail(email, emailOptionsFor(options));
    if (result.warnings.length > 0) warnings.push(...result.warnings);
    if (!result.ok) issues.push(...result.issues);
    else contact.alternateEmail = result.value;
  }
  return { contact, phoneTypes };
}

// Rule options built once per region and mode (at most a few hundred), not for every field of every record.
// One map per mode, keyed by region (undefined included): no key string is built per record. The phone rule
// reads anything but "valid" as "possible", so the second map serves every other value alike.
type PhoneOptionPair = readonly [mobile: PhoneRuleOptions, office: PhoneRuleOptions];
const validPhoneOptions = new Map<CountryCode | undefined, PhoneOptionPair>();
const possiblePhoneOptions = new Map<CountryCode | undefined, PhoneOptionPair>();
const emailOptionCache = new WeakMap<readonly string[], EmailRuleOptions>();

function phoneOptionsFor(
  options: ContactRuleOptions,
  defaultCountry: CountryCode | undefined,
): PhoneOptionPair {
  const cache = options.phoneValidation === "valid" ? validPhoneOptions : possiblePhoneOptions;
  let built = cache.get(defaultCountry);
  if (!built) {
    const validation = options.phoneValidation;
    built = [
      { field: "contact.mobilePhone", defaultCountry, validation, expect: "mobile" },
      { field: "contact.officePhone", defaultCountry, validation, expect: "office" },
    ];
    cache.set(defaultCountry, built);
  }
  return built;
}

let lastEmailOptions: EmailRuleOptions | undefined;
function emailOptionsFor(options: ContactRuleOptions): EmailRuleOptions {
  // The last options first: one run uses one domain list, and a comparison is cheaper than a WeakMap lookup.
  if (lastEmailOptions?.organizationDomains === options.organizationDomains) return lastEmailOptions;
  let built = emailOptionCache.get(options.organizationDomains);
  if (!built) {
    built = { field: "contact.alternateEmail", organizationDomains: options.organizationDomains };
    emailOptionCache.set(options.organizationDomains, built);
  }
  lastEmailOptions = built;
  return built;
}

function resolveCountry(value: unknown, issues: RuleIssue[]): CountryCode | undefined {
  if (!isFilled(value)) return undefined;
  const code = toCountryCode(value);
  if (code === undefined) {
    // Country names are not personal data, but a shifted CSV column could put a phone number here.
    const shown = printableName.test(value.trim()) ? ` "${value.trim()}"` : "";
    issues.push(
      issue(
        "country",
        "country_unknown",
        `country${shown} is neither an ISO 3166-1 alpha-2 code nor a country name this tool knows.`,
      ),
    );
  }
  return code;
}

function toRuleIssues(zodIssues: readonly z.core.$ZodIssue[], raw: Record<string, unknown>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  for (const zodIssue of zodIssues) {
    const field = zodIssue.path.length === 0 ? "event" : zodIssue.path.map(String).join(".");
    if (field === "actor" || field === "actorStamp") {
      issues.push(
        issue(
          field,
          "actor_not_settable",
          `${field} is stamped by the webhook intake with the verified sender; a message cannot name its own actor.`,
        ),
      );
    } else if (zodIssue.code === "unrecognized_keys") {
      issues.push(...unknownFieldIssues(zodIssue.path.map(String), zodIssue.keys));
    } else if (zodIssue.code === "invalid_type") {
      issues.push(
        valueAt(raw, zodIssue.path) === undefined
          ? issue(field, "field_required", `${field} is required.`)
          : issue(
              field,
              "field_invalid_type",
              `${field} must be ${article(zodIssue.expected)}, not ${describe(valueAt(raw, zodIssue.path))}.`,
            ),
      );
    } else if (zodIssue.code === "too_small") {
      issues.push(issue(field, "field_empty", `${field} is empty.`));
    } else if (zodIssue.code === "too_big") {
      issues.push(issue(field, "field_too_long", `${field} is longer than ${zodIssue.maximum} characters.`));
    } else if (zodIssue.code === "invalid_format") {
      issues.push(
        issue(field, "field_invalid_format", `${field} is not an ISO 8601 date-time with a time zone.`),
      );
    } else {
      issues.push(issue(field, "field_invalid", `${field} is not valid.`));
    }
  }
  return issues;
}

function unknownFieldIssues(path: string[], keys: readonly string[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  let unknown = 0;
  for (const key of keys) {
    // Field names are echoed, values never; an absurd name is cut so it cannot flood the output.
    const field = [...path, key.length > 64 ? `${key.slice(0, 61)}...` : key].join(".");
    if (isSecurityQuestionField(key)) {
      issues.push(
        issue(
          field,
          "security_questions_not_settable",
          `${field} is rejected: security questions and answers are stored in the tenant, where administrators can never set, see or change them (the value was not read).`,
        ),
      );
    } else if (++unknown <= maxUnknownFieldIssues) {
      issues.push(
        issue(
          field,
          "unknown_field",
          path[0] === "contact"
            ? `${field} is not a contact field SSPR prepopulation sets (known: ${contactFields.join(", ")}).`
            : `${field} is not a field of a ContactEvent.`,
        ),
      );
    }
  }
  if (unknown > maxUnknownFieldIssues) {
    const where = path.length === 0 ? "event" : path.join(".");
    issues.push(
      issue(where, "unknown_field", `${where} has ${unknown - maxUnknownFieldIssues} more unknown fields.`),
    );
  }
  return issues;
}

function issue(field: string, code: string, message: string, extra?: { hint: string }): RuleIssue {
  return { field, code, message, hint: extra?.hint ?? hints[code] ?? hints.field_invalid ?? "" };
}

function valueAt(root: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (!isRecord(value) || typeof key !== "string") return undefined;
    value = own(value, key);
  }
  return value;
}

function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isFilled(value: unknown): value is string {
  if (typeof value !== "string" || value.length === 0) return false;
  // Most values start with a visible character; only the others need trimming to tell blank from filled.
  return value.charCodeAt(0) > 32 || value.trim().length > 0;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return article(typeof value);
}
