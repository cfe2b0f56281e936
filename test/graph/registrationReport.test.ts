import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { RegistrationDetail } from "../../shared/directory/directory.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { directoryFailureOf } from "../../shared/directory/directoryFailure.js";
import {
  aTenant,
  directoryFor,
  graphFetch,
  resetEmulator,
  startEmulator,
} from "../support/graphEmulatorFixtures.js";
import { limiterOn, virtualClock } from "../support/virtualClock.js";

// 2,500 users: three pages of the registration report (1,000 a page).
let emulator: GraphEmulator;
/** The emulator's clock: real time, unless a test puts it on a virtual clock. */
let emulatorNow = () => Date.now();

beforeAll(async () => {
  emulator = await startEmulator({ tenant: aTenant(2500), now: () => emulatorNow() });
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(() => {
  emulatorNow = () => Date.now();
  resetEmulator(emulator);
  emulator.tenant.grantPermission("AuditLog.Read.All");
});

async function readAll(
  from = emulator,
  overrides: Parameters<typeof directoryFor>[1] = {},
  fallbacks: string[] = [],
): Promise<RegistrationDetail[]> {
  const all: RegistrationDetail[] = [];
  const onFallback = (note: string) => fallbacks.push(note);
  for await (const page of directoryFor(from, overrides).listRegistrationDetails({ onFallback })) {
    all.push(...page);
  }
  return all;
}

const reportPath = "/reports/authenticationMethods/userRegistrationDetails?$top=1";

describe("the registration report's own throttle in the emulated tenant", () => {
  it("admits 5 requests per 10 s (Graph's identity and access reports limit), then 429 with Retry-After", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await graphFetch(emulator, reportPath);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(2);
  });

  it("keeps the reports budget apart: users are still served while the reports are throttled, and the other way", async () => {
    emulator.setThrottle({ reportRequests: 1, reportWindowMs: 60_000, resourceUnits: 2 });
    expect((await graphFetch(emulator, reportPath)).status).toBe(200);
    expect((await graphFetch(emulator, reportPath)).status).toBe(429);
    expect((await graphFetch(emulator, "/users?$select=id&$top=1")).status).toBe(200);
    expect((await graphFetch(emulator, "/users?$select=id&$top=1")).status).toBe(200);
    expect((await graphFetch(emulator, "/users?$select=id&$top=1")).status).toBe(429);
    emulator.setThrottle({ reportRequests: 1, reportWindowMs: 60_000, resourceUnits: 1 });
    expect((await graphFetch(emulator, "/users?$select=id&$top=1")).status).toBe(200);
    expect((await graphFetch(emulator, reportPath)).status).toBe(200);
  });
});

describe("GraphDirectory.listRegistrationDetails", () => {
  it("pages through the whole report with $top=1000 and no $select (its page documents neither), one request a page", async () => {
    const fallbacks: string[] = [];
    const details = await readAll(emulator, {}, fallbacks);
    expect(details).toHaveLength(2500);
    expect(emulator.stats.requests["GET registrationDetails"]).toBe(3);
    expect(details[0]).toMatchObject({ isSsprEnabled: true, isSsprCapable: false, methodsRegistered: [] });
    expect(fallbacks).toEqual([]);
  });

  it("reads it once more without $top when Graph refuses $top (400), and says so", async () => {
    emulator.tenant.registrationReportTakesTop = false;
    const fallbacks: string[] = [];
    const details = await readAll(emulator, {}, fallbacks);
    expect(details).toHaveLength(2500);
    // One refused request, then Graph's own page size (1,000 in the emulated tenant) through the nextLinks.
    expect(emulator.stats.requests["GET registrationDetails"]).toBe(1 + 3);
    expect(fallbacks).toEqual([
      expect.stringMatching(/^Graph refused the query option \$top .*\(400 BadRequest\)/),
    ]);
  });

  it("does not fall back for a refusal that is not a 400 (a missing permission stays one)", async () => {
    emulator.tenant.revokePermission("AuditLog.Read.All");
    const fallbacks: string[] = [];
    await expect(readAll(emulator, {}, fallbacks)).rejects.toMatchObject({ statusCode: 403 });
    expect(fallbacks).toEqual([]);
    expect(emulator.stats.requests["GET registrationDetails"]).toBe(1);
  });

  it("honours 429 Retry-After between pages (the SDK's RetryHandler), and still reads every page", async () => {
    const clock = virtualClock();
    emulatorNow = clock.now;
    // One report request a second: each next page is refused once, then admitted after Retry-After (1 s).
    emulator.setThrottle({ reportRequests: 1, reportWindowMs: 1000 });
    const details = await readAll(emulator, { limiter: limiterOn(clock), sleep: clock.sleep });
    expect(details).toHaveLength(2500);
    expect(emulator.stats.throttled).toBe(2);
    expect(emulator.stats.requests["GET registrationDetails"]).toBe(3 + 2);
    // The directory's own retry delay is 0 (directoryFor): each wait is a Retry-After, waited once.
    expect(clock.waits).toEqual([1000, 1000]);
  });

  it.each([
    [
      "a missing AuditLog.Read.All",
      () => emulator.tenant.revokePermission("AuditLog.Read.All"),
      DirectoryErrorKind.missingPermission,
      "missing_permission",
    ],
    [
      "a tenant without Entra ID P1/P2",
      () => {
        emulator.tenant.premiumLicense = false;
      },
      DirectoryErrorKind.notLicensed,
      "not_licensed",
    ],
  ])("tells %s apart: no permission grant helps a missing licence", async (_, take, kind, code) => {
    take();
    const err = await readAll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind, statusCode: 403 });
    expect(directoryFailureOf(err)).toMatchObject({ code });
  });

  it("reads the organization's name, and names Organization.Read.All when it is refused", async () => {
    emulator.tenant.grantPermission("Organization.Read.All");
    expect(await directoryFor(emulator).organizationName()).toBe("Contoso");
    emulator.tenant.revokePermission("Organization.Read.All");
    await expect(directoryFor(emulator).organizationName()).rejects.toMatchObject({
      kind: DirectoryErrorKind.missingPermission,
      permission: "Organization.Read.All",
    });
  });

  it("reads the report's user properties (enabled, type, department, country) only when asked", async () => {
    const [contact] = await directoryFor(emulator)
      .listUsers(1)
      .next()
      .then((r) => r.value ?? []);
    expect(contact).not.toHaveProperty("department");
    const [report] = await directoryFor(emulator)
      .listUsers(1, "report")
      .next()
      .then((r) => r.value ?? []);
    expect(report).toMatchObject({
      accountEnabled: true,
      userType: "Member",
      department: null,
      usageLocation: null,
    });
  });
});

describe("the emulated tenant's registration report follows its page", () => {
  const list = "/reports/authenticationMethods/userRegistrationDetails";
  beforeEach(() => {
    emulator.setThrottle({ reportRequests: 100 });
  });

  it.each(["$select=id", "$orderby=userPrincipalName", "$count=true", "$search=%22x%22", "$skip=1"])(
    "refuses %s, an option the page does not document, with 400",
    async (option) => {
      const { status, body } = await graphFetch(emulator, `${list}?${option}`);
      expect(status).toBe(400);
      expect(body.error.code).toBe("BadRequest");
    },
  );

  it.each([
    ["isSsprEnabled eq true", 1000],
    ["isSsprEnabled eq false", 0],
    ["isSsprRegistered eq true", 0],
    ["userPrincipalName eq 'USER7@contoso.example'", 1],
    ["startswith(userPrincipalName,'user25')", 12],
  ])("takes $filter=%s, as documented (%i users on the first page)", async (filter, count) => {
    const { status, body } = await graphFetch(
      emulator,
      `${list}?$filter=${encodeURIComponent(filter)}&$top=1000`,
    );
    expect(status).toBe(200);
    expect(body.value).toHaveLength(count);
  });

  it("refuses $top only when the tenant is set to (the page is silent on it)", async () => {
    expect((await graphFetch(emulator, `${list}?$top=1`)).status).toBe(200);
    emulator.tenant.registrationReportTakesTop = false;
    expect((await graphFetch(emulator, `${list}?$top=1`)).status).toBe(400);
    const bare = await graphFetch(emulator, list);
    expect(bare.status).toBe(200);
    expect(bare.body["@odata.nextLink"]).not.toContain("$top");
  });

  it("counts registered methods only as SSPR-registered, not prepopulated profile data", async () => {
    const prepopulated = emulator.tenant.find("user1@contoso.example");
    const registered = emulator.tenant.find("user2@contoso.example");
    if (!prepopulated || !registered) throw new Error("seed users missing");
    prepopulated.mobilePhone = "+1 4255550101";
    prepopulated.otherMails = ["user1@example.net"];
    registered.phoneMethods = { mobile: "+1 4255550102" };
    const { body } = await graphFetch(
      emulator,
      `${list}?$filter=${encodeURIComponent("startswith(userPrincipalName,'user')")}&$top=2`,
    );
    const byUpn = Object.fromEntries(
      (body.value as Array<Record<string, unknown>>).map((d) => [d.userPrincipalName, d]),
    );
    expect(byUpn["user1@contoso.example"]).toMatchObject({
      isSsprRegistered: false,
      isSsprCapable: false,
      methodsRegistered: [],
    });
    expect(byUpn["user2@contoso.example"]).toMatchObject({
      isSsprRegistered: true,
      isSsprCapable: true,
      methodsRegistered: ["mobilePhone"],
    });
  });
});
