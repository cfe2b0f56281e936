import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EmulatedTenant, type TenantSeed } from "../../local/graphEmulator/EmulatedTenant.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { requestCost } from "../../shared/graph/graphCost.js";
import {
  demo,
  demoGroups,
  graphFetch,
  resetEmulator,
  startEmulator,
} from "../support/graphEmulatorFixtures.js";

// Editions and PIM for Groups in the emulated tenant: the tenant-wide picture of privileged principals, read the way
// Microsoft's Graph v1.0 pages document each request.

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const people = {
  eligibleMember: id(0x101), // PIM-eligible member of Global Admins
  owner: id(0x102), // active owner of Global Admins
  member: id(0x103), // active member of Global Admins
  nestedMember: id(0x104), // member of Global Admins through Nested Ops
  auAdmin: id(0x105), // User Administrator over one administrative unit
  auEligible: id(0x106), // PIM-eligible Helpdesk Administrator over that unit
  eligibleOwner: id(0x107), // PIM-eligible owner of Global Admins
  admin: id(0x108), // Global Administrator of their own
};
const teams = {
  globalAdmins: id(0xa01), // role-assignable, Global Administrator
  nested: id(0xa02), // member of Global Admins
  auHelpdesk: id(0xa03), // role-assignable, Helpdesk Administrator over the unit
  sales: id(0xa04), // ordinary group
};
const unitId = "5f2d1c4b-0000-4000-8000-00000000a0a0";
const globalAdminRoleId = "62e90394-69f5-4237-9190-012177145e10";

/** The tenant both editions share: only P2 adds what PIM creates. */
function tenantSeed(edition: "P1" | "P2"): TenantSeed {
  const pim = edition === "P2";
  return {
    tenant: { domain: "contoso.example", edition },
    users: Object.entries(people).map(([name, userId]) => ({
      id: userId,
      userPrincipalName: `${name}@contoso.example`,
      displayName: name,
      ...(name === "admin" ? { adminRoles: ["Global Administrator"] } : {}),
      ...(name === "auAdmin"
        ? { scopedRoles: [{ role: "User Administrator", administrativeUnitId: unitId }] }
        : {}),
      ...(name === "auEligible" && pim
        ? { scopedRoles: [{ role: "Helpdesk Administrator", administrativeUnitId: unitId, eligible: true }] }
        : {}),
    })),
    groups: [
      {
        id: teams.globalAdmins,
        displayName: "Global Admins",
        isAssignableToRole: true,
        activeRoles: ["Global Administrator"],
        members: [people.member, teams.nested],
        owners: [people.owner],
        ...(pim ? { eligibleMembers: [people.eligibleMember], eligibleOwners: [people.eligibleOwner] } : {}),
      },
      { id: teams.nested, displayName: "Nested Ops", members: [people.nestedMember] },
      {
        id: teams.auHelpdesk,
        displayName: "Unit Helpdesk",
        isAssignableToRole: true,
        scopedRoles: [{ role: "Helpdesk Administrator", administrativeUnitId: unitId }],
      },
      { id: teams.sales, displayName: "Sales" },
    ],
  };
}

let p2: GraphEmulator;
let p1: GraphEmulator;

beforeAll(async () => {
  [p2, p1] = await Promise.all([
    startEmulator({ tenant: tenantSeed("P2") }),
    startEmulator({ tenant: tenantSeed("P1") }),
  ]);
});
beforeEach(() => {
  resetEmulator(p2);
  resetEmulator(p1);
});
afterAll(async () => Promise.all([p2?.close(), p1?.close()]));

const filter = (text: string) => `$filter=${encodeURIComponent(text)}`;
const ids = (body: { value: Array<{ id: string }> }) => body.value.map((o) => o.id).sort();
const currentWording =
  "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.";

/** Every PIM request the emulator serves, answerable (filter included) on P2. */
const pimRequests = [
  "/roleManagement/directory/roleEligibilityScheduleInstances",
  "/roleManagement/directory/roleEligibilitySchedules",
  "/roleManagement/directory/roleAssignmentScheduleInstances",
  "/roleManagement/directory/roleAssignmentSchedules",
  `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?${filter(`groupId eq '${teams.globalAdmins}'`)}`,
  `/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?${filter(`groupId eq '${teams.globalAdmins}'`)}`,
  `/identityGovernance/privilegedAccess/group/eligibilitySchedules?${filter(`principalId eq '${people.eligibleMember}'`)}`,
  `/identityGovernance/privilegedAccess/group/assignmentSchedules?${filter(`principalId eq '${people.owner}'`)}`,
] as const;

describe("the tenant's edition", () => {
  it.each(pimRequests)("answers %s on P2", async (path) => {
    expect((await graphFetch(p2, path)).status).toBe(200);
  });

  it.each([
    ...pimRequests,
    "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
    "/identityGovernance/privilegedAccess/group/resources",
  ])("refuses %s on P1 with Graph's 400 AadPremiumLicenseRequired", async (path) => {
    const { status, body } = await graphFetch(p1, path);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "AadPremiumLicenseRequired", message: currentWording });
    expect(body.error.innerError["request-id"]).toEqual(expect.any(String));
  });

  it.each([
    ["/roleManagement/directory/roleAssignments?$select=principalId", 200],
    ["/groups?$filter=isAssignableToRole%20eq%20true", 200],
    [`/groups/${teams.globalAdmins}/owners`, 200],
  ])("keeps answering %s on P1: it is not PIM", async (path, status) => {
    expect((await graphFetch(p1, path)).status).toBe(status);
  });

  it.each([
    [{ status: 403 as const }, 403, currentWording],
    [{ wording: "legacy" as const }, 400, "The tenant needs an AAD Premium 2 license."],
    [{ status: 403 as const, wording: "legacy" as const }, 403, "The tenant needs an AAD Premium 2 license."],
  ])("answers with the refusal the seed picks (%o): %i", async (refusal, status, message) => {
    const emulator = await startEmulator({
      tenant: { ...tenantSeed("P1"), tenant: { edition: "P1", pimRefusal: refusal } },
    });
    try {
      const answer = await graphFetch(emulator, "/roleManagement/directory/roleEligibilityScheduleInstances");
      expect(answer.status).toBe(status);
      expect(answer.body.error).toMatchObject({ code: "AadPremiumLicenseRequired", message });
    } finally {
      await emulator.close();
    }
  });

  it("gives a $batch item the same status and body", async () => {
    const { body } = await graphFetch(p1, "/$batch", {
      method: "POST",
      body: {
        requests: [
          { id: "1", method: "GET", url: "/roleManagement/directory/roleEligibilityScheduleInstances" },
          { id: "2", method: "GET", url: "/roleManagement/directory/roleAssignments" },
        ],
      },
    });
    const [eligibilities, assignments] = body.responses.sort((a: { id: string }, b: { id: string }) =>
      a.id.localeCompare(b.id),
    );
    expect(eligibilities).toMatchObject({
      status: 400,
      body: { error: { code: "AadPremiumLicenseRequired", message: currentWording } },
    });
    expect(assignments.status).toBe(200);
  });

  it("leaves PIM to the edition: premiumLicense false refuses the registration report only", async () => {
    p2.tenant.premiumLicense = false;
    expect((await graphFetch(p2, "/roleManagement/directory/roleEligibilityScheduleInstances")).status).toBe(
      200,
    );
  });

  it.each([
    [
      "a user's eligible role",
      {
        users: [{ id: id(1), userPrincipalName: "a@contoso.example", eligibleRoles: ["User Administrator"] }],
      },
    ],
    [
      "an eligible scoped role",
      {
        users: [
          {
            id: id(1),
            userPrincipalName: "a@contoso.example",
            scopedRoles: [{ role: "User Administrator", administrativeUnitId: unitId, eligible: true }],
          },
        ],
      },
    ],
    [
      "a group's eligible member",
      { users: [], groups: [{ id: id(2), displayName: "G", eligibleMembers: [id(1)] }] },
    ],
    [
      "a group's eligible owner",
      { users: [], groups: [{ id: id(2), displayName: "G", eligibleOwners: [id(1)] }] },
    ],
  ])("refuses a P1 seed that declares %s: no eligibility exists without PIM", (_, seed) => {
    expect(() => new EmulatedTenant({ tenant: { edition: "P1" }, ...seed } as TenantSeed)).toThrow(
      /edition P1 has no PIM/,
    );
  });
});

describe("tenant-wide role listings", () => {
  it("lists every active assignment, users' and groups', tenant-wide and over an administrative unit, with $select", async () => {
    const { status, body } = await graphFetch(
      p2,
      "/roleManagement/directory/roleAssignments?$select=principalId,roleDefinitionId,directoryScopeId",
    );
    expect(status).toBe(200);
    expect(body.value).toEqual(
      expect.arrayContaining([
        { principalId: people.admin, roleDefinitionId: globalAdminRoleId, directoryScopeId: "/" },
        { principalId: teams.globalAdmins, roleDefinitionId: globalAdminRoleId, directoryScopeId: "/" },
        {
          principalId: people.auAdmin,
          roleDefinitionId: EmulatedTenant.roleDefinitionId("User Administrator"),
          directoryScopeId: `/administrativeUnits/${unitId}`,
        },
        {
          principalId: teams.auHelpdesk,
          roleDefinitionId: EmulatedTenant.roleDefinitionId("Helpdesk Administrator"),
          directoryScopeId: `/administrativeUnits/${unitId}`,
        },
      ]),
    );
    expect(body.value).toHaveLength(4);
  });

  it("still narrows to principals with eq and in", async () => {
    const one = await graphFetch(
      p2,
      `/roleManagement/directory/roleAssignments?${filter(`principalId eq '${people.auAdmin}'`)}`,
    );
    expect(one.body.value.map((a: { principalId: string }) => a.principalId)).toEqual([people.auAdmin]);
    const two = await graphFetch(
      p2,
      `/roleManagement/directory/roleAssignments?${filter(`principalId in ('${people.admin}','${teams.globalAdmins}')`)}`,
    );
    expect(two.body.value).toHaveLength(2);
  });

  it("lists every eligibility on P2 with $select, the administrative-unit ones included", async () => {
    const { body } = await graphFetch(
      p2,
      "/roleManagement/directory/roleEligibilityScheduleInstances?$select=principalId,roleDefinitionId,directoryScopeId",
    );
    expect(body.value).toEqual([
      {
        principalId: people.auEligible,
        roleDefinitionId: EmulatedTenant.roleDefinitionId("Helpdesk Administrator"),
        directoryScopeId: `/administrativeUnits/${unitId}`,
      },
    ]);
  });

  it("pages the eligibility listing with an @odata.nextLink that keeps $select", async () => {
    for (let n = 0; n < 101; n++) {
      p2.tenant.addUser({
        id: id(0x2000 + n),
        userPrincipalName: `e${n}@contoso.example`,
        eligibleRoles: ["User Administrator"],
      });
    }
    const first = await graphFetch(
      p2,
      "/roleManagement/directory/roleEligibilityScheduleInstances?$select=principalId",
    );
    expect(first.body.value).toHaveLength(100);
    const next = new URL(first.body["@odata.nextLink"]);
    expect(next.searchParams.get("$select")).toBe("principalId");
    const second = await graphFetch(p2, `${next.pathname.replace(/^\/v1\.0/, "")}${next.search}`);
    expect(second.body.value).toHaveLength(2);
    expect(second.body["@odata.nextLink"]).toBeUndefined();
  });

  it("does not list a role held over an administrative unit in transitiveMemberOf (a scoped membership, not the directoryRole's)", async () => {
    const { body } = await graphFetch(p2, `/users/${people.auAdmin}/transitiveMemberOf`);
    expect(body.value).toEqual([]);
    const admin = await graphFetch(p2, `/users/${people.admin}/transitiveMemberOf`);
    expect(admin.body.value.map((o: { "@odata.type": string }) => o["@odata.type"])).toEqual([
      "#microsoft.graph.directoryRole",
    ]);
  });
});

describe("GET /groups?$filter=isAssignableToRole eq true", () => {
  it("lists the role-assignable groups with $select and $top=999, no ConsistencyLevel needed", async () => {
    const { status, body } = await graphFetch(
      p2,
      `/groups?${filter("isAssignableToRole eq true")}&$select=id,displayName&$top=999`,
    );
    expect(status).toBe(200);
    expect(body.value).toEqual([
      { id: teams.globalAdmins, displayName: "Global Admins" },
      { id: teams.auHelpdesk, displayName: "Unit Helpdesk" },
    ]);
  });

  it("pages by $top with a nextLink that repeats the filter", async () => {
    const first = await graphFetch(p2, `/groups?${filter("isAssignableToRole eq true")}&$select=id&$top=1`);
    expect(first.body.value).toEqual([{ id: teams.globalAdmins }]);
    const next = new URL(first.body["@odata.nextLink"]);
    const second = await graphFetch(p2, `${next.pathname.replace(/^\/v1\.0/, "")}${next.search}`);
    expect(second.body.value).toEqual([{ id: teams.auHelpdesk }]);
    expect(second.body["@odata.nextLink"]).toBeUndefined();
  });

  it.each([
    ["ne, which only an advanced query allows", filter("isAssignableToRole ne true")],
    ["a property the emulator does not filter on", filter("displayName eq 'Sales'")],
    ["$top above 999", "$top=1000"],
  ])("answers 400 to %s", async (_, query) => {
    expect((await graphFetch(p2, `/groups?${query}`)).status).toBe(400);
  });
});

describe("a group's members, transitive members and owners", () => {
  it.each([
    ["members", [people.member, teams.nested]],
    ["transitiveMembers", [people.member, teams.nested, people.nestedMember]],
    ["owners", [people.owner]],
  ])("lists %s as directoryObjects with @odata.type ($select=id&$top=999)", async (relation, expected) => {
    const { status, body } = await graphFetch(
      p2,
      `/groups/${teams.globalAdmins}/${relation}?$select=id&$top=999`,
    );
    expect(status).toBe(200);
    expect(body["@odata.context"]).toContain("$metadata#directoryObjects");
    expect(ids(body)).toEqual([...expected].sort());
    for (const object of body.value) {
      expect(object["@odata.type"]).toBe(
        object.id === teams.nested ? "#microsoft.graph.group" : "#microsoft.graph.user",
      );
      expect(Object.keys(object).sort()).toEqual(["@odata.type", "id"]);
    }
  });

  it("keeps owners and PIM-eligible members out of the members: neither holds the group's roles", async () => {
    const { body } = await graphFetch(p2, `/groups/${teams.globalAdmins}/transitiveMembers?$select=id`);
    expect(ids(body)).not.toContain(people.owner);
    expect(ids(body)).not.toContain(people.eligibleMember);
  });

  it("pages by $top", async () => {
    const first = await graphFetch(p2, `/groups/${teams.globalAdmins}/transitiveMembers?$select=id&$top=2`);
    expect(first.body.value).toHaveLength(2);
    const next = new URL(first.body["@odata.nextLink"]);
    const second = await graphFetch(p2, `${next.pathname.replace(/^\/v1\.0/, "")}${next.search}`);
    expect(second.body.value).toHaveLength(1);
  });

  it.each(["members", "transitiveMembers", "owners"])(
    "answers 404 Request_ResourceNotFound for %s of an unknown group",
    async (relation) => {
      const { status, body } = await graphFetch(p2, `/groups/${id(0xdead)}/${relation}?$select=id`);
      expect(status).toBe(404);
      expect(body.error.code).toBe("Request_ResourceNotFound");
    },
  );
});

describe("PIM for Groups", () => {
  const eligibilities = (query: string) =>
    graphFetch(p2, `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?${query}`);

  it("lists a group's eligible members and owners in the shape of Microsoft's example", async () => {
    const { status, body } = await eligibilities(filter(`groupId eq '${teams.globalAdmins}'`));
    expect(status).toBe(200);
    expect(body["@odata.context"]).toContain(
      "$metadata#identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
    );
    expect(body.value).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(new RegExp(`^${teams.globalAdmins}_member_[0-9a-f-]{36}$`)),
        accessId: "member",
        principalId: people.eligibleMember,
        groupId: teams.globalAdmins,
        memberType: "Direct",
        startDateTime: expect.any(String),
        endDateTime: null,
      }),
      expect.objectContaining({ accessId: "owner", principalId: people.eligibleOwner }),
    ]);
  });

  it("lists a principal's eligibilities with $select", async () => {
    const { body } = await eligibilities(
      `${filter(`principalId eq '${people.eligibleMember}'`)}&$select=groupId,accessId`,
    );
    expect(body.value).toEqual([{ groupId: teams.globalAdmins, accessId: "member" }]);
  });

  it("lists the active members and owners of a governed group as assignment instances", async () => {
    const { body } = await graphFetch(
      p2,
      `/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?${filter(`groupId eq '${teams.globalAdmins}'`)}&$select=principalId,accessId`,
    );
    expect(body.value).toEqual([
      { principalId: people.member, accessId: "member" },
      { principalId: teams.nested, accessId: "member" },
      { principalId: people.owner, accessId: "owner" },
    ]);
  });

  it.each([
    ["no $filter, which the page requires", ""],
    ["a filter on accessId alone", filter("accessId eq 'member'")],
    ["a filter on another property", filter("status eq 'Provisioned'")],
  ])("answers 400 to %s", async (_, query) => {
    const { status, body } = await eligibilities(query);
    expect(status).toBe(400);
    expect(body.error.code).toMatch(/BadRequest|Request_UnsupportedQuery/);
  });

  it("pages with an @odata.nextLink that keeps the filter", async () => {
    const group = p2.tenant.group(teams.globalAdmins);
    for (let n = 0; n < 100; n++) group?.eligibleMembers.push(id(0x3000 + n));
    const first = await eligibilities(filter(`groupId eq '${teams.globalAdmins}'`));
    expect(first.body.value).toHaveLength(100);
    const next = new URL(first.body["@odata.nextLink"]);
    expect(next.searchParams.get("$filter")).toBe(`groupId eq '${teams.globalAdmins}'`);
    const second = await graphFetch(p2, `${next.pathname.replace(/^\/v1\.0/, "")}${next.search}`);
    expect(second.body.value).toHaveLength(2);
  });
});

describe("the permission each route needs", () => {
  it.each([
    ["/roleManagement/directory/roleAssignments", ["RoleManagement.Read.Directory"]],
    ["/roleManagement/directory/roleEligibilityScheduleInstances", ["RoleManagement.Read.Directory"]],
    ["/roleManagement/directory/roleEligibilitySchedules", ["RoleManagement.Read.Directory"]],
    ["/roleManagement/directory/roleAssignmentSchedules", ["RoleManagement.Read.Directory"]],
    ["/roleManagement/directory/roleAssignmentScheduleInstances", ["RoleManagement.Read.Directory"]],
    ["/groups?$filter=isAssignableToRole%20eq%20true", ["GroupMember.Read.All"]],
    [`/groups/${teams.globalAdmins}/members`, ["GroupMember.Read.All"]],
    [`/groups/${teams.globalAdmins}/transitiveMembers`, ["GroupMember.Read.All"]],
    [`/groups/${teams.globalAdmins}/owners`, ["GroupMember.Read.All"]],
    [pimRequests[4], ["PrivilegedEligibilitySchedule.Read.AzureADGroup"]],
    [pimRequests[6], ["PrivilegedEligibilitySchedule.Read.AzureADGroup"]],
    [pimRequests[5], ["PrivilegedAssignmentSchedule.Read.AzureADGroup"]],
    [pimRequests[7], ["PrivilegedAssignmentSchedule.Read.AzureADGroup"]],
  ] as const)("answers %s with 403 Authorization_RequestDenied without %j", async (path, revoked) => {
    for (const permission of revoked) p2.tenant.revokePermission(permission);
    const { status, body } = await graphFetch(p2, path);
    expect(status).toBe(403);
    expect(body.error.code).toBe("Authorization_RequestDenied");
  });

  it.each([
    ["/roleManagement/directory/roleEligibilityScheduleInstances", "RoleEligibilitySchedule.Read.Directory"],
    ["/roleManagement/directory/roleEligibilitySchedules", "RoleEligibilitySchedule.Read.Directory"],
    ["/roleManagement/directory/roleAssignmentSchedules", "RoleAssignmentSchedule.Read.Directory"],
    ["/roleManagement/directory/roleAssignmentScheduleInstances", "RoleAssignmentSchedule.Read.Directory"],
  ])("reads %s with the narrower %s alone", async (path, narrower) => {
    p2.tenant.revokePermission("RoleManagement.Read.Directory");
    p2.tenant.grantPermission(narrower);
    expect((await graphFetch(p2, path)).status).toBe(200);
  });

  it("lets a missing permission win over a missing licence (403 before the licence error)", async () => {
    p1.tenant.revokePermission("RoleManagement.Read.Directory");
    expect((await graphFetch(p1, "/roleManagement/directory/roleEligibilityScheduleInstances")).status).toBe(
      403,
    );
  });
});

describe("what each new request costs", () => {
  it.each([
    "/roleManagement/directory/roleAssignments?$select=principalId,roleDefinitionId,directoryScopeId",
    "/roleManagement/directory/roleEligibilityScheduleInstances?$select=principalId,roleDefinitionId,directoryScopeId",
    "/groups?$filter=isAssignableToRole%20eq%20true&$select=id,displayName&$top=999",
    `/groups/${teams.globalAdmins}/members?$select=id&$top=999`,
    `/groups/${teams.globalAdmins}/transitiveMembers?$select=id&$top=999`,
    `/groups/${teams.globalAdmins}/transitiveMembers`,
    `/groups/${teams.globalAdmins}/owners?$select=id&$top=999`,
    pimRequests[4],
  ])("charges GET %s what shared/graph/graphCost.ts says Graph charges", async (path) => {
    const before = p2.stats.resourceUnits;
    expect((await graphFetch(p2, path)).status).toBe(200);
    expect(p2.stats.resourceUnits - before).toBe(requestCost("GET", path).resourceUnits);
  });
});

describe("the demo tenant", () => {
  it("shows Rafael as a PIM-eligible member and Hana as the owner of a role-assignable group holding Global Administrator", async () => {
    const demoTenant = await startEmulator();
    try {
      const group = demoGroups.emergencyGlobalAdmins;
      const assigned = await graphFetch(
        demoTenant,
        `/roleManagement/directory/roleAssignments?${filter(`principalId eq '${group}'`)}`,
      );
      expect(assigned.body.value).toEqual([expect.objectContaining({ roleDefinitionId: globalAdminRoleId })]);
      const eligible = await graphFetch(
        demoTenant,
        `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?${filter(`groupId eq '${group}'`)}&$select=principalId,accessId`,
      );
      expect(eligible.body.value).toEqual([{ principalId: demo.rafael, accessId: "member" }]);
      const owners = await graphFetch(demoTenant, `/groups/${group}/owners?$select=id&$top=999`);
      expect(ids(owners.body)).toEqual([demo.hana]);
      const members = await graphFetch(demoTenant, `/groups/${group}/transitiveMembers?$select=id&$top=999`);
      expect(members.body.value).toEqual([]);
    } finally {
      await demoTenant.close();
    }
  });
});
