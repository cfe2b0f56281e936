import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { otherMethodKinds } from "../../local/graphEmulator/EmulatedTenant.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { loadSettings } from "../../shared/app/config.js";
import { graphDirectoryFromSettings } from "../../shared/app/graphDirectoryFromSettings.js";
import { ConfigError } from "../../shared/core/errors.js";
import { emailMethodId, phoneMethodIds } from "../../shared/graph/graphAuthMethods.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";
import { WriteLimiter } from "../../shared/graph/writeLimiter.js";
import {
  aSeedUser,
  demo,
  directoryFor,
  resetEmulator,
  roomyLimiter,
  startEmulator,
} from "../support/graphEmulatorFixtures.js";
import { limiterOn, virtualClock } from "../support/virtualClock.js";

let emulator: GraphEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});

beforeEach(() => {
  resetEmulator(emulator);
});

afterAll(async () => {
  await emulator?.close();
});

/**
 * What reading the tenant's privilege picture costs (two `$batch` rounds): every write is checked against it when it
 * goes out, so a directory's first write reads it once.
 */
const pictureRead = { "POST $batch": 2 };
/** Makes the user a Global Administrator in the emulated tenant, as an admin would in the portal. */
function promote(id: string): void {
  const user = emulator.tenant.find(id);
  if (!user) throw new Error(`no user ${id}`);
  user.adminRoles.push("Global Administrator");
}

/** The error a promise rejects with, for inspecting its kind. */
async function failureOf(promise: Promise<unknown>): Promise<GraphRequestError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GraphRequestError))
    throw new Error(`expected a GraphRequestError, got ${String(err)}`);
  return err;
}

describe("GraphDirectory reading users", () => {
  it.each([
    ["object id", { id: demo.avery }, "GET user"],
    ["UPN", { userPrincipalName: "Avery.Lindqvist@contoso.example" }, "GET user"],
    ["employeeId", { employeeId: "E40412" }, "GET users"],
  ])("finds a user by %s with one request", async (_, ref, route) => {
    const user = await directoryFor(emulator).findUser(ref);
    expect(user).toEqual({
      id: demo.avery,
      userPrincipalName: "avery.lindqvist@contoso.example",
      mail: "avery.lindqvist@contoso.example",
      mobilePhone: "(425) 555-0147",
      businessPhones: [],
      otherMails: [],
      onPremisesSyncEnabled: null,
      employeeId: "E40412",
      createdDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      // Read with the contact data so the guard can skip guests.
      userType: "Member",
    });
    expect(emulator.stats.totalRequests()).toBe(1);
    expect(emulator.stats.requestCount(route)).toBe(1);
  });

  it("reads the synced flag, office phone and alternate emails that need $select", async () => {
    const directory = directoryFor(emulator);
    expect(await directory.findUser({ id: demo.oliver })).toMatchObject({
      onPremisesSyncEnabled: true,
      businessPhones: ["+44 20 7946 0958"],
    });
    expect((await directory.findUser({ employeeId: "701984" }))?.otherMails).toEqual(["priya.r@example.net"]);
  });

  it.each([
    ["an unknown id", { id: "6b3b7e38-0000-4000-8000-000000000000" }],
    ["an unknown UPN", { userPrincipalName: "ghost@contoso.example" }],
    ["an unknown employeeId", { employeeId: "E99999" }],
  ])("returns undefined for %s", async (_, ref) => {
    expect(await directoryFor(emulator).findUser(ref)).toBeUndefined();
    expect(emulator.stats.totalRequests()).toBe(1);
  });

  it.each([
    ["a guest UPN with #EXT#", "sam.lee_example.com#EXT#@contoso.example"],
    ["a UPN with an apostrophe", "sean.o'brien@contoso.example"],
    ["a UPN starting with $", "$helpdesk@contoso.example"],
    ["a UPN with a plus", "pat+ops@contoso.example"],
  ])("encodes %s in the path", async (_, upn) => {
    emulator.tenant.addUser(aSeedUser(7, { userPrincipalName: upn }));
    expect((await directoryFor(emulator).findUser({ userPrincipalName: upn }))?.id).toBe(aSeedUser(7).id);
  });

  it("looks a UPN with an apostrophe up by $filter (quotes doubled), plain and in $batch", async () => {
    const upn = "sean.o'brien@contoso.example";
    emulator.tenant.addUser(aSeedUser(7, { userPrincipalName: upn }));
    const directory = directoryFor(emulator);
    expect((await directory.findUser({ userPrincipalName: upn }))?.id).toBe(aSeedUser(7).id);
    expect(emulator.stats.requests).toEqual({ "GET users": 1 });
    const [found] = await directory.findUsers([{ userPrincipalName: upn }]);
    expect(found instanceof Error ? found : found?.id).toBe(aSeedUser(7).id);
    expect(emulator.stats.batchItems).toEqual({ "GET users": 1 });
  });

  it("escapes quotes in an employeeId filter", async () => {
    emulator.tenant.addUser(aSeedUser(8, { employeeId: "O'B-7" }));
    expect((await directoryFor(emulator).findUser({ employeeId: "O'B-7" }))?.id).toBe(aSeedUser(8).id);
  });

  it("refuses to guess when an employeeId matches two users", async () => {
    emulator.tenant.addUser(aSeedUser(9, { employeeId: "E40412" }));
    const err = await failureOf(directoryFor(emulator).findUser({ employeeId: "E40412" }));
    expect(err.kind).toBe("ambiguous");
  });

  it("rejects a reference without any key, without calling Graph", async () => {
    const err = await failureOf(directoryFor(emulator).findUser({}));
    expect(err.kind).toBe("invalidRequest");
    expect(emulator.stats.totalRequests()).toBe(0);
  });

  it("refuses to follow an @odata.nextLink to another origin, so the token stays home", async () => {
    const seen: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ value: [], "@odata.nextLink": "http://127.0.0.2:9/v1.0/users?$skiptoken=x" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const directory = directoryFor({ url: `http://127.0.0.1:${port}/v1.0`, token: "t" } as GraphEmulator);
      const pages = directory.listUsers();
      expect((await pages.next()).value).toEqual([]);
      await expect(pages.next()).rejects.toMatchObject({ kind: "invalidRequest" });
      expect(seen).toEqual(["Bearer t"]);
    } finally {
      server.close();
    }
  });

  it("lists every user a page per request, following @odata.nextLink", async () => {
    const pages: number[] = [];
    for await (const page of directoryFor(emulator).listUsers(5)) pages.push(page.length);
    // The demo tenant's 23 users.
    expect(pages).toEqual([5, 5, 5, 5, 3]);
    expect(emulator.stats.requestCount("GET users")).toBe(5);
  });
});

describe("GraphDirectory writing", () => {
  it("updates the profile with one PATCH holding only the changes", async () => {
    await directoryFor(emulator).updateProfile(demo.mei, {
      mobilePhone: "+61 491570006",
      otherMails: ["mei.chen@example.org"],
    });
    expect(emulator.stats.requests).toEqual({ ...pictureRead, "PATCH user": 1 });
    expect(emulator.stats.batchItems["PATCH user"]).toBeUndefined();
    expect(emulator.stats.writes[demo.mei]).toEqual({ mobilePhone: 1, otherMails: 1 });
    expect(emulator.tenant.user(demo.mei)).toMatchObject({
      mobilePhone: "+61 491570006",
      otherMails: ["mei.chen@example.org"],
    });
  });

  it("sends nothing for an empty patch", async () => {
    await directoryFor(emulator).updateProfile(demo.mei, {});
    expect(emulator.stats.totalRequests()).toBe(0);
  });

  it("lists every registered method in one request ($batch of GET …/authentication/methods), the password left out", async () => {
    const methods = await directoryFor(emulator).listAuthMethods(demo.kwame);
    expect(methods).toEqual({
      phoneMethods: [{ id: phoneMethodIds.mobile, phoneNumber: "+1 2065550199", phoneType: "mobile" }],
      emailMethods: [{ id: emailMethodId, emailAddress: "kwame@example.org" }],
      otherMethods: [],
    });
    expect(emulator.stats.requests).toEqual({ "POST $batch": 1 });
    expect(emulator.stats.batchItems).toEqual({ "GET authMethods": 1 });
  });

  it.each(otherMethodKinds)("reads a registered %s method as a method of that kind", async (kind) => {
    emulator.tenant.addUser(aSeedUser(901, { authentication: { otherMethods: [kind] } }));
    const methods = await directoryFor(emulator).listAuthMethods(aSeedUser(901).id);
    expect(methods).toMatchObject({ phoneMethods: [], emailMethods: [], otherMethods: [{ kind }] });
  });

  it("reads methods with the read-only UserAuthenticationMethod.Read.All and writes them with the narrow ones", async () => {
    emulator.tenant.revokePermission("UserAuthenticationMethod.ReadWrite.All");
    const directory = directoryFor(emulator);
    expect((await directory.listAuthMethods(demo.kwame)).phoneMethods).toHaveLength(1);
    await directory.addPhoneMethod(demo.mei, "+61 491570006", "mobile");
    await directory.addEmailMethod(demo.mei, "mei.chen@example.org");
    expect(emulator.tenant.user(demo.mei)?.phoneMethods).toEqual({ mobile: "+61 491570006" });
  });

  it("names UserAuthenticationMethod.Read.All when listing methods answers 403, for one user and in bulk", async () => {
    emulator.tenant.revokePermission("UserAuthenticationMethod.Read.All");
    const directory = directoryFor(emulator);
    const err = await failureOf(directory.listAuthMethods(demo.kwame));
    expect(err).toMatchObject({ kind: "missingPermission", permission: "UserAuthenticationMethod.Read.All" });
    expect(err.message).toContain("UserAuthenticationMethod.Read.All");
    const [bulk] = await directory.listAuthMethodsOf([demo.mei]);
    expect(bulk).toMatchObject({
      kind: "missingPermission",
      permission: "UserAuthenticationMethod.Read.All",
    });
  });

  it("adds and updates phone and email methods, one request each", async () => {
    const directory = directoryFor(emulator);
    const phone = await directory.addPhoneMethod(demo.mei, "+61 491570006", "mobile");
    await directory.updatePhoneMethod(demo.mei, phone.id, "+61 491570007");
    const email = await directory.addEmailMethod(demo.mei, "mei.chen@example.org");
    await directory.updateEmailMethod(demo.mei, email.id, "mei@example.org");
    expect(phone).toEqual({ id: phoneMethodIds.mobile, phoneNumber: "+61 491570006", phoneType: "mobile" });
    expect(email).toEqual({ id: emailMethodId, emailAddress: "mei.chen@example.org" });
    // One picture, read at the first write and kept for the next ones (PRIVILEGE_MAX_AGE_SECONDS).
    expect(emulator.stats.requests).toEqual({
      ...pictureRead,
      "POST phoneMethods": 1,
      "PATCH phoneMethod": 1,
      "POST emailMethods": 1,
      "PATCH emailMethod": 1,
    });
    expect(emulator.tenant.user(demo.mei)).toMatchObject({
      phoneMethods: { mobile: "+61 491570007" },
      emailMethod: "mei@example.org",
    });
  });

  it("writes a synced user's mobile when the tenant allows overrides", async () => {
    emulator.tenant.bypassDirSyncOverridesEnabled = false;
    await directoryFor(emulator).updateProfile(demo.oliver, { mobilePhone: "+44 7400123456" });
    expect(emulator.tenant.user(demo.oliver)?.mobilePhone).toBe("+44 7400123456");
  });
});

describe("GraphDirectory errors", () => {
  it.each([
    [
      "notFound",
      404,
      "Request_ResourceNotFound",
      () =>
        directoryFor(emulator).updateProfile("6b3b7e38-0000-4000-8000-000000000000", {
          mobilePhone: "+1 4255550147",
        }),
    ],
    [
      "notFound",
      404,
      "Request_ResourceNotFound",
      () => directoryFor(emulator).addEmailMethod("6b3b7e38-0000-4000-8000-000000000000", "g@example.com"),
    ],
    [
      "onPremisesMastered",
      400,
      "Request_BadRequest",
      () => directoryFor(emulator).updateProfile(demo.oliver, { businessPhones: ["+44 20 7946 0000"] }),
    ],
    [
      "onPremisesMastered",
      400,
      "Request_BadRequest",
      () => directoryFor(emulator).updateProfile(demo.jonas, { mobilePhone: "+49 15123456789" }),
    ],
    [
      "forbidden",
      403,
      "Authorization_RequestDenied",
      // Made an admin within the picture's bound, so the write gate lets it out and Graph's own 403 answers.
      async () => {
        const directory = directoryFor(emulator, { privilegeMaxAgeMs: 60_000 });
        await directory.privilegeOf(demo.mei);
        promote(demo.mei);
        return directory.updateProfile(demo.mei, { mobilePhone: "+1 4255550112" });
      },
    ],
    [
      "invalidRequest",
      400,
      "Request_BadRequest",
      () =>
        directoryFor(emulator).updateProfile(demo.mei, {
          businessPhones: ["+61 291920995", "+61 291920996"],
        }),
    ],
    [
      "invalidRequest",
      400,
      "invalidRequest",
      () => directoryFor(emulator).addPhoneMethod(demo.mei, "+61491570006", "mobile"),
    ],
    [
      "invalidRequest",
      400,
      "invalidRequest",
      () => directoryFor(emulator).addPhoneMethod(demo.kwame, "+1 2065550142", "mobile"),
    ],
    [
      "unauthorized",
      401,
      "InvalidAuthenticationToken",
      () => directoryFor(emulator, { accessToken: "wrong" }).listAuthMethods(demo.kwame),
    ],
  ] as const)("maps to %s (HTTP %s %s)", async (kind, statusCode, graphCode, call) => {
    const err = await failureOf(call());
    expect(err).toMatchObject({ kind, statusCode, graphCode, retryable: false });
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("maps a 429 that outlived the retries to throttled, with Retry-After", async () => {
    emulator.setThrottle({ writeBudget: 1, writeWindowMs: 60_000 });
    const directory = directoryFor(emulator, { retry: { maxRetries: 0 } });
    await directory.updateProfile(demo.mei, { mobilePhone: "+61 491570005" });
    const err = await failureOf(directory.updateProfile(demo.mei, { mobilePhone: "+61 491570006" }));
    expect(err).toMatchObject({
      kind: "throttled",
      statusCode: 429,
      graphCode: "TooManyRequests",
      retryable: true,
    });
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(59_000);
  });

  it.each([
    ["a 503", { unavailableRate: 1 }, 503],
    ["a 504 after the write", { timeoutAfterWriteRate: 1 }, 504],
  ])("maps %s to transient", async (_, faults, statusCode) => {
    const directory = directoryFor(emulator, { retry: { maxRetries: 0 } });
    // The picture the write is checked against, read before the fault: the write is what fails.
    await directory.privilegePicture();
    emulator.setFaults(faults);
    const err = await failureOf(
      directory.updateProfile(demo.mei, {
        mobilePhone: "+61 491570006",
      }),
    );
    expect(err).toMatchObject({ kind: "transient", statusCode, retryable: true });
  });

  it("maps a timeout to transient", async () => {
    emulator.setLatency(300);
    const err = await failureOf(
      directoryFor(emulator, { timeoutMs: 50, retry: { maxRetries: 0 } }).findUser({ id: demo.mei }),
    );
    expect(err).toMatchObject({ kind: "transient", statusCode: 0 });
    expect(err.message).toContain("timed out");
    // Graph still serves what the client gave up on; waited for here, so it is not counted in the next test.
    await vi.waitFor(() => expect(emulator.stats.requestCount("GET user")).toBe(1), { timeout: 2000 });
  });

  it("maps a refused connection to transient", async () => {
    const closed = await startEmulator();
    await closed.close();
    const err = await failureOf(
      directoryFor(closed, { retry: { maxRetries: 0 } }).findUser({ id: demo.mei }),
    );
    expect(err).toMatchObject({ kind: "transient", statusCode: 0 });
  });

  it("keeps contact values out of error messages", async () => {
    // Graph's 404 echoes the UPN it was given.
    const err = await failureOf(directoryFor(emulator).listAuthMethods("ghost.user@contoso.example"));
    expect(err.kind).toBe("notFound");
    expect(err.message).not.toContain("ghost.user@contoso.example");
    expect(err.message).toContain("g***@c***.example");
    // A write by UPN is held back before Graph (the privilege picture knows users by object id); its answer
    // carries no UPN either.
    const refused = await failureOf(
      directoryFor(emulator).updateProfile("ghost.user@contoso.example", { mobilePhone: "+1 4255550147" }),
    );
    expect(refused.message).not.toContain("ghost.user@contoso.example");
    expect(emulator.stats.requestCount("PATCH user")).toBe(0);
  });
});

describe("GraphDirectory retries", () => {
  it("retries a 503 through the SDK RetryHandler and succeeds", async () => {
    const draws: number[] = [];
    const flaky = await startEmulator({ faults: { unavailableRate: 0.5 }, random: () => draws.shift() ?? 1 });
    const clock = virtualClock();
    try {
      const directory = directoryFor(flaky, { sleep: clock.sleep });
      // The picture the write is checked against, read before the PATCH's first attempt is made to fail.
      await directory.privilegePicture();
      draws.push(0, 1, 1, 1);
      await directory.updateProfile(demo.mei, { mobilePhone: "+61 491570006" });
      expect(flaky.stats.requests["PATCH user"]).toBe(2);
      expect(flaky.tenant.user(demo.mei)?.mobilePhone).toBe("+61 491570006");
      // A 503 without Retry-After: the SDK's delay (0 s here) plus its jitter of under a second, waited once.
      expect(clock.waits).toHaveLength(1);
      expect(clock.waits[0]).toBeGreaterThanOrEqual(0);
      expect(clock.waits[0]).toBeLessThan(1000);
    } finally {
      await flaky.close();
    }
  });

  it("never resends a write answered 504, which may have been applied (a PATCH would write the field twice)", async () => {
    emulator.setFaults({ timeoutAfterWriteRate: 1 });
    const directory = directoryFor(emulator, { retry: { maxRetries: 1, delaySeconds: 0 } });
    await failureOf(directory.updateProfile(demo.mei, { mobilePhone: "+61 491570006" }));
    const err = await failureOf(directory.addPhoneMethod(demo.mei, "+61 491570006", "mobile"));
    expect(emulator.stats.requests).toEqual({ ...pictureRead, "PATCH user": 1, "POST phoneMethods": 1 });
    expect(emulator.stats.writesFor(demo.mei, "mobilePhone")).toBe(1);
    expect(err.kind).toBe("transient");
    expect(emulator.tenant.user(demo.mei)?.phoneMethods.mobile).toBe("+61 491570006");
  });

  it("honours Retry-After on a 429 and then succeeds", async () => {
    const clock = virtualClock();
    const timed = await startEmulator({ now: clock.now });
    try {
      timed.setThrottle({ writeBudget: 1, writeWindowMs: 1000 });
      const limiter = limiterOn(clock);
      const directory = directoryFor(timed, { limiter, sleep: clock.sleep });
      await directory.updateProfile(demo.mei, { mobilePhone: "+61 491570006" });
      expect(clock.waits).toEqual([]);
      await directory.updateProfile(demo.tom, { mobilePhone: "+44 7400123456" });
      // Graph's Retry-After (1 s: one write a second) is waited once, by the RetryHandler; the limiter's pause for
      // the same 429 has passed by then, so nothing waits twice.
      expect(clock.waits).toEqual([1000]);
      expect(timed.stats.throttled).toBe(1);
      expect(timed.stats.requestCount("PATCH user")).toBe(3);
      expect(limiter.stats().backOffs).toBe(1);
      expect(timed.tenant.user(demo.tom)?.mobilePhone).toBe("+44 7400123456");
    } finally {
      await timed.close();
    }
  });
});

describe("GraphDirectory bulk operations over $batch", () => {
  it("finds 25 users in 2 $batch requests, results in input order", async () => {
    const refs = [
      { id: demo.mei },
      { userPrincipalName: "tom.okafor@contoso.example" },
      { employeeId: "E40412" },
      { employeeId: "E99999" },
      {},
      ...Array.from({ length: 20 }, () => ({ id: demo.priya })),
    ];
    const results = await directoryFor(emulator).findUsers(refs);
    expect(results).toHaveLength(25);
    expect((results[0] as { id: string }).id).toBe(demo.mei);
    expect((results[1] as { id: string }).id).toBe(demo.tom);
    expect((results[2] as { mobilePhone: string }).mobilePhone).toBe("(425) 555-0147");
    expect(results[3]).toBeUndefined();
    expect(results[4]).toBeInstanceOf(GraphRequestError);
    expect((results[24] as { otherMails: string[] }).otherMails).toEqual(["priya.r@example.net"]);
    expect(emulator.stats.requests).toEqual({ "POST $batch": 2 });
    expect(emulator.stats.totalBatchItems()).toBe(24);
  });

  it("updates many profiles in batches of 20, one typed result per item", async () => {
    for (let n = 1; n <= 20; n++) emulator.tenant.addUser(aSeedUser(n));
    const items = [
      ...Array.from({ length: 20 }, (_, i) => ({
        userId: aSeedUser(i + 1).id,
        patch: { mobilePhone: "+1 4255550147" },
      })),
      { userId: demo.oliver, patch: { businessPhones: ["+44 20 7946 0000"] } },
      { userId: demo.dana, patch: { otherMails: ["dana@example.com"] } },
      { userId: "6b3b7e38-0000-4000-8000-000000000000", patch: { mobilePhone: "+1 4255550147" } },
      { userId: demo.mei, patch: {} },
    ];
    const results = await directoryFor(emulator).updateProfiles(items);
    expect(results.slice(0, 20).every((r) => r === undefined)).toBe(true);
    // Dana (Global Administrator) is held back by the write gate: her item never reaches Graph.
    expect(results.slice(20).map((r) => r?.kind)).toEqual([
      "onPremisesMastered",
      "privilegedTarget",
      "notFound",
      undefined,
    ]);
    expect(emulator.stats.requestCount("POST $batch")).toBe(pictureRead["POST $batch"] + 2);
    expect(emulator.stats.batchItems["PATCH user"]).toBe(22);
  });

  it("never resends a write item answered 504, which may have been applied", async () => {
    emulator.setFaults({ timeoutAfterWriteRate: 1 });
    const results = await directoryFor(emulator).updateProfiles([
      { userId: demo.mei, patch: { mobilePhone: "+61 491570006" } },
    ]);
    expect(results[0]?.kind).toBe("transient");
    expect(emulator.stats.batchItems["PATCH user"]).toBe(1);
    expect(emulator.stats.writesFor(demo.mei, "mobilePhone")).toBe(1);
  });

  it("retries only the items answered 429, after their Retry-After", async () => {
    const clock = virtualClock();
    const timed = await startEmulator({ now: clock.now });
    try {
      timed.setThrottle({ writeBudget: 3, writeWindowMs: 1000 });
      const limiter = limiterOn(clock);
      const items = [demo.mei, demo.tom, demo.priya, demo.kwame, demo.avery].map((userId) => ({
        userId,
        patch: { mobilePhone: "+1 4255550147" },
      }));
      const results = await directoryFor(timed, { limiter, sleep: clock.sleep }).updateProfiles(items);
      expect(results).toEqual([undefined, undefined, undefined, undefined, undefined]);
      expect(timed.stats.throttled).toBe(2);
      expect(timed.stats.requests).toEqual({ "POST $batch": pictureRead["POST $batch"] + 2 });
      expect(timed.stats.batchItems["PATCH user"]).toBe(7);
      // One wait for the two refused items, as long as their Retry-After; the limiter paused every write as long.
      expect(clock.waits).toEqual([1000]);
      expect(limiter.stats().backOffs).toBe(2);
    } finally {
      await timed.close();
    }
  });

  it("retries items answered 503 and leaves the others alone", async () => {
    const draws = [1, 0, 1, 1, 1];
    const flaky = await startEmulator({ faults: { unavailableRate: 0.5 }, random: () => draws.shift() ?? 1 });
    try {
      const results = await directoryFor(flaky).findUsers([
        { id: demo.mei },
        { id: demo.tom },
        { id: demo.kwame },
      ]);
      expect(results.map((r) => (r as { id: string }).id)).toEqual([demo.mei, demo.tom, demo.kwame]);
      expect(flaky.stats.batchItems).toEqual({ "GET user": 4 });
    } finally {
      await flaky.close();
    }
  });

  it("takes one write token per write item before sending a batch", async () => {
    const limiter = new WriteLimiter({ budget: 100, windowMs: 60_000 });
    await directoryFor(emulator, { limiter }).updateProfiles(
      [demo.mei, demo.tom, demo.priya].map((userId) => ({ userId, patch: { mobilePhone: "+1 4255550147" } })),
    );
    await directoryFor(emulator, { limiter }).findUsers([{ id: demo.mei }, { id: demo.tom }]);
    expect(limiter.stats().granted).toBe(3);
  });
});

describe("building the adapter from settings", () => {
  it("refuses GRAPH_ACCESS_TOKEN for a non-loopback GRAPH_BASE_URL", () => {
    const s = loadSettings({
      GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0",
      GRAPH_ACCESS_TOKEN: "static",
    });
    expect(() => graphDirectoryFromSettings(s, roomyLimiter())).toThrow(ConfigError);
    expect(() => graphDirectoryFromSettings(s, roomyLimiter())).toThrow(/GRAPH_ACCESS_TOKEN.*loopback/);
  });

  it.each([
    ["plain http to a remote host", { GRAPH_BASE_URL: "http://graph.example/v1.0" }, /https/],
    ["no version segment", { GRAPH_BASE_URL: "https://graph.microsoft.com" }, /version/],
    [
      "a loopback URL without a token",
      { GRAPH_BASE_URL: "http://127.0.0.1:4000/v1.0" },
      /GRAPH_ACCESS_TOKEN is required/,
    ],
  ])("refuses %s", (_, env, message) => {
    expect(() => graphDirectoryFromSettings(loadSettings(env), roomyLimiter())).toThrow(message);
  });

  it("works against the emulator from GRAPH_BASE_URL and GRAPH_ACCESS_TOKEN", async () => {
    const s = loadSettings({ GRAPH_BASE_URL: emulator.url, GRAPH_ACCESS_TOKEN: emulator.token });
    expect((await graphDirectoryFromSettings(s, roomyLimiter()).findUser({ employeeId: "E10001" }))?.id).toBe(
      demo.mei,
    );
    expect(emulator.stats.unauthorized).toBe(0);
  });
});

describe("client-request-id", () => {
  it("goes with every request, plain and $batch, so Microsoft support can find any call", async () => {
    const directory = directoryFor(emulator);
    await directory.findUser({ id: demo.mei });
    await directory.findUsers([{ id: demo.tom }]);
    await directory.privilegeOf(demo.mei);
    expect(emulator.stats.totalRequests()).toBeGreaterThanOrEqual(3);
    expect(emulator.stats.withoutClientRequestId).toBe(0);
  });

  it("is kept on a failure, beside Graph's request-id", async () => {
    emulator.tenant.failRoute("PATCH user", 400);
    const err = await failureOf(directoryFor(emulator).updateProfile(demo.mei, { mobilePhone: null }));
    expect(err.clientRequestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(err.requestId).toBeDefined();
    expect(err.clientRequestId).not.toBe(err.requestId);
  });
});
