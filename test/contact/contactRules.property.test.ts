import fc from "fast-check";
import { getCountries, isValidPhoneNumber } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { type ContactRuleOptions, validateContactEvent } from "../../shared/contact/contactEvent.js";
import { normalizeEmail } from "../../shared/contact/emailRule.js";
import { normalizePhone, type PhoneRuleOptions } from "../../shared/contact/phoneRule.js";
import { fromCsvRow, toCsvLayout } from "../../shared/intake/fromCsvRow.js";
import { writtenNumber } from "../support/writtenPhones.js";

// Enough runs to reach the rare paths (00/011 retries, extensions, odd lengths) yet well under a second each.
const numRuns = 2000;
const canonicalPattern = /^\+\d{1,3} \d+$/;

const regions = getCountries();
const region = fc.option(fc.constantFrom(...regions), { nil: undefined });
const phoneOptions: fc.Arbitrary<PhoneRuleOptions> = fc.record({
  field: fc.constant("contact.mobilePhone"),
  defaultCountry: region,
  validation: fc.constantFrom("valid", "possible"),
  expect: fc.constantFrom("mobile", "office", undefined),
});

const phoneAlphabet = fc.constantFrom(..."0123456789 +-().x#/;=tel:ext".split(""));
const phoneLike = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: phoneAlphabet, maxLength: 30 }),
  fc.stringMatching(/^(\+|00|011)?\d{1,18}$/),
  writtenNumber.map(({ text }) => text),
);

describe("phone normalization properties", () => {
  it("never throws, whatever the input and options", () => {
    fc.assert(
      fc.property(phoneLike, phoneOptions, (input, options) => {
        normalizePhone(input, options);
      }),
      { numRuns },
    );
  });

  it("only ever outputs +{countryCode} {digits}, matching E.164", () => {
    fc.assert(
      fc.property(phoneLike, phoneOptions, (input, options) => {
        const result = normalizePhone(input, options);
        if (!result.ok) return;
        expect(result.value.canonical).toMatch(canonicalPattern);
        expect(result.value.e164).toBe(result.value.canonical.replace(" ", ""));
      }),
      { numRuns },
    );
  });

  it("returns an output unchanged when it is normalized again, under any default region", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          phoneLike,
          writtenNumber.map((n) => n.text),
        ),
        phoneOptions,
        region,
        (input, options, other) => {
          const first = normalizePhone(input, options);
          if (!first.ok) return;
          for (const defaultCountry of [options.defaultCountry, other]) {
            const again = normalizePhone(first.value.canonical, { ...options, defaultCountry });
            expect(again.ok && again.value.canonical).toBe(first.value.canonical);
          }
        },
      ),
      { numRuns },
    );
  });

  it("accepts every example number in every written form under its own region, unless it reads as two numbers", () => {
    fc.assert(
      fc.property(writtenNumber, ({ text, region }) => {
        const result = normalizePhone(text, { field: "f", defaultCountry: region, validation: "valid" });
        if (result.ok) return;
        // The one refusal allowed, by the rule's "never a wrong number": where a region has short numbers (LU has
        // 4-digit ones), "/" or " - " can cut a number into pieces that are each a valid number on their own, as
        // "00352 6/2812 - 3456" is. Anything else refused is a bug.
        const pieces = text.split(/\/|\s-\s/).filter((piece) => isValidPhoneNumber(piece.trim(), region));
        expect(
          result.issues.map((i) => i.code),
          text,
        ).toEqual(["phone_multiple"]);
        expect(pieces.length, text).toBeGreaterThanOrEqual(2);
      }),
      { numRuns },
    );
  });

  it("refuses a number cut by separators into pieces that are valid numbers on their own (the ambiguity above)", () => {
    const result = normalizePhone("00352 6/2812 - 3456", {
      field: "f",
      defaultCountry: "LU",
      validation: "valid",
    });
    expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual(["phone_multiple"]);
  });

  it("never shows five digits in a row in a message or warning (the input is masked)", () => {
    fc.assert(
      fc.property(phoneLike, phoneOptions, (input, options) => {
        const result = normalizePhone(input, options);
        const issues = result.ok ? result.warnings : [...result.issues, ...result.warnings];
        for (const issue of issues) expect(issue.message).not.toMatch(/\d{5,}/);
      }),
      { numRuns },
    );
  });
});

const emailLike = fc.oneof(
  fc.emailAddress(),
  fc.emailAddress().map((email) => ` ${email.toUpperCase()} `),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(..."ab.@-_ ,;éx1".split("")), maxLength: 30 }),
);
const organizationDomains = fc.array(fc.domain(), { maxLength: 3 });

describe("email normalization properties", () => {
  it("never throws, and its output is trimmed, ASCII, at most 250 characters, with a lower-case domain", () => {
    fc.assert(
      fc.property(emailLike, organizationDomains, (input, domains) => {
        const result = normalizeEmail(input, {
          field: "contact.alternateEmail",
          organizationDomains: domains,
        });
        if (!result.ok) return;
        const value = result.value;
        expect(value).toBe(value.trim());
        expect(value.length).toBeLessThanOrEqual(250);
        expect(value).toMatch(/^[\x21-\x7e]+@[a-z0-9.-]+$/);
      }),
      { numRuns },
    );
  });

  it("returns an output unchanged when it is normalized again", () => {
    fc.assert(
      fc.property(emailLike, organizationDomains, (input, domains) => {
        const options = { field: "contact.alternateEmail", organizationDomains: domains };
        const first = normalizeEmail(input, options);
        if (!first.ok) return;
        const again = normalizeEmail(first.value, options);
        expect(again.ok && again.value).toBe(first.value);
      }),
      { numRuns },
    );
  });
});

const rules: fc.Arbitrary<ContactRuleOptions> = fc.record({
  defaultCountry: region,
  phoneValidation: fc.constantFrom("valid", "possible"),
  organizationDomains: organizationDomains,
});
const eventLike = fc.record(
  {
    eventId: fc.oneof(fc.string({ maxLength: 140 }), fc.anything()),
    source: fc.oneof(fc.string(), fc.anything()),
    occurredAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
    ),
    user: fc.oneof(
      fc.record(
        { id: fc.string(), userPrincipalName: fc.string(), employeeId: fc.string() },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    country: fc.oneof(fc.constantFrom("US", "Germany", "UK", "xx"), fc.anything()),
    contact: fc.oneof(
      fc.record(
        {
          mobilePhone: phoneLike,
          officePhone: phoneLike,
          alternateEmail: emailLike,
          securityAnswers: fc.string(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    __proto__: fc.anything(),
  },
  { requiredKeys: [] },
);

describe("ContactEvent validation properties", () => {
  it("never throws for any value at all", () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true }),
        rules,
        (input, options) => {
          const result = validateContactEvent(input, options);
          expect(typeof result.ok).toBe("boolean");
        },
      ),
      { numRuns },
    );
  });

  it("never throws for event-shaped values, and a valid result only holds canonical values", () => {
    fc.assert(
      fc.property(eventLike, rules, (input, options) => {
        const result = validateContactEvent(input, options);
        if (!result.ok) return;
        const { mobilePhone, officePhone } = result.value.contact;
        for (const phone of [mobilePhone, officePhone])
          if (phone !== undefined) expect(phone).toMatch(canonicalPattern);
      }),
      { numRuns },
    );
  });

  // `validate` writes a valid record's contact values and phone types into its JSON lines without escaping them
  // (cli/toOutputLine.ts): no accepted value may hold a character JSON escapes.
  it("only ever accepts contact values and phone types that JSON needs no escape for", () => {
    const jsonSafe = (text: string) => expect(JSON.stringify(text)).toBe(`"${text}"`);
    const written = fc.record({
      eventId: fc.constant("e1"),
      source: fc.constant("csv"),
      occurredAt: fc.constant("2026-11-24T09:00:00Z"),
      user: fc.constant({ employeeId: "E1" }),
      country: region,
      contact: fc.record(
        {
          mobilePhone: fc.oneof(
            phoneLike,
            writtenNumber.map((n) => n.text),
          ),
          officePhone: fc.oneof(
            phoneLike,
            writtenNumber.map((n) => n.text),
          ),
          alternateEmail: fc.oneof(
            emailLike,
            fc.string({ unit: fc.constantFrom(...'ab.@-"\\\u0000\u001f\ud800 '.split("")), maxLength: 20 }),
          ),
        },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(fc.oneof(eventLike, written), rules, (input, options) => {
        const result = validateContactEvent(input, options);
        if (!result.ok) return;
        for (const value of Object.values(result.value.contact)) jsonSafe(value);
        for (const type of Object.values(result.value.phoneTypes)) expect(type).toMatch(/^[A-Z_]+$/);
      }),
      { numRuns },
    );
  });

  it("never throws for any CSV row", () => {
    const layout = toCsvLayout([
      "employeeId",
      "country",
      "mobilePhone",
      "officePhone",
      "alternateEmail",
      "eventId",
    ]);
    if (!layout.ok) throw new Error("layout");
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 8 }), rules, (cells, options) => {
        validateContactEvent(
          fromCsvRow(cells, layout.value, { occurredAt: "2026-11-24T09:00:00Z" }),
          options,
        );
      }),
      { numRuns },
    );
  });
});
