import type { HttpResponseInit } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getOutcome } from "../../functions/getOutcome.js";
import { listOutcomes } from "../../functions/listOutcomes.js";
import type { SeedUser } from "../../local/graphEmulator/EmulatedTenant.js";
import { appServices } from "../../shared/app/appServices.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import {
  bodyOf,
  callers,
  context,
  easyAuthOn,
  errorCode,
  fix,
  json,
  principal,
  read,
  request,
} from "../support/helpdeskRequests.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The attacks of issue 13 against the helpdesk API: a caller the platform does not vouch for, a reader
// harvesting the phone numbers SSPR trusts, and a request asking for more than the deployment allows.

/** A user with every contact value SSPR reads, in the profile and as authentication methods. */
const fullUser = {
  id: "00000000-0000-4000-8000-0000000000a1",
  userPrincipalName: "full.contact@contoso.example",
  employeeId: "E91",
  mobilePhone: "(425) 555-0147", // not in SSPR form: readiness suggests the canonical +1 4255550147
  businessPhones: ["+1 4255550100"],
  otherMails: ["avery.l@example.com"],
  authentication: {
    phoneMethods: [
      { phoneType: "mobile", phoneNumber: "+1 2065550199" },
      { phoneType: "office", phoneNumber: "+1 2065550123" },
    ],
    emailMethods: [{ emailAddress: "avery.methods@example.org" }],
  },
} satisfies SeedUser;
const emptyUser = {
  id: "00000000-0000-4000-8000-0000000000a2",
  userPrincipalName: "empty.contact@contoso.example",
  employeeId: "E92",
} satisfies SeedUser;

/** Every way the full values could show: as stored, without punctuation, and in SSPR form. */
const fullValues = [
  "(425) 555-0147",
  "4255550147",
  "+1 4255550100",
  "4255550100",
  "avery.l@example.com",
  "+1 2065550199",
  "2065550199",
  "+1 2065550123",
  "2065550123",
  "avery.methods@example.org",
];

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: { tenant: { domain: "contoso.example" }, users: [fullUser, emptyUser] } },
    env: { GRAPH_MAX_RETRIES: "0", DEFAULT_COUNTRY: "US" },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.isolate();
  env.graph.stats.reset();
});

const routes: [string, (headers: Record<string, string>) => Promise<HttpResponseInit>][] = [
  ["GET users/{user}/contact-info", (headers) => read(fullUser.userPrincipalName, headers)],
  [
    "PATCH users/{user}/contact-info",
    (headers) => fix(emptyUser.userPrincipalName, { mobilePhone: "(425) 555-0148" }, { ...json, ...headers }),
  ],
  [
    "GET outcomes/{eventId}",
    (headers) => getOutcome(request("GET", "outcomes/x", { params: { eventId: "x" }, headers }), context()),
  ],
  [
    "GET outcomes?user=",
    (headers) => listOutcomes(request("GET", `outcomes?user=${fullUser.employeeId}`, { headers }), context()),
  ],
];

const forgedAdmin = {
  "x-ms-client-principal": principal("attacker@example.com", ["ContactInfo.ReadWrite", "ContactInfo.Read"]),
  "x-ms-client-principal-name": "attacker@example.com",
};
const sentBy: [string, Record<string, string>][] = [
  ["no credentials at all", {}],
  ["only a function key", { "x-functions-key": "a-host-key" }],
  ["a forged admin principal", forgedAdmin],
  ["a forged admin principal and a function key", { ...forgedAdmin, "x-functions-key": "a-host-key" }],
];

describe("without App Service authentication the helpdesk API trusts nobody", () => {
  const cases = routes.flatMap(([route, call]) =>
    sentBy.map(([who, headers]) => [route, who, call, headers] as const),
  );

  it.each(cases)("%s sent with %s → 401 authentication_required", async (_route, _who, call, headers) => {
    const response = await call(headers);
    expect([response.status, errorCode(response)]).toEqual([401, "authentication_required"]);
    expect(response.headers).toMatchObject({ "WWW-Authenticate": "Bearer" });
    // Refused at the door: not one Graph request was made on the caller's behalf.
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  it("tells the caller how to turn Easy Auth on", async () => {
    const details = bodyOf<{ error: { details: { hint: string }[] } }>(await read(fullUser.id, forgedAdmin))
      .error.details;
    expect(details[0]?.hint).toMatch(/AUTH_CLIENT_ID.*docs\/deploy\.md/);
  });

  it("records nothing and writes nothing for a forged admin's fix", async () => {
    const response = await fix(
      emptyUser.userPrincipalName,
      { mobilePhone: "(425) 555-0148", mode: "overwrite", target: "both" },
      { ...json, ...forgedAdmin, "idempotency-key": "forged-1" },
    );
    expect(response.status).toBe(401);
    expect(env.graph.tenant.user(emptyUser.id)?.mobilePhone ?? null).toBeNull();
    expect(await appServices().outcomes.get("http-forged-1")).toBeUndefined();
  });
});

describe("readers see masked values, admins see them whole", () => {
  beforeEach(() => {
    env.configure(easyAuthOn);
  });

  interface View {
    profile: { mobilePhone: string; businessPhones: string[]; otherMails: string[] };
    methods: {
      phoneMethods: { phoneType: string; phoneNumber: string }[];
      emailMethods: { emailAddress: string }[];
    };
    readiness: { field: string; source: string; verdict: string; value?: string; canonical?: string }[];
    masked?: string;
  }

  it("masks every profile value, method and readiness value for a reader", async () => {
    const response = await read(fullUser.userPrincipalName, callers.reader);
    expect(response.status).toBe(200);
    const view = bodyOf<View>(response);
    expect(view.profile).toEqual({
      mobilePhone: "***147",
      businessPhones: ["+1 ***100"],
      otherMails: ["a***@e***.com"],
    });
    expect(view.methods.phoneMethods.map((m) => m.phoneNumber)).toEqual(["+1 ***199", "+1 ***123"]);
    expect(view.methods.emailMethods.map((m) => m.emailAddress)).toEqual(["a***@e***.org"]);
    expect(view.masked).toContain("ContactInfo.ReadWrite");
  });

  it("keeps the readiness verdicts for a reader, computed from the full values, and masks the suggested canonical form", async () => {
    const view = bodyOf<View>(await read(fullUser.userPrincipalName, callers.reader));
    const mobile = view.readiness.find((r) => r.field === "mobilePhone" && r.source === "profile");
    expect(mobile).toMatchObject({
      verdict: "notCanonical",
      value: "***147",
      canonical: "+1 ***147",
    });
    expect(view.readiness.map((r) => `${r.field}/${r.source}:${r.verdict}`)).toEqual([
      "mobilePhone/profile:notCanonical",
      "officePhone/profile:usable",
      "alternateEmail/profile:usable",
      "mobilePhone/methods:usable",
      "officePhone/methods:usable",
      "alternateEmail/methods:usable",
    ]);
  });

  it("leaks no full value anywhere in a reader's answer", async () => {
    const said = JSON.stringify(bodyOf(await read(fullUser.userPrincipalName, callers.reader)));
    expect(fullValues.filter((value) => said.includes(value))).toEqual([]);
  });

  it("shows an admin every value whole", async () => {
    const view = bodyOf<View>(await read(fullUser.userPrincipalName, callers.admin));
    expect(view.profile).toEqual({
      mobilePhone: "(425) 555-0147",
      businessPhones: ["+1 4255550100"],
      otherMails: ["avery.l@example.com"],
    });
    expect(view.methods.phoneMethods.map((m) => m.phoneNumber)).toEqual(["+1 2065550199", "+1 2065550123"]);
    expect(view.readiness[0]?.canonical).toBe("+1 4255550147");
    expect(view.masked).toBeUndefined();
  });
});

describe("a fix may narrow the deployment's target and mode, never widen them", () => {
  const mobile = { mobilePhone: "(425) 555-0148" };
  const office = { officePhone: "(425) 555-0101" };

  it.each([
    ["profile, fillEmpty (the defaults)", {}, { ...mobile, target: "methods" }, 403, "target_not_allowed"],
    ["profile, fillEmpty (the defaults)", {}, { ...mobile, target: "both" }, 403, "target_not_allowed"],
    ["profile, fillEmpty (the defaults)", {}, { ...mobile, mode: "overwrite" }, 403, "mode_not_allowed"],
    [
      "profile, fillEmpty, even for a dry run",
      {},
      { ...mobile, target: "methods", dryRun: true },
      403,
      "target_not_allowed",
    ],
    [
      "profile, fillEmpty (the defaults)",
      {},
      { ...mobile, target: "profile", mode: "fillEmpty" },
      200,
      undefined,
    ],
    [
      "mobilePhone=both,officePhone=profile",
      { CONTACT_TARGET: "mobilePhone=both,officePhone=profile" },
      { ...mobile, target: "methods" },
      200,
      undefined,
    ],
    [
      "mobilePhone=both,officePhone=profile",
      { CONTACT_TARGET: "mobilePhone=both,officePhone=profile" },
      { ...office, target: "methods" },
      403,
      "target_not_allowed",
    ],
    [
      "mobilePhone=both,officePhone=profile",
      { CONTACT_TARGET: "mobilePhone=both,officePhone=profile" },
      { ...mobile, ...office, target: "methods" },
      403,
      "target_not_allowed",
    ],
    ["overwrite", { CONTACT_MODE: "overwrite" }, { ...mobile, mode: "overwrite" }, 200, undefined],
  ] as const)("deployment %s, body %j → %i %s", async (_, deployment, body, status, code) => {
    env.configure({ ...easyAuthOn, ...deployment });
    const key = `narrow-${Math.random().toString(36).slice(2)}`;
    const response = await fix(emptyUser.userPrincipalName, body, {
      ...json,
      ...callers.admin,
      "idempotency-key": key,
    });
    expect(response.status, JSON.stringify(response.jsonBody)).toBe(status);
    if (code === undefined) return;
    expect(errorCode(response)).toBe(code);
    const detail = bodyOf<{ error: { details: { field: string; hint: string }[] } }>(response).error
      .details[0];
    expect(detail?.field).toBe(code === "mode_not_allowed" ? "mode" : "target");
    expect(detail?.hint).toBeTruthy();
    // Refused before anything happened: no Graph request, nothing written, nothing recorded.
    expect(env.graph.stats.totalRequests()).toBe(0);
    expect(await appServices().outcomes.get(`http-${key}`)).toBeUndefined();
  });

  it("writes only where the narrowed target says: methods for the mobile of a both deployment", async () => {
    env.configure({ ...easyAuthOn, CONTACT_TARGET: "both" });
    const outcome = bodyOf<Outcome>(await fix(emptyUser.userPrincipalName, { ...mobile, target: "methods" }));
    expect(outcome.fields.map((f) => `${f.field}/${f.target}:${f.action}`)).toEqual([
      "mobilePhone/methods:set",
    ]);
    expect(env.graph.tenant.user(emptyUser.id)?.mobilePhone ?? null).toBeNull();
    expect(env.graph.tenant.user(emptyUser.id)?.phoneMethods.mobile).toBe("+1 4255550148");
  });
});
