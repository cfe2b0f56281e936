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
