import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** Phone method types Graph knows, each with a fixed method id. */
export const phoneMethodIds = {
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  office: "e37fc753-ff3b-4958-9484-eaa9425c82bc",
} as const;
export type EmulatedPhoneType = keyof typeof phoneMethodIds;
export const emailMethodId = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f";
/** Every user has a password method; Graph lists it with this id. */
export const passwordMethodId = "28c10230-6103-485e-b985-444c60001490";

/**
 * The other kinds of method a seed user may have registered, each listed by GET …/authentication/methods with its
 * own `@odata.type` (see authMethodHandlers). The app never writes these; it only has to see them. Hardware OATH
 * tokens are left out: Graph lists them on the beta endpoint only.
 */
export const otherMethodKinds = [
  "microsoftAuthenticator",
  "fido2",
  "windowsHelloForBusiness",
  "softwareOath",
  "temporaryAccessPass",
  "platformCredential",
] as const;
export type EmulatedOtherMethodKind = (typeof otherMethodKinds)[number];

/** One user as written in a tenant file. Omitted properties are null (or empty collections). */
export interface SeedUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  mail?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[];
  otherMails?: string[];
  officeLocation?: string | null;
  preferredLanguage?: string | null;
  usageLocation?: string | null;
  /** The country or region as free text (Graph's `country`); `usageLocation` is the ISO code. */
  country?: string | null;
  employeeId?: string | null;
  accountEnabled?: boolean;
  /** `Member` (default) or `Guest` (a B2B guest: SSPR in this tenant does not apply to them). */
  userType?: EmulatedUserType;
  /**
   * The tenant's SSPR verdicts for the registration report, when a test needs them other than derived:
   * `enabled` (the SSPR policy covers the user; default the tenant's `ssprEnabled`), `registered`, `capable`.
   */
  sspr?: SsprOverride;
  createdDateTime?: string;
  /** A creation time relative to seeding (the demo tenant uses it so its new hires stay new). */
  createdDaysAgo?: number;
  /** true = synced from on-premises AD; false = was synced; null/absent = cloud-only. */
  onPremisesSyncEnabled?: boolean | null;
  /**
   * Directory roles held actively (directly assigned), e.g. ["Global Administrator"]. Graph then protects the
   * user's phone and mail properties (403 on PATCH without an admin role of the app's own).
   */
  adminRoles?: string[];
  /** PIM-eligible directory roles, not activated: Graph does not protect the user's properties for these. */
  eligibleRoles?: string[];
  /** Roles scoped to an administrative unit (`directoryScopeId` `/administrativeUnits/{id}`), active or eligible. */
  scopedRoles?: SeedScopedRole[];
  authentication?: {
    phoneMethods?: Array<{ phoneType: EmulatedPhoneType; phoneNumber: string }>;
    emailMethods?: Array<{ emailAddress: string }>;
    /** Methods of other kinds the user registered, e.g. ["microsoftAuthenticator", "fido2"]. */
    otherMethods?: EmulatedOtherMethodKind[];
  };
}

export type EmulatedUserType = "Member" | "Guest";

/** The premium edition of a tenant that holds one (`premiumLicense`). */
export type EmulatedEdition = "P1" | "P2";

/** The answer Graph gives a PIM request in a tenant without P2; both forms are seen in the wild. */
export interface PimRefusal {
  status?: 400 | 403;
  wording?: "current" | "legacy";
}

/** A user's SSPR verdicts as a test sets them; an absent one is derived (see reportHandlers). */
export interface SsprOverride {
  enabled?: boolean;
  registered?: boolean;
  capable?: boolean;
}

/**
 * A role held over one administrative unit rather than the whole tenant. Graph lists it in the role-management
 * lists with `directoryScopeId` `/administrativeUnits/{id}`; it is a scoped-role membership, not a membership of the
 * directoryRole, so `transitiveMemberOf` does not show it (see roleHandlers).
 */
export interface SeedScopedRole {
  role: string;
  /** The administrative unit's object id. */
  administrativeUnitId: string;
  /** true: PIM-eligible (P2 only); default: active. */
  eligible?: boolean;
}

/** One domain of the tenant, as the domain resource has it (the properties the app reads). */
export interface SeedDomain {
  /** The fully qualified domain name. */
  id: string;
  isVerified: boolean;
  isDefault?: boolean;
  isInitial?: boolean;
}

/** One group as written in a tenant file. */
export interface SeedGroup {
  id: string;
  displayName: string;
  /** Role-assignable: only such groups can hold (or be eligible for) directory roles, as in Entra ID. */
  isAssignableToRole?: boolean;
  /** Member user ids and group ids; a member group's members are members too (transitive). */
  members?: string[];
  /** Directory roles assigned to the group: active for every member. */
  activeRoles?: string[];
  /** Directory roles the group is PIM-eligible for. */
  eligibleRoles?: string[];
  /** Roles over one administrative unit, active or eligible (role-assignable groups only). */
  scopedRoles?: SeedScopedRole[];
  /** Owner user ids. An owner is not a member: owning a group gives none of its roles. */
  owners?: string[];
  /** User ids PIM-eligible for membership (PIM for Groups, P2 only): not members until they activate. */
  eligibleMembers?: string[];
  /** User ids PIM-eligible for ownership (PIM for Groups, P2 only). */
  eligibleOwners?: string[];
}

/** A tenant file: tenant-wide switches, the users and the groups. */
export interface TenantSeed {
  tenant?: {
    domain?: string;
    /** The tenant's domains as GET /domains lists them; default: `domain`, verified. */
    domains?: SeedDomain[];
    /** Free text for people reading the file. */
    description?: string;
    /** When true, AD keeps mastering synced users' mobile phones, so Graph refuses to override them. */
    bypassDirSyncOverridesEnabled?: boolean;
    /**
     * Which of Graph's texts a refused write of a mastered property gets: `onPremises` (a synced user, the default)
     * or `externalService` ("originated within an external service": Exchange, or a user once synced).
     */
    masteredMessage?: "onPremises" | "externalService";
    /** The organization's display name (GET /organization); default `Contoso`. */
    displayName?: string;
    /**
     * Whether the tenant holds Microsoft Entra ID P1/P2 (default true). Without it Graph refuses the registration
     * report with 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant. It is the report's switch only: PIM
     * follows `edition`, so a free tenant is `premiumLicense: false` with `edition: "P1"` (no P2, so no PIM).
     */
    premiumLicense?: boolean;
    /**
     * Which premium edition (default `P2`): on `P1` every PIM API (role schedules and instances, PIM for Groups)
     * answers Graph's AadPremiumLicenseRequired, and a seed declaring eligibilities is refused.
     */
    edition?: EmulatedEdition;
    /** How PIM refuses a tenant without P2: status 400 (default) or 403, `current` (default) or `legacy` text. */
    pimRefusal?: PimRefusal;
    /** Whether SSPR's policy covers users who don't say otherwise (`sspr.enabled`); default true. */
    ssprEnabled?: boolean;
    /**
     * Application permissions the emulated app holds besides `emulatedPermissions` (the demo tenant grants
     * AuditLog.Read.All and Organization.Read.All so `sspr-prepop report` shows the tenant's own verdicts).
     */
    extraPermissions?: string[];
  };
  users: SeedUser[];
  groups?: SeedGroup[];
}

/**
 * Application permissions the emulated app holds unless a test revokes one (see `revokePermission`): what the grant
 * scripts grant with CONTACT_TARGET=both (the read-only UserAuthenticationMethod.Read.All and the narrow methods
 * write permissions, never UserAuthenticationMethod.ReadWrite.All;
 * AuditLog.Read.All only when a test or `npm start` grants it, as GRANT_REGISTRATION_REPORT=true would).
 */
export const emulatedPermissions = [
  "User.Read.All",
  "User-Phone.ReadWrite.All",
  "User-Mail.ReadWrite.All",
  "UserAuthenticationMethod.Read.All",
  "UserAuthMethod-Phone.ReadWrite.All",
  "UserAuthMethod-Email.ReadWrite.All",
  "RoleManagement.Read.Directory",
  "GroupMember.Read.All",
  "Domain.Read.All",
  // PIM for Groups: who may become a member or owner of a role-assignable group.
  "PrivilegedEligibilitySchedule.Read.AzureADGroup",
  "PrivilegedAssignmentSchedule.Read.AzureADGroup",
] as const;

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

/** A failure a test injects on one route. */
export interface RouteFailure {
  status: number;
  retryAfterSeconds?: number;
}

/** A role assignment or eligibility, as the role-management endpoints list them. */
export interface EmulatedRoleGrant {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  roleName: string;
  /** `/` for the whole tenant, `/administrativeUnits/{id}` for one administrative unit. */
  directoryScopeId: string;
}

/** A PIM for Groups membership or ownership, active (assignment) or eligible. */
export interface EmulatedGroupAccess {
  groupId: string;
  principalId: string;
  accessId: "member" | "owner";
}

/** A group's live state. */
export interface EmulatedGroup {
  id: string;
  displayName: string;
  isAssignableToRole: boolean;
  members: string[];
  activeRoles: string[];
  eligibleRoles: string[];
  scopedRoles: SeedScopedRole[];
  owners: string[];
  eligibleMembers: string[];
  eligibleOwners: string[];
}

/** A user's live state inside the emulator. */
export interface EmulatedUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  department: string | null;
  mail: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  otherMails: string[];
  officeLocation: string | null;
  preferredLanguage: string | null;
  usageLocation: string | null;
  country: string | null;
  employeeId: string | null;
  accountEnabled: boolean;
  userType: EmulatedUserType;
  createdDateTime: string;
  onPremisesSyncEnabled: boolean | null;
  adminRoles: string[];
  eligibleRoles: string[];
  scopedRoles: SeedScopedRole[];
  phoneMethods: Partial<Record<EmulatedPhoneType, string>>;
  emailMethod: string | null;
  /** Registered methods of other kinds, in seed order (the app never writes them). */
  otherMethods: EmulatedOtherMethodKind[];
  /** SSPR verdicts a test set (`setSspr`); the registration report derives the rest. */
  sspr: SsprOverride;
}

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
    const phoneMethods: EmulatedUser["phoneMethods"] = {};
    for (const method of seed.authentication?.phoneMethods ?? [])
      phoneMethods[method.phoneType] = method.phoneNumber;
    const user: EmulatedUser = {
      id: seed.id.toLowerCase(),
      userPrincipalName: seed.userPrincipalName,
      displayName: seed.displayName ?? null,
      givenName: seed.givenName ?? null,
      surname: seed.surname ?? null,
      jobTitle: seed.jobTitle ?? null,
      department: seed.department ?? null,
      mail: seed.mail ?? null,
      mobilePhone: seed.mobilePhone ?? null,
      businessPhones: [...(seed.businessPhones ?? [])],
      otherMails: [...(seed.otherMails ?? [])],
      officeLocation: seed.officeLocation ?? null,
      preferredLanguage: seed.preferredLanguage ?? null,
      usageLocation: seed.usageLocation ?? null,
      country: seed.country ?? null,
      employeeId: seed.employeeId ?? null,
      accountEnabled: seed.accountEnabled ?? true,
      userType: seed.userType ?? "Member",
      // Without a date the account is as new as the seeding: tests and the demo stay "new hires" whatever the day.
      createdDateTime:
        seed.createdDateTime ??
        new Date(Date.now() - (seed.createdDaysAgo ?? 0) * 86_400_000)
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z"),
      onPremisesSyncEnabled: seed.onPremisesSyncEnabled ?? null,
      adminRoles: [...(seed.adminRoles ?? [])],
      eligibleRoles: [...(seed.eligibleRoles ?? [])],
      scopedRoles: structuredClone(seed.scopedRoles ?? []),
      phoneMethods,
      emailMethod: seed.authentication?.emailMethods?.[0]?.emailAddress ?? null,
      otherMethods: [...(seed.authentication?.otherMethods ?? [])],
      sspr: { ...seed.sspr },
    };
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
    const ids = (list: string[] | undefined) => (list ?? []).map((id) => id.toLowerCase());
    const group: EmulatedGroup = {
      id: seed.id.toLowerCase(),
      displayName: seed.displayName,
      isAssignableToRole: seed.isAssignableToRole ?? false,
      members: ids(seed.members),
      activeRoles: [...(seed.activeRoles ?? [])],
      eligibleRoles: [...(seed.eligibleRoles ?? [])],
      scopedRoles: structuredClone(seed.scopedRoles ?? []),
      owners: ids(seed.owners),
      eligibleMembers: ids(seed.eligibleMembers),
      eligibleOwners: ids(seed.eligibleOwners),
    };
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
    return this.grants("active");
  }

  /** Every current role eligibility (GET /roleManagement/directory/roleEligibilityScheduleInstances). */
  roleEligibilities(): EmulatedRoleGrant[] {
    return this.grants("eligible");
  }

  /** The name of a built-in role by its template id, if the emulator knows it. */
  static builtInRoleName(roleDefinitionId: string): string | undefined {
    return Object.entries(builtInRoleIds).find(([, id]) => id === roleDefinitionId.toLowerCase())?.[0];
  }

  /** The role definition id of a role name: the built-in template id, or a stable id for a custom role. */
  static roleDefinitionId(roleName: string): string {
    return builtInRoleIds[roleName] ?? stableGuid(`role:${roleName}`);
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

  private grants(kind: "active" | "eligible"): EmulatedRoleGrant[] {
    const wanted = (roles: SeedScopedRole[]) =>
      roles.filter((r) => (r.eligible ?? false) === (kind === "eligible"));
    const principals: Array<{ id: string; roles: string[]; scoped: SeedScopedRole[] }> = [
      ...this.users.map((u) => ({
        id: u.id,
        roles: kind === "active" ? u.adminRoles : u.eligibleRoles,
        scoped: wanted(u.scopedRoles),
      })),
      ...this.groups.map((g) => ({
        id: g.id,
        roles: kind === "active" ? g.activeRoles : g.eligibleRoles,
        scoped: wanted(g.scopedRoles),
      })),
    ];
    const grant = (id: string, roleName: string, directoryScopeId: string): EmulatedRoleGrant => ({
      // Tenant-wide grants keep the ids they had before scopes existed.
      id: stableId(`${kind}:${id}:${roleName}${directoryScopeId === "/" ? "" : `:${directoryScopeId}`}`),
      principalId: id,
      roleDefinitionId: EmulatedTenant.roleDefinitionId(roleName),
      roleName,
      directoryScopeId,
    });
    return principals.flatMap(({ id, roles, scoped }) => [
      ...roles.map((roleName) => grant(id, roleName, "/")),
      ...scoped.map((r) => grant(id, r.role, `/administrativeUnits/${r.administrativeUnitId.toLowerCase()}`)),
    ]);
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

function stableGuid(text: string): string {
  const hex = createHash("sha256").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Graph's assignment and instance ids are opaque strings; a stable one keeps answers comparable. */
function stableId(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 43);
}
