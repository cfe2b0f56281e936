import fc from "fast-check";
import { type CountryCode, getCountries, getExampleNumber } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { scimSchemas } from "../../../shared/intake/fromScim.js";
import { PiiCatalog } from "./piiCatalog.js";

// Fictional data only: NANP 555-0100…0199 in a few area codes, libphonenumber's example mobile numbers, and
// addresses in example domains. `fuzzPii` knows every one of them, so a leak of any is caught.
// 425 is left out: the product's own hints quote +1 425 555 01xx as examples, which are not leaks of test data.
const areaCodes = [201, 206, 212, 303, 312, 415, 503, 617, 702, 808, 917];
const exampleRegions: CountryCode[] = [
  "GB",
  "AU",
  "DE",
  "FR",
  "IN",
  "JP",
  "SE",
  "NL",
  "NZ",
  "ES",
  "BR",
  "ZA",
];
const localParts = Array.from(
  { length: 60 },
  (_, i) => `${["sam", "alex", "kim", "lee", "ana"][i % 5]}.${i}`,
);
const emailDomains = ["example.com", "example.org", "example.net", "mail.example"];

/** Every phone number and email address the arbitraries below can produce. */
export const fuzzPii = new PiiCatalog();
for (const area of areaCodes) {
  for (let line = 0; line < 100; line += 1)
    fuzzPii.addPhone(`+1 ${area}55501${String(line).padStart(2, "0")}`);
}
for (const region of exampleRegions) {
  const example = getExampleNumber(region, examples);
  if (example) fuzzPii.addPhone(example.number);
}
for (const local of localParts) for (const domain of emailDomains) fuzzPii.addEmail(`${local}@${domain}`);

const separator = fc.constantFrom("", " ", "-", ".", " - ", "/");
const extension = fc.constantFrom("", "", " x12", " ext. 7", " #3", "x9999");

/** A fictional US number in one of the many ways HR systems write one. */
const fictionalNanp = fc
  .tuple(fc.constantFrom(...areaCodes), fc.integer({ min: 0, max: 99 }), separator, fc.nat(6), extension)
  .map(([area, n, sep, form, ext]) => {
    const line = `01${String(n).padStart(2, "0")}`;
    const forms = [
      `(${area}) 555-${line}`,
      `${area}${sep}555${sep}${line}`,
      `+1 ${area} 555 ${line}`,
      `+1${area}555${line}`,
      `1-${area}-555-${line}`,
      `tel:+1-${area}-555-${line}`,
      `011 1 ${area} 555 ${line}`,
    ];
    return `${forms[form] ?? forms[0]}${ext}`;
  });

/** A libphonenumber example mobile number, national or international, with the region it belongs to. */
const fictionalForeign = fc
  .tuple(fc.constantFrom(...exampleRegions), fc.constantFrom("national", "international", "e164", "00"))
  .map(([region, form]) => {
    const number = getExampleNumber(region, examples);
    if (!number) return { text: "", region };
    const text =
      form === "national"
        ? number.formatNational()
        : form === "international"
          ? number.formatInternational()
          : form === "e164"
            ? number.number
            : `00${number.countryCallingCode} ${number.nationalNumber}`;
    return { text, region };
  });

/** A fictional phone number as text. */
export const fictionalPhone: fc.Arbitrary<string> = fc.oneof(
  fictionalNanp,
  fictionalForeign.map((n) => n.text),
);

/** A fictional alternate email, sometimes written untidily. */
export const fictionalEmail: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...localParts),
    fc.constantFrom(...emailDomains),
    fc.constantFrom("plain", "upper", "spaced"),
  )
  .map(([local, domain, style]) => {
    const email = `${local}@${domain}`;
    return style === "upper" ? email.toUpperCase() : style === "spaced" ? ` ${email} ` : email;
  });

const phoneAlphabet = fc.constantFrom(..."0123456789 +-().x#/;=tel:ext".split(""));
/** Text that is not a contact value: random, binary, phone-ish characters, digit runs, placeholders. */
export const garbage: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: phoneAlphabet, maxLength: 30 }),
  fc.stringMatching(/^(\+|00|011)?\d{1,18}$/),
  fc.constantFrom("n/a", "none", "-", "TBD", "null", "?", "x", "no email", ""),
  fc.string({ minLength: 101, maxLength: 400 }),
);

/** Any phone-field value: fictional numbers mostly, garbage and wrong types too. */
export const phoneValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fictionalPhone },
  { weight: 2, arbitrary: fc.constantFrom(null, undefined) },
  { weight: 2, arbitrary: garbage },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.array(fictionalPhone, { maxLength: 2 })) },
);

/** Any email-field value. */
export const emailValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fictionalEmail },
  { weight: 2, arbitrary: fc.constantFrom(null, undefined) },
  { weight: 2, arbitrary: fc.oneof(garbage, fc.emailAddress()) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.constantFrom("sam.1@contoso.example", "a@b", "a@@example.com"), fc.integer()),
  },
);

/** A country as HR systems send it: mostly the US (the NANP numbers' region), codes and names, or junk. */
export const countryValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("US", "us", "United States", "USA") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...getCountries().slice(0, 40), "GB", "Germany", "Atlantis", "", "xx"),
  },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(null, undefined), garbage) },
);

const upn = fc.nat(999).map((n) => `user.${n}@contoso.example`);
const employeeId = fc.oneof(
  fc.nat(99_999).map((n) => `E${n}`),
  fc.string({ maxLength: 20 }),
);
const isoTime = fc
  .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Mostly `good`, now and then `bad`: deep enough into the code to matter, odd enough to find its edges. */
export function mostly<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 19, arbitrary: good }, { weight: 1, arbitrary: bad });
}

/** ContactEvent-shaped objects: mostly plausible, every field sometimes wrong, extra fields sometimes. */
export const contactEventLike: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        // Unique ids: fast-check favours small numbers, and a repeated id is (rightly) a duplicate, never queued.
        eventId: mostly(
          fc.uuid().map((u) => `evt-${u}`),
          fc.oneof(fc.string({ maxLength: 140 }), fc.anything()),
        ),
        source: mostly(fc.constantFrom("workday", "successfactors", "test"), fc.anything()),
        occurredAt: mostly(isoTime, fc.oneof(fc.string({ maxLength: 30 }), fc.anything())),
        user: mostly(
          fc.record(
            { id: mostly(fc.uuid(), garbage), userPrincipalName: upn, employeeId },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        country: countryValue,
        contact: mostly(
          fc.record(
            { mobilePhone: phoneValue, officePhone: phoneValue, alternateEmail: emailValue },
            { requiredKeys: [] },
          ),
          fc.oneof(
            fc.anything(),
            fc.record(
              { securityAnswer: fc.string({ maxLength: 10 }), mobilephone: fictionalPhone },
              { requiredKeys: [] },
            ),
          ),
        ),
      },
      { requiredKeys: ["source", "occurredAt", "user", "contact"] },
    ),
    mostly(
      fc.constant(undefined),
      fc.dictionary(fc.string({ maxLength: 12 }), fc.anything(), { maxKeys: 2 }),
    ),
  )
  .map(([event, extra]) => (extra ? { ...extra, ...event } : event));

/** A Standard Webhooks body: one event, an array of them, or any JSON. */
export const hrEventsBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: contactEventLike },
  { weight: 3, arbitrary: fc.array(contactEventLike, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.jsonValue() },
);

const bambooFieldName = fc.constantFrom("Mobile Phone", "Work Phone", "Home Email", "Work Email", "Country");
/** A BambooHR field-based webhook body, or any JSON. */
export const bambooHrBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      employees: fc.array(
        fc.record(
          {
            id: fc.oneof(fc.uuid(), fc.nat(99_999).map(String), fc.nat(), garbage, fc.constant(null)),
            action: fc.constantFrom("Created", "Updated", "Deleted", "Terminated", ""),
            timestamp: fc.oneof(isoTime, garbage),
            changedFields: fc.array(bambooFieldName, { maxLength: 5 }),
            fields: fc.oneof(
              fc.record(
                {
                  "Mobile Phone": phoneValue,
                  "Work Phone": phoneValue,
                  "Work Ext.": fc.oneof(fc.nat(9999).map(String), garbage),
                  "Home Email": emailValue,
                  "Work Email": fc.oneof(upn, garbage),
                  "Employee #": employeeId,
                  Country: countryValue,
                },
                { requiredKeys: [] },
              ),
              fc.anything(),
            ),
          },
          { requiredKeys: ["id"] },
        ),
        { maxLength: 4 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
);

const scimUser = fc.record(
  {
    schemas: fc.oneof(
      fc.constant([scimSchemas.user, scimSchemas.enterpriseUser]),
      fc.constant([scimSchemas.user]),
      fc.anything(),
    ),
    externalId: fc.oneof(fc.nat(999_999).map(String), garbage),
    userName: fc.oneof(upn, garbage),
    phoneNumbers: fc.oneof(
      fc.array(
        fc.record(
          {
            value: phoneValue,
            type: fc.constantFrom("mobile", "work", "home", "other", "fax", "MOBILE"),
            primary: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      fc.anything(),
    ),
    emails: fc.oneof(
      fc.array(
        fc.record(
          {
            value: emailValue,
            type: fc.constantFrom("work", "home", "other", "HOME"),
            primary: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      fc.anything(),
    ),
    addresses: fc.oneof(
      fc.array(fc.record({ country: countryValue, primary: fc.boolean() }), { maxLength: 2 }),
      fc.anything(),
    ),
    [scimSchemas.enterpriseUser]: fc.oneof(fc.record({ employeeNumber: employeeId }), fc.anything()),
    securityQuestion: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: [] },
);

/** A SCIM 2.0 User or BulkRequest, or any JSON. */
export const scimBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: scimUser },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        schemas: fc.constant([scimSchemas.bulkRequest]),
        failOnErrors: fc.oneof(fc.nat(5), fc.anything()),
        Operations: fc.array(
          fc.record(
            {
              method: fc.constantFrom("POST", "PUT", "PATCH", "DELETE", "post"),
              bulkId: fc.oneof(fc.nat(999_999).map(String), garbage),
              path: fc.constantFrom("/Users", "/Users/1", "/Groups"),
              data: fc.oneof(scimUser, fc.anything()),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
      },
      { requiredKeys: ["schemas", "Operations"] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
);

/** The raw bytes of a body: its JSON, JSON with a byte changed, or random bytes. */
export function bodyBytes(body: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 8, arbitrary: body.map((value) => Buffer.from(JSON.stringify(value) ?? "null", "utf8")) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((text) => Buffer.from(text, "utf8")) },
  );
}
