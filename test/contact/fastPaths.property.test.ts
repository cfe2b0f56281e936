import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contactEventSchema, readWellFormedEvent } from "../../shared/contact/contactEventSchema.js";
import { normalizeEmail, normalizeEmailFully } from "../../shared/contact/emailRule.js";

// The validate path skips work when a cheap check proves it would change nothing. Each fast path must give
// exactly what the full path gives, on random input and on the shapes HR data really has.
const numRuns = 3000;

/** Text around a length limit, so the fast checks' boundaries are hit as often as the middle. */
const textNear = (limit: number) =>
  fc.oneof(
    fc.integer({ min: Math.max(0, limit - 2), max: limit + 2 }).map((length) => "a".repeat(length)),
    fc.string({ maxLength: limit + 5 }),
    fc.constantFrom("", " ", "\t", "E1", "mei.chen@contoso.example"),
  );
const notText = fc.oneof(fc.constantFrom(null, undefined, 0, 1, true, [], {}), fc.anything());
/** A value for a nullish text field: mostly text, sometimes null, undefined or something else entirely. */
const field = (limit: number) =>
  fc.oneof({ weight: 4, arbitrary: textNear(limit) }, { weight: 1, arbitrary: notText });

const dateTime = fc.oneof(
  fc
    .date({ noInvalidDate: true, min: new Date("0001-01-01"), max: new Date("9999-12-31") })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    "2026-11-24T09:00:00Z",
    "2026-11-24T09:00:00+01:00",
    "2026-11-24T09:00:00.123-05:30",
    "2024-02-29T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-11-24T24:00:00Z",
    "2026-11-24 09:00:00Z",
    "2026-11-24T09:00:00",
    "2026-11-24",
  ),
  fc.string({ maxLength: 30 }),
);

const userLike = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      { id: field(64), userPrincipalName: field(113), employeeId: field(16), mobile: fc.string() },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: notText },
);
const contactLike = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        mobilePhone: field(30),
        officePhone: field(30),
        alternateEmail: field(40),
        mobilephone: fc.string(),
        securityAnswer: fc.string(),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: notText },
);
/** An actor stamp's shape: an HMAC-SHA256 in base64url. */
const stamp = "q3Zx1Xl0wX2dQm0aQy3M8l1b0fQvOeRz9H4kG2sJx0E";
/** Events as HR exports and queues carry them: each key present, absent, explicitly undefined, or wrong. */
const eventLike = fc.record(
  {
    eventId: field(128),
    source: field(64),
    occurredAt: fc.oneof({ weight: 4, arbitrary: dateTime }, { weight: 1, arbitrary: notText }),
    user: userLike,
    country: field(100),
    contact: contactLike,
    actor: fc.oneof(
      fc.constantFrom("webhook:hr/events#k1", "webhook:hr/scim", "queue", "webhook:", undefined, null),
      fc.string(),
    ),
    actorStamp: fc.oneof(
      fc.constantFrom(stamp, `${stamp}=`, stamp.slice(1), "", undefined, null),
      fc.stringMatching(/^[A-Za-z0-9_+/=-]{40,46}$/),
    ),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
/** A well-formed event, so the property also shows the fast path is taken (it is no use if it never is). */
const wellFormed = fc.record(
  {
    eventId: fc.string({ minLength: 1, maxLength: 128 }),
    source: fc.string({ minLength: 1, maxLength: 64 }),
    occurredAt: fc
      .date({ noInvalidDate: true, min: new Date("1970-01-01"), max: new Date("2999-12-31") })
      .map((d) => d.toISOString()),
    user: fc.record(
      {
        id: fc.option(fc.string({ maxLength: 64 }), { nil: null }),
        userPrincipalName: fc.option(fc.string({ maxLength: 113 }), { nil: undefined }),
        employeeId: fc.string({ maxLength: 16 }),
      },
      { requiredKeys: [] },
    ),
    country: fc.option(fc.string({ maxLength: 100 }), { nil: null }),
    contact: fc.record(
      { mobilePhone: fc.string(), officePhone: fc.option(fc.string()), alternateEmail: fc.string() },
      { requiredKeys: [] },
    ),
    actor: fc.constantFrom("webhook:hr/events#k1", "webhook:hr/bamboohr"),
    actorStamp: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  },
  { requiredKeys: ["eventId", "source", "occurredAt", "user", "contact"] },
);

/** Every key with its value, nested objects included, in insertion order: what JSON.stringify would see. */
function entriesDeep(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return Object.entries(value).map(([key, inner]) => [
    key,
    inner === undefined ? "(undefined)" : entriesDeep(inner),
  ]);
}

function expectSameAsSchema(input: Record<string, unknown>): void {
  const fast = readWellFormedEvent(input);
  const parsed = contactEventSchema.safeParse(input);
  if (fast === undefined) return;
  expect(parsed.success).toBe(true);
  // The same keys (even those holding undefined), in the same order, with the same values, and a copy.
  expect(entriesDeep(fast)).toEqual(entriesDeep(parsed.data));
  expect(fast).not.toBe(input);
}

describe("the ContactEvent fast path (readWellFormedEvent) against the schema", () => {
  it("returns exactly zod's parse whenever it accepts an event-shaped value", () => {
    fc.assert(fc.property(eventLike, expectSameAsSchema), { numRuns });
  });

  it("accepts every well-formed event, in memory and after a JSON round trip, with zod's result", () => {
    fc.assert(
      fc.property(wellFormed, (event) => {
        for (const input of [event, JSON.parse(JSON.stringify(event)) as Record<string, unknown>]) {
          expect(readWellFormedEvent(input)).toBeDefined();
          expectSameAsSchema(input);
        }
      }),
      { numRuns },
    );
  });

  it("never accepts anything zod refuses, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBoxedValues: true }), (input) => {
        if (typeof input !== "object" || input === null || Array.isArray(input)) return;
        const fast = readWellFormedEvent(input as Record<string, unknown>);
        if (fast !== undefined) expect(contactEventSchema.safeParse(input).success).toBe(true);
      }),
      { numRuns },
    );
  });

  const base = {
    eventId: "hr-1",
    source: "csv",
    occurredAt: "2026-11-24T09:00:00Z",
    user: { employeeId: "E1" },
    contact: { mobilePhone: "0491 570 006" },
  };
  it.each([
    ["an unknown key", { ...base, mobilephone: "1" }],
    ["an unknown user key", { ...base, user: { employeeId: "E1", name: "Mei" } }],
    ["an unknown contact key", { ...base, contact: { securityAnswer: "blue" } }],
    [
      "a __proto__ key from JSON",
      JSON.parse(
        '{"eventId":"a","source":"b","occurredAt":"2026-11-24T09:00:00Z","user":{},"contact":{},"__proto__":{"x":1}}',
      ),
    ],
    ["an empty eventId", { ...base, eventId: "" }],
    ["an eventId of 129 characters", { ...base, eventId: "e".repeat(129) }],
    ["an employeeId of 17 characters", { ...base, user: { employeeId: "E".repeat(17) } }],
    ["a date without a zone", { ...base, occurredAt: "2026-11-24T09:00:00" }],
    ["February 29th of a common year", { ...base, occurredAt: "2026-02-29T09:00:00Z" }],
    ["a null actor", { ...base, actor: null }],
    ["an actor that is not a verified webhook", { ...base, actor: "helpdesk:mei" }],
    ["a user that is an array", { ...base, user: [] }],
    ["a number for a phone", { ...base, contact: { mobilePhone: 4255550147 } }],
  ])("hands %s to the schema, which words the issue", (_, input) => {
    expect(readWellFormedEvent(input)).toBeUndefined();
  });

  it.each([
    ["explicit undefined fields", { ...base, country: undefined, user: { id: undefined, employeeId: "E1" } }],
    ["null fields", { ...base, country: null, user: { employeeId: "E1", userPrincipalName: null } }],
    ["a verified actor", { ...base, actor: "webhook:hr/events#k1" }],
    ["a stamped actor", { ...base, actor: "webhook:hr/events#k1", actorStamp: stamp }],
    ["an undefined actor", { ...base, actor: undefined }],
    // zod reads with `in` and for…in, which see inherited keys; so does the fast path.
    ["an inherited key", Object.assign(Object.create({ actor: "webhook:hr/scim" }), base)],
    [
      "keys in another order",
      {
        contact: base.contact,
        user: base.user,
        occurredAt: base.occurredAt,
        source: "csv",
        eventId: "x",
        country: "AU",
      },
    ],
  ])("takes %s exactly as zod does", (_, input) => {
    expect(readWellFormedEvent(input)).toBeDefined();
    expectSameAsSchema(input);
  });
});

const atoms = fc.constantFrom(
  "mei",
  "Mei.Chen",
  "a",
  "o'brien",
  "x+tag",
  "1",
  "-",
  "_",
  "é",
  "",
  "a..b",
  ".a",
);
const labels = fc.constantFrom(
  "example",
  "Example",
  "EXAMPLE",
  "contoso",
  "mail",
  "a-b",
  "-a",
  "a-",
  "1",
  "xn--bcher-kva",
  "é",
  "",
);
const tlds = fc.constantFrom(
  "com",
  "org",
  "COM",
  "example",
  "c",
  "c0m",
  "12",
  "a".repeat(63),
  "a".repeat(64),
);
const glue = fc.constantFrom("@", "@", "@", ".", " ", ", ", ";", "", "\t", '"', "\\", "\u00a0");
/** Addresses built from parts that are each sometimes wrong, and around the 64 / 250 / 253 length limits. */
const emailLike = fc.oneof(
  fc
    .tuple(atoms, glue, fc.array(labels, { minLength: 1, maxLength: 4 }), tlds)
    .map(([local, at, domain, tld]) => `${local}${at}${[...domain, tld].join(".")}`),
  fc
    .tuple(fc.integer({ min: 60, max: 68 }), fc.integer({ min: 170, max: 260 }))
    .map(([local, domain]) => `${"l".repeat(local)}@${"d".repeat(Math.max(1, domain - 4))}.com`),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }))
    .map(
      ([before, label]) =>
        `${"u".repeat(before)}@${Array.from({ length: label }, () => "d".repeat(62)).join(".")}.example`,
    ),
  fc
    .emailAddress()
    .map((email) => fc.sample(fc.constantFrom(email, ` ${email} `, email.toUpperCase()), 1)[0] ?? email),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...'aB.@-_ ,;éx1"\\'.split("")), maxLength: 30 }),
);
const organizationDomains = fc.constantFrom([], ["contoso.example"], ["example.com", "@Mail.Example."]);

describe("the email fast path against the full email rule", () => {
  it("gives the same result, value, issues and warnings for any address and organization", () => {
    fc.assert(
      fc.property(emailLike, organizationDomains, (input, domains) => {
        const options = { field: "contact.alternateEmail", organizationDomains: domains };
        expect(normalizeEmail(input, options)).toEqual(normalizeEmailFully(input, options));
      }),
      { numRuns },
    );
  });

  it.each([
    ["Mei.Chen@Example.COM"],
    [" mei@example.org "],
    ["mei@contoso.example"],
    ["mei@mail.contoso.example"],
    ["mei@notcontoso.example"],
    [`${"l".repeat(64)}@example.com`],
    [`${"l".repeat(65)}@example.com`],
    [`u@${"d".repeat(245)}.com`],
    ["a@b.c"],
    ["n/a"],
    ["mei@example.com, mei@example.org"],
    ["mé@example.com"],
    ['"mei"@example.com'],
  ])("agrees on %s", (input) => {
    const options = { field: "contact.alternateEmail", organizationDomains: ["contoso.example"] };
    expect(normalizeEmail(input, options)).toEqual(normalizeEmailFully(input, options));
  });
});
