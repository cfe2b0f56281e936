import type {
  EmulatedOtherMethodKind,
  EmulatedPhoneType,
  EmulatedUserType,
  SeedGroup,
  SeedScopedRole,
  SeedUser,
  SsprOverride,
} from "./TenantSeed.js";

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

/** A user's live state as seeded: omitted properties null (or empty), ids lower-case. */
export function userFromSeed(seed: SeedUser): EmulatedUser {
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
      new Date(Date.now() - (seed.createdDaysAgo ?? 0) * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    onPremisesSyncEnabled: seed.onPremisesSyncEnabled ?? null,
    adminRoles: [...(seed.adminRoles ?? [])],
    eligibleRoles: [...(seed.eligibleRoles ?? [])],
    scopedRoles: structuredClone(seed.scopedRoles ?? []),
    phoneMethods,
    emailMethod: seed.authentication?.emailMethods?.[0]?.emailAddress ?? null,
    otherMethods: [...(seed.authentication?.otherMethods ?? [])],
    sspr: { ...seed.sspr },
  };
  return user;
}

/** A group's live state as seeded, member and owner ids lower-case. */
export function groupFromSeed(seed: SeedGroup): EmulatedGroup {
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
  return group;
}
