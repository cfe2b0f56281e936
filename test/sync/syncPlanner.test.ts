import { describe, expect, it } from "vitest";
import { type DesiredContact, needsMethods, planSync } from "../../shared/sync/syncPlanner.js";
import { aPolicy, aUser, someMethods } from "../support/factories.js";

const mobile = "+1 4255550147";
const office = "+1 4255550100";
const email = "avery.l@example.com";

function actionsOf(plan: ReturnType<typeof planSync>) {
  return plan.fields.map((f) => `${f.field}/${f.target}:${f.action}`);
}

describe("planning profile writes", () => {
  it("sets every empty field in one PATCH", () => {
    const plan = planSync({
      user: aUser(),
      contact: { mobilePhone: mobile, officePhone: office, alternateEmail: email },
      policy: aPolicy(),
    });
    expect(plan.patch).toEqual({ mobilePhone: mobile, businessPhones: [office], otherMails: [email] });
    expect(actionsOf(plan)).toEqual([
      "mobilePhone/profile:set",
      "officePhone/profile:set",
      "alternateEmail/profile:set",
    ]);
    expect(plan.methodOps).toEqual([]);
  });

  it.each([
    ["the same value", mobile, "unchanged", undefined],
    ["the same number in national format", "(425) 555-0147", "reformatted", { mobilePhone: mobile }],
    ["the same number in E.164", "+14255550147", "reformatted", { mobilePhone: mobile }],
    [
      "the same number with an extension-free dotted format",
      "425.555.0147",
      "reformatted",
      { mobilePhone: mobile },
    ],
    ["a different number", "+1 4255550199", "skipped", undefined],
  ])("with %s already there, fillEmpty plans %s", (_, current, action, patch) => {
    const plan = planSync({
      user: aUser({ mobilePhone: current }),
      contact: { mobilePhone: mobile },
      country: "US",
      policy: aPolicy(),
    });
    expect(plan.fields[0]?.action).toBe(action);
    expect(plan.patch).toEqual(patch);
  });

  it("replaces a different number only in overwrite mode", () => {
    const plan = planSync({
      user: aUser({ mobilePhone: "+1 4255550199", businessPhones: ["+1 4255550198"] }),
      contact: { mobilePhone: mobile, officePhone: office },
      policy: aPolicy({ mode: "overwrite" }),
    });
    expect(actionsOf(plan)).toEqual(["mobilePhone/profile:replaced", "officePhone/profile:replaced"]);
    expect(plan.patch).toEqual({ mobilePhone: mobile, businessPhones: [office] });
  });

  it("never clobbers a user's existing alternate email in fillEmpty mode", () => {
    const plan = planSync({
      user: aUser({ otherMails: ["own@example.org"] }),
      contact: { alternateEmail: email },
      policy: aPolicy(),
    });
    expect(plan.fields[0]).toMatchObject({ action: "skipped", reason: expect.stringContaining("overwrite") });
    expect(plan.patch).toBeUndefined();
  });

  it("replaces the first alternate email in overwrite mode, keeping the other entries", () => {
    const plan = planSync({
      user: aUser({ otherMails: ["own@example.org", "old@example.net"] }),
      contact: { alternateEmail: email },
      policy: aPolicy({ mode: "overwrite" }),
    });
    // The replaced address is gone: kept second, a reset code could still reach it.
    expect(plan.patch).toEqual({ otherMails: [email, "old@example.net"] });
    expect(plan.fields[0]).toMatchObject({
      action: "replaced",
      before: "own@example.org",
      after: email,
      reason: "replaced the first alternate email; the earlier one removed; 1 other entry kept",
    });
  });

  it("says so when the replaced alternate email looks like the new one masked", () => {
    // a***@e***.com both: without the note, the record's masked before and after would read as no change.
    const plan = planSync({
      user: aUser({ otherMails: ["alex.old@example.com"] }),
      contact: { alternateEmail: "avery.new@example.com" },
      policy: aPolicy({ mode: "overwrite" }),
    });
    expect(plan.patch).toEqual({ otherMails: ["avery.new@example.com"] });
    expect(plan.fields[0]?.reason).toBe(
      "replaced the first alternate email (a different address, though both look alike masked); the earlier one removed",
    );
  });

  it("moves an alternate email already further down the list first in overwrite mode", () => {
    const plan = planSync({
      user: aUser({ otherMails: ["own@example.org", email.toUpperCase()] }),
      contact: { alternateEmail: email },
      policy: aPolicy({ mode: "overwrite" }),
    });
    expect(plan.patch).toEqual({ otherMails: [email] });
    expect(plan.fields[0]?.action).toBe("replaced");
  });

  it("says so when a replaced phone number looks like the new one masked", () => {
    const plan = planSync({
      user: aUser({ mobilePhone: "+1 4255550147" }),
      contact: { mobilePhone: "+1 2065550147" },
      policy: aPolicy({ mode: "overwrite" }),
    });
    expect(plan.fields[0]?.reason).toBe(
      "replaced by a different number, though both look alike masked (mode overwrite)",
    );
  });

  it("treats an alternate email already present in another case as unchanged", () => {
    const plan = planSync({
      user: aUser({ otherMails: ["Avery.L@Example.com"] }),
      contact: { alternateEmail: email },
      policy: aPolicy(),
    });
    expect(plan.fields[0]?.action).toBe("unchanged");
  });

  it("plans nothing for an event without contact fields", () => {
    const plan = planSync({ user: aUser(), contact: {}, policy: aPolicy() });
    expect(plan).toEqual({ fields: [], patchFields: [], methodOps: [] });
  });
});

describe("planning for users synchronized from on-premises AD", () => {
  const synced = aUser({ onPremisesSyncEnabled: true });

  it("skips the office phone with guidance to set telephoneNumber in AD DS", () => {
    const plan = planSync({
      user: synced,
      contact: { officePhone: office },
      policy: aPolicy({ syncedMobile: "override" }),
    });
    expect(plan.fields[0]).toMatchObject({
      action: "skipped",
      reason: expect.stringContaining("telephoneNumber"),
    });
    expect(plan.patch).toBeUndefined();
  });

  it("skips the mobile phone by default with guidance to set mobile in AD DS", () => {
    const plan = planSync({ user: synced, contact: { mobilePhone: mobile }, policy: aPolicy() });
    expect(plan.fields[0]).toMatchObject({ action: "skipped", reason: expect.stringContaining("`mobile`") });
  });

  it("writes the mobile phone when SYNCED_MOBILE is override", () => {
    const plan = planSync({
      user: synced,
      contact: { mobilePhone: mobile },
      policy: aPolicy({ syncedMobile: "override" }),
    });
    expect(plan.patch).toEqual({ mobilePhone: mobile });
  });

  it("still writes authentication methods, which are cloud-only", () => {
    const plan = planSync({
      user: synced,
      methods: someMethods(),
      contact: { mobilePhone: mobile, officePhone: office },
      policy: aPolicy({ target: "methods" }),
    });
    expect(plan.methodOps).toEqual([
      { kind: "addPhone", field: "mobilePhone", phoneType: "mobile", phoneNumber: mobile },
      { kind: "addPhone", field: "officePhone", phoneType: "office", phoneNumber: office },
    ]);
  });
});

describe("planning authentication method writes", () => {
  it("adds mobile, office and email methods when none are registered", () => {
    const plan = planSync({
      user: aUser(),
      methods: someMethods(),
      contact: { mobilePhone: mobile, officePhone: office, alternateEmail: email },
      policy: aPolicy({ target: "methods" }),
    });
    expect(plan.patch).toBeUndefined();
    expect(plan.methodOps.map((op) => op.kind)).toEqual(["addPhone", "addPhone", "addEmail"]);
  });

  it("never uses the alternateMobile type, which SSPR cannot use", () => {
    const plan = planSync({
      user: aUser(),
      methods: someMethods({
        phoneMethods: [
          { id: "b6332ec1-7057-4abe-9331-3d72feddfe41", phoneType: "alternateMobile", phoneNumber: mobile },
        ],
      }),
      contact: { mobilePhone: mobile },
      policy: aPolicy({ target: "methods" }),
    });
    expect(plan.methodOps).toEqual([
      { kind: "addPhone", field: "mobilePhone", phoneType: "mobile", phoneNumber: mobile },
    ]);
  });

  it.each(["fillEmpty", "overwrite"] as const)(
    "leaves a method the user registered themselves in mode %s: registered methods are never replaced",
    (mode) => {
      const methods = someMethods({
        phoneMethods: [
          { id: "3179e48a-750b-4051-897c-87b9720928f7", phoneType: "mobile", phoneNumber: "+1 4255550199" },
        ],
        emailMethods: [{ id: "3ddfcfc8-9383-446f-83cc-3ab9be4be18f", emailAddress: "own@example.org" }],
      });
      const input = { user: aUser(), methods, contact: { mobilePhone: mobile, alternateEmail: email } };
      const plan = planSync({ ...input, policy: aPolicy({ target: "methods", mode }) });
      expect(actionsOf(plan)).toEqual(["mobilePhone/methods:skipped", "alternateEmail/methods:skipped"]);
      expect(plan.fields.map((f) => f.code)).toEqual(["registered_method_kept", "registered_method_kept"]);
      expect(plan.methodOps).toEqual([]);
    },
  );

  it("writes both the profile and the method for target both", () => {
    const plan = planSync({
      user: aUser(),
      methods: someMethods(),
      contact: { mobilePhone: mobile },
      policy: aPolicy({ target: "both" }),
    });
    expect(actionsOf(plan)).toEqual(["mobilePhone/profile:set", "mobilePhone/methods:set"]);
    expect(plan.patch).toEqual({ mobilePhone: mobile });
    expect(plan.methodOps).toHaveLength(1);
  });
});

describe("deciding whether methods must be read", () => {
  it.each<[string, DesiredContact, "profile" | "methods" | "both", boolean]>([
    ["profile only", { mobilePhone: mobile }, "profile", false],
    ["methods", { mobilePhone: mobile }, "methods", true],
    ["both", { alternateEmail: email }, "both", true],
    ["methods but no contact", {}, "methods", false],
  ])("%s → %s", (_, contact, target, expected) => {
    expect(needsMethods(aPolicy({ target }), contact)).toBe(expected);
  });
});
