import fc from "fast-check";
import { getCountries } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { type ContactRuleOptions, validateContactEvent } from "../../shared/contact/contactEvent.js";
import { normalizeEmail } from "../../shared/contact/emailRule.js";
import { normalizePhone, type PhoneRuleOptions } from "../../shared/contact/phoneRule.js";
import type { UserContactState } from "../../shared/directory/directory.js";
import { writingActions } from "../../shared/sync/outcome.js";
import { planSync, type SyncPolicy } from "../../shared/sync/syncPlanner.js";
import {
  contactEventLike,
  emailValue,
  fictionalEmail,
  fictionalPhone,
  fuzzPii,
  garbage,
  phoneValue,
} from "./support/arbitraries.js";
import { reportFigures, sizes } from "./support/scale.js";

const numRuns = sizes.fuzzRuns;
const canonicalPattern = /^\+\d{1,3} \d+$/;
const region = fc.option(fc.constantFrom(...getCountries()), { nil: undefined });
const phoneOptions: fc.Arbitrary<PhoneRuleOptions> = fc.record({
  field: fc.constant("contact.mobilePhone"),
  defaultCountry: region,
  validation: fc.constantFrom("valid", "possible"),
  expect: fc.constantFrom("mobile", "office", undefined),
});
const rules: fc.Arbitrary<ContactRuleOptions> = fc.record({
  defaultCountry: region,
  phoneValidation: fc.constantFrom("valid", "possible"),
  organizationDomains: fc.constantFrom([], ["contoso.example"], ["example.com", "contoso.example"]),
});
const started = performance.now();
const cases: Record<string, number> = {};

/** Runs one property with this scale's number of runs and counts them for the figures. */
function check<T>(name: string, property: fc.IPropertyWithHooks<T> | fc.IProperty<T>): void {
  fc.assert(property, { numRuns });
  cases[name] = numRuns;
}

describe(`fuzzing the contact rules (${numRuns.toLocaleString("en-US")} cases each)`, () => {
  it("ContactEvent parsing never throws, whatever the value, and never echoes a contact value in full", () => {
    check(
      "validateContactEvent(anything)",
      fc.property(
        fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true }),
        rules,
        (input, options) => {
          const result = validateContactEvent(input, options);
          expect(typeof result.ok).toBe("boolean");
        },
      ),
    );
    check(
      "validateContactEvent(event-like)",
      fc.property(contactEventLike, rules, (input, options) => {
        const result = validateContactEvent(input, options);
        const issues = result.ok ? result.warnings : [...result.issues, ...result.warnings];
        for (const issue of issues) {
          expect(typeof issue.code).toBe("string");
          expect(fuzzPii.findIn(`${issue.message} ${issue.hint ?? ""}`)).toEqual([]);
        }
        if (result.ok) {
          const { mobilePhone, officePhone, alternateEmail } = result.value.contact;
          if (mobilePhone !== undefined) expect(mobilePhone).toMatch(canonicalPattern);
          if (officePhone !== undefined) expect(officePhone).toMatch(canonicalPattern);
          if (alternateEmail !== undefined) expect(alternateEmail).toMatch(/^[\x21-\x7e]+@[a-z0-9.-]+$/);
        }
      }),
    );
  });

  it("the phone rule never throws, only outputs +cc number, and masks the input in its messages", () => {
    check(
      "normalizePhone",
      fc.property(fc.oneof(fictionalPhone, garbage), phoneOptions, (input, options) => {
        const result = normalizePhone(input, options);
        if (result.ok) expect(result.value.canonical).toMatch(canonicalPattern);
        const issues = result.ok ? result.warnings : [...result.issues, ...result.warnings];
        for (const issue of issues) expect(fuzzPii.findIn(issue.message)).toEqual([]);
      }),
    );
  });

  it("the email rule never throws, outputs a trimmed ASCII address, and masks the input in its messages", () => {
    check(
      "normalizeEmail",
      fc.property(
        fc.oneof(fictionalEmail, garbage, fc.emailAddress()),
        fc.constantFrom([], ["contoso.example"], ["example.com"]),
        (input, domains) => {
          const result = normalizeEmail(input, {
            field: "contact.alternateEmail",
            organizationDomains: domains,
          });
          if (result.ok) expect(result.value).toMatch(/^[\x21-\x7e]+@[a-z0-9.-]+$/);
          const issues = result.ok ? result.warnings : [...result.issues, ...result.warnings];
          for (const issue of issues) expect(fuzzPii.findIn(issue.message)).toEqual([]);
        },
      ),
    );
  });

  it("the planner never throws on whatever the directory holds, and writes only the values asked for", () => {
    const stored = fc.oneof(
      fc.constant(null),
      phoneValue.filter((v): v is string => typeof v === "string"),
    );
    const user: fc.Arbitrary<UserContactState> = fc.record({
      id: fc.uuid(),
      userPrincipalName: fc.constant("user.1@contoso.example"),
      mail: fc.constant(null),
      mobilePhone: stored,
      businessPhones: fc.array(fc.oneof(fictionalPhone, garbage), { maxLength: 2 }),
      otherMails: fc.array(
        emailValue.filter((v): v is string => typeof v === "string"),
        { maxLength: 3 },
      ),
      onPremisesSyncEnabled: fc.constantFrom(true, false, null),
      employeeId: fc.constant(null),
      createdDateTime: fc.constant(null),
    });
    const policy: fc.Arbitrary<SyncPolicy> = fc.record({
      target: fc.record({
        mobilePhone: fc.constantFrom("profile", "methods", "both"),
        officePhone: fc.constantFrom("profile", "methods", "both"),
        alternateEmail: fc.constantFrom("profile", "methods", "both"),
      }),
      mode: fc.constantFrom("fillEmpty", "overwrite"),
      syncedMobile: fc.constantFrom("skip", "override"),
      keepUserMethods: fc.boolean(),
    });
    check(
      "planSync",
      fc.property(user, contactEventLike, policy, region, (state, event, syncPolicy, country) => {
        const validated = validateContactEvent(event, {
          phoneValidation: "possible",
          organizationDomains: [],
        });
        if (!validated.ok) return;
        const contact = validated.value.contact;
        const plan = planSync({ user: state, contact, policy: syncPolicy, ...(country ? { country } : {}) });
        for (const field of plan.fields) {
          if (writingActions.has(field.action)) expect(field.after).toBe(contact[field.field]);
        }
        if (plan.patch?.mobilePhone !== undefined) expect(plan.patch.mobilePhone).toBe(contact.mobilePhone);
      }),
    );
    reportFigures("fuzz-rules", { ...cases, "duration s": (performance.now() - started) / 1000 });
  });
});
