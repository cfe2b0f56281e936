import { appPermissions, isGranted, type PermissionNeed } from "../directory/appPermissions.js";
import type { DoctorCheck } from "./doctorReport.js";
import type { DoctorSettings } from "./settingsChecks.js";

/** What the identity's token says it was granted, or why that can't be told (see shared/graph/tokenGrants.ts). */
export type GrantsView =
  | { known: true; permissions: ReadonlySet<string> }
  | { known: false; reason: string; delegated?: true };

/** A permission the settings need, why, and how bad its absence is. */
export interface RequiredPermission {
  need: PermissionNeed;
  why: string;
  /**
   * `fail`: events would fail or admins go unprotected; `warn`: it works without, less well; `optional`: an opt-in
   * capability the admin may have left off on purpose (reported ok, with what it would add and how to grant it).
   */
  ifMissing: "fail" | "warn" | "optional";
  /** How to get it, when not by the grant scripts. */
  fix?: string;
}

/** How to grant what the grant scripts grant, in both shells. */
export const grantFix =
  "grant it to the app's managed identity as a Privileged Role Administrator: `bash infra/scripts/grant-graph-permissions.sh` (PowerShell: `./infra/scripts/grant-graph-permissions.ps1`); the app's managed identity sees a new grant only after up to several hours (Azure caches its tokens for around 24 h), and queued events wait for it meanwhile";

const dirSyncFix =
  "optional: Graph's page lists this read for delegated access only, so an app may be refused even with it; read the flag yourself as a Global Administrator: `Connect-MgGraph -Scopes OnPremDirectorySynchronization.Read.All; (Get-MgDirectoryOnPremiseSynchronization).Features.BypassDirSyncOverridesEnabled`";

const registrationReportFix =
  "optional, and it reads every audit and sign-in log too: grant it with `GRANT_REGISTRATION_REPORT=true bash infra/scripts/grant-graph-permissions.sh` (PowerShell: `$env:GRANT_REGISTRATION_REPORT='true'; ./infra/scripts/grant-graph-permissions.ps1`); the tenant needs Entra ID P1 or P2";

const writesProfile = (target: string) => target === "profile" || target === "both";
const writesMethods = (target: string) => target === "methods" || target === "both";

/** What every deployment needs, whatever it writes: finding users, the privileged-account guard, the domains. */
const alwaysRequired: readonly RequiredPermission[] = [
  { need: appPermissions.readUsers, why: "find users and read their contact data", ifMissing: "fail" },
  {
    need: appPermissions.readRoleAssignments,
    why: "the privileged-account guard: active role assignments",
    ifMissing: "fail",
  },
  {
    need: appPermissions.readRoleEligibilities,
    why: "the privileged-account guard: PIM-eligible roles",
    ifMissing: "fail",
  },
  {
    need: appPermissions.readGroupMembers,
    why: "the privileged-account guard: role-assignable and protected groups, their members and owners",
    ifMissing: "fail",
  },
  {
    need: appPermissions.readGroupEligibilities,
    why: "the privileged-account guard: PIM-eligible members and owners of role-assignable groups (PIM for Groups)",
    ifMissing: "fail",
  },
  {
    need: appPermissions.readDomains,
    why: "read the tenant's verified domains: without it no alternate email is written",
    ifMissing: "fail",
  },
  {
    need: appPermissions.readRegistrationReport,
    why: "read the registration report: `report` buckets from the tenant's own SSPR verdict, and a methods backfill lists only registered users' methods (without it: the profile-only report, every user's methods listed)",
    ifMissing: "optional",
    fix: registrationReportFix,
  },
];

type PermissionSettings = Pick<DoctorSettings, "CONTACT_TARGET" | "SYNCED_MOBILE">;

/** What the settings add: each permission with the settings that need it. */
const settingsRequired: ReadonlyArray<RequiredPermission & { when: (s: PermissionSettings) => boolean }> = [
  {
    when: ({ CONTACT_TARGET: t }) => writesProfile(t.mobilePhone) || writesProfile(t.officePhone),
    need: appPermissions.writePhones,
    why: "write mobilePhone and businessPhones",
    ifMissing: "fail",
  },
  {
    when: ({ CONTACT_TARGET: t }) => writesProfile(t.alternateEmail),
    need: appPermissions.writeOtherMails,
    why: "write otherMails (the alternate email)",
    ifMissing: "fail",
  },
  {
    when: ({ CONTACT_TARGET: t }) =>
      writesMethods(t.mobilePhone) || writesMethods(t.officePhone) || writesMethods(t.alternateEmail),
    need: appPermissions.readAuthMethods,
    why: "read every authentication method a user registered (Authenticator, FIDO2, …): a user's own are never added to",
    ifMissing: "fail",
  },
  {
    when: ({ CONTACT_TARGET: t }) => writesMethods(t.mobilePhone) || writesMethods(t.officePhone),
    need: appPermissions.writePhoneMethods,
    why: "add and update phone authentication methods",
    ifMissing: "fail",
  },
  {
    when: ({ CONTACT_TARGET: t }) => writesMethods(t.alternateEmail),
    need: appPermissions.writeEmailMethods,
    why: "add and update the email authentication method",
    ifMissing: "fail",
  },
  {
    when: (s) => s.SYNCED_MOBILE === "override",
    need: appPermissions.readDirSyncFeatures,
    why: "doctor reads bypassDirSyncOverridesEnabled to tell what overriding a synced mobile does",
    ifMissing: "warn",
    fix: dirSyncFix,
  },
];

/** The Graph application permissions these settings need, each with the reason. */
export function requiredPermissions(s: PermissionSettings): RequiredPermission[] {
  const added = settingsRequired
    .filter((entry) => entry.when(s))
    .map(({ when: _when, ...permission }) => permission);
  return [...alwaysRequired, ...added];
}

/** Compares the identity's grants with what the settings need: one finding per missing permission, or one ok. */
export function permissionChecks(required: readonly RequiredPermission[], grants: GrantsView): DoctorCheck[] {
  if (!grants.known) {
    return [
      {
        check: "graphPermissions",
        status: "warn",
        code: "permissions_unknown",
        detail: `can't tell which permissions are granted: ${grants.reason}; the reads below still show what Graph allows`,
        fix: `make sure the identity holds ${required
          .filter((r) => r.ifMissing === "fail")
          .map((r) => r.need.permission)
          .filter(unique)
          .join(", ")}`,
      },
    ];
  }
  const missing = required.filter((r) => !isGranted(r.need, grants.permissions));
  // One finding per permission, even when two needs share it (role assignments and eligibilities).
  const seen = new Set<string>();
  const findings: DoctorCheck[] = missing.flatMap((r) => {
    if (seen.has(r.need.permission) || r.ifMissing === "optional") return [];
    seen.add(r.need.permission);
    return [
      {
        check: "graphPermissions",
        status: r.ifMissing,
        code: "missing_permission",
        permission: r.need.permission,
        detail: `missing ${r.need.permission}, needed to ${r.why}`,
        fix: r.fix ?? grantFix,
      },
    ];
  });
  const optional: DoctorCheck[] = missing
    .filter((r) => r.ifMissing === "optional")
    .map((r) => ({
      check: "graphPermissions",
      status: "ok",
      code: "optional_permission_absent",
      permission: r.need.permission,
      detail: `${r.need.permission} is not granted (optional): it would ${r.why}`,
      fix: r.fix ?? grantFix,
    }));
  if (findings.length > 0) return [...findings, ...optional];
  const names = required
    .filter((r) => r.ifMissing !== "optional" || !missing.includes(r))
    .map((r) => r.need.permission)
    .filter(unique);
  return [
    {
      check: "graphPermissions",
      status: "ok",
      code: "permissions_granted",
      detail: `the identity's grants cover what the settings need: ${names.join(", ")}`,
    },
    ...optional,
  ];
}

function unique(value: string, index: number, all: readonly string[]): boolean {
  return all.indexOf(value) === index;
}
