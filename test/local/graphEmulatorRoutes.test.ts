import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { graphRoutes } from "../../local/graphEmulator/graphRoutes.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { aTenant, demo, graphFetch, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";

// The emulated tenant's route table: each route once, with its permissions, cost, edition and Microsoft page, and
// the core admitting a plain request and a $batch item through the same entry.

let emulator: GraphEmulator;

beforeEach(async () => {
  if (!emulator) emulator = await startEmulator();
  resetEmulator(emulator);
});

afterAll(async () => {
  await emulator?.close();
});

const get = (path: string) => graphFetch(emulator, path);
const batchOf = (...requests: Array<{ method: string; url: string; body?: unknown }>) =>
  graphFetch(emulator, "/$batch", {
    method: "POST",
    body: {
      requests: requests.map((r, i) => ({
        id: String(i + 1),
        ...r,
        ...(r.body === undefined ? {} : { headers: { "Content-Type": "application/json" } }),
      })),
    },
  });

describe("the route table", () => {
  it("declares each method on each path once", () => {
    const keys = graphRoutes.map((r) => `${r.method} ${r.path.toLowerCase()}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it.each(graphRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "cites the Microsoft Learn page %s follows and says what it needs",
    (_, route) => {
      expect(route.page).toMatch(/^https:\/\/learn\.microsoft\.com\/en-us\/graph\//);
      if ("anyOf" in route.permissions) expect(route.permissions.anyOf.length).toBeGreaterThan(0);
      if ("none" in route.permissions) expect(route.permissions.none).not.toBe("");
      expect(Number.isInteger(route.cost) && route.cost >= 1).toBe(true);
      expect(["directory", "reports", "methods"]).toContain(route.service);
    },
  );

  it.each([
    ["GET users", 2],
    ["GET users/{key}/transitiveMemberOf", 2],
    ["GET groups/{groupId}/members", 3],
    ["GET groups/{groupId}/transitiveMembers", 5],
    ["GET groups/{groupId}/owners", 1],
    ["PATCH users/{key}", 1],
  ])("gives %s the throttling page's base cost %s", (key, cost) => {
    expect(graphRoutes.find((r) => `${r.method} ${r.path}` === key)?.cost).toBe(cost);
  });

  it("names each route's service: the registration report the reports', the method paths the methods'", () => {
    const serviceOf = (name: string) =>
      new Set(graphRoutes.filter((r) => r.name === name).map((r) => r.service));
    expect(serviceOf("registrationDetails")).toEqual(new Set(["reports"]));
    for (const name of ["authMethods", "phoneMethods", "phoneMethod", "emailMethods", "emailMethod"]) {
      expect(serviceOf(name)).toEqual(new Set(["methods"]));
    }
    const others = graphRoutes.filter((r) => !/authentication|reports/.test(r.path));
    expect(others.every((r) => r.service === "directory")).toBe(true);
  });

  it("marks every PIM list as needing P2 and the registration report as needing P1", () => {
    const pim = graphRoutes.filter((r) => /Schedule|privilegedAccess/.test(r.path));
    expect(pim.length).toBe(9);
    expect(pim.every((r) => r.edition === "P2")).toBe(true);
    expect(graphRoutes.find((r) => r.name === "registrationDetails")?.edition).toBe("P1");
    expect(graphRoutes.filter((r) => r.edition === undefined).every((r) => !/Schedule/.test(r.path))).toBe(
      true,
    );
  });
});

describe("admission through the table, for a request and a $batch item alike", () => {
  it("refuses a batch item the app's permissions don't cover, as the plain request is refused", async () => {
    emulator.tenant.revokePermission("UserAuthenticationMethod.Read.All");
    const plain = await get(`/users/${demo.kwame}/authentication/methods`);
    const batch = await batchOf({ method: "GET", url: `/users/${demo.kwame}/authentication/methods` });
    expect(plain.status).toBe(403);
    expect(batch.body.responses[0]).toMatchObject({
      status: 403,
      body: { error: { code: "Authorization_RequestDenied" } },
    });
  });

  it("answers a PIM batch item in a P1 tenant with the licence error, as the plain request", async () => {
    const p1 = await startEmulator({ tenant: aTenant(2, { edition: "P1" }) });
    try {
      const path = "/roleManagement/directory/roleEligibilityScheduleInstances";
      const plain = await graphFetch(p1, path);
      const batch = await graphFetch(p1, "/$batch", {
        method: "POST",
        body: { requests: [{ id: "1", method: "GET", url: path }] },
      });
      expect(plain.body.error.code).toBe("AadPremiumLicenseRequired");
      expect(batch.body.responses[0]).toMatchObject({
        status: plain.status,
        body: { error: { code: "AadPremiumLicenseRequired" } },
      });
    } finally {
      await p1.close();
    }
  });

  it("refuses a PATCH setting a contact property the grants don't cover before looking the user up", async () => {
    emulator.tenant.revokePermission("User-Phone.ReadWrite.All");
    const res = await graphFetch(emulator, "/users/ghost@contoso.example", {
      method: "PATCH",
      body: { mobilePhone: "+1 4255550123" },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
  });

  it("still writes a property no narrow permission guards without asking for one", async () => {
    emulator.tenant.revokePermission("User-Phone.ReadWrite.All");
    const res = await graphFetch(emulator, `/users/${demo.mei}`, {
      method: "PATCH",
      body: { jobTitle: "Analyst" },
    });
    expect(res.status).toBe(204);
  });
});

describe("where the emulator now follows Microsoft's permission tables", () => {
  it("refuses a user's transitiveMemberOf to an app holding none of the page's permissions", async () => {
    for (const permission of ["User.Read.All", "GroupMember.Read.All"])
      emulator.tenant.revokePermission(permission);
    const res = await get(`/users/${demo.lars}/transitiveMemberOf`);
    expect(res.status).toBe(403);
  });

  it("lists a user's transitiveMemberOf with User.Read.All alone", async () => {
    emulator.tenant.revokePermission("GroupMember.Read.All");
    expect((await get(`/users/${demo.lars}/transitiveMemberOf`)).status).toBe(200);
  });

  it("reads a role definition with Directory.Read.All instead of RoleManagement.Read.Directory", async () => {
    emulator.tenant.revokePermission("RoleManagement.Read.Directory");
    const path = "/roleManagement/directory/roleDefinitions/62e90394-69f5-4237-9190-012177145e10";
    expect((await get(path)).status).toBe(403);
    emulator.tenant.grantPermission("Directory.Read.All");
    expect((await get(path)).body).toMatchObject({ displayName: "Global Administrator" });
  });
});

describe("paths the table does not know", () => {
  it.each([
    ["/applications", "applications"],
    ["/users/x/memberOf", "memberOf"],
    ["/users/x/authentication", "authentication"],
    ["/directory/deletedItems", "deletedItems"],
    ["/groups/g/members/extra", "extra"],
  ])("answers %s with 400 naming the first segment it cannot place (%s)", async (path, segment) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(`Resource not found for the segment '${segment}'.`);
    expect(emulator.stats.requests["GET unknown"]).toBe(1);
  });

  it("answers 405 to a method a known path does not take, counted under the path's name", async () => {
    const res = await graphFetch(emulator, "/groups", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(emulator.stats.requests["DELETE groups"]).toBe(1);
  });
});
