import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EmulatedTenant } from "../../local/graphEmulator/EmulatedTenant.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { graphFetch, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";
import { groups, pipelineTenant, users } from "../support/tenantSeeds.js";

// The role-management and membership reads the privileged-account check makes, as Graph v1.0 documents them.

let emulator: GraphEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ tenant: pipelineTenant() });
});
beforeEach(() => resetEmulator(emulator));
afterAll(async () => emulator?.close());

const globalAdminRoleId = "62e90394-69f5-4237-9190-012177145e10";
const assignments = (query: string) =>
  graphFetch(emulator, `/roleManagement/directory/roleAssignments?${query}`);
const eligibilities = (query: string) =>
  graphFetch(emulator, `/roleManagement/directory/roleEligibilityScheduleInstances?${query}`);
const principal = (id: string) => `$filter=${encodeURIComponent(`principalId eq '${id}'`)}`;

describe("GET /roleManagement/directory/roleAssignments", () => {
  it("lists a user's active assignment with the documented shape, and the role definition on $expand", async () => {
    const { status, body } = await assignments(`${principal(users.admin.id)}&$expand=roleDefinition`);
    expect(status).toBe(200);
    expect(body["@odata.context"]).toContain("$metadata#roleManagement/directory/roleAssignments");
    expect(body.value).toEqual([
      {
        id: expect.any(String),
        principalId: users.admin.id,
        resourceScope: "/",
        directoryScopeId: "/",
        roleDefinitionId: globalAdminRoleId,
        roleDefinition: expect.objectContaining({
          id: globalAdminRoleId,
          displayName: "Global Administrator",
        }),
      },
    ]);
  });

  it("filters on several principals with `in`, groups holding roles included", async () => {
    const filter = encodeURIComponent(
      `principalId in ('${users.admin.id}','${groups.roleGroup.id}','${users.newHire.id}')`,
    );
    const { body } = await assignments(`$filter=${filter}`);
    expect(body.value.map((a: { principalId: string }) => a.principalId).sort()).toEqual(
      [users.admin.id, groups.roleGroup.id].sort(),
    );
  });

  it("lists nothing for a PIM-eligible admin: the role is not active", async () => {
    const { body } = await assignments(principal(users.eligibleAdmin.id));
    expect(body.value).toEqual([]);
  });

  it("pages with an absolute @odata.nextLink that repeats the query", async () => {
    for (let n = 0; n < 105; n++) {
      emulator.tenant.addUser({
        id: `00000000-0000-4000-8000-${(0x900 + n).toString(16).padStart(12, "0")}`,
        userPrincipalName: `helpdesk${n}@contoso.example`,
        adminRoles: ["Helpdesk Administrator"],
      });
    }
    const first = await assignments("");
    expect(first.body.value).toHaveLength(100);
    const next = new URL(first.body["@odata.nextLink"]);
    const second = await graphFetch(emulator, `${next.pathname.replace(/^\/v1\.0/, "")}${next.search}`);
    expect(second.body.value).toHaveLength(emulator.tenant.roleAssignments().length - 100);
    expect(second.body["@odata.nextLink"]).toBeUndefined();
  });

  it.each([
    ["a filter on another property", `$filter=${encodeURIComponent("roleDefinitionId gt 'a'")}`],
    ["an unknown navigation property", "$expand=approver"],
  ])("answers 400 to %s", async (_, query) => {
    expect((await assignments(query)).status).toBe(400);
  });

  it("answers 403 Authorization_RequestDenied without RoleManagement.Read.Directory", async () => {
    emulator.tenant.revokePermission("RoleManagement.Read.Directory");
    const { status, body } = await assignments(principal(users.admin.id));
    expect(status).toBe(403);
    expect(body.error.code).toBe("Authorization_RequestDenied");
  });
});

describe("GET /roleManagement/directory/roleEligibilityScheduleInstances", () => {
  it("lists a PIM-eligible role with the documented shape", async () => {
    const { status, body } = await eligibilities(
      `${principal(users.eligibleAdmin.id)}&$expand=roleDefinition`,
    );
    expect(status).toBe(200);
    expect(body.value).toEqual([
      expect.objectContaining({
        principalId: users.eligibleAdmin.id,
        roleDefinitionId: EmulatedTenant.roleDefinitionId("Helpdesk Administrator"),
        directoryScopeId: "/",
        memberType: "Direct",
        roleEligibilityScheduleId: expect.any(String),
        roleDefinition: expect.objectContaining({ displayName: "Helpdesk Administrator" }),
      }),
    ]);
  });

  it("refuses `in` on principalId, which the eligibility instances do not document", async () => {
    const filter = encodeURIComponent(`principalId in ('${users.eligibleAdmin.id}')`);
    expect((await eligibilities(`$filter=${filter}`)).status).toBe(400);
  });

  it("is readable with the narrower RoleEligibilitySchedule.Read.Directory instead of RoleManagement.Read.Directory", async () => {
    emulator.tenant.revokePermission("RoleManagement.Read.Directory");
    expect((await eligibilities(principal(users.eligibleAdmin.id))).status).toBe(403);
    emulator.tenant.grantPermission("RoleEligibilitySchedule.Read.Directory");
    expect((await eligibilities(principal(users.eligibleAdmin.id))).status).toBe(200);
  });
});

describe("GET /users/{id}/transitiveMemberOf", () => {
  it("lists nested groups and the directory roles held through a group", async () => {
    const protectedMember = await graphFetch(
      emulator,
      `/users/${users.protectedMember.id}/transitiveMemberOf`,
    );
    expect(protectedMember.body.value.map((o: { id: string }) => o.id).sort()).toEqual(
      [groups.breakGlass.id, groups.protectedGroup.id].sort(),
    );
    const groupAdmin = await graphFetch(emulator, `/users/${users.groupAdmin.id}/transitiveMemberOf`);
    expect(groupAdmin.body.value).toEqual([
      expect.objectContaining({
        "@odata.type": "#microsoft.graph.group",
        id: groups.roleGroup.id,
        displayName: "Authentication Admins",
        isAssignableToRole: true,
      }),
      expect.objectContaining({
        "@odata.type": "#microsoft.graph.directoryRole",
        displayName: "Privileged Authentication Administrator",
      }),
    ]);
  });

  it("returns groups with limited information (type and id) without GroupMember.Read.All", async () => {
    emulator.tenant.revokePermission("GroupMember.Read.All");
    const { body } = await graphFetch(emulator, `/users/${users.groupAdmin.id}/transitiveMemberOf`);
    expect(body.value[0]).toMatchObject({
      "@odata.type": "#microsoft.graph.group",
      id: groups.roleGroup.id,
      displayName: null,
      isAssignableToRole: null,
    });
  });

  it("pages by $top (1–999) with a nextLink", async () => {
    const first = await graphFetch(emulator, `/users/${users.protectedMember.id}/transitiveMemberOf?$top=1`);
    expect(first.body.value).toHaveLength(1);
    expect(first.body["@odata.nextLink"]).toContain("$skiptoken=");
    expect(
      (await graphFetch(emulator, `/users/${users.newHire.id}/transitiveMemberOf?$top=1000`)).status,
    ).toBe(400);
  });
});

describe("what Graph protects by itself", () => {
  it.each([
    ["an active role held through a group", users.groupAdmin.id, 403],
    ["a PIM-eligible role only (not protected by Graph)", users.eligibleAdmin.id, 204],
    ["a protected group, which Graph knows nothing of", users.protectedMember.id, 204],
  ])("answers a PATCH of the mobile phone of a user with %s: %i", async (_, id, status) => {
    const { status: answered } = await graphFetch(emulator, `/users/${id}`, {
      method: "PATCH",
      body: { mobilePhone: "+1 4255550147" },
    });
    expect(answered).toBe(status);
  });

  it("lets an app write an admin's authentication methods: only the app's own check protects them", async () => {
    const { status } = await graphFetch(emulator, `/users/${users.admin.id}/authentication/phoneMethods`, {
      method: "POST",
      body: { phoneNumber: "+1 4255550147", phoneType: "mobile" },
    });
    expect(status).toBe(201);
  });
});

describe("test switches", () => {
  it("makes one route fail, in and out of $batch, until cleared", async () => {
    emulator.tenant.failRoute("GET roleEligibilityScheduleInstances", 503, 0);
    expect((await eligibilities(principal(users.admin.id))).status).toBe(503);
    const batch = await graphFetch(emulator, "/$batch", {
      method: "POST",
      body: {
        requests: [
          {
            id: "1",
            method: "GET",
            url: `/roleManagement/directory/roleEligibilityScheduleInstances?${principal(users.admin.id)}`,
          },
          {
            id: "2",
            method: "GET",
            url: `/roleManagement/directory/roleAssignments?${principal(users.admin.id)}`,
          },
        ],
      },
    });
    expect(batch.body.responses.map((r: { status: number }) => r.status).sort()).toEqual([200, 503]);
    emulator.tenant.failRoute("GET roleEligibilityScheduleInstances", undefined);
    expect((await eligibilities(principal(users.admin.id))).status).toBe(200);
  });

  it("restores every permission on reset", async () => {
    emulator.tenant.revokePermission("RoleManagement.Read.Directory");
    emulator.tenant.reset();
    expect((await assignments(principal(users.admin.id))).status).toBe(200);
  });

  it("lets another process revoke a permission through /_emulator/settings", async () => {
    const origin = new URL(emulator.url).origin;
    const patched = await fetch(`${origin}/_emulator/settings`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${emulator.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ revokedPermissions: ["RoleManagement.Read.Directory"] }),
    });
    expect(await patched.json()).toMatchObject({ revokedPermissions: ["RoleManagement.Read.Directory"] });
    expect((await assignments(principal(users.admin.id))).status).toBe(403);
  });

  it("refuses a role on a group that is not role-assignable, as Entra ID does", () => {
    expect(
      () =>
        new EmulatedTenant({
          users: [],
          groups: [
            {
              id: "00000000-0000-4000-8000-0000000000d1",
              displayName: "Sales",
              activeRoles: ["User Administrator"],
            },
          ],
        }),
    ).toThrow(/not role-assignable/);
  });
});
