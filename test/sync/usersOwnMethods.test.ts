import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixContactInfo } from "../../functions/fixContactInfo.js";
import { onboardingQueue } from "../../functions/onboardingQueue.js";
import { otherMethodKinds } from "../../local/graphEmulator/EmulatedTenant.js";
import { appServices } from "../../shared/app/appServices.js";
import type { AuthMethods } from "../../shared/directory/directory.js";
import { appKeysFrom } from "../../shared/sync/appKeys.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { pendingValueHashWith } from "../../shared/sync/pendingValueHash.js";
import { type DesiredContact, planSync } from "../../shared/sync/syncPlanner.js";
import type { MethodsWrittenEarlier } from "../../shared/sync/userRegisteredKinds.js";
import { aPolicy, aUser, eventFor, someMethods } from "../support/factories.js";
import { aSeedUser } from "../support/graphEmulatorFixtures.js";
import { callers, easyAuthOn } from "../support/helpdeskRequests.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// "The user's own methods, all of them": any method the user registered, of any kind, keeps an HR event from adding
// or replacing a phone or email method; a value Graph shows masked is never compared, nor taken for ours.

const mobileId = "3179e48a-750b-4051-897c-87b9720928f7";
const emailId = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f";
const contact: DesiredContact = {
  mobilePhone: "+1 4255550147",
  officePhone: "+1 4255550100",
  alternateEmail: "hire@example.org",
};
const otherKinds = [
  "microsoftAuthenticator",
  "fido2",
  "windowsHelloForBusiness",
  "softwareOath",
  "hardwareOath",
  "temporaryAccessPass",
  "platformCredential",
  "securityQuestion",
  "qrCodePin",
] as const;

const hashOf = pendingValueHashWith(
  appKeysFrom("a test APP_SIGNING_KEY, 32 characters or more").pendingValue,
);
/** The pending note of an earlier attempt that wrote `value` to `field`, as the queue keeps it. */
const notedWrite = (field: keyof DesiredContact, value: string): MethodsWrittenEarlier => ({
  writes: [{ field, afterHash: hashOf(field, value) }],
  hashOf,
});

const methodFields = (fields: ReturnType<typeof planSync>["fields"]) =>
  fields.filter((f) => f.target === "methods").map((f) => `${f.field}:${f.action}:${f.code}`);
const allKept = [
  "mobilePhone:skipped:user_registered_methods",
  "officePhone:skipped:user_registered_methods",
  "alternateEmail:skipped:user_registered_methods",
];

describe("planning for an event source (keepUserMethods)", () => {
  const policy = (mode: "fillEmpty" | "overwrite") =>
    aPolicy({ target: "both", mode, keepUserMethods: true });

  it.each(otherKinds.flatMap((kind) => [[kind, "fillEmpty"] as const, [kind, "overwrite"] as const]))(
    "adds no method beside a registered %s (mode %s), and still fills the profile",
    (kind, mode) => {
      const plan = planSync({
        user: aUser(),
        contact,
        methods: someMethods({ otherMethods: [{ kind }] }),
        policy: policy(mode),
      });
      expect(plan.methodOps).toEqual([]);
      expect(methodFields(plan.fields)).toEqual(allKept);
      expect(plan.fields[1]?.reason).toContain(kind);
      expect(plan.patchFields).toEqual(["mobilePhone", "officePhone", "alternateEmail"]);
    },
  );

  it("still counts an Authenticator as the user's when the phone beside it is one an earlier attempt wrote", () => {
    const written = notedWrite("mobilePhone", "+1 4255550147");
    const methods = someMethods({
      phoneMethods: [{ id: mobileId, phoneNumber: "+1 4255550147", phoneType: "mobile" }],
      otherMethods: [{ kind: "microsoftAuthenticator", id: "a1" }],
    });
    const plan = planSync({
      user: aUser(),
      contact,
      methods,
      methodsWrittenEarlier: written,
      policy: policy("fillEmpty"),
    });
    expect(plan.methodOps).toEqual([]);
    expect(methodFields(plan.fields)).toEqual(allKept);
  });

  it("takes a phone an earlier attempt wrote for its own, when the user registered nothing else", () => {
    const written = notedWrite("mobilePhone", "+1 4255550147");
    const methods = someMethods({
      phoneMethods: [{ id: mobileId, phoneNumber: "+1 4255550147", phoneType: "mobile" }],
    });
    const plan = planSync({
      user: aUser(),
      contact: { mobilePhone: "+1 4255550147" },
      methods,
      methodsWrittenEarlier: written,
      policy: policy("fillEmpty"),
    });
    expect(methodFields(plan.fields)).toEqual(["mobilePhone:unchanged:already_present"]);
  });

  // The attack: an earlier attempt noted alex@…, the user has anna@… — both a***@e***.com masked. Compared by mask,
  // the user's own address passed for the event's, and mode overwrite replaced it.
  it("does not take the user's own email for the event's when only the masks agree, even in mode overwrite", () => {
    const plan = planSync({
      user: aUser(),
      contact: { alternateEmail: "alex@example.com" },
      methods: someMethods({ emailMethods: [{ id: emailId, emailAddress: "anna@example.com" }] }),
      methodsWrittenEarlier: notedWrite("alternateEmail", "alex@example.com"),
      policy: policy("overwrite"),
    });
    expect(plan.methodOps).toEqual([]);
    expect(methodFields(plan.fields)).toEqual(["alternateEmail:skipped:user_registered_methods"]);
  });

  it("does not take the user's own phone for the event's when only the last digits agree", () => {
    const plan = planSync({
      user: aUser(),
      contact: { mobilePhone: "+1 4255550147" },
      methods: someMethods({
        phoneMethods: [{ id: mobileId, phoneNumber: "+1 2065550147", phoneType: "mobile" }],
      }),
      methodsWrittenEarlier: notedWrite("mobilePhone", "+1 4255550147"),
      policy: policy("overwrite"),
    });
    expect(plan.methodOps).toEqual([]);
    expect(methodFields(plan.fields)).toEqual(["mobilePhone:skipped:user_registered_methods"]);
  });

  it.each([
    [
      "a note from before the hashes (masked value only)",
      { writes: [{ field: "alternateEmail" as const }], hashOf },
    ],
    [
      "a note hashed with another key",
      {
        writes: [
          {
            field: "alternateEmail" as const,
            afterHash: pendingValueHashWith(
              appKeysFrom("another APP_SIGNING_KEY, 32 characters long").pendingValue,
            )("alternateEmail", "alex@example.com"),
          },
        ],
        hashOf,
      },
    ],
    [
      "a note for another field",
      {
        writes: [{ field: "mobilePhone" as const, afterHash: hashOf("mobilePhone", "alex@example.com") }],
        hashOf,
      },
    ],
  ])("counts the method as the user's against %s (fail closed)", (_name, written) => {
    const plan = planSync({
      user: aUser(),
      contact: { alternateEmail: "alex@example.com" },
      methods: someMethods({ emailMethods: [{ id: emailId, emailAddress: "alex@example.com" }] }),
      methodsWrittenEarlier: written,
      policy: policy("overwrite"),
    });
    expect(methodFields(plan.fields)).toEqual(["alternateEmail:skipped:user_registered_methods"]);
  });

  it("knows its own email again whatever its case", () => {
    const plan = planSync({
      user: aUser(),
      contact: { alternateEmail: "alex@example.com" },
      methods: someMethods({ emailMethods: [{ id: emailId, emailAddress: "Alex@Example.com" }] }),
      methodsWrittenEarlier: notedWrite("alternateEmail", "alex@example.com"),
      policy: policy("overwrite"),
    });
    expect(methodFields(plan.fields)).toEqual(["alternateEmail:unchanged:already_present"]);
  });

  // Graph's own mask (an Authentication Administrator's view), this app's mask, and the bullets some tools show.
  const maskedPhones = ["+1 425XXXX147", "+1 XXXXXXXX47", "+1 ***147", "+1 42555501••", "+1 425555xxxx"];
  const maskedEmails = ["h***@e***.org", "h*@example.org", "hire@e***.org"];

  it.each(maskedPhones)(
    "counts a phone method read masked (%s) as the user's, even when its mask is the one an earlier attempt noted",
    (masked) => {
      const plan = planSync({
        user: aUser(),
        contact: { mobilePhone: "+1 4255550147" },
        methods: someMethods({ phoneMethods: [{ id: mobileId, phoneNumber: masked, phoneType: "mobile" }] }),
        methodsWrittenEarlier: {
          writes: [{ field: "mobilePhone", afterHash: hashOf("mobilePhone", masked) }],
          hashOf,
        },
        policy: policy("overwrite"),
      });
      expect(plan.methodOps).toEqual([]);
      expect(methodFields(plan.fields)).toEqual(["mobilePhone:skipped:user_registered_methods"]);
    },
  );

  it.each(maskedEmails)("counts an email method read masked (%s) as the user's", (masked) => {
    const plan = planSync({
      user: aUser(),
      contact: { alternateEmail: "hire@example.org" },
      methods: someMethods({ emailMethods: [{ id: emailId, emailAddress: masked }] }),
      methodsWrittenEarlier: {
        writes: [{ field: "alternateEmail", afterHash: hashOf("alternateEmail", masked) }],
        hashOf,
      },
      policy: policy("fillEmpty"),
    });
    expect(plan.methodOps).toEqual([]);
    expect(methodFields(plan.fields)).toEqual(["alternateEmail:skipped:user_registered_methods"]);
  });
});

describe("planning for the helpdesk fix (an admin asking for this user)", () => {
  const policy = (mode: "fillEmpty" | "overwrite") =>
    aPolicy({ target: "methods", mode, keepUserMethods: false });
  const masked = (methods: Partial<AuthMethods>) => someMethods(methods);

  it.each(otherKinds)("adds a phone and an email method beside a registered %s", (kind) => {
    const plan = planSync({
      user: aUser(),
      contact: { mobilePhone: "+1 4255550147", alternateEmail: "hire@example.org" },
      methods: someMethods({ otherMethods: [{ kind }] }),
      policy: policy("fillEmpty"),
    });
    expect(plan.methodOps.map((op) => op.kind)).toEqual(["addPhone", "addEmail"]);
  });

  const modes = ["fillEmpty", "overwrite"] as const;
  const registered = [
    ["a phone read masked", "+1 425XXXX147", { mobilePhone: "+1 4255550147" }],
    ["a phone in this app's mask", "+1 ***147", { mobilePhone: "+1 4255550147" }],
    ["an email read masked", "h***@e***.org", { alternateEmail: "hire@example.org" }],
    ["a different phone", "+1 2065550199", { mobilePhone: "+1 4255550147" }],
    ["a different email", "own@example.org", { alternateEmail: "hire@example.org" }],
  ] as const;

  it.each(
    registered.flatMap(([what, value, wanted]) => modes.map((mode) => [what, value, mode, wanted] as const)),
  )("never replaces %s (%s), in mode %s: kept, registered_method_kept", (_, value, mode, wanted) => {
    const methods = value.includes("@")
      ? masked({ emailMethods: [{ id: emailId, emailAddress: value }] })
      : masked({ phoneMethods: [{ id: mobileId, phoneNumber: value, phoneType: "mobile" }] });
    const plan = planSync({ user: aUser(), contact: wanted, methods, policy: policy(mode) });
    expect(plan.methodOps).toEqual([]);
    expect(plan.fields.map((f) => `${f.action}:${f.code}`)).toEqual(["skipped:registered_method_kept"]);
    expect(plan.fields[0]?.after).toBe(value);
  });

  it.each(modes)(
    "leaves the same number in another format as it is, in mode %s (no write to the method)",
    (mode) => {
      const methods = masked({
        phoneMethods: [{ id: mobileId, phoneNumber: "+14255550147", phoneType: "mobile" }],
      });
      const plan = planSync({
        user: aUser(),
        contact: { mobilePhone: "+1 4255550147" },
        methods,
        policy: policy(mode),
      });
      expect(plan.methodOps).toEqual([]);
      expect(plan.fields.map((f) => `${f.action}:${f.code}`)).toEqual(["unchanged:already_present"]);
    },
  );
});

// The same rule end to end: the queue function and the helpdesk function, on the emulated tenant through Graph.
const emulatedKinds = otherMethodKinds;
const hires = emulatedKinds.map((kind, k) =>
  aSeedUser(300 + k, { createdDaysAgo: 1, authentication: { otherMethods: [kind] } }),
);

describe("on the emulated tenant, CONTACT_TARGET=both, CONTACT_MODE=overwrite", () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({
      graph: { tenant: { tenant: { domain: "contoso.example" }, users: hires } },
      env: { ...easyAuthOn, CONTACT_TARGET: "both", CONTACT_MODE: "overwrite", GRAPH_MAX_RETRIES: "0" },
    });
  });
  afterAll(async () => env?.close());
  beforeEach(() => {
    env.graph.tenant.reset();
    env.isolate();
    env.graph.stats.reset();
  });

  async function deliver(message: Record<string, unknown>): Promise<Outcome | undefined> {
    await onboardingQueue(
      message,
      new InvocationContext({
        functionName: "onboardingQueue",
        triggerMetadata: { dequeueCount: 1 },
        logHandler: () => undefined,
      }),
    );
    return appServices().outcomes.get(String(message.eventId));
  }

  const hireContact = { mobilePhone: "+1 425 555 0147", alternateEmail: "hire@example.org" };

  it.each(hires.map((hire, k) => [emulatedKinds[k], hire] as const))(
    "the queue adds no method for a hire who registered %s",
    async (_kind, hire) => {
      const outcome = await deliver(eventFor({ id: hire.id }, hireContact));
      expect(outcome?.fields.filter((f) => f.target === "methods").map((f) => f.code)).toEqual([
        "user_registered_methods",
        "user_registered_methods",
      ]);
      const after = env.graph.tenant.user(hire.id);
      expect(after?.phoneMethods).toEqual({});
      expect(after?.emailMethod).toBeNull();
      expect(after?.mobilePhone).toBe("+1 4255550147");
      expect(
        Object.keys(env.graph.stats.batchItems).filter((op) => /Methods?$/.test(op) && !op.startsWith("GET")),
      ).toEqual([]);
    },
  );

  it("the helpdesk, asked by an admin, adds a phone method beside the hire's Authenticator", async () => {
    const [hire] = hires;
    const response = await fixContactInfo(
      new HttpRequest({
        method: "PATCH",
        url: `http://127.0.0.1:7071/api/users/${hire?.id}/contact-info`,
        params: { user: hire?.id ?? "" },
        headers: { "content-type": "application/json", ...callers.admin },
        body: { string: JSON.stringify({ mobilePhone: "+1 425 555 0147", target: "methods" }) },
      }),
      new InvocationContext({ functionName: "fixContactInfo", logHandler: () => undefined }),
    );
    expect(response.status).toBe(200);
    expect(env.graph.tenant.user(hire?.id ?? "")?.phoneMethods).toEqual({ mobile: "+1 4255550147" });
    expect(env.graph.tenant.user(hire?.id ?? "")?.otherMethods).toEqual(["microsoftAuthenticator"]);
  });

  it("names UserAuthenticationMethod.Read.All when Graph refuses the methods list, and writes no method", async () => {
    env.graph.tenant.revokePermission("UserAuthenticationMethod.Read.All");
    const [hire] = hires;
    // The queue waits for the grant (a new one can take hours to reach the token), naming the permission.
    expect(await deliver(eventFor({ id: hire?.id ?? "" }, hireContact))).toMatchObject({
      status: "deferred",
      code: "missing_permission",
      permission: "UserAuthenticationMethod.Read.All",
    });
    expect(env.graph.tenant.user(hire?.id ?? "")?.phoneMethods).toEqual({});
  });
});
