import { createHash } from "node:crypto";
import type { EmulatedGroup, EmulatedRoleGrant, EmulatedUser } from "./emulatedObjects.js";
import type { SeedScopedRole } from "./TenantSeed.js";

/** Template ids of built-in roles (a built-in role definition's id is its template id). */
const builtInRoleIds: Record<string, string> = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
  "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
  "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
  "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
  "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
};

/** The name of a built-in role by its template id, if the emulator knows it. */
export function builtInRoleName(roleDefinitionId: string): string | undefined {
  return Object.entries(builtInRoleIds).find(([, id]) => id === roleDefinitionId.toLowerCase())?.[0];
}

/** The role definition id of a role name: the built-in template id, or a stable id for a custom role. */
export function roleDefinitionIdOf(roleName: string): string {
  return builtInRoleIds[roleName] ?? stableGuid(`role:${roleName}`);
}

/**
 * Every role assignment (`active`) or eligibility of users and groups, tenant-wide and over administrative units,
 * as the role-management lists give them.
 */
export function roleGrantsOf(
  kind: "active" | "eligible",
  users: readonly EmulatedUser[],
  groups: readonly EmulatedGroup[],
): EmulatedRoleGrant[] {
  const wanted = (roles: SeedScopedRole[]) =>
    roles.filter((r) => (r.eligible ?? false) === (kind === "eligible"));
  const principals: Array<{ id: string; roles: string[]; scoped: SeedScopedRole[] }> = [
    ...users.map((u) => ({
      id: u.id,
      roles: kind === "active" ? u.adminRoles : u.eligibleRoles,
      scoped: wanted(u.scopedRoles),
    })),
    ...groups.map((g) => ({
      id: g.id,
      roles: kind === "active" ? g.activeRoles : g.eligibleRoles,
      scoped: wanted(g.scopedRoles),
    })),
  ];
  const grant = (id: string, roleName: string, directoryScopeId: string): EmulatedRoleGrant => ({
    // Tenant-wide grants keep the ids they had before scopes existed.
    id: stableId(`${kind}:${id}:${roleName}${directoryScopeId === "/" ? "" : `:${directoryScopeId}`}`),
    principalId: id,
    roleDefinitionId: roleDefinitionIdOf(roleName),
    roleName,
    directoryScopeId,
  });
  return principals.flatMap(({ id, roles, scoped }) => [
    ...roles.map((roleName) => grant(id, roleName, "/")),
    ...scoped.map((r) => grant(id, r.role, `/administrativeUnits/${r.administrativeUnitId.toLowerCase()}`)),
  ]);
}

function stableGuid(text: string): string {
  const hex = createHash("sha256").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Graph's assignment and instance ids are opaque strings; a stable one keeps answers comparable. */
function stableId(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 43);
}
