import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appServices } from "../../shared/app/appServices.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { aSeedUser } from "../support/graphEmulatorFixtures.js";
import { bodyOf, callers, easyAuthOn, errorCode, fix, json } from "../support/helpdeskRequests.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The attack: a holder of the helpdesk admin role (or whoever stole their token) replaces a user's registered MFA
// phone or email with their own, under the app's identity in Entra's audit log. The fix refuses it in every
// target and mode the deployment allows (409 registered_method_kept) and writes nothing; adding a method where the
// user has none, the product's day-one purpose, still works.

const registered = aSeedUser(501, {
  createdDaysAgo: 400,
  authentication: {
    phoneMethods: [{ phoneType: "mobile", phoneNumber: "+1 2065550199" }],
    emailMethods: [{ emailAddress: "own.address@example.org" }],
  },
});
const bare = aSeedUser(502, { createdDaysAgo: 1 });
const attackerPhone = "+1 425 555 0166";
const attackerEmail = "attacker@example.net";
const adminObjectId = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b";

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: { tenant: { domain: "contoso.example" }, users: [registered, bare] } },
    // The widest deployment: both targets, overwrite. The refusal must not depend on a narrow one.
    env: { ...easyAuthOn, CONTACT_TARGET: "both", CONTACT_MODE: "overwrite", GRAPH_MAX_RETRIES: "0" },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.isolate();
  env.graph.stats.reset();
});

/** The emulated tenant's view of the user's methods and profile: what the attack would have changed. */
const stateOf = (id: string) => {
  const user = env.graph.tenant.user(id);
  return {
    phoneMethods: user?.phoneMethods,
    emailMethod: user?.emailMethod,
    mobilePhone: user?.mobilePhone,
    otherMails: user?.otherMails,
  };
};

/** An admin principal as App Service writes it for an Entra token with an `oid` claim (long or short name). */
function adminWithObjectId(claimType: string, objectId = adminObjectId): Record<string, string> {
  const claims = [
    { typ: "name", val: "helpdesk.admin@contoso.example" },
    { typ: claimType, val: objectId },
    { typ: "roles", val: "ContactInfo.ReadWrite" },
  ];
  const principal = { auth_typ: "aad", name_typ: "name", role_typ: "roles", claims };
  return { ...json, "x-ms-client-principal": Buffer.from(JSON.stringify(principal)).toString("base64") };
}

describe("an admin asking to replace a registered authentication method", () => {
  const replacements = [
    ["the mobile phone method", { mobilePhone: attackerPhone }, "mobilePhone"],
    ["the email method", { alternateEmail: attackerEmail }, "alternateEmail"],
  ] as const;
  const asks = [
    { target: "methods", mode: "overwrite" },
    { target: "methods", mode: "fillEmpty" },
    { target: "both", mode: "overwrite" },
    { target: "both", mode: "fillEmpty" },
    { mode: "overwrite" },
    {},
    { target: "methods", mode: "overwrite", dryRun: true },
  ] as const;

  it.each(
    replacements.flatMap(([what, contact, field]) => asks.map((ask) => [what, ask, contact, field] as const)),
  )(
    "is refused for %s with %j: 409 registered_method_kept, nothing written or recorded",
    async (_what, ask, contact, field) => {
      const before = stateOf(registered.id);
      const response = await fix(registered.id, { ...contact, ...ask });

      expect([response.status, errorCode(response)]).toEqual([409, "registered_method_kept"]);
      const details = bodyOf<{ error: { details: { field: string; code: string; hint: string }[] } }>(
        response,
      ).error.details;
      expect(details).toEqual([
        expect.objectContaining({
          field,
          code: "registered_method_kept",
          hint: expect.stringContaining("PIM"),
        }),
      ]);
      expect(details[0]?.hint).toContain("Users → Authentication methods");
      expect(stateOf(registered.id)).toEqual(before);
      expect(env.graph.stats.writesFor(registered.id)).toBe(0);
      expect(await appServices().outcomes.listByUser({ kind: "id", value: registered.id }, 10)).toEqual([]);
    },
  );

  it("keeps the profile half of a target-both request unwritten too (the request is refused as a whole)", async () => {
    const before = stateOf(registered.id);
    expect(before.mobilePhone ?? null).toBeNull();
    const response = await fix(registered.id, { mobilePhone: attackerPhone, target: "both" });
    expect(response.status).toBe(409);
    expect(stateOf(registered.id)).toEqual(before);
  });

  it("names the field and no value in the answer", async () => {
    const response = await fix(registered.id, { mobilePhone: attackerPhone, alternateEmail: attackerEmail });
    const text = JSON.stringify(response.jsonBody);
    expect(text).toContain("mobilePhone");
    expect(text).toContain("alternateEmail");
    for (const value of ["2065550199", "4255550166", "own.address", "attacker@"])
      expect(text).not.toContain(value);
  });

  it("leaves a method holding the same number as it is, writing nothing", async () => {
    const response = await fix(registered.id, { mobilePhone: "+1 206 555 0199", target: "methods" });
    expect(response.status).toBe(200);
    expect(bodyOf<Outcome>(response).fields).toEqual([
      expect.objectContaining({ target: "methods", action: "unchanged", code: "already_present" }),
    ]);
    expect(env.graph.stats.writesFor(registered.id)).toBe(0);
  });
});

describe("an admin adding a method where the user has none", () => {
  it("still adds the phone and email methods and fills the empty profile fields", async () => {
    const response = await fix(bare.id, {
      mobilePhone: "+1 425 555 0147",
      alternateEmail: "new.hire@example.org",
    });
    expect(response.status).toBe(200);
    expect(bodyOf<Outcome>(response).status).toBe("updated");
    const after = env.graph.tenant.user(bare.id);
    expect(after?.phoneMethods).toEqual({ mobile: "+1 4255550147" });
    expect(after?.emailMethod).toBe("new.hire@example.org");
    expect(after?.mobilePhone).toBe("+1 4255550147");
    expect(after?.otherMails).toEqual(["new.hire@example.org"]);
  });
});

describe("the fix's outcome names its caller by object id", () => {
  it.each([["http://schemas.microsoft.com/identity/claims/objectidentifier"], ["oid"]])(
    "records the %s claim as actorObjectId beside the name",
    async (claimType) => {
      const response = await fix(bare.id, { mobilePhone: "+1 425 555 0147" }, adminWithObjectId(claimType));
      const stored = await appServices().outcomes.get(bodyOf<Outcome>(response).eventId);
      expect(stored).toMatchObject({ actor: "helpdesk.admin@contoso.example", actorObjectId: adminObjectId });
    },
  );

  it("records no object id when the principal carries none, rather than a guessed one", async () => {
    const response = await fix(bare.id, { mobilePhone: "+1 425 555 0147" }, { ...json, ...callers.admin });
    const stored = await appServices().outcomes.get(bodyOf<Outcome>(response).eventId);
    expect(stored?.actor).toBe("helpdesk.admin@contoso.example");
    expect(stored).not.toHaveProperty("actorObjectId");
  });
});
