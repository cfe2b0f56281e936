import { directoryFailureOf } from "../directory/directoryFailure.js";
import type { DoctorCheck, DoctorCheckName } from "./doctorReport.js";
import { type GrantsView, grantFix } from "./permissionChecks.js";
import { plainErrorText } from "./plainErrorText.js";

/** How getting a token went: the grants it carries, or the error. */
export type TokenFinding =
  | { ok: true; grants: GrantsView & { appId?: string; expiresAt?: string } }
  | { ok: false; error: unknown };

/** Whether the app can get a Graph token the way it does in production (static token or managed identity). */
export function tokenCheck(found: TokenFinding): DoctorCheck {
  if (!found.ok) {
    return {
      check: "graphToken",
      status: "fail",
      code: "token_failed",
      detail: `no Graph token: ${plainErrorText(found.error)}`,
      fix: "in Azure, give the app a managed identity (AZURE_CLIENT_ID names a user-assigned one); locally, set GRAPH_BASE_URL and GRAPH_ACCESS_TOKEN to an emulator's",
    };
  }
  const { grants } = found;
  if (!grants.known && grants.delegated) {
    return {
      check: "graphToken",
      status: "warn",
      code: "token_delegated",
      detail:
        "the token is a signed-in user's (your Azure CLI login?), not the app's identity: the reads below show what you may do, not what the app may",
      fix: "check the app's own identity with GET /api/doctor as an admin, or run doctor where the app's managed identity is",
    };
  }
  if (!grants.known) {
    return {
      check: "graphToken",
      status: "warn",
      code: "token_unreadable",
      detail: `got a token, but can't read its grants (${grants.reason}): a 403 can't be told apart from a privileged account`,
      fix: "use the managed identity (an app-only token lists its grants); a static GRAPH_ACCESS_TOKEN is for emulators",
    };
  }
  const who = grants.appId ? ` for app ${grants.appId}` : "";
  const until = grants.expiresAt ? `, valid until ${grants.expiresAt}` : "";
  return {
    check: "graphToken",
    status: "ok",
    code: "token_ok",
    detail: `got an app-only token${who} carrying ${grants.permissions.size} application permission${grants.permissions.size === 1 ? "" : "s"}${until}`,
  };
}

/** How reading one user went: how many came back, or the error. */
export type UserReadFinding = { ok: true; users: number } | { ok: false; error: unknown };

/** A read of one user, as the pipeline reads the users it writes. */
export function userReadCheck(found: UserReadFinding): DoctorCheck {
  if (!found.ok) return failedRead("userRead", "reading a user", found.error);
  if (found.users === 0) {
    return {
      check: "userRead",
      status: "warn",
      code: "no_users",
      detail: "read the users: the tenant has none, so the privileged-account read was not tried",
    };
  }
  return { check: "userRead", status: "ok", code: "user_read", detail: "read one user (GET /users?$top=1)" };
}

/** How reading the privilege picture went: the edition found, or why it could not be read. */
export type PrivilegeReadFinding =
  | { ok: true; pim: boolean; privilegedUsers: number; gap?: unknown }
  | { ok: false; error: unknown }
  | { skipped: true };

/**
 * The reads the privileged-account guard makes before writes (the tenant-wide picture), and the edition they
 * found: with PIM (Entra ID P2 or ID Governance) eligibilities are read; without, Graph refuses PIM reads with
 * AadPremiumLicenseRequired, and no eligibility can exist or be activated, so the rest decides.
 */
export function privilegeReadCheck(found: PrivilegeReadFinding): DoctorCheck[] {
  if ("skipped" in found) return [];
  if (!found.ok)
    return [failedRead("privilegeRead", "reading the tenant's privileged principals", found.error)];
  if (found.gap !== undefined)
    return [failedRead("privilegeRead", "reading part of the tenant's privileged principals", found.gap)];
  const known = `${found.privilegedUsers} privileged user${found.privilegedUsers === 1 ? "" : "s"} known`;
  return [
    found.pim
      ? {
          check: "privilegeRead",
          status: "ok",
          code: "privilege_read_pim",
          detail: `edition: PIM found (Entra ID P2 or ID Governance); read role assignments and PIM eligibilities, role-assignable and protected groups with their members, owners and PIM-eligible members and owners (${known})`,
        }
      : {
          check: "privilegeRead",
          status: "ok",
          code: "privilege_read_no_pim",
          detail: `edition: no PIM (Graph answered AadPremiumLicenseRequired: Entra ID P1 or Free); no role or group eligibility can exist or be activated here, so the guard decides from role assignments, group members and owners and protected groups (${known}); asked again every hour`,
        },
  ];
}

/** What reading the tenant's Entra Connect flags gave, or why it wasn't possible. */
export type DirSyncFinding =
  | { read: true; bypassDirSyncOverridesEnabled: boolean | undefined }
  /** Known from the token not to be granted: not read. */
  | { read: false; missingPermission: string }
  /**
   * Graph refused the read (403), `held` when the token lists the permission. Expected: the page's permission
   * table says "Application: Not supported" (delegated, Global Administrator only).
   */
  | { read: false; refusedToApp: string; held: boolean }
  | { read: false; error: unknown };

const overrideEffect =
  "SYNCED_MOBILE=override writes a synced user's mobilePhone in the cloud, which Entra Connect normally owns";

/**
 * What SYNCED_MOBILE=override really does in this tenant (always a warning: it trades AD's ownership of the mobile
 * number for the cloud's). With `bypassDirSyncOverridesEnabled` off, the cloud value sticks and Entra Connect stops
 * taking that user's `mobile` from AD (DirSyncOverrides); with it on, AD's value wins at the next sync.
 */
export function dirSyncCheck(found: DirSyncFinding): DoctorCheck {
  const check = "dirSync";
  if (found.read && found.bypassDirSyncOverridesEnabled === false) {
    return {
      check,
      status: "warn",
      code: "dirsync_overrides_kept",
      detail: `${overrideEffect}: with bypassDirSyncOverridesEnabled off, the cloud value sticks and Entra Connect stops syncing that user's mobile from AD (DirSyncOverrides), so later changes in AD never reach Entra`,
      fix: "keep it if HR, not AD, owns mobile numbers; otherwise set SYNCED_MOBILE=skip and maintain `mobile` in AD DS",
    };
  }
  if (found.read && found.bypassDirSyncOverridesEnabled === true) {
    return {
      check,
      status: "warn",
      code: "dirsync_overrides_bypassed",
      detail: `${overrideEffect}: with bypassDirSyncOverridesEnabled on, AD's value wins, so a cloud write is overwritten at the next sync (or refused)`,
      fix: "set SYNCED_MOBILE=skip and maintain `mobile` in AD DS, or turn bypassDirSyncOverridesEnabled off if HR should own mobile numbers",
    };
  }
  const why = found.read ? "Graph did not say whether bypassDirSyncOverridesEnabled is on" : unreadWhy(found);
  return {
    check,
    status: "warn",
    code: "dirsync_unknown",
    detail: `${overrideEffect}; ${why}. Off (the default): the cloud value sticks and AD's later changes stop reaching that user; on: AD's value overwrites it at the next sync`,
    fix: "read the flag as a Global Administrator: `Connect-MgGraph -Scopes OnPremDirectorySynchronization.Read.All; (Get-MgDirectoryOnPremiseSynchronization).Features.BypassDirSyncOverridesEnabled`",
  };
}

/** A directory read that failed, named by the shared failure interpreter (a missing permission by name). */
function failedRead(check: DoctorCheckName, what: string, error: unknown): DoctorCheck {
  const failure = directoryFailureOf(error);
  const { permission } = failure;
  const fix =
    failure.category === "missingPermission"
      ? grantFix
      : failure.category === "credentials"
        ? "Graph refused the token: check GRAPH_ACCESS_TOKEN (emulators), or that the managed identity belongs to this tenant"
        : failure.category === "retryLater"
          ? "Graph is busy or out of reach: run doctor again shortly"
          : "see the reason; the same read fails in the pipeline";
  return {
    check,
    status: "fail",
    code: failure.code,
    detail: `${what} failed: ${failure.reason}`,
    fix,
    ...(permission ? { permission } : {}),
  };
}

/** Why doctor could not read the flag, in words (the read is optional: a warning either way). */
function unreadWhy(found: Extract<DirSyncFinding, { read: false }>): string {
  if ("missingPermission" in found) {
    return `the identity lacks ${found.missingPermission}, so doctor can't read bypassDirSyncOverridesEnabled`;
  }
  if ("refusedToApp" in found) {
    const held = found.held
      ? `although the identity holds ${found.refusedToApp}`
      : `(the identity may also lack ${found.refusedToApp})`;
    return `Graph refused to read bypassDirSyncOverridesEnabled (403) ${held}: its page supports GET /directory/onPremisesSynchronization for delegated access only ("Application: Not supported"), so an app can't read it`;
  }
  return `reading bypassDirSyncOverridesEnabled failed: ${directoryFailureOf(found.error).reason}`;
}
