import { describe, expect, it } from "vitest";
import { emulateEasyAuth, localCallerRoles, localPrincipal } from "../../local/emulateEasyAuth.js";
import { emulatorPlan } from "../../local/emulatorPlan.js";
import { StartProblem } from "../../local/startProblem.js";
import { authorizeCaller, readers } from "../../shared/http/callerAccess.js";

const roles = { CONTACT_READER_ROLE: "Contact.Read", CONTACT_ADMIN_ROLE: "Contact.Admin" };

function claimsOf(headers: Record<string, string>): string[] {
  const principal = JSON.parse(
    Buffer.from(headers["x-ms-client-principal"] ?? "", "base64").toString("utf8"),
  ) as {
    claims: { typ: string; val: string }[];
  };
  return principal.claims.filter((c) => c.typ === "roles").map((c) => c.val);
}

describe("npm start's plan, decided before anything starts", () => {
  it("uses stable ports by default, so a second shell's exports survive a restart", () => {
    const plan = emulatorPlan({});
    expect(plan).toMatchObject({
      storagePorts: { blob: 10000, queue: 10001, table: 10002 },
      graphPort: 4000,
      env: { GRAPH_BASE_URL: "http://127.0.0.1:4000/v1.0", ORGANIZATION_DOMAINS: "contoso.example" },
      callerRoles: ["reader", "admin"],
    });
  });

  it("gives the run an app signing key of its own, so webhook events keep their verified sender; a set one stays", () => {
    const first = emulatorPlan({});
    const second = emulatorPlan({});
    if (first instanceof StartProblem || second instanceof StartProblem) throw first;
    expect(first.env.APP_SIGNING_KEY?.length).toBeGreaterThanOrEqual(32);
    expect(second.env.APP_SIGNING_KEY).not.toBe(first.env.APP_SIGNING_KEY);
    const own = emulatorPlan({ APP_SIGNING_KEY: "x".repeat(40) });
    if (own instanceof StartProblem) throw own;
    expect(own.env.APP_SIGNING_KEY).toBeUndefined();
  });

  it.each([
    [{ LOCAL_STORAGE_PORT: "0", GRAPH_EMULATOR_PORT: "0" }, { blob: 0, queue: 0, table: 0 }, 0],
    [
      { LOCAL_STORAGE_PORT: "20000", GRAPH_EMULATOR_PORT: "4100" },
      { blob: 20000, queue: 20001, table: 20002 },
      4100,
    ],
  ])("moves the ports as %o says", (env, storagePorts, graphPort) => {
    expect(emulatorPlan(env)).toMatchObject({ storagePorts, graphPort });
  });

  it("starts neither emulator where the settings name a real account and tenant", () => {
    const plan = emulatorPlan({
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0",
    });
    expect(plan).not.toHaveProperty("storagePorts");
    expect(plan).not.toHaveProperty("graphPort");
  });

  it("lists every port it will listen on, the local host's first, so all are checked before anything starts", () => {
    expect(
      emulatorPlan({ PORT: "7100", LOCAL_STORAGE_PORT: "20000", GRAPH_EMULATOR_PORT: "4100" }),
    ).toMatchObject({
      ports: [
        { port: 7100, setting: "PORT" },
        { port: 20000, setting: "LOCAL_STORAGE_PORT" },
        { port: 20001, setting: "LOCAL_STORAGE_PORT" },
        { port: 20002, setting: "LOCAL_STORAGE_PORT" },
        { port: 4100, setting: "GRAPH_EMULATOR_PORT" },
      ],
    });
  });

  it.each([
    ["unset (npm start starts it)", {}, true],
    ["an emulator on loopback", { GRAPH_BASE_URL: "http://127.0.0.1:4000/v1.0" }, true],
    ["the real Graph", { GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0" }, false],
    [
      "a name that only starts like loopback",
      { GRAPH_BASE_URL: "http://127.0.0.1.attacker.example/v1.0" },
      false,
    ],
  ])(
    "takes Graph for an emulated tenant (sign-in emulated, samples sent) only when GRAPH_BASE_URL is %s",
    (_case, env, emulated) => {
      expect(emulatorPlan(env)).toMatchObject({ emulatedTenant: emulated });
    },
  );

  it("honours LOCAL_CALLER_ROLES in front of an emulator on loopback", () => {
    expect(
      emulatorPlan({ LOCAL_CALLER_ROLES: "reader", GRAPH_BASE_URL: "http://localhost:4000/v1.0" }),
    ).toMatchObject({ callerRoles: ["reader"], emulatedTenant: true });
  });

  it("refuses a deployed storage account before anything starts, its key unrepeated", () => {
    const plan = emulatorPlan({
      AzureWebJobsStorage:
        "DefaultEndpointsProtocol=https;AccountName=contosohr;AccountKey=ZmFrZS1rZXk=;EndpointSuffix=core.windows.net",
    });
    expect(plan).toBeInstanceOf(StartProblem);
    expect((plan as StartProblem).message).toMatch(
      /^AzureWebJobsStorage names storage off this machine \(contosohr\.queue\.core\.windows\.net\)/,
    );
    expect((plan as StartProblem).message).not.toContain("ZmFrZS1rZXk=");
  });

  it.each([
    [
      { LOCAL_STORAGE_PORT: "65534" },
      "LOCAL_STORAGE_PORT must be a port number (0 for any free one), not 65534",
    ],
    [
      { GRAPH_EMULATOR_PORT: "four" },
      "GRAPH_EMULATOR_PORT must be a port number (0 for any free one), not four",
    ],
    [
      { LOCAL_CALLER_ROLES: "owner" },
      "LOCAL_CALLER_ROLES must be reader, admin, reader,admin or none, not owner",
    ],
    [
      { LOCAL_CALLER_ROLES: "reader", GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0" },
      "LOCAL_CALLER_ROLES works only before the emulated tenant: unset it, or unset GRAPH_BASE_URL",
    ],
    [{ PORT: "70000" }, "PORT must be a port number (0 for any free one), not 70000"],
  ])("refuses %o in one line naming the fix", (env, line) => {
    const plan = emulatorPlan(env);
    expect(plan).toBeInstanceOf(StartProblem);
    expect((plan as StartProblem).message).toBe(line);
    expect((plan as StartProblem).exitCode).toBe(2);
  });
});

describe("LOCAL_CALLER_ROLES: the roles the local developer holds", () => {
  it.each([
    [undefined, ["Contact.Read", "Contact.Admin"]],
    ["reader", ["Contact.Read"]],
    ["admin", ["Contact.Admin"]],
    [" Reader , admin ", ["Contact.Read", "Contact.Admin"]],
    ["none", []],
  ])("%s signs requests in with %o", (text, expected) => {
    const held = localCallerRoles(text);
    if (held instanceof Error) throw held;
    expect(claimsOf(emulateEasyAuth({}, roles, held))).toEqual(expected);
  });

  it("signs in with the local principal's object id, as Entra's token carries one (read limits count by it)", () => {
    const headers = new Headers(emulateEasyAuth({}, roles));
    const access = authorizeCaller(headers, readers({ ...roles, WEBSITE_AUTH_ENABLED: true }));
    expect(access.ok && access.caller.objectId).toBe(localPrincipal.id);
  });

  it("still drops a client's own principal header whatever the roles", () => {
    const headers = emulateEasyAuth({ "x-ms-client-principal": "forged" }, roles, ["reader"]);
    expect(headers["x-ms-client-principal"]).not.toBe("forged");
  });
});
