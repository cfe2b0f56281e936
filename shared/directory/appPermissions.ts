import type { ProfilePatch } from "./directory.js";

/**
 * One Graph application permission the app needs, as Graph's API pages list it: the least privileged one, which
 * the grant scripts give and errors name, and the higher ones Graph accepts in its place.
 */
export interface PermissionNeed {
  permission: string;
  orHigher: readonly string[];
}

/**
 * The application permissions behind each kind of directory call, from Graph v1.0's API pages ("Permissions"):
 * what `sspr-prepop doctor` checks against the identity's grants, and what explains a 403 on a profile write.
 */
export const appPermissions = {
  /** GET /users, /users/{id} (and a user's transitiveMemberOf, whose least privileged permission it is). */
  readUsers: need("User.Read.All", ["User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]),
  /** PATCH /users/{id} of `mobilePhone` and `businessPhones`. */
  writePhones: need("User-Phone.ReadWrite.All", ["User.ReadWrite.All", "Directory.ReadWrite.All"]),
  /** PATCH /users/{id} of `otherMails`. */
  writeOtherMails: need("User-Mail.ReadWrite.All", ["User.ReadWrite.All", "Directory.ReadWrite.All"]),
  /** GET /roleManagement/directory/roleAssignments. */
  readRoleAssignments: need("RoleManagement.Read.Directory", [
    "RoleManagement.Read.All",
    "Directory.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.ReadWrite.All",
  ]),
  /**
   * GET /roleManagement/directory/roleEligibilityScheduleInstances. Its least privileged permission is
   * RoleEligibilitySchedule.Read.Directory; RoleManagement.Read.Directory reads the assignments too, so the grant
   * scripts give that one and it is the one named.
   */
  readRoleEligibilities: need("RoleManagement.Read.Directory", [
    "RoleEligibilitySchedule.Read.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
  ]),
  /**
   * GET /groups (the role-assignable ones), /groups/{id}, and a group's members, transitiveMembers and owners: the
   * privilege picture's groups. Least privileged on each of those pages.
   */
  readGroupMembers: need("GroupMember.Read.All", [
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ]),
  /**
   * GET /identityGovernance/privilegedAccess/group/eligibilityScheduleInstances: PIM for Groups (eligible members
   * and owners). Granted on every tenant; without Entra ID P2 or ID Governance Graph answers AadPremiumLicenseRequired
   * whatever the grant, which the picture reads as "no PIM here".
   */
  readGroupEligibilities: need("PrivilegedEligibilitySchedule.Read.AzureADGroup", [
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
  ]),
  /**
   * GET …/authentication/methods: every method the user registered (Authenticator, FIDO2, …), read before any method
   * is written. Read-only: unlike UserAuthenticationMethod.ReadWrite.All it cannot create a Temporary Access Pass.
   */
  readAuthMethods: need("UserAuthenticationMethod.Read.All", ["UserAuthenticationMethod.ReadWrite.All"]),
  /** POST and PATCH of …/authentication/phoneMethods (they are read through `readAuthMethods`). */
  writePhoneMethods: need("UserAuthMethod-Phone.ReadWrite.All", ["UserAuthenticationMethod.ReadWrite.All"]),
  /** POST and PATCH of …/authentication/emailMethods (read through `readAuthMethods`). */
  writeEmailMethods: need("UserAuthMethod-Email.ReadWrite.All", ["UserAuthenticationMethod.ReadWrite.All"]),
  /** GET /domains (the tenant's verified domains: alternate emails in them are refused). */
  readDomains: need("Domain.Read.All", [
    "Directory.Read.All",
    "Domain.ReadWrite.All",
    "Directory.ReadWrite.All",
  ]),
  /**
   * GET /reports/authenticationMethods/userRegistrationDetails. Graph's page names no higher permission; the report
   * also needs Entra ID P1 or P2 in the tenant.
   */
  readRegistrationReport: need("AuditLog.Read.All", []),
  /**
   * GET /directory/onPremisesSynchronization (`bypassDirSyncOverridesEnabled`). Graph v1.0's page lists it for
   * delegated access only ("Application: Not supported"), so an app identity may be refused even with a grant.
   */
  readDirSyncFeatures: need("OnPremDirectorySynchronization.Read.All", [
    "OnPremDirectorySynchronization.ReadWrite.All",
  ]),
} as const satisfies Record<string, PermissionNeed>;

function need(permission: string, orHigher: readonly string[]): PermissionNeed {
  return { permission, orHigher };
}

/** True when `granted` holds the permission or one Graph accepts in its place. */
export function isGranted(needed: PermissionNeed, granted: ReadonlySet<string>): boolean {
  return granted.has(needed.permission) || needed.orHigher.some((permission) => granted.has(permission));
}

/** The permissions a profile PATCH carrying these properties needs (one per kind of property, in patch order). */
export function profilePatchNeeds(patch: ProfilePatch): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  if (patch.mobilePhone !== undefined || patch.businessPhones !== undefined)
    needs.push(appPermissions.writePhones);
  if (patch.otherMails !== undefined) needs.push(appPermissions.writeOtherMails);
  return needs;
}
