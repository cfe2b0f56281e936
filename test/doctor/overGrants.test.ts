import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import type { DoctorCheck } from "../../shared/doctor/doctorReport.js";
import { overGrantChecks } from "../../shared/doctor/overGrantChecks.js";
import { type GrantsView, requiredPermissions } from "../../shared/doctor/permissionChecks.js";

const granted = (...permissions: string[]): GrantsView => ({
  known: true,
  permissions: new Set(permissions),
});
const required = (env: Record<string, string> = {}) => requiredPermissions(loadSettings(env));
const said = (findings: DoctorCheck[]) => findings.map((f) => `${f.status} ${f.code} ${f.permission}`);

/** What the grant scripts give for the default settings (CONTACT_TARGET=profile), the registration report too. */
const scriptGrants = [
  "User.Read.All",
  "User-Phone.ReadWrite.All",
  "User-Mail.ReadWrite.All",
  "RoleManagement.Read.Directory",
  "GroupMember.Read.All",
  "PrivilegedEligibilitySchedule.Read.AzureADGroup",
  "Domain.Read.All",
  "AuditLog.Read.All",
];
const methodsGrants = ["UserAuthenticationMethod.Read.All", "UserAuthMethod-Phone.ReadWrite.All"];

describe("doctor points out Graph permissions granted beyond what the settings need", () => {
  it.each([
    ["what the grant scripts give for the settings", {}, scriptGrants, []],
    [
      "the methods permissions with CONTACT_TARGET=mobilePhone=methods",
      { CONTACT_TARGET: "mobilePhone=methods" },
      [...scriptGrants, ...methodsGrants],
      [],
    ],
    [
      "the methods permissions left in place after CONTACT_TARGET went back to profile",
      {},
      [...scriptGrants, ...methodsGrants],
      [
        "warn over_grant UserAuthMethod-Phone.ReadWrite.All",
        "warn over_grant UserAuthenticationMethod.Read.All",
      ],
    ],
    [
      "the broad UserAuthenticationMethod.ReadWrite.All beside the narrow ones",
      { CONTACT_TARGET: "mobilePhone=methods" },
      [...scriptGrants, ...methodsGrants, "UserAuthenticationMethod.ReadWrite.All"],
      ["warn over_grant UserAuthenticationMethod.ReadWrite.All"],
    ],
    [
      "Directory.ReadWrite.All and RoleManagement.ReadWrite.Directory",
      {},
      [...scriptGrants, "Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory"],
      ["warn over_grant Directory.ReadWrite.All", "warn over_grant RoleManagement.ReadWrite.Directory"],
    ],
    [
      "the DirSync read with SYNCED_MOBILE=skip",
      {},
      [...scriptGrants, "OnPremDirectorySynchronization.Read.All"],
      ["warn over_grant OnPremDirectorySynchronization.Read.All"],
    ],
    [
      "the DirSync read with SYNCED_MOBILE=override",
      { SYNCED_MOBILE: "override" },
      [...scriptGrants, "OnPremDirectorySynchronization.Read.All"],
      [],
    ],
  ])("%s → %j", (_, env, grants, expected) => {
    expect(said(overGrantChecks(required(env), granted(...grants)))).toEqual(expected);
  });

  it("says what the broad methods permission would allow, and how to revoke it", () => {
    const [finding] = overGrantChecks(
      required(),
      granted(...scriptGrants, "UserAuthenticationMethod.ReadWrite.All"),
    );
    expect(finding?.detail).toContain("Temporary Access Pass");
    expect(finding?.fix).toContain("appRoleAssignments");
  });

  it("names the narrow permission that suffices when a broad one stands in for it", () => {
    const [finding] = overGrantChecks(
      required(),
      granted(...scriptGrants.filter((p) => p !== "User-Phone.ReadWrite.All"), "User.ReadWrite.All"),
    );
    expect(finding).toMatchObject({ status: "warn", code: "over_grant", permission: "User.ReadWrite.All" });
    expect(finding?.detail).toContain("User-Phone.ReadWrite.All");
    expect(finding?.fix).toContain("User-Phone.ReadWrite.All");
  });

  it("says nothing when the grants can't be read (a delegated token)", () => {
    expect(overGrantChecks(required(), { known: false, reason: "a user's token", delegated: true })).toEqual(
      [],
    );
  });

  it("never warns of an opt-in permission the settings list (the registration report's AuditLog.Read.All)", () => {
    expect(said(overGrantChecks(required(), granted(...scriptGrants)))).not.toContain(
      "warn over_grant AuditLog.Read.All",
    );
  });
});
