import { readFileSync } from "node:fs";
import {
  type EmulatedGroup,
  type EmulatedGroupAccess,
  type EmulatedRoleGrant,
  type EmulatedUser,
  groupFromSeed,
  type RouteFailure,
  userFromSeed,
} from "./emulatedObjects.js";
import { emulatedPermissions } from "./emulatedPermissions.js";
import { builtInRoleName, roleDefinitionIdOf, roleGrantsOf } from "./roleGrants.js";
import type {
  EmulatedEdition,
  PimRefusal,
  SeedDomain,
  SeedGroup,
  SeedUser,
  SsprOverride,
  TenantSeed,
} from "./TenantSeed.js";

// What the emulator's users (tests, the local host, the benchmark) import from the tenant, kept in one place.
export type {
  EmulatedGroup,
  EmulatedGroupAccess,
  EmulatedRoleGrant,
  EmulatedUser,
  RouteFailure,
} from "./emulatedObjects.js";
export { emulatedPermissions } from "./emulatedPermissions.js";
export {
  type EmulatedEdition,
  type EmulatedOtherMethodKind,
  type EmulatedPhoneType,
  type EmulatedUserType,
  emailMethodId,
  otherMethodKinds,
  type PimRefusal,
  passwordMethodId,
  phoneMethodIds,
  type SeedDomain,
  type SeedGroup,
  type SeedScopedRole,
  type SeedUser,
  type SsprOverride,
  type TenantSeed,
} from "./TenantSeed.js";

const guidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The emulated directory: users, tenant switches, and an in-process way to read, change and reset them. */
export class EmulatedTenant {
  domain: string;
  bypassDirSyncOverridesEnabled: boolean;
  masteredMessage: "onPremises" | "externalService";
  /** The organization's display name (GET /organization). */
  displayName = "Contoso";
  /** Entra ID P1/P2 held: without it the registration report answers 403 (see `TenantSeed`). */
  premiumLicense = true;
  /** The premium edition; PIM needs P2 (see `TenantSeed`). Seeded only: eligibilities cannot exist on P1. */
  edition: EmulatedEdition = "P2";
  /** How PIM refuses without P2. */
  pimRefusal: Required<PimRefusal> = { status: 400, wording: "current" };
  /** Whether SSPR's policy covers a user who has no `sspr.enabled` of their own. */
  ssprEnabled = true;
  /**
   * Whether the registration report takes `$top` (its page is silent on it; on by default). Off, it answers 400 to
   * `$top` as it does to every option the page does not document, as a stricter Graph might.
   */
  registrationReportTakesTop = true;
  /** The tenant's domains (GET /domains). */
  domains: SeedDomain[] = [];
  private users: EmulatedUser[] = [];
  private groups: EmulatedGroup[] = [];
  private readonly granted = new Set<string>(emulatedPermissions);
  private readonly failingRoutes = new Map<string, RouteFailure>();

  constructor(private readonly seed: TenantSeed) {
    this.domain = seed.tenant?.domain ?? "contoso.example";
    this.bypassDirSyncOverridesEnabled = seed.tenant?.bypassDirSyncOverridesEnabled ?? false;
    this.masteredMessage = seed.tenant?.masteredMessage ?? "onPremises";
    this.reset();
  }

  /** Reads a tenant file (JSON) and builds the tenant. */
  static fromFile(path: string): EmulatedTenant {
    return new EmulatedTenant(JSON.parse(readFileSync(path, "utf8")) as TenantSeed);
  }

  /** Puts every user, group and switch back as seeded: all permissions granted, no failing route. */
  reset(): void {
    this.domain = this.seed.tenant?.domain ?? "contoso.example";
    this.bypassDirSyncOverridesEnabled = this.seed.tenant?.bypassDirSyncOverridesEnabled ?? false;
    this.masteredMessage = this.seed.tenant?.masteredMessage ?? "onPremises";
    this.displayName = this.seed.tenant?.displayName ?? "Contoso";
    this.premiumLicense = this.seed.tenant?.premiumLicense ?? true;
    this.edition = this.seed.tenant?.edition ?? "P2";
    this.pimRefusal = {
      status: this.seed.tenant?.pimRefusal?.status ?? 400,
      wording: this.seed.tenant?.pimRefusal?.wording ?? "current",
    };
    this.ssprEnabled = this.seed.tenant?.ssprEnabled ?? true;
    this.registrationReportTakesTop = true;
    this.domains = structuredClone(
      this.seed.tenant?.domains ?? [{ id: this.domain, isVerified: true, isDefault: true, isInitial: false }],
    );
    this.users = [];
    this.groups = [];
    this.granted.clear();
    for (const permission of [...emulatedPermissions, ...(this.seed.tenant?.extraPermissions ?? [])]) {
      this.granted.add(permission);
    }
    this.failingRoutes.clear();
    for (const user of this.seed.users) this.addUser(user);
    for (const group of this.seed.groups ?? []) this.addGroup(group);
  }

  /** Adds a user (tests build tenants of any size this way). */
  addUser(seed: SeedUser): EmulatedUser {
    if (!guidText.test(seed.id)) throw new Error(`Seed user id must be a GUID: ${seed.id}`);
    if (this.find(seed.id) || this.find(seed.userPrincipalName)) {
      throw new Error(`Duplicate seed user: ${seed.id} / ${seed.userPrincipalName}`);
    }
    this.refuseEligibilitiesWithoutPim(seed.userPrincipalName, [
      ...(seed.eligibleRoles ?? []),
      ...(seed.scopedRoles ?? []).filter((r) => r.eligible).map((r) => r.role),
    ]);
    const user = userFromSeed(seed);
    this.users.push(user);
    return user;
  }

  /** Adds a group; Entra ID assigns roles only to role-assignable groups, so roles on another group are refused. */
  addGroup(seed: SeedGroup): EmulatedGroup {
    if (!guidText.test(seed.id)) throw new Error(`Seed group id must be a GUID: ${seed.id}`);
    if (this.group(seed.id) || this.find(seed.id)) throw new Error(`Duplicate seed object id: ${seed.id}`);
    const roles = [
      ...(seed.activeRoles ?? []),
      ...(seed.eligibleRoles ?? []),
      ...(seed.scopedRoles ?? []).map((r) => r.role),
    ];
    if (roles.length > 0 && seed.isAssignableToRole !== true) {
      throw new Error(`Group ${seed.displayName} holds roles but is not role-assignable`);
    }
    this.refuseEligibilitiesWithoutPim(seed.displayName, [
      ...(seed.eligibleRoles ?? []),
      ...(seed.scopedRoles ?? []).filter((r) => r.eligible).map((r) => r.role),
      ...(seed.eligibleMembers ?? []).map((id) => `membership for ${id}`),
      ...(seed.eligibleOwners ?? []).map((id) => `ownership for ${id}`),
    ]);
    const group = groupFromSeed(seed);
    this.groups.push(group);
    return group;
  }

  /** The live group by object id. */
  group(id: string): EmulatedGroup | undefined {
    const wanted = id.toLowerCase();
    return this.groups.find((g) => g.id === wanted);
  }

  /** Every group, in directory order (the emulator's paging order). */
  allGroups(): readonly EmulatedGroup[] {
    return this.groups;
  }

  /** Whether PIM answers: edition P2 only (`premiumLicense` is the registration report's switch, see `TenantSeed`). */
  hasPim(): boolean {
    return this.edition === "P2";
  }

  /**
   * PIM for Groups listings: every eligible membership and ownership, and the active ones of the groups PIM governs
   * (the emulator counts a group as governed once it has an eligibility; Graph's docs do not say what the lists
   * show for other groups).
   */
  groupAccess(kind: "active" | "eligible"): EmulatedGroupAccess[] {
    return this.groups.flatMap((g) => {
      const governed = g.eligibleMembers.length + g.eligibleOwners.length > 0;
      const [members, owners] =
        kind === "eligible"
          ? [g.eligibleMembers, g.eligibleOwners]
          : governed
            ? [g.members, g.owners]
            : [[], []];
      return [
        ...members.map((principalId) => ({ groupId: g.id, principalId, accessId: "member" as const })),
        ...owners.map((principalId) => ({ groupId: g.id, principalId, accessId: "owner" as const })),
      ];
    });
  }

  /** The groups an object (user or group) is a member of, directly or through member groups. */
  groupsOf(objectId: string): EmulatedGroup[] {
    const found: EmulatedGroup[] = [];
    let frontier = [objectId.toLowerCase()];
    while (frontier.length > 0) {
      const next = this.groups.filter(
        (g) => !found.includes(g) && g.members.some((member) => frontier.includes(member)),
      );
      found.push(...next);
      frontier = next.map((g) => g.id);
    }
    return found;
  }

  /** The roles a user holds actively, directly or through a group: what makes Graph protect their properties. */
  activeRolesOf(user: EmulatedUser): string[] {
    return [...user.adminRoles, ...this.groupsOf(user.id).flatMap((g) => g.activeRoles)];
  }

  /** Every active role assignment (GET /roleManagement/directory/roleAssignments). */
  roleAssignments(): EmulatedRoleGrant[] {
    return roleGrantsOf("active", this.users, this.groups);
  }

  /** Every current role eligibility (GET /roleManagement/directory/roleEligibilityScheduleInstances). */
  roleEligibilities(): EmulatedRoleGrant[] {
    return roleGrantsOf("eligible", this.users, this.groups);
  }

  /** The name of a built-in role by its template id, if the emulator knows it. */
  static builtInRoleName(roleDefinitionId: string): string | undefined {
    return builtInRoleName(roleDefinitionId);
  }

  /** The role definition id of a role name: the built-in template id, or a stable id for a custom role. */
  static roleDefinitionId(roleName: string): string {
    return roleDefinitionIdOf(roleName);
  }

  /** Whether the emulated app holds an application permission (`EMULATED_PERMISSIONS` until changed). */
  hasPermission(permission: string): boolean {
    return this.granted.has(permission);
  }

  /** Sets a user's SSPR verdicts for the registration report (undefined = derived again). */
  setSspr(key: string, sspr: SsprOverride): void {
    const user = this.find(key);
    if (!user) throw new Error(`No such user: ${key}`);
    user.sspr = { ...sspr };
  }

  /** Takes a permission from the emulated app (until `grantPermission` or `reset`), as a missing grant would. */
  revokePermission(permission: string): void {
    this.granted.delete(permission);
  }

  /** Gives the emulated app a permission, e.g. a narrower one than the defaults. */
  grantPermission(permission: string): void {
    this.granted.add(permission);
  }

  /** Every application permission the emulated app holds now, sorted (what a token issued now lists). */
  grantedPermissions(): string[] {
    return [...this.granted].sort();
  }

  /** The default permissions revoked so far. */
  revokedPermissions(): string[] {
    return emulatedPermissions.filter((permission) => !this.granted.has(permission));
  }

  /**
   * Makes every request of one route (`METHOD routeKind`, as the stats name it, e.g.
   * `GET roleEligibilityScheduleInstances`) answer `status` (with `Retry-After` when given) until cleared with
   * undefined or `reset`.
   */
  failRoute(route: string, status: number | undefined, retryAfterSeconds?: number): void {
    if (status === undefined) this.failingRoutes.delete(route);
    else
      this.failingRoutes.set(route, {
        status,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
  }

  /** How a route is made to fail, if it is. */
  routeFailure(route: string): RouteFailure | undefined {
    return this.failingRoutes.get(route);
  }

  /** A seed may not declare what only PIM (P2) creates: Entra ID has no eligibility without it. */
  private refuseEligibilitiesWithoutPim(owner: string, eligibilities: string[]): void {
    if (this.edition === "P1" && eligibilities.length > 0) {
      throw new Error(
        `Tenant edition P1 has no PIM, so ${owner} cannot hold eligibilities (${eligibilities.join(", ")}); use edition P2`,
      );
    }
  }

  /** The live user by object id or UPN (case-insensitive), as Graph resolves `/users/{key}`. */
  find(key: string): EmulatedUser | undefined {
    const wanted = key.toLowerCase();
    const byId = guidText.test(key);
    return this.users.find((u) => (byId ? u.id === wanted : u.userPrincipalName.toLowerCase() === wanted));
  }

  /** A copy of one user's state, for assertions; undefined when absent. */
  user(key: string): EmulatedUser | undefined {
    const user = this.find(key);
    return user ? structuredClone(user) : undefined;
  }

  /** The live users in directory order (the emulator's paging order). */
  all(): readonly EmulatedUser[] {
    return this.users;
  }

  /** Number of users; Graph sizes the resource-unit budget by it. */
  get size(): number {
    return this.users.length;
  }
}
