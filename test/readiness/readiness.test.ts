import { describe, expect, it } from "vitest";
import { emailReadiness, phoneReadiness, userReadiness } from "../../shared/readiness/readiness.js";
import { aUser } from "../support/factories.js";

const options = {
  country: "US" as const,
  phoneValidation: "valid" as const,
  organizationDomains: ["contoso.example"],
};

describe("judging SSPR readiness", () => {
  it.each([
    ["+1 4255550147", "usable", undefined],
    ["(425) 555-0147", "notCanonical", "+1 4255550147"],
    ["+1 4251234567", "invalid", undefined],
    [null, "missing", undefined],
    ["  ", "missing", undefined],
  ])("calls the mobile phone %j %s", (value, verdict, canonical) => {
    const result = phoneReadiness("mobilePhone", "profile", value, options, false);
    expect(result.verdict).toBe(verdict);
    expect(result.canonical).toBe(canonical);
  });

  it.each([
    ["a user in Australia (usageLocation AU)", "AU", "0491 570 006", "notCanonical", "+61 491570006"],
    ["a user in Germany (usageLocation de)", "de", "0151 23456789", "notCanonical", "+49 15123456789"],
    [
      "a user without usageLocation, in the report's --country",
      null,
      "(425) 555-0147",
      "notCanonical",
      "+1 4255550147",
    ],
    [
      "a user with an unknown usageLocation, in the report's --country",
      "XX",
      "(425) 555-0147",
      "notCanonical",
      "+1 4255550147",
    ],
    [
      "a user in Australia whose number is a US one in national form",
      "AU",
      "(425) 555-0147",
      "invalid",
      undefined,
    ],
  ])(
    "reads a national number in the user's own country: %s",
    (_, usageLocation, mobilePhone, verdict, canonical) => {
      const [mobile] = userReadiness(aUser({ usageLocation, mobilePhone }), undefined, options);
      expect(mobile).toMatchObject({ field: "mobilePhone", verdict });
      expect(mobile?.canonical).toBe(canonical);
    },
  );

  it("says what to do for an invalid value, with its rule code and no unmasked number", () => {
    const result = phoneReadiness("mobilePhone", "profile", "+1 4251234567", options, false);
    expect(result.code).toBe("phone_invalid_for_region");
    expect(result.action).not.toContain("4251234567");
  });

  it.each([
    ["profile", "(425) 555-0147", "PATCH contact-info or run backfill"],
    ["methods", "(425) 555-0147", "the user registers it again at https://aka.ms/mysecurityinfo"],
    ["methods", null, "PATCH contact-info or run backfill"],
  ] as const)("for a %s value %j, advises only what the app really does: %s", (source, value, advice) => {
    const { action } = phoneReadiness("mobilePhone", source, value, options, false);
    expect(action).toContain(advice);
    // The helpdesk API adds a missing method but never replaces a registered one, even to reformat it.
    if (source === "methods" && value !== null) expect(action).not.toContain("PATCH");
  });

  it("points a synced user's admin to AD DS", () => {
    expect(phoneReadiness("officePhone", "profile", null, options, true).action).toContain(
      "`telephoneNumber` in AD DS",
    );
  });

  it.each([
    ["someone@example.com", "usable"],
    ["someone@contoso.example", "invalid"],
    [null, "missing"],
  ])("calls the alternate email %j %s", (value, verdict) => {
    expect(emailReadiness("profile", value, options).verdict).toBe(verdict);
  });

  it("judges the methods too when they are known", () => {
    const fields = userReadiness(
      aUser({ mobilePhone: "+1 4255550147" }),
      { phoneMethods: [], emailMethods: [], otherMethods: [] },
      options,
    );
    expect(fields.map((f) => `${f.field}/${f.source}:${f.verdict}`)).toEqual([
      "mobilePhone/profile:usable",
      "officePhone/profile:missing",
      "alternateEmail/profile:missing",
      "mobilePhone/methods:missing",
      "officePhone/methods:missing",
      "alternateEmail/methods:missing",
    ]);
  });
});
