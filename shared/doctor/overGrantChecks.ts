import type { DoctorCheck } from "./doctorReport.js";
import type { GrantsView, RequiredPermission } from "./permissionChecks.js";

/**
 * What a grant would let whoever takes over the app's identity do, for the grants worth a sentence. Every grant the
 * settings don't need is pointed out; these say why it matters most.
 */
const whatItAllows: Readonly<Record<string, string>> = {
  "UserAuthenticationMethod.ReadWrite.All":
    "create a Temporary Access Pass for any non-admin user and sign in as them",
  "Directory.ReadWrite.All": "change any user, group or app registration in the directory",
  "User.ReadWrite.All": "change any user's profile, not only the contact fields",
  "RoleManagement.ReadWrite.Directory": "assign any Entra role, Global Administrator included, to itself",
  "AppRoleAssignment.ReadWrite.All": "grant itself any Microsoft Graph permission",
  "Application.ReadWrite.All": "add a credential to any app registration and act as that app",
  "Group.ReadWrite.All": "change groups and their members, the protected groups included",
  "GroupMember.ReadWrite.All": "change the members of groups, the protected groups included",
};

const revoke =
  "revoke it: Entra admin center → Enterprise applications (type: Managed Identities) → the app's identity → Permissions, or `az rest --method DELETE --url https://graph.microsoft.com/v1.0/servicePrincipals/<identity object id>/appRoleAssignments/<assignment id>` (the grant scripts print that command for the grants they know)";

/**
 * Over-grants: each Graph permission the identity's token holds that is not the least privileged one of a need
 * these settings have (`required`, the opt-in ones included). A broader permission standing in for a narrow one is
 * named with the narrow one that suffices. Warnings: the app works, but a compromise of it reaches further than it
 * must. Nothing when the grants can't be read (a delegated token, say).
 */
export function overGrantChecks(required: readonly RequiredPermission[], grants: GrantsView): DoctorCheck[] {
  if (!grants.known) return [];
  const needed = new Set(required.map((r) => r.need.permission));
  return [...grants.permissions]
    .filter((permission) => !needed.has(permission))
    .sort()
    .map((permission) => {
      const narrower = required
        .filter((r) => r.need.orHigher.includes(permission))
        .map((r) => r.need.permission)
        .filter((name, i, all) => all.indexOf(name) === i);
      const risk = whatItAllows[permission];
      const why =
        narrower.length > 0
          ? `broader than these settings need (${narrower.join(", ")} suffices)`
          : "not needed by these settings";
      return {
        check: "graphPermissions",
        status: "warn",
        code: "over_grant",
        permission,
        detail: `${permission} is granted, ${why}${risk ? `: whoever takes over the app's identity could ${risk}` : ""}`,
        fix:
          narrower.length > 0
            ? `make sure ${narrower.join(", ")} ${narrower.length === 1 ? "is" : "are"} granted (the grant scripts do that), then ${revoke}`
            : revoke,
      };
    });
}
