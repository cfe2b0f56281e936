import { z } from "zod";
import { isRecord } from "../core/isRecord.js";

// The ContactEvent shape (zod) and its hand-checked fast path; the rules that normalize values are in contactEvent.ts.

const text = (max: number) => z.string().max(max).nullish();

// The schema's limits, named once: the schema and `readWellFormedEvent` (its hand-checked fast path) read them.
const maxEventId = 128;
const maxSource = 64;
const maxCountry = 100;
// Entra's limits: object ids are GUIDs, a UPN has at most 113 characters, employeeId at most 16.
const maxUserField = { id: 64, userPrincipalName: 113, employeeId: 16 } as const;
const actorPattern = /^webhook:[a-z0-9/-]{1,40}(?:#[0-9a-z]{1,16})?$/;
// An HMAC-SHA256 in base64url (sync/actorStamp.ts).
const actorStampPattern = /^[A-Za-z0-9_-]{43}$/;

/**
 * The one canonical shape every entry point (CSV, JSONL, webhooks, SCIM) produces. Strict: a field this
 * schema does not name is an error, so a typo such as `mobilephone` is reported instead of silently ignored.
 */
export const contactEventSchema = z.strictObject({
  /** Idempotency key: the same eventId is applied at most once. */
  eventId: z.string().min(1).max(maxEventId),
  source: z.string().min(1).max(maxSource),
  occurredAt: z.iso.datetime({ offset: true }),
  user: z.strictObject({
    id: text(maxUserField.id),
    userPrincipalName: text(maxUserField.userPrincipalName),
    employeeId: text(maxUserField.employeeId),
  }),
  /** ISO 3166-1 alpha-2 code or a country name; the region for phone numbers written in national form. */
  country: text(maxCountry),
  // Absent, null or empty means "leave as is"; the rules below check the content, not the schema.
  contact: z.strictObject({
    mobilePhone: z.string().nullish(),
    officePhone: z.string().nullish(),
    alternateEmail: z.string().nullish(),
  }),
  /**
   * Who put the event on the queue, as the intake verified it (`webhook:hr/events#<key id>`, `webhook:hr/scim`,
   * …): never read from an HR body — the intake overwrites it — and absent on a message put on the queue by
   * other means (recorded as `queue`). Only `webhook:` identities fit, so a queue message can never pass itself
   * off as a signed-in person; and the queue believes it only with `actorStamp`.
   */
  actor: z.string().regex(actorPattern).optional(),
  /**
   * The intake's signature over `actor`, the event id and the content (sync/actorStamp.ts), keyed with a secret
   * only the app holds: a message that claims a webhook sender without a stamp that verifies is recorded as `queue`.
   */
  actorStamp: z.string().regex(actorStampPattern).optional(),
});

/** A ContactEvent as the schema accepts it (contact values still as received). */
export type ContactEvent = z.infer<typeof contactEventSchema>;

// What the hand check compares with: the schema's own key lists and its own date-time pattern (zod's, read off the
// built schema), so the two cannot drift apart on what they accept; test/contact/fastPaths.property.test.ts
// holds them equal on random and corpus inputs.
const occurredAtPattern = contactEventSchema.shape.occurredAt.def.pattern;
let lastOccurredAt: string | undefined;

/**
 * `contactEventSchema.safeParse(raw).data` for an event the schema accepts, checked by hand: a fresh object
 * with the schema's keys in the schema's order, a key copied exactly when zod copies it (present in the input,
 * even as undefined). Undefined when the check does not pass; the schema then runs and words the issues.
 * Why: zod's compiled parse was a fifth of what `validate` adds on top of phone parsing, and nearly every
 * HR record is well formed.
 */
export function readWellFormedEvent(raw: Record<string, unknown>): ContactEvent | undefined {
  // `for…in` and `in`, as zod uses them: inherited enumerable keys count as unknown, inherited values as present.
  // Keys are compared one by one and fields read by name: a Set or a keyed loop measured twice as slow.
  for (const key in raw) {
    if (
      key !== "eventId" &&
      key !== "source" &&
      key !== "occurredAt" &&
      key !== "user" &&
      key !== "country" &&
      key !== "contact" &&
      key !== "actor" &&
      key !== "actorStamp"
    ) {
      return undefined;
    }
  }
  const { eventId, source, occurredAt } = raw;
  if (typeof eventId !== "string" || eventId.length === 0 || eventId.length > maxEventId) return undefined;
  if (typeof source !== "string" || source.length === 0 || source.length > maxSource) return undefined;
  if (typeof occurredAt !== "string") return undefined;
  // A CSV run stamps every row with one time, and queue batches share theirs: the last accepted one is not
  // matched again.
  if (occurredAt !== lastOccurredAt) {
    if (occurredAtPattern === undefined || !occurredAtPattern.test(occurredAt)) return undefined;
    lastOccurredAt = occurredAt;
  }
  const user = copyUser(raw.user);
  if (user === undefined) return undefined;
  const country = raw.country;
  if (!isNullishText(country, maxCountry)) return undefined;
  const contact = copyContact(raw.contact);
  if (contact === undefined) return undefined;
  const actor = raw.actor;
  if (actor !== undefined && (typeof actor !== "string" || !actorPattern.test(actor))) return undefined;
  const actorStamp = raw.actorStamp;
  if (actorStamp !== undefined && (typeof actorStamp !== "string" || !actorStampPattern.test(actorStamp))) {
    return undefined;
  }
  // Keys added in the schema's order, so the copy is zod's down to JSON.stringify.
  const copy: ContactEvent =
    "country" in raw
      ? { eventId, source, occurredAt, user, country, contact }
      : { eventId, source, occurredAt, user, contact };
  if ("actor" in raw) copy.actor = actor;
  if ("actorStamp" in raw) copy.actorStamp = actorStamp;
  return copy;
}

function copyUser(value: unknown): ContactEvent["user"] | undefined {
  if (!isRecord(value)) return undefined;
  for (const key in value) {
    if (key !== "id" && key !== "userPrincipalName" && key !== "employeeId") return undefined;
  }
  const copy: ContactEvent["user"] = {};
  if ("id" in value) {
    const id = value.id;
    if (!isNullishText(id, maxUserField.id)) return undefined;
    copy.id = id;
  }
  if ("userPrincipalName" in value) {
    const userPrincipalName = value.userPrincipalName;
    if (!isNullishText(userPrincipalName, maxUserField.userPrincipalName)) return undefined;
    copy.userPrincipalName = userPrincipalName;
  }
  if ("employeeId" in value) {
    const employeeId = value.employeeId;
    if (!isNullishText(employeeId, maxUserField.employeeId)) return undefined;
    copy.employeeId = employeeId;
  }
  return copy;
}

function copyContact(value: unknown): ContactEvent["contact"] | undefined {
  if (!isRecord(value)) return undefined;
  for (const key in value) {
    if (key !== "mobilePhone" && key !== "officePhone" && key !== "alternateEmail") return undefined;
  }
  const copy: ContactEvent["contact"] = {};
  if ("mobilePhone" in value) {
    const mobilePhone = value.mobilePhone;
    if (!isNullishText(mobilePhone, Number.POSITIVE_INFINITY)) return undefined;
    copy.mobilePhone = mobilePhone;
  }
  if ("officePhone" in value) {
    const officePhone = value.officePhone;
    if (!isNullishText(officePhone, Number.POSITIVE_INFINITY)) return undefined;
    copy.officePhone = officePhone;
  }
  if ("alternateEmail" in value) {
    const alternateEmail = value.alternateEmail;
    if (!isNullishText(alternateEmail, Number.POSITIVE_INFINITY)) return undefined;
    copy.alternateEmail = alternateEmail;
  }
  return copy;
}

function isNullishText(value: unknown, max: number): value is string | null | undefined {
  return value === undefined || value === null || (typeof value === "string" && value.length <= max);
}
