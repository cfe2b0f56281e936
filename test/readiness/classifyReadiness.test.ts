import { describe, expect, it } from "vitest";
import { sameTargetForAll } from "../../shared/contact/contactFields.js";
import type { RegistrationDetail, UserContactState } from "../../shared/directory/directory.js";
import {
  classifyReadiness,
  type ReadinessFacts,
  type ReadinessPolicy,
} from "../../shared/readiness/classifyReadiness.js";
import { userReadiness } from "../../shared/readiness/readiness.js";
import { aUser } from "../support/factories.js";

const rules = {
  country: "US" as const,
  phoneValidation: "valid" as const,
  organizationDomains: ["contoso.example"],
};
const policy: ReadinessPolicy = {
  target: sameTargetForAll("profile"),
  mode: "fillEmpty",
  syncedMobile: "skip",
};

/** The tenant's verdict for a user who is covered by SSPR but not capable yet, unless overridden. */
function registration(overrides: Partial<RegistrationDetail> = {}): RegistrationDetail {
  return {
    userId: "6f1c2a40-0000-4000-8000-000000000001",
    userPrincipalName: "new.hire@contoso.example",
    methodsRegistered: [],
    isSsprEnabled: true,
    isSsprRegistered: false,
    isSsprCapable: false,
    isMfaRegistered: false,
    isAdmin: false,
    lastUpdatedDateTime: null,
    ...overrides,
  };
}

/** `user` may come from an `as const` table: copied, so its arrays are the user's own. */
function facts(
  user: object,
  detail: RegistrationDetail | undefined,
  extra: Partial<ReadinessFacts> = {},
): ReadinessFacts {
  const state = aUser(structuredClone(user) as Partial<UserContactState>);
  return { user: state, registration: detail, profile: userReadiness(state, undefined, rules), ...extra };
}

const usableMobile = { mobilePhone: "+1 4255550147" };
const usableEmail = { otherMails: ["someone@example.org"] };

describe("putting every user in one readiness bucket", () => {
  it.each([
    [
      "the tenant says SSPR-capable",
      {},
      registration({ isSsprCapable: true }),
      { bucket: "canResetNow", basis: "tenant" },
    ],
    [
      "no tenant verdict, a usable profile mobile",
      usableMobile,
      undefined,
      { bucket: "canResetNow", basis: "profile" },
    ],
    [
      "no tenant verdict, a usable profile alternate email",
      usableEmail,
      undefined,
      { bucket: "canResetNow", basis: "profile" },
    ],
    [
      "an empty cloud-only user the feed can fill",
      {},
      registration(),
      { bucket: "afterPrepopulation", fields: ["mobilePhone", "officePhone", "alternateEmail"] },
    ],
    [
      "a non-canonical mobile the feed rewrites, an email it adds",
      { mobilePhone: "(425) 555-0147", businessPhones: ["+1 4255550100"] },
      registration(),
      { bucket: "afterPrepopulation", fields: ["mobilePhone", "alternateEmail"] },
    ],
    [
      "a method the user registered themselves counts: only the email is left to fill",
      {},
      registration({ methodsRegistered: ["mobilePhone", "officePhone"] }),
      { bucket: "afterPrepopulation", fields: ["alternateEmail"] },
    ],
    [
      "a synced user: the alternate email is the cloud's to fill, mobile and office phone AD's",
      { onPremisesSyncEnabled: true },
      registration(),
      { bucket: "afterPrepopulation", fields: ["alternateEmail"] },
    ],
  ] as const)("%s", (_, user, detail, expected) => {
    expect(classifyReadiness(facts(user, detail), policy)).toEqual(expected);
  });

  it.each([
    [
      "account_disabled",
      { accountEnabled: false, ...usableMobile },
      registration({ isSsprCapable: true }),
      [],
    ],
    ["guest", { userType: "Guest", ...usableMobile }, undefined, []],
    ["sspr_not_enabled", {}, registration({ isSsprEnabled: false }), []],
    ["privileged", {}, registration({ isAdmin: true }), []],
    [
      "synced_in_ad",
      { onPremisesSyncEnabled: true, otherMails: ["jonas.weber@contoso.example"] },
      registration(),
      ["mobilePhone", "officePhone"],
    ],
    [
      "invalid_data",
      { mobilePhone: "12345", otherMails: ["someone@contoso.example"] },
      registration(),
      ["mobilePhone", "alternateEmail"],
    ],
    [
      "set_not_counted",
      { ...usableMobile, ...usableEmail },
      registration({ isSsprRegistered: true }),
      ["mobilePhone", "alternateEmail"],
    ],
  ] as const)("cannot: %s", (reason, user, detail, fields) => {
    const verdict = classifyReadiness(facts(user, detail), policy);
    expect(verdict).toMatchObject({ bucket: "cannot", reason, fields });
    expect(verdict.bucket === "cannot" && verdict.detail.length).toBeGreaterThan(10);
  });

  it("names the rule an invalid value breaks, and never the value itself", () => {
    const verdict = classifyReadiness(
      facts({ mobilePhone: "12345", otherMails: ["someone@contoso.example"] }, registration()),
      policy,
    );
    expect(verdict).toMatchObject({ reason: "invalid_data", ruleCode: "phone_too_short" });
    expect(JSON.stringify(verdict)).not.toContain("12345");
  });

  it("lets overwrite mode replace an invalid value: the user is then fillable", () => {
    const user = { mobilePhone: "12345", otherMails: ["someone@contoso.example"] };
    expect(classifyReadiness(facts(user, registration()), { ...policy, mode: "overwrite" })).toEqual({
      bucket: "afterPrepopulation",
      fields: ["mobilePhone", "officePhone", "alternateEmail"],
    });
  });

  it("judges a synced mobile by SYNCED_MOBILE: override makes it the feed's to write", () => {
    const user = { onPremisesSyncEnabled: true, otherMails: ["jonas.weber@contoso.example"] };
    expect(classifyReadiness(facts(user, registration()), { ...policy, syncedMobile: "override" })).toEqual({
      bucket: "afterPrepopulation",
      fields: ["mobilePhone"],
    });
  });

  it("keeps a user's own methods when the feed writes methods only, and says so", () => {
    const verdict = classifyReadiness(facts({}, registration({ methodsRegistered: ["officePhone"] })), {
      ...policy,
      target: sameTargetForAll("methods"),
    });
    expect(verdict).toMatchObject({
      bucket: "cannot",
      reason: "own_methods_kept",
      fields: ["mobilePhone", "alternateEmail"],
    });
  });

  it("copies a usable profile value into methods when the feed writes both and the tenant shows none", () => {
    const verdict = classifyReadiness(facts({ ...usableMobile, ...usableEmail }, registration()), {
      ...policy,
      target: sameTargetForAll("both"),
    });
    expect(verdict).toEqual({
      bucket: "afterPrepopulation",
      fields: ["mobilePhone", "officePhone", "alternateEmail"],
    });
  });

  it.each([
    ["an active role", { privileged: true, via: "activeRole", detail: "Global Administrator" }, "privileged"],
    [
      "a PIM-eligible role",
      { privileged: true, via: "eligibleRole", detail: "Helpdesk Administrator" },
      "privileged",
    ],
    [
      "a protected group",
      { privileged: true, via: "protectedGroup", detail: "Tier 0 Accounts" },
      "privileged",
    ],
    ["a check that failed (fail closed)", new Error("403"), "privilege_unknown"],
  ] as const)(
    "never counts a user the app's privilege guard stops (%s) as fillable",
    (_, privilege, reason) => {
      const verdict = classifyReadiness(facts({}, registration(), { privilege }), policy);
      expect(verdict).toMatchObject({ bucket: "cannot", reason });
    },
  );

  it("still counts a capable admin as able to reset: that is the question the report answers", () => {
    expect(
      classifyReadiness(facts({}, registration({ isAdmin: true, isSsprCapable: true })), policy),
    ).toEqual({
      bucket: "canResetNow",
      basis: "tenant",
    });
  });

  it("judges a user the report does not list (new since its refresh) on the profile alone", () => {
    expect(classifyReadiness(facts({}, undefined), policy)).toEqual({
      bucket: "afterPrepopulation",
      fields: ["mobilePhone", "officePhone", "alternateEmail"],
    });
  });
});
