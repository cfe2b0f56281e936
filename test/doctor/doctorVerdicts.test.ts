import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { DirectoryError } from "../../shared/directory/directoryError.js";
import {
  type DoctorCheck,
  doctorExitCode,
  toDoctorReport,
  toDoctorTable,
} from "../../shared/doctor/doctorReport.js";
import { easyAuthCheck } from "../../shared/doctor/easyAuthCheck.js";
import {
  dirSyncCheck,
  privilegeReadCheck,
  tokenCheck,
  userReadCheck,
} from "../../shared/doctor/graphChecks.js";
import { permissionChecks, requiredPermissions } from "../../shared/doctor/permissionChecks.js";
import { settingsChecks } from "../../shared/doctor/settingsChecks.js";
import { type StorageTarget, storageCheck } from "../../shared/doctor/storageChecks.js";

// The doctor's verdicts are pure: what the probes found in, ok / warn / fail with a code and a fix out.

const settings = (env: Record<string, string> = {}) => loadSettings(env);
const codes = (checks: DoctorCheck[]) => checks.map((c) => `${c.status} ${c.code}`);
const granted = (...permissions: string[]) => ({ known: true as const, permissions: new Set(permissions) });
const defaultGrants = granted(
  "User.Read.All",
  "User-Phone.ReadWrite.All",
  "User-Mail.ReadWrite.All",
  "RoleManagement.Read.Directory",
  "GroupMember.Read.All",
  "PrivilegedEligibilitySchedule.Read.AzureADGroup",
  "Domain.Read.All",
);

/** A fictional app signing key (32+ characters), as Key Vault would hold one. */
const appKey = "example-app-signing-key-0123456789abcdef";

describe("settings that contradict each other", () => {
  it.each([
    ["the defaults", {}, ["ok settings_ok"]],
    [
      "SYNCED_MOBILE=override with the mobile written to methods only",
      { SYNCED_MOBILE: "override", CONTACT_TARGET: "methods", APP_SIGNING_KEY: appKey },
      ["warn synced_mobile_unused"],
    ],
    [
      "SYNCED_MOBILE=override with the mobile written to the profile too",
      { SYNCED_MOBILE: "override", CONTACT_TARGET: "mobilePhone=both", APP_SIGNING_KEY: appKey },
      ["ok settings_ok"],
    ],
    [
      "a webhook secret set without APP_SIGNING_KEY (senders recorded as queue)",
      { SCIM_TOKEN: "a-scim-token-of-the-example-sender" },
      ["warn app_signing_key_missing"],
    ],
    [
      "methods written without APP_SIGNING_KEY (a retry can't know its own write)",
      { CONTACT_TARGET: "alternateEmail=methods" },
      ["warn app_signing_key_missing"],
    ],
    [
      "a webhook secret and methods with APP_SIGNING_KEY",
      { SCIM_TOKEN: "a-scim-token-of-the-example-sender", CONTACT_TARGET: "both", APP_SIGNING_KEY: appKey },
      ["ok settings_ok"],
    ],
    [
      "the reader role the same as the admin role",
      { CONTACT_READER_ROLE: "ContactInfo.ReadWrite" },
      ["warn reader_role_is_admin_role"],
    ],
    ["NEW_HIRE_DAYS=0 (events may write any user)", { NEW_HIRE_DAYS: "0" }, ["warn new_hire_check_off"]],
    ["a write budget above Graph's", { GRAPH_WRITE_BUDGET: "6000" }, ["warn write_budget_over_graph"]],
    [
      "a write rate above Graph's 20 a second",
      { GRAPH_WRITE_BUDGET: "3000", GRAPH_WRITE_WINDOW_SECONDS: "60" },
      ["warn write_budget_over_graph"],
    ],
  ])("%s → %j", (_, env, expected) => {
    expect(codes(settingsChecks(settings(env)))).toEqual(expected);
  });

  it("says what to do about each warning", () => {
    const [finding] = settingsChecks(settings({ SYNCED_MOBILE: "override", CONTACT_TARGET: "methods" }));
    expect(finding?.fix).toContain("SYNCED_MOBILE=skip");
  });
});

describe("the Graph permissions the settings need", () => {
  const names = (env: Record<string, string>) =>
    requiredPermissions(settings(env)).map((r) => `${r.ifMissing} ${r.need.permission}`);

  it.each([
    [
      "profile (the default)",
      {},
      ["User-Phone.ReadWrite.All", "User-Mail.ReadWrite.All"],
      ["UserAuthMethod-Phone.ReadWrite.All", "UserAuthMethod-Email.ReadWrite.All"],
    ],
    [
      "methods",
      { CONTACT_TARGET: "methods" },
      ["UserAuthMethod-Phone.ReadWrite.All", "UserAuthMethod-Email.ReadWrite.All"],
      ["User-Phone.ReadWrite.All", "User-Mail.ReadWrite.All"],
    ],
    [
      "mobile to methods, the rest to the profile",
      { CONTACT_TARGET: "mobilePhone=methods" },
      ["User-Phone.ReadWrite.All", "User-Mail.ReadWrite.All", "UserAuthMethod-Phone.ReadWrite.All"],
      ["UserAuthMethod-Email.ReadWrite.All"],
    ],
  ])("CONTACT_TARGET %s needs the reads, and writes where it writes", (_, env, needed, notNeeded) => {
    const all = names(env);
    const privilegeReads = [
      "RoleManagement.Read.Directory",
      "GroupMember.Read.All",
      "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    ];
    for (const permission of ["User.Read.All", ...privilegeReads, ...needed]) {
      expect(all).toContain(`fail ${permission}`);
    }
    // The privileged-account guard fails closed without any of its reads: none of them is a mere warning.
    for (const permission of privilegeReads) expect(all).not.toContain(`warn ${permission}`);
    for (const permission of notNeeded) expect(all.join()).not.toContain(permission);
  });

  it("asks for the DirSync read only with SYNCED_MOBILE=override, as a warning", () => {
    expect(names({}).join()).not.toContain("OnPremDirectorySynchronization");
    expect(names({ SYNCED_MOBILE: "override" })).toContain("warn OnPremDirectorySynchronization.Read.All");
  });

  it("is satisfied by what the grant scripts grant, listing the opt-in registration report as absent", () => {
    const findings = permissionChecks(requiredPermissions(settings()), defaultGrants);
    expect(codes(findings)).toEqual(["ok permissions_granted", "ok optional_permission_absent"]);
    expect(findings[1]?.detail).toContain("AuditLog.Read.All is not granted (optional)");
    expect(findings[1]?.fix).toContain(
      "GRANT_REGISTRATION_REPORT=true bash infra/scripts/grant-graph-permissions.sh",
    );
    expect(findings[1]?.fix).toContain("Entra ID P1 or P2");
  });

  it("is satisfied by what the grant scripts grant with GRANT_REGISTRATION_REPORT=true, with nothing left to add", () => {
    const withReport = granted(...defaultGrants.permissions, "AuditLog.Read.All");
    expect(codes(permissionChecks(requiredPermissions(settings()), withReport))).toEqual([
      "ok permissions_granted",
    ]);
  });

  it("is satisfied by a broader permission in place of a narrow one", () => {
    const broad = granted(
      "Directory.ReadWrite.All",
      "RoleManagement.Read.Directory",
      "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
      "AuditLog.Read.All",
    );
    expect(codes(permissionChecks(requiredPermissions(settings()), broad))).toEqual([
      "ok permissions_granted",
    ]);
  });

  it("fails without Domain.Read.All, since no alternate email is written without the tenant's domains", () => {
    const withoutDomains = granted(...[...defaultGrants.permissions].filter((p) => p !== "Domain.Read.All"));
    const findings = permissionChecks(requiredPermissions(settings()), withoutDomains);
    expect(findings.map((f) => [f.status, f.permission])).toContainEqual(["fail", "Domain.Read.All"]);
  });

  it("names each missing permission with the grant script as the fix, failing or warning as it matters", () => {
    const findings = permissionChecks(
      requiredPermissions(settings()),
      granted("User.Read.All", "User-Mail.ReadWrite.All", "RoleManagement.Read.Directory", "Domain.Read.All"),
    );
    expect(findings.map((f) => [f.status, f.code, f.permission])).toEqual([
      ["fail", "missing_permission", "GroupMember.Read.All"],
      ["fail", "missing_permission", "PrivilegedEligibilitySchedule.Read.AzureADGroup"],
      ["fail", "missing_permission", "User-Phone.ReadWrite.All"],
      ["ok", "optional_permission_absent", "AuditLog.Read.All"],
    ]);
    for (const finding of findings.slice(0, 3)) {
      expect(finding.fix).toContain("infra/scripts/grant-graph-permissions.sh");
      expect(finding.fix).toContain("grant-graph-permissions.ps1");
    }
  });

  it("names RoleManagement.Read.Directory once when both role reads lack it", () => {
    const findings = permissionChecks(
      requiredPermissions(settings()),
      granted(
        "User.Read.All",
        "User-Phone.ReadWrite.All",
        "User-Mail.ReadWrite.All",
        "GroupMember.Read.All",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "Domain.Read.All",
        "AuditLog.Read.All",
      ),
    );
    expect(findings.map((f) => f.permission)).toEqual(["RoleManagement.Read.Directory"]);
  });

  it("warns when the token can't tell, naming what to hold", () => {
    const [finding] = permissionChecks(requiredPermissions(settings()), { known: false, reason: "opaque" });
    expect(finding).toMatchObject({ status: "warn", code: "permissions_unknown" });
    expect(finding?.fix).toContain("User-Phone.ReadWrite.All");
  });
});

describe("the Graph token and reads", () => {
  it.each([
    [{ ok: true as const, grants: defaultGrants }, "ok token_ok"],
    [{ ok: true as const, grants: { known: false as const, reason: "opaque" } }, "warn token_unreadable"],
    [
      { ok: true as const, grants: { known: false as const, reason: "scp", delegated: true as const } },
      "warn token_delegated",
    ],
    [
      { ok: false as const, error: new Error("ManagedIdentityCredential: no identity\nmore") },
      "fail token_failed",
    ],
  ])("a token finding %# → %s", (found, expected) => {
    expect(codes([tokenCheck(found)])).toEqual([expected]);
  });

  it("reports a refused read by the permission it lacks, not as a privileged account", () => {
    const error = new DirectoryError("403", {
      kind: "missingPermission",
      statusCode: 403,
      permission: "RoleManagement.Read.Directory",
    });
    const [finding] = privilegeReadCheck({ ok: false, error });
    expect(finding).toMatchObject({
      status: "fail",
      code: "missing_permission",
      permission: "RoleManagement.Read.Directory",
    });
    expect(finding?.detail).toContain("missing permission RoleManagement.Read.Directory");
    expect(finding?.fix).toContain("grant-graph-permissions");
  });

  it.each([
    [{ ok: true as const, users: 1 }, "ok user_read"],
    [{ ok: true as const, users: 0 }, "warn no_users"],
    [
      { ok: false as const, error: new DirectoryError("429", { kind: "throttled", statusCode: 429 }) },
      "fail throttled",
    ],
    [
      { ok: false as const, error: new DirectoryError("401", { kind: "unauthorized", statusCode: 401 }) },
      "fail credentials_refused",
    ],
  ])("a user read %# → %s", (found, expected) => {
    expect(codes([userReadCheck(found)])).toEqual([expected]);
  });

  it("leaves the privilege read out when there was no user to read", () => {
    expect(privilegeReadCheck({ skipped: true })).toEqual([]);
  });
});

describe("what SYNCED_MOBILE=override does in this tenant", () => {
  it.each([
    [
      { read: true as const, bypassDirSyncOverridesEnabled: false },
      "dirsync_overrides_kept",
      /stops syncing/,
    ],
    [{ read: true as const, bypassDirSyncOverridesEnabled: true }, "dirsync_overrides_bypassed", /next sync/],
    [
      { read: false as const, missingPermission: "OnPremDirectorySynchronization.Read.All" },
      "dirsync_unknown",
      /lacks OnPremDirectorySynchronization\.Read\.All/,
    ],
    [{ read: true as const, bypassDirSyncOverridesEnabled: undefined }, "dirsync_unknown", /did not say/],
  ])("%j → always a warning: %s", (found, code, detail) => {
    const finding = dirSyncCheck(found);
    expect(finding).toMatchObject({ status: "warn", code });
    expect(finding.detail).toMatch(detail);
    expect(finding.fix).toBeTruthy();
  });
});

describe("storage", () => {
  const queue: StorageTarget = {
    check: "storageQueue",
    what: "queue hr-onboarding",
    purpose: "events",
    role: "Storage Queue Data Contributor",
  };
  it.each([
    [{ state: "exists" as const }, "ok storage_ok"],
    [{ state: "absent" as const }, "ok storage_absent"],
    [
      { state: "refused" as const, status: 403, code: "AuthorizationPermissionMismatch" },
      "fail storage_refused",
    ],
    [{ state: "unreachable" as const, reason: "ECONNREFUSED" }, "fail storage_unreachable"],
    [{ state: "notConfigured" as const, reason: "Storage is not configured" }, "fail storage_not_configured"],
  ])("%j → %s", (found, expected) => {
    expect(codes([storageCheck(queue, found)])).toEqual([expected]);
  });

  it("names the data role to grant when storage refuses the identity", () => {
    expect(storageCheck(queue, { state: "refused", status: 403 }).fix).toContain(
      "Storage Queue Data Contributor",
    );
  });

  describe("the fleet's budget table: whether this identity may write it", () => {
    const budget = (runsAs: "app" | "signIn"): StorageTarget => ({
      check: "budgetTable",
      what: "table GraphWriteBudget",
      purpose: "the fleet's shared Graph write budget",
      role: "Storage Table Data Contributor",
      sharedByFleet: { runsAs, readOnlyShare: 0.5 },
    });

    it.each([
      ["the app, writable", "app", true, "ok storage_writable", /is writable \(the fleet shares it\)$/],
      [
        "a person's sign-in, read-only",
        "signIn",
        false,
        "ok storage_read_only_for_you",
        /is read-only for you: only the app's identity writes it; your backfill paces on half the budget$/,
      ],
      ["a person's sign-in that may write it", "signIn", true, "ok storage_writable", /is writable/],
      [
        "the app, read-only",
        "app",
        false,
        "fail storage_read_only",
        /read-only to the app's identity: its processes can't share the budget/,
      ],
    ] as const)("%s → %s", (_, runsAs, writable, expected, detail) => {
      const finding = storageCheck(budget(runsAs), { state: "exists", writable });
      expect(codes([finding])).toEqual([expected]);
      expect(finding.detail).toMatch(detail);
      // Plain text: no status numbers, service codes or JSON.
      expect(finding.detail).not.toMatch(/403|AuthorizationPermissionMismatch|[{}]/);
    });

    it("tells the app what role to grant when it may only read the table", () => {
      expect(storageCheck(budget("app"), { state: "exists", writable: false }).fix).toContain(
        "Storage Table Data Contributor on the storage account",
      );
    });

    it("says only 'readable' when the write probe could not tell", () => {
      expect(codes([storageCheck(budget("signIn"), { state: "exists" })])).toEqual(["ok storage_ok"]);
    });
  });
});

/** WEBSITE_AUTH_V2_CONFIG_JSON as App Service writes it for the template's settings, or with one thing changed. */
function authSettings(
  change: { enabled?: boolean; requireAuthentication?: boolean; providers?: Record<string, unknown> } = {},
): string {
  return JSON.stringify({
    platform: { enabled: change.enabled ?? true },
    globalValidation: { requireAuthentication: change.requireAuthentication ?? true },
    identityProviders: change.providers ?? { azureActiveDirectory: { enabled: true } },
  });
}

describe("Easy Auth in front of the helpdesk routes", () => {
  it.each([
    [{ source: "platform" as const }, "warn easy_auth_unconfirmed"],
    [{ source: "platform" as const, authConfigJson: "not json" }, "warn easy_auth_unconfirmed"],
    [{ source: "platform" as const, authConfigJson: authSettings() }, "ok easy_auth_on"],
    [
      {
        source: "platform" as const,
        authConfigJson: JSON.stringify({ properties: JSON.parse(authSettings()) }),
      },
      "ok easy_auth_on",
    ],
    [
      { source: "platform" as const, authConfigJson: authSettings({ enabled: false }) },
      "fail easy_auth_hand_set",
    ],
    [
      {
        source: "platform" as const,
        authConfigJson: authSettings({ providers: { github: { enabled: true } } }),
      },
      "fail easy_auth_no_entra",
    ],
    [
      {
        source: "platform" as const,
        authConfigJson: authSettings({
          providers: { azureActiveDirectory: {}, google: { enabled: true }, twitter: { enabled: false } },
        }),
      },
      "warn easy_auth_other_provider",
    ],
    [
      { source: "platform" as const, authConfigJson: authSettings({ requireAuthentication: false }) },
      "warn easy_auth_optional",
    ],
    [{ source: "unknown" as const }, "warn easy_auth_unchecked"],
    [{ source: "probe" as const, answer: { status: 401 } }, "ok easy_auth_on"],
    [{ source: "probe" as const, answer: { status: 302 } }, "ok easy_auth_on"],
    [
      { source: "probe" as const, answer: { status: 401, appErrorCode: "authentication_required" } },
      "fail easy_auth_off",
    ],
    [{ source: "probe" as const, answer: { status: 200, report: true } }, "ok easy_auth_emulated"],
    [{ source: "probe" as const, answer: { status: 404 } }, "warn easy_auth_unchecked"],
    [{ source: "probe" as const, answer: { unreachable: "ECONNREFUSED" } }, "fail app_unreachable"],
  ])("%j → %s", (found, expected) => {
    expect(codes([easyAuthCheck(found)])).toEqual([expected]);
  });

  it("tells, when WEBSITE_AUTH_ENABLED may be hand-set, how to check from outside and what to delete", () => {
    const finding = easyAuthCheck({ source: "platform" });
    expect(finding.fix).toContain("--app-url");
    expect(finding.fix).toContain("az functionapp config appsettings list");
  });

  it("tells how to turn it on", () => {
    const finding = easyAuthCheck({
      source: "probe",
      answer: { status: 401, appErrorCode: "authentication_required" },
    });
    expect(finding.fix).toContain("AUTH_CLIENT_ID");
  });
});

describe("the report", () => {
  const finding = (check: DoctorCheck["check"], status: DoctorCheck["status"]): DoctorCheck => ({
    check,
    status,
    code: `${check}_${status}`,
    detail: `${check} is ${status}`,
    ...(status === "ok" ? {} : { fix: `do something about ${check}` }),
  });

  it.each([
    [["ok", "ok"], "ok", 0],
    [["ok", "warn"], "warn", 0],
    [["warn", "fail"], "fail", 1],
  ] as const)("findings %j → status %s, exit code %i", (statuses, status, exit) => {
    const report = toDoctorReport(statuses.map((s, i) => finding(i === 0 ? "settings" : "easyAuth", s)));
    expect(report.status).toBe(status);
    expect(doctorExitCode(report)).toBe(exit);
  });

  it("lists findings in check order, counts them, and prints each fix under its finding", () => {
    const report = toDoctorReport([
      finding("easyAuth", "fail"),
      finding("settings", "ok"),
      finding("graphToken", "warn"),
    ]);
    expect(report.checks.map((c) => c.check)).toEqual(["settings", "graphToken", "easyAuth"]);
    expect(report.summary).toEqual({ ok: 1, warn: 1, fail: 1 });
    const lines = toDoctorTable(report).split("\n");
    expect(lines[0]).toMatch(/^OK {4}settings +settings is ok \(settings_ok\)$/);
    expect(lines[3]).toMatch(/^FAIL {2}easyAuth +easyAuth is fail \(easyAuth_fail\)$/);
    expect(lines[4]).toMatch(/^ +fix: do something about easyAuth$/);
    expect(lines[5]).toBe("doctor: not ready: fix what failed (1 ok, 1 warning, 1 failed)");
  });
});
