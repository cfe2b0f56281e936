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
