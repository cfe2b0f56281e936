import type { SeedGroup, SeedUser, TenantSeed } from "../../local/graphEmulator/EmulatedTenant.js";

/** Fictional users for pipeline tests: each exists to exercise one rule. */
export const users = {
  newHire: {
    id: "00000000-0000-4000-8000-000000000001",
    userPrincipalName: "new.hire@contoso.example",
    employeeId: "E1",
  },
  reformat: {
    id: "00000000-0000-4000-8000-000000000002",
    userPrincipalName: "reformat.me@contoso.example",
    employeeId: "E2",
    mobilePhone: "(425) 555-0147",
  },
  synced: {
    id: "00000000-0000-4000-8000-000000000003",
    userPrincipalName: "synced.user@contoso.example",
    employeeId: "E3",
    onPremisesSyncEnabled: true,
    mobilePhone: null,
    businessPhones: [],
  },
  admin: {
    id: "00000000-0000-4000-8000-000000000004",
    userPrincipalName: "global.admin@contoso.example",
    employeeId: "E4",
    adminRoles: ["Global Administrator"],
  },
  registered: {
    id: "00000000-0000-4000-8000-000000000005",
    userPrincipalName: "registered.user@contoso.example",
    employeeId: "E5",
    authentication: { phoneMethods: [{ phoneType: "mobile", phoneNumber: "+1 2065550199" }] },
  },
  /** PIM-eligible Helpdesk Administrator, no active role: Graph itself does not protect their properties. */
  eligibleAdmin: {
    id: "00000000-0000-4000-8000-000000000006",
    userPrincipalName: "helpdesk.eligible@contoso.example",
    employeeId: "E6",
    eligibleRoles: ["Helpdesk Administrator"],
  },
  /** Holds Privileged Authentication Administrator through a role-assignable group, no role of their own. */
  groupAdmin: {
    id: "00000000-0000-4000-8000-000000000007",
    userPrincipalName: "group.admin@contoso.example",
    employeeId: "E7",
  },
  /** No role at all, but a (nested) member of the protected group. */
  protectedMember: {
    id: "00000000-0000-4000-8000-000000000008",
    userPrincipalName: "tier0.member@contoso.example",
    employeeId: "E8",
  },
} satisfies Record<string, SeedUser>;

/** The group PROTECTED_GROUP_IDS names in tests (see `protectedGroupsEnv`). */
export const protectedGroupId = "00000000-0000-4000-8000-0000000000b1";

/** Groups: one holding a role, a protected one (reached through a nested group), and an ordinary one. */
export const groups = {
  roleGroup: {
    id: "00000000-0000-4000-8000-0000000000a1",
    displayName: "Authentication Admins",
    isAssignableToRole: true,
    members: [users.groupAdmin.id],
    activeRoles: ["Privileged Authentication Administrator"],
  },
  protectedGroup: {
    id: protectedGroupId,
    displayName: "Tier 0 Accounts",
    members: ["00000000-0000-4000-8000-0000000000b2"],
  },
  breakGlass: {
    id: "00000000-0000-4000-8000-0000000000b2",
    displayName: "Break-glass Operators",
    members: [users.protectedMember.id],
  },
  allStaff: {
    id: "00000000-0000-4000-8000-0000000000c1",
    displayName: "All Staff",
    members: [users.newHire.id, users.reformat.id, users.registered.id, users.admin.id],
  },
} satisfies Record<string, SeedGroup>;

/** The setting that makes `groups.protectedGroup` protected. */
export const protectedGroupsEnv = { PROTECTED_GROUP_IDS: protectedGroupId };

/** A small tenant holding the users above. `bypass` = AD keeps mastering synced mobiles (Graph refuses overrides). */
export function pipelineTenant(bypass = false): TenantSeed {
  return {
    tenant: { domain: "contoso.example", bypassDirSyncOverridesEnabled: bypass },
    users: Object.values(users),
    groups: Object.values(groups),
  };
}

/**
 * One user per privileged shape the guard must refuse beyond `users` (docs/security.md, "What counts as
 * privileged"), and a guest. `p2Only` shapes need PIM: a P1 tenant cannot hold them (the emulator refuses the seed).
 */
export const shapes = {
  scopedAdmin: {
    id: "00000000-0000-4000-8000-000000000d01",
    userPrincipalName: "au.admin@contoso.example",
    employeeId: "E901",
    scopedRoles: [
      { role: "User Administrator", administrativeUnitId: "00000000-0000-4000-8000-0000000000f1" },
    ],
  },
  groupOwner: {
    id: "00000000-0000-4000-8000-000000000d02",
    userPrincipalName: "group.owner@contoso.example",
    employeeId: "E902",
  },
  quietGroupMember: {
    id: "00000000-0000-4000-8000-000000000d03",
    userPrincipalName: "future.admin@contoso.example",
    employeeId: "E903",
  },
  protectedOwner: {
    id: "00000000-0000-4000-8000-000000000d04",
    userPrincipalName: "tier0.owner@contoso.example",
    employeeId: "E904",
  },
  eligibleGroupMember: {
    id: "00000000-0000-4000-8000-000000000d05",
    userPrincipalName: "pim.member@contoso.example",
    employeeId: "E905",
  },
  eligibleGroupOwner: {
    id: "00000000-0000-4000-8000-000000000d06",
    userPrincipalName: "pim.owner@contoso.example",
    employeeId: "E906",
  },
  guest: {
    id: "00000000-0000-4000-8000-000000000d07",
    userPrincipalName: "vendor_partner.example#EXT#@contoso.example",
    employeeId: "E907",
    userType: "Guest",
  },
} satisfies Record<string, SeedUser>;

/** Shapes that only exist with PIM (P2): eligibilities of roles and of group membership or ownership. */
export const p2Only: ReadonlySet<string> = new Set([
  users.eligibleAdmin.id,
  shapes.eligibleGroupMember.id,
  shapes.eligibleGroupOwner.id,
]);

/**
 * The pipeline tenant plus every shape, in the given edition: a role-assignable group holding Global
 * Administrator (owned by `groupOwner`; PIM-eligible member and owner on P2), one holding no role yet, and the
 * protected group owned by `protectedOwner`.
 */
export function guardTenant(edition: "P1" | "P2"): TenantSeed {
  const base = pipelineTenant();
  const keep = (user: SeedUser) => edition === "P2" || !p2Only.has(user.id);
  return {
    tenant: { ...base.tenant, edition },
    users: [...(base.users ?? []), ...Object.values(shapes)].filter(keep),
    groups: [
      ...(base.groups ?? []).map((group) =>
        group.id === protectedGroupId ? { ...group, owners: [shapes.protectedOwner.id] } : group,
      ),
      {
        id: "00000000-0000-4000-8000-0000000000a2",
        displayName: "Emergency Global Admins",
        isAssignableToRole: true,
        activeRoles: ["Global Administrator"],
        owners: [shapes.groupOwner.id],
        ...(edition === "P2"
          ? {
              eligibleMembers: [shapes.eligibleGroupMember.id],
              eligibleOwners: [shapes.eligibleGroupOwner.id],
            }
          : {}),
      },
      {
        id: "00000000-0000-4000-8000-0000000000a3",
        displayName: "Future Admins",
        isAssignableToRole: true,
        members: [shapes.quietGroupMember.id],
      },
    ],
  };
}
