import { HttpRequest, InvocationContext } from "@azure/functions";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixContactInfo } from "../../functions/fixContactInfo.js";
import type { SeedUser, TenantSeed } from "../../local/graphEmulator/EmulatedTenant.js";
import { loadFunctions } from "../../local/loadFunctions.js";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import { appServices } from "../../shared/app/appServices.js";
import { type Outcome, outcomeStatuses } from "../../shared/sync/outcome.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import { countryValue, emailValue, fuzzPii, garbage, mostly, phoneValue } from "./support/arbitraries.js";
import { reportFigures, sizes } from "./support/scale.js";

const numRuns = sizes.fuzzRuns;
let env: TestEnvironment;
let host: LocalHost;
const hostLog: string[] = [];

// The kinds of user a fix meets (the rules each exercises are in test/contactInfoHttp.test.ts), with numbers
// from fuzzPii's own range so a leak of a stored value is caught too.
const users: SeedUser[] = [
  {
    id: "00000000-0000-4000-8000-00000000f001",
    userPrincipalName: "fix.new@contoso.example",
    employeeId: "F1",
  },
  {
    id: "00000000-0000-4000-8000-00000000f002",
    userPrincipalName: "fix.reformat@contoso.example",
    employeeId: "F2",
    mobilePhone: "(206) 555-0147",
    businessPhones: ["206.555.0100"],
    otherMails: ["sam.0@example.com"],
  },
  {
    id: "00000000-0000-4000-8000-00000000f003",
    userPrincipalName: "fix.synced@contoso.example",
    employeeId: "F3",
    onPremisesSyncEnabled: true,
  },
  {
    id: "00000000-0000-4000-8000-00000000f004",
    userPrincipalName: "fix.admin@contoso.example",
    employeeId: "F4",
    adminRoles: ["Global Administrator"],
  },
  {
    id: "00000000-0000-4000-8000-00000000f005",
    userPrincipalName: "o'brien.$fix@contoso.example",
    employeeId: "F'5",
    authentication: {
      phoneMethods: [{ phoneType: "mobile", phoneNumber: "+1 2125550199" }],
      emailMethods: [{ emailAddress: "kim.3@example.org" }],
    },
  },
];
const tenant: TenantSeed = { tenant: { domain: "contoso.example" }, users };

beforeAll(async () => {
  env = await startTestEnvironment({
    // Throttling and faults off: a 503 here could only come from a bug, which is what the fuzzer looks for.
    graph: { tenant, throttle: { enabled: false } },
    env: {
      GRAPH_MAX_RETRIES: "0",
      GRAPH_WRITE_BUDGET: "1000000",
      DEFAULT_COUNTRY: "US",
      ORGANIZATION_DOMAINS: "contoso.example",
      // Behind App Service authentication, as deployed; the principal header below is then the platform's word.
      WEBSITE_AUTH_ENABLED: "True",
      // Wide enough that most fixes reach Graph, narrow enough (alternateEmail) that the body's target is refused
      // now and then: the fuzzer exercises both sides of narrowPolicy.
      CONTACT_TARGET: "mobilePhone=both,officePhone=both,alternateEmail=profile",
      CONTACT_MODE: "overwrite",
    },
  });
  host = await startLocalHost({
    registrations: await loadFunctions(),
    settings: appServices().settings,
    port: 0,
    log: (line) => hostLog.push(line),
  });
});
afterAll(async () => {
  await host?.close();
  await env?.close();
});

/** `{user}` as the route hands it over: an existing user by any key, or anything a caller may type. */
const userKey = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(...users.flatMap((u) => [u.id, u.userPrincipalName, u.employeeId ?? u.id])),
  },
  { weight: 1, arbitrary: fc.constantFrom(...users.map((u) => ` ${u.userPrincipalName.toUpperCase()} `)) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      garbage,
      fc.uuid(),
      fc.constantFrom(
        " ",
        "%",
        "%20",
        "'",
        "''",
        "$x",
        "$svc'x@contoso.example",
        "a#b?c@contoso.example",
        "E'1",
      ),
      fc.string({ minLength: 17, maxLength: 200 }),
      fc.emailAddress(),
    ),
  },
);

/** A fix body: contact fields and options, mostly plausible, or any JSON, or not JSON at all. */
const fixBody = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record(
        {
          mobilePhone: phoneValue,
          officePhone: phoneValue,
          alternateEmail: emailValue,
          mode: mostly(fc.constantFrom("fillEmpty", "overwrite"), fc.anything()),
          target: mostly(fc.constantFrom("profile", "methods", "both"), fc.anything()),
          dryRun: mostly(fc.boolean(), fc.anything()),
          country: countryValue,
        },
        { requiredKeys: [] },
      )
      .chain((body) =>
        mostly(
          fc.constant(body),
          fc
            .record(
              { securityQuestion: fc.string({ maxLength: 10 }), extra: fc.anything() },
              { requiredKeys: [] },
            )
            .map((extra) => ({ ...body, ...extra })),
        ),
      )
      .map((body) => Buffer.from(JSON.stringify(body))),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? "null")) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 20_000 }))
      .map((b) => Buffer.from(b)),
  },
);

const latin1 = (value: string) => value.replace(/[^\x20-\x7e\xa0-\xff]/g, "").slice(0, 200);
function principal(roles: string[]): string {
  const claims = [
    { typ: "name", val: "helpdesk@contoso.example" },
    ...roles.map((val) => ({ typ: "roles", val })),
  ];
  return Buffer.from(
    JSON.stringify({ auth_typ: "aad", name_typ: "name", role_typ: "roles", claims }),
  ).toString("base64");
}
const adminPrincipal = principal(["ContactInfo.ReadWrite"]);
/** Headers: each sometimes absent, mostly what a helpdesk client sends, now and then anything. */
const headers = fc
  .record({
    contentType: fc.oneof(
      { weight: 9, arbitrary: fc.constant("application/json") },
      { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/json; charset=utf-8", "") },
    ),
    principal: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 6, arbitrary: fc.constant(adminPrincipal) },
      { weight: 1, arbitrary: fc.constant(principal(["ContactInfo.Read"])) },
      {
        weight: 1,
        arbitrary: fc.oneof(
          garbage.map((g) => Buffer.from(g).toString("base64")),
          garbage.map(latin1),
        ),
      },
    ),
    idempotencyKey: fc.option(
      fc.oneof(fc.uuid(), garbage.map(latin1), fc.constantFrom("ticket-1", "ticket-2")),
      {
        freq: 2,
      },
    ),
    contentLength: fc.oneof(
      { weight: 19, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.nat(40_000).map(String) },
    ),
  })
  .map(({ contentType, principal: caller, idempotencyKey, contentLength }) => ({
    "content-type": contentType,
    ...(caller === undefined ? {} : { "x-ms-client-principal": caller }),
    ...(idempotencyKey === null ? {} : { "idempotency-key": idempotencyKey }),
    ...(contentLength === null ? {} : { "content-length": contentLength }),
  }));

describe(`fuzzing PATCH /api/users/{user}/contact-info (${numRuns.toLocaleString("en-US")} cases)`, () => {
  it("never answers 5xx or throws, answers 200 only with a sound outcome, and never echoes PII", async () => {
    const started = performance.now();
    const statuses: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(userKey, fixBody, headers, async (user, body, requestHeaders) => {
        const logs: string[] = [];
        const request = new HttpRequest({
          method: "PATCH",
          url: `http://127.0.0.1:7071/api/users/${encodeURIComponent(user)}/contact-info`,
          params: { user },
          headers: requestHeaders,
          body: { bytes: body },
        });
        const context = new InvocationContext({
          functionName: "fixContactInfo",
          logHandler: (_level, ...args) => logs.push(args.map(String).join(" ")),
        });
        const response = await fixContactInfo(request, context);
        const status = response.status ?? 200;
        statuses[status] = (statuses[status] ?? 0) + 1;
        expect(status, JSON.stringify(response.jsonBody)).toBeLessThan(500);
        if (status === 200) {
          // Only a caller the platform vouches for as an admin ever gets a fix through.
          expect(requestHeaders["x-ms-client-principal"]).toBe(adminPrincipal);
          const outcome = response.jsonBody as Outcome;
          expect(outcomeStatuses).toContain(outcome.status);
          expect(outcome.eventId).toMatch(/^http-/);
        }
        const said = `${JSON.stringify(response.jsonBody ?? null)}\n${logs.join("\n")}`;
        expect(fuzzPii.findIn(said), said).toEqual([]);
      }),
      { numRuns },
    );
    reportFigures("fuzz-fix", {
      cases: numRuns,
      "answers by status": statuses,
      "Graph requests": env.graph.stats.totalRequests(),
      "duration s": (performance.now() - started) / 1000,
    });
    // The fuzzer got past validation to Graph and back, not only to 400s: to a fix (200), or to the refusal to
    // replace a method the user registered (409 registered_method_kept), which needs the user's methods read first.
    expect((statuses[200] ?? 0) + (statuses[409] ?? 0)).toBeGreaterThan(numRuns / 20);
    expect(statuses[200] ?? 0).toBeGreaterThan(numRuns / 40);
  });

  it(`over HTTP through the local host, any path segment as {user} gets an answer below 500 (${sizes.httpFuzzRuns.toLocaleString("en-US")} cases)`, async () => {
    const started = performance.now();
    const statuses: Record<string, number> = {};
    const segment = fc.oneof(
      fc.constantFrom(
        ...users.flatMap((u) => [u.userPrincipalName, encodeURIComponent(u.userPrincipalName)]),
      ),
      garbage.map(encodeURIComponent),
      // Raw text: malformed percent-escapes (the counterexample was `%E0%A4%A`), `%`, `?`, `#`, `/`, `..`.
      fc.string({
        unit: fc.constantFrom(..."%E0A4afz2F5C/?#.. '$@x1".split("")),
        minLength: 1,
        maxLength: 16,
      }),
    );
    await fc.assert(
      fc.asyncProperty(segment, fc.boolean(), async (user, dryRun) => {
        const response = await fetch(`${host.url}/api/users/${user}/contact-info`, {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ dryRun, mobilePhone: "(206) 555-0101" }),
        });
        const text = await response.text();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        expect(response.status, `PATCH ${user}: ${text}`).toBeLessThan(500);
        expect(fuzzPii.findIn(text)).toEqual([]);
      }),
      { numRuns: sizes.httpFuzzRuns },
    );
    expect(hostLog.filter((line) => line.includes("unhandled error"))).toEqual([]);
    reportFigures("fuzz-fix-http", {
      cases: sizes.httpFuzzRuns,
      "answers by status": statuses,
      "duration s": (performance.now() - started) / 1000,
    });
  });
});
