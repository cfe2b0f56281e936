import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import {
  aSeedUser,
  demo,
  graphFetch,
  resetEmulator,
  startEmulator,
} from "../support/graphEmulatorFixtures.js";

const onPrem =
  "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.";
const guidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let emulator: GraphEmulator;

beforeEach(async () => {
  if (!emulator) emulator = await startEmulator();
  resetEmulator(emulator);
});

afterAll(async () => {
  await emulator?.close();
});

const get = (path: string) => graphFetch(emulator, path);
const patch = (path: string, body: unknown) => graphFetch(emulator, path, { method: "PATCH", body });
const post = (path: string, body: unknown) => graphFetch(emulator, path, { method: "POST", body });

describe("the emulated tenant's authentication and envelope", () => {
  it.each([
    ["no token", null, "Access token is empty."],
    ["a wrong token", "not-the-token", "Access token validation failure."],
  ])("answers 401 InvalidAuthenticationToken to a request with %s", async (_, token, message) => {
    const res = await graphFetch(emulator, `/users/${demo.mei}`, { token });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "InvalidAuthenticationToken", message });
    expect(emulator.stats.unauthorized).toBe(1);
  });

  it("shapes every error like Graph: code, message and innerError with date and request ids", async () => {
    const res = await graphFetch(emulator, "/users/nobody@contoso.example", {
      headers: { "client-request-id": "abc-123" },
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: {
        code: "Request_ResourceNotFound",
        message: expect.stringContaining("nobody@contoso.example"),
        innerError: {
          date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
          "request-id": expect.stringMatching(guidText),
          "client-request-id": "abc-123",
        },
      },
    });
    expect(res.headers.get("request-id")).toBe(res.body.error.innerError["request-id"]);
    expect(res.headers.get("client-request-id")).toBe("abc-123");
  });

  it.each([
    ["GET", `/users/${demo.mei}`, undefined, 200],
    ["PATCH", `/users/${demo.mei}`, { mobilePhone: "+1 4255550147" }, 204],
    ["GET", "/users/ghost@contoso.example", undefined, 404],
    ["GET", "/applications", undefined, 400],
    ["POST", "/$batch", { requests: [{ id: "1", method: "GET", url: `/users/${demo.mei}` }] }, 200],
  ])("puts a request-id header on %s %s (%s)", async (method, path, body, status) => {
    const res = await graphFetch(emulator, path, { method, body });
    expect(res.status).toBe(status);
    expect(res.headers.get("request-id")).toMatch(guidText);
  });

  it("refuses /me for an app-only caller", async () => {
    const res = await get("/me");
    expect(res.status).toBe(400);
  });
});

describe("reading users", () => {
  it("returns Graph's default property set without $select", async () => {
    const res = await get(`/users/${demo.priya}`);
    expect(Object.keys(res.body).filter((k) => !k.startsWith("@odata"))).toEqual([
      "businessPhones",
      "displayName",
      "givenName",
      "jobTitle",
      "mail",
      "mobilePhone",
      "officeLocation",
      "preferredLanguage",
      "surname",
      "userPrincipalName",
      "id",
    ]);
  });

  it.each(["otherMails", "onPremisesSyncEnabled", "employeeId"])(
    "returns %s only when selected",
    async (property) => {
      const plain = await get(`/users/${demo.priya}`);
      const selected = await get(`/users/${demo.priya}?$select=id,${property}`);
      expect(plain.body).not.toHaveProperty(property);
      expect(Object.keys(selected.body).filter((k) => !k.startsWith("@odata"))).toEqual(["id", property]);
    },
  );

  it("reads the contact state the pipeline needs in one $select", async () => {
    const res = await get(
      `/users/${encodeURIComponent("Oliver.Bennett@contoso.example")}?$select=id,userPrincipalName,mail,mobilePhone,businessPhones,otherMails,onPremisesSyncEnabled,employeeId`,
    );
    expect(res.body).toMatchObject({
      id: demo.oliver,
      mobilePhone: "+44 7400 123456",
      businessPhones: ["+44 20 7946 0958"],
      otherMails: [],
      onPremisesSyncEnabled: true,
      employeeId: "E10002",
    });
  });

  it("rejects $select of a property the user type does not have", async () => {
    const res = await get(`/users/${demo.mei}?$select=id,shoeSize`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("shoeSize");
  });

  it("finds UPNs with #EXT#, apostrophes and a leading $ when percent-encoded or in key form", async () => {
    emulator.tenant.addUser(
      aSeedUser(1, { userPrincipalName: "sam.o'neil_example.com#EXT#@contoso.example" }),
    );
    emulator.tenant.addUser(aSeedUser(2, { userPrincipalName: "$svc@contoso.example" }));
    const guest = await get(
      `/users/${encodeURIComponent("sam.o'neil_example.com#EXT#@contoso.example").replaceAll("'", "%27")}`,
    );
    const dollar = await get(`/users('${encodeURIComponent("$svc@contoso.example")}')`);
    expect(guest.body.id).toBe(aSeedUser(1).id);
    expect(dollar.body.id).toBe(aSeedUser(2).id);
  });

  it.each([
    ["employeeId", "E40412", demo.avery],
    ["userPrincipalName", "TOM.OKAFOR@contoso.example", demo.tom],
    ["mail", "priya.raman@contoso.example", demo.priya],
  ])("filters with %s eq, case-insensitively", async (property, value, id) => {
    const res = await get(`/users?$filter=${encodeURIComponent(`${property} eq '${value}'`)}&$select=id`);
    expect(res.status).toBe(200);
    expect(res.body.value).toEqual([{ id }]);
  });

  it("unescapes doubled quotes in a filter literal", async () => {
    emulator.tenant.addUser(aSeedUser(3, { employeeId: "O'B-7" }));
    const res = await get(`/users?$filter=${encodeURIComponent("employeeId eq 'O''B-7'")}&$select=id`);
    expect(res.body.value).toEqual([{ id: aSeedUser(3).id }]);
  });

  it.each([
    ["mobilePhone eq '+1 4255550147'", "Request_UnsupportedQuery"],
    ["startswith(displayName,'A')", "Request_UnsupportedQuery"],
    ["employeeId ne 'E1'", "Request_UnsupportedQuery"],
    ["nonsense", "BadRequest"],
  ])("answers 400 to the filter %s, as Graph does without advanced query headers", async (filter, code) => {
    const res = await get(`/users?$filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it.each(["0", "1000", "ten"])("rejects $top=%s", async (top) => {
    expect((await get(`/users?$top=${top}`)).status).toBe(400);
  });

  it("pages the user list with absolute @odata.nextLink links that keep the query", async () => {
    const seen: string[] = [];
    let url: string | undefined = `${emulator.url}/users?$select=id,employeeId&$top=5`;
    let pages = 0;
    while (url) {
      const res = await graphFetch(emulator, url.slice(emulator.url.length));
      pages += 1;
      seen.push(...res.body.value.map((u: { id: string }) => u.id));
      expect(Object.keys(res.body.value[0])).toEqual(["id", "employeeId"]);
      url = res.body["@odata.nextLink"];
      if (url) expect(url.startsWith(`${emulator.url}/users?`)).toBe(true);
    }
    expect(pages).toBe(Math.ceil(emulator.tenant.size / 5));
    expect(new Set(seen).size).toBe(emulator.tenant.size);
  });
});

describe("updating users", () => {
  it("answers 204 and changes only the given properties", async () => {
    const res = await patch(`/users/${demo.mei}`, {
      mobilePhone: "+61 491570006",
      otherMails: ["mei.chen@example.org"],
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(emulator.tenant.user(demo.mei)).toMatchObject({
      mobilePhone: "+61 491570006",
      otherMails: ["mei.chen@example.org"],
      businessPhones: [],
      displayName: "Mei Chen",
    });
    expect(emulator.stats.writesFor(demo.mei)).toBe(2);
    expect(emulator.stats.writesFor(demo.mei, "otherMails")).toBe(1);
  });

  it.each([
    [
      "two office phones",
      { businessPhones: ["+1 4255550100", "+1 4255550101"] },
      "Invalid value specified for property 'businessPhones'",
    ],
    [
      "a 65-character mobile",
      { mobilePhone: "1".repeat(65) },
      "Invalid value specified for property 'mobilePhone'",
    ],
    [
      "251 alternate emails",
      { otherMails: Array.from({ length: 251 }, (_, i) => `a${i}@example.com`) },
      "'otherMails'",
    ],
    ["a 251-character alternate email", { otherMails: [`${"a".repeat(239)}@example.com`] }, "'otherMails'"],
    ["an accented alternate email", { otherMails: ["josé@example.com"] }, "'otherMails'"],
    ["an unknown property", { favouriteColour: "blue" }, "does not exist as a declared property"],
    ["a read-only property", { onPremisesSyncEnabled: false }, "read-only"],
  ])("rejects %s with 400 and changes nothing", async (_, body, message) => {
    const res = await patch(`/users/${demo.mei}`, { jobTitle: "Changed", ...body });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
    expect(emulator.tenant.user(demo.mei)?.jobTitle).toBe("Data Analyst");
  });

  it.each([
    ["businessPhones", { businessPhones: ["+44 20 7946 0000"] }, true, 400],
    ["businessPhones", { businessPhones: ["+44 20 7946 0000"] }, false, 400],
    ["mobilePhone", { mobilePhone: "+44 7400 123457" }, true, 400],
    ["mobilePhone", { mobilePhone: "+44 7400 123457" }, false, 204],
    ["otherMails", { otherMails: ["oliver@example.com"] }, true, 204],
  ])(
    "for a synced user, writing %s with bypassDirSyncOverridesEnabled=%s answers %s",
    async (_, body, bypass, status) => {
      emulator.tenant.bypassDirSyncOverridesEnabled = bypass;
      const res = await patch(`/users/${demo.oliver}`, body);
      expect(res.status).toBe(status);
      if (status === 400)
        expect(res.body.error).toMatchObject({ code: "Request_BadRequest", message: onPrem });
    },
  );

  it.each([{ mobilePhone: "+1 4255550112" }, { businessPhones: [] }, { otherMails: ["dana@example.com"] }])(
    "answers 403 Authorization_RequestDenied to %o on a privileged user",
    async (body) => {
      const res = await patch(`/users/${demo.dana}`, body);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("Authorization_RequestDenied");
    },
  );

  it("lets a privileged user's non-contact properties be written", async () => {
    expect((await patch(`/users/${demo.dana}`, { preferredLanguage: "en-US" })).status).toBe(204);
  });

  it("answers 404 Request_ResourceNotFound for an unknown user", async () => {
    const res = await patch("/users/6b3b7e38-0000-4000-8000-000000000000", { mobilePhone: "+1 4255550147" });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("Request_ResourceNotFound");
  });
});

describe("authentication methods", () => {
  it.each([
    ["mobile", "3179e48a-750b-4051-897c-87b9720928f7"],
    ["alternateMobile", "b6332ec1-7057-4abe-9331-3d72feddfe41"],
    ["office", "e37fc753-ff3b-4958-9484-eaa9425c82bc"],
  ])("adds a %s phone method with its fixed id", async (phoneType, id) => {
    const res = await post(`/users/${demo.mei}/authentication/phoneMethods`, {
      phoneNumber: "+61 491570006",
      phoneType,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id, phoneNumber: "+61 491570006", phoneType });
    expect(res.headers.get("location")).toContain(`/authentication/phoneMethods/${id}`);
  });

  it("refuses a second method of the same type", async () => {
    const res = await post(`/users/${demo.kwame}/authentication/phoneMethods`, {
      phoneNumber: "+1 2065550142",
      phoneType: "mobile",
    });
    expect(res.status).toBe(400);
    expect(emulator.tenant.user(demo.kwame)?.phoneMethods.mobile).toBe("+1 2065550199");
  });

  it.each([
    ["+1 4255550100", 201],
    ["+1 4255550100x12", 201],
    ["+14255550100", 400],
    ["+1 425 555 0100", 400],
    ["4255550100", 400],
    ["+1 4255550100 x12", 400],
    ["+1 (425) 5550100", 400],
  ])("checks the phone format strictly: %s → %s", async (phoneNumber, status) => {
    const res = await post(`/users/${demo.tom}/authentication/phoneMethods`, {
      phoneNumber,
      phoneType: "office",
    });
    expect(res.status).toBe(status);
  });

  it("updates a phone method in place with PATCH (204)", async () => {
    const path = `/users/${demo.kwame}/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7`;
    expect((await patch(path, { phoneNumber: "+1 2065550142", phoneType: "mobile" })).status).toBe(204);
    expect((await get(path)).body).toMatchObject({ phoneNumber: "+1 2065550142", phoneType: "mobile" });
    expect(emulator.stats.writesFor(demo.kwame, "phoneMethods/mobile")).toBe(1);
  });

  it("answers 404 when patching a method the user does not have", async () => {
    const res = await patch(
      `/users/${demo.mei}/authentication/phoneMethods/e37fc753-ff3b-4958-9484-eaa9425c82bc`,
      {
        phoneNumber: "+61 491570006",
      },
    );
    expect(res.status).toBe(404);
  });

  it("keeps one email method per user", async () => {
    const first = await post(`/users/${demo.mei}/authentication/emailMethods`, {
      emailAddress: "mei.chen@example.org",
    });
    const second = await post(`/users/${demo.mei}/authentication/emailMethods`, {
      emailAddress: "mei@example.org",
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: "3ddfcfc8-9383-446f-83cc-3ab9be4be18f",
      emailAddress: "mei.chen@example.org",
    });
    expect(second.status).toBe(400);
    const updated = await patch(
      `/users/${demo.mei}/authentication/emailMethods/3ddfcfc8-9383-446f-83cc-3ab9be4be18f`,
      {
        emailAddress: "mei@example.org",
      },
    );
    expect(updated.status).toBe(204);
    expect(emulator.tenant.user(demo.mei)?.emailMethod).toBe("mei@example.org");
  });

  it('refuses the whole methods list without UserAuthenticationMethod.Read.All, as "List methods" says', async () => {
    emulator.tenant.revokePermission("UserAuthenticationMethod.Read.All");
    const res = await get(`/users/${demo.kwame}/authentication/methods`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
    expect((await get(`/users/${demo.kwame}/authentication/phoneMethods`)).status).toBe(200);
    expect((await get(`/users/${demo.kwame}/authentication/emailMethods`)).status).toBe(200);
  });

  it("lists every method with its @odata.type, the password included", async () => {
    const res = await get(`/users/${demo.kwame}/authentication/methods`);
    expect(res.body.value.map((m: { "@odata.type": string }) => m["@odata.type"])).toEqual([
      "#microsoft.graph.passwordAuthenticationMethod",
      "#microsoft.graph.phoneAuthenticationMethod",
      "#microsoft.graph.emailAuthenticationMethod",
    ]);
    const phones = await get(`/users/${demo.kwame}/authentication/phoneMethods`);
    const emails = await get(`/users/${demo.kwame}/authentication/emailMethods`);
    expect(phones.body.value).toHaveLength(1);
    expect(emails.body.value).toEqual([
      { id: "3ddfcfc8-9383-446f-83cc-3ab9be4be18f", emailAddress: "kwame@example.org" },
    ]);
  });

  it.each([
    [
      "microsoftAuthenticator",
      { displayName: expect.any(String), deviceTag: expect.any(String), phoneAppVersion: expect.any(String) },
    ],
    [
      "fido2",
      {
        displayName: expect.any(String),
        aaGuid: expect.any(String),
        model: expect.any(String),
        attestationLevel: expect.any(String),
      },
    ],
    ["windowsHelloForBusiness", { displayName: expect.any(String), keyStrength: "normal" }],
    ["softwareOath", { secretKey: null }],
    [
      "temporaryAccessPass",
      { temporaryAccessPass: null, lifetimeInMinutes: 60, isUsableOnce: true, isUsable: true },
    ],
    ["platformCredential", { displayName: expect.any(String), platform: "macOS", keyStrength: "normal" }],
  ] as const)("lists a seeded %s method shaped as its resource page shows it", async (kind, shape) => {
    emulator.tenant.addUser(aSeedUser(902, { authentication: { otherMethods: [kind] } }));
    const res = await get(`/users/${aSeedUser(902).id}/authentication/methods`);
    expect(res.status).toBe(200);
    expect(res.body.value[1]).toMatchObject({
      "@odata.type": `#microsoft.graph.${kind}AuthenticationMethod`,
      id: expect.any(String),
      ...shape,
    });
    // The phone and email lists show none of them.
    expect((await get(`/users/${aSeedUser(902).id}/authentication/phoneMethods`)).body.value).toEqual([]);
  });

  it("lets methods be written for a synced user", async () => {
    const res = await post(`/users/${demo.oliver}/authentication/phoneMethods`, {
      phoneNumber: "+44 7400123456",
      phoneType: "mobile",
    });
    expect(res.status).toBe(201);
  });
});

describe("JSON batching", () => {
  it("answers each request separately with its own status, headers and body", async () => {
    const res = await post("/$batch", {
      requests: [
        { id: "a", method: "GET", url: `/users/${demo.mei}?$select=id,employeeId` },
        {
          id: "b",
          method: "PATCH",
          url: `users/${demo.tom}`,
          body: { mobilePhone: "+44 7400123456" },
          headers: { "Content-Type": "application/json" },
        },
        { id: "c", method: "GET", url: "/users/ghost@contoso.example" },
      ],
    });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.a).toMatchObject({ status: 200, body: { id: demo.mei, employeeId: "E10001" } });
    expect(byId.b).toMatchObject({ status: 204 });
    expect(byId.b).not.toHaveProperty("body");
    expect(byId.c).toMatchObject({ status: 404, body: { error: { code: "Request_ResourceNotFound" } } });
    expect(emulator.stats.requests["POST $batch"]).toBe(1);
    expect(emulator.stats.batchItems).toEqual({ "GET user": 2, "PATCH user": 1 });
  });

  it.each([
    [
      "more than 20 requests",
      Array.from({ length: 21 }, (_, i) => ({ id: `${i}`, method: "GET", url: `/users/${demo.mei}` })),
    ],
    [
      "duplicate ids",
      [
        { id: "1", method: "GET", url: "/users" },
        { id: "1", method: "GET", url: "/users" },
      ],
    ],
    ["an absolute url", [{ id: "1", method: "GET", url: "https://graph.microsoft.com/v1.0/users" }]],
    [
      "a body without Content-Type",
      [{ id: "1", method: "PATCH", url: `/users/${demo.mei}`, body: { jobTitle: "x" } }],
    ],
    ["no requests", []],
  ])("rejects a batch with %s (400)", async (_, requests) => {
    const res = await post("/$batch", { requests });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BadRequest");
  });

  it("answers 424 for a request whose dependency failed, and runs dependents after success", async () => {
    const res = await post("/$batch", {
      requests: [
        {
          id: "1",
          method: "PATCH",
          url: `/users/${demo.oliver}`,
          body: { businessPhones: [] },
          headers: { "Content-Type": "application/json" },
        },
        { id: "2", method: "GET", url: `/users/${demo.oliver}`, dependsOn: ["1"] },
        {
          id: "3",
          method: "PATCH",
          url: `/users/${demo.tom}`,
          body: { jobTitle: "Lead" },
          headers: { "Content-Type": "application/json" },
        },
        { id: "4", method: "GET", url: `/users/${demo.tom}?$select=jobTitle`, dependsOn: ["3"] },
      ],
    });
    const statuses = Object.fromEntries(
      res.body.responses.map((r: { id: string; status: number }) => [r.id, r.status]),
    );
    expect(statuses).toEqual({ "1": 400, "2": 424, "3": 204, "4": 200 });
    expect(res.body.responses.find((r: { id: string }) => r.id === "4").body.jobTitle).toBe("Lead");
  });

  it("throttles each item separately, with its own Retry-After", async () => {
    emulator.setThrottle({ writeBudget: 2, writeWindowMs: 60_000 });
    const requests = [demo.mei, demo.tom, demo.priya].map((id, i) => ({
      id: `${i}`,
      method: "PATCH",
      url: `/users/${id}`,
      body: { preferredLanguage: "en-GB" },
      headers: { "Content-Type": "application/json" },
    }));
    const res = await post("/$batch", { requests });
    const third = res.body.responses.find((r: { id: string }) => r.id === "2");
    expect(res.body.responses.map((r: { status: number }) => r.status)).toEqual([204, 204, 429]);
    expect(third.body.error.code).toBe("TooManyRequests");
    expect(Number(third.headers["Retry-After"])).toBeGreaterThanOrEqual(1);
    expect(emulator.stats.throttled).toBe(1);
  });
});

describe("throttling, faults and latency", () => {
  it("answers 429 TooManyRequests with Retry-After and throttle headers once the write budget is spent", async () => {
    emulator.setThrottle({ writeBudget: 1, writeWindowMs: 30_000 });
    const first = await patch(`/users/${demo.mei}`, { jobTitle: "A" });
    const second = await patch(`/users/${demo.mei}`, { jobTitle: "B" });
    expect(first.status).toBe(204);
    expect(first.headers.get("x-ms-resource-unit")).toBe("1");
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe("TooManyRequests");
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(29);
    expect(second.headers.get("x-ms-throttle-information")).toBe("WriteLimitExceeded");
    expect(emulator.tenant.user(demo.mei)?.jobTitle).toBe("A");
  });

  it("throttles reads by resource units: a list costs 2, $select takes 1 off", async () => {
    emulator.setThrottle({ resourceUnits: 3, resourceWindowMs: 60_000 });
    expect((await get("/users")).headers.get("x-ms-resource-unit")).toBe("2");
    expect((await get("/users?$select=id")).headers.get("x-ms-resource-unit")).toBe("1");
    const third = await get(`/users/${demo.mei}`);
    expect(third.status).toBe(429);
    expect(third.headers.get("x-ms-throttle-information")).toBe("ResourceUnitLimitExceeded");
  });

  it("injects 503 before applying: nothing changes", async () => {
    emulator.setFaults({ unavailableRate: 1 });
    const res = await patch(`/users/${demo.mei}`, { jobTitle: "Changed" });
    expect(res.status).toBe(503);
    expect(emulator.tenant.user(demo.mei)?.jobTitle).toBe("Data Analyst");
    expect(emulator.stats.faults.unavailable).toBe(1);
  });

  it("injects 504 after applying a write: the change happened anyway", async () => {
    emulator.setFaults({ timeoutAfterWriteRate: 1 });
    const res = await patch(`/users/${demo.mei}`, { jobTitle: "Changed" });
    const read = await get(`/users/${demo.mei}?$select=jobTitle`);
    expect(res.status).toBe(504);
    expect(read.status).toBe(200);
    expect(emulator.tenant.user(demo.mei)?.jobTitle).toBe("Changed");
  });

  it("adds the configured latency to every request", async () => {
    emulator.setLatency(120);
    const started = performance.now();
    await get(`/users/${demo.mei}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("exposes settings, stats and reset to another process under /_emulator", async () => {
    const origin = new URL(emulator.url).origin;
    const auth = { Authorization: `Bearer ${emulator.token}`, "Content-Type": "application/json" };
    await patch(`/users/${demo.mei}`, { jobTitle: "Changed" });
    const changed = await fetch(`${origin}/_emulator/settings`, {
      method: "PATCH",
      headers: auth,
      body: JSON.stringify({ latencyMs: 5, faults: { unavailableRate: 0.25 } }),
    });
    expect(await changed.json()).toMatchObject({
      latencyMs: 5,
      faults: { unavailableRate: 0.25, timeoutAfterWriteRate: 0 },
    });
    const stats = (await (await fetch(`${origin}/_emulator/stats`, { headers: auth })).json()) as {
      requests: Record<string, number>;
    };
    expect(stats.requests["PATCH user"]).toBe(1);
    await fetch(`${origin}/_emulator/reset`, { method: "POST", headers: auth });
    expect(emulator.tenant.user(demo.mei)?.jobTitle).toBe("Data Analyst");
    expect((await fetch(`${origin}/_emulator/stats`)).status).toBe(401);
  });
});
