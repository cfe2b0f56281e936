import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadFunctions } from "../../local/loadFunctions.js";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import { appServices } from "../../shared/app/appServices.js";
import { loadSettings } from "../../shared/app/config.js";
import { runDoctor } from "../../shared/app/runDoctor.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";
import type { DoctorCheck, DoctorReport } from "../../shared/doctor/doctorReport.js";
import { writeBudgetTable } from "../../shared/storage/tableWriteBudget.js";
import { graphFetch } from "../support/graphEmulatorFixtures.js";
import { easyAuthOn } from "../support/helpdeskRequests.js";
import { pipelineTenant } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The doctor against the real parts: the emulated tenant, Azurite and the local host (with and without its
// emulated Easy Auth), each check driven to ok, warn and fail by changing the tenant or the settings.

let env: TestEnvironment;
let withEasyAuth: LocalHost;
let withoutEasyAuth: LocalHost;

beforeAll(async () => {
  env = await startTestEnvironment({ graph: { tenant: pipelineTenant() }, env: { GRAPH_MAX_RETRIES: "0" } });
  // Only the doctor's route: no queue pollers needed.
  const registrations = (await loadFunctions()).filter((r) => r.name === "doctor");
  const settings = appServices().settings;
  withEasyAuth = await startLocalHost({ registrations, settings, port: 0, log: () => undefined });
  withoutEasyAuth = await startLocalHost({
    registrations,
    settings,
    port: 0,
    log: () => undefined,
    easyAuth: false,
  });
});
afterAll(async () => {
  await withEasyAuth?.close();
  await withoutEasyAuth?.close();
  await env?.close();
});
/**
 * A token for the emulated app holding what the grant scripts grant with CONTACT_TARGET=both, which the doctor
 * below runs with: the emulated app also holds PrivilegedAssignmentSchedule.Read.AzureADGroup, which the app never
 * needs (doctor would rightly warn of it as an over-grant).
 */
let readyToken: string;
beforeEach(() => {
  env.graph.tenant.reset();
  env.configure();
  env.graph.tenant.revokePermission("PrivilegedAssignmentSchedule.Read.AzureADGroup");
  readyToken = env.graph.issueToken();
});

/** The doctor with the test environment's settings plus `overrides`, and its findings as `check status code`. */
async function doctor(
  overrides: Record<string, string | undefined> = {},
  appUrl?: string,
): Promise<{ report: DoctorReport; findings: string[] }> {
  const settings = loadSettings({
    ...process.env,
    CONTACT_TARGET: "both",
    GRAPH_ACCESS_TOKEN: readyToken,
    ...overrides,
  });
  const report = await runDoctor(settings, { appUrl, timeoutMs: 5000 });
  return { report, findings: report.checks.map((c) => `${c.check} ${c.status} ${c.code}`) };
}

const find = (report: DoctorReport, check: DoctorCheck["check"]) =>
  report.checks.filter((c) => c.check === check);

describe("against a deployment that is ready", () => {
  it("finds every check ok, Easy Auth included (the local host's emulation)", async () => {
    const { report, findings } = await doctor({}, withEasyAuth.url);
    expect(findings).toEqual([
      "settings ok settings_ok",
      "graphToken ok token_ok",
      "graphPermissions ok permissions_granted",
      // The emulated app holds what the grant scripts grant by default: the registration report is opt-in.
      "graphPermissions ok optional_permission_absent",
      "userRead ok user_read",
      // The emulated tenant has PIM (Entra ID P2 or ID Governance): its eligibilities are read too.
      "privilegeRead ok privilege_read_pim",
      "storageQueue ok storage_absent",
      "outcomeTable ok storage_absent",
      "budgetTable ok storage_absent",
      // No HR endpoint secret in the test settings: all three endpoints off, in one finding.
      "webhooks ok webhook_off",
      "easyAuth ok easy_auth_emulated",
    ]);
    expect(report.status).toBe("ok");
  });

  it("warns of each grant the settings don't need: the methods permissions once CONTACT_TARGET is back to profile", async () => {
    const { report } = await doctor({ CONTACT_TARGET: "profile" });
    expect(find(report, "graphPermissions").filter((c) => c.code === "over_grant")).toEqual(
      [
        "UserAuthMethod-Email.ReadWrite.All",
        "UserAuthMethod-Phone.ReadWrite.All",
        "UserAuthenticationMethod.Read.All",
      ].map((permission) => expect.objectContaining({ status: "warn", permission })),
    );
    expect(report.status).toBe("warn");
  });

  it("writes and creates nothing: the queue and tables stay absent, the tenant unchanged", async () => {
    const before = structuredClone(env.graph.tenant.all());
    env.graph.stats.reset();
    await doctor();
    const again = await doctor();
    expect(find(again.report, "storageQueue")[0]?.code).toBe("storage_absent");
    expect(env.graph.tenant.all()).toEqual(before);
    expect(
      Object.keys(env.graph.stats.requests).filter((key) => !key.startsWith("GET") && key !== "POST $batch"),
    ).toEqual([]);
  });

  it("finds a queue that exists", async () => {
    const settings = env.configure();
    await queueClient(settings, settings.ONBOARDING_QUEUE).createIfNotExists();
    expect(find((await doctor()).report, "storageQueue")[0]?.code).toBe("storage_ok");
  });

  it("finds the budget table writable by this identity (the fleet shares it), and writes nothing to it", async () => {
    const budget = tableClient(env.configure(), writeBudgetTable);
    await budget.createTable();
    try {
      expect(find((await doctor()).report, "budgetTable")).toEqual([
        expect.objectContaining({
          status: "ok",
          code: "storage_writable",
          detail:
            "table GraphWriteBudget (the fleet's shared Graph write budget) is writable (the fleet shares it)",
        }),
      ]);
      const rows: unknown[] = [];
      for await (const row of budget.listEntities()) rows.push(row);
      expect(rows).toEqual([]);
    } finally {
      // The other tests find the table absent.
      await budget.deleteTable();
    }
  });
});

describe("with a permission taken from the app", () => {
  it("names a missing write permission, read from a token issued after the revocation, and fails", async () => {
    env.graph.tenant.revokePermission("User-Phone.ReadWrite.All");
    const { report } = await doctor({ GRAPH_ACCESS_TOKEN: env.graph.issueToken() });
    expect(find(report, "graphPermissions")).toEqual([
      expect.objectContaining({
        status: "fail",
        code: "missing_permission",
        permission: "User-Phone.ReadWrite.All",
        fix: expect.stringContaining("grant-graph-permissions.sh"),
      }),
      expect.objectContaining({ status: "ok", permission: "AuditLog.Read.All" }),
    ]);
    expect(report.status).toBe("fail");
  });

  it("names RoleManagement.Read.Directory when the privileged-account guard's reads are refused", async () => {
    env.graph.tenant.revokePermission("RoleManagement.Read.Directory");
    // The old token still claims the grant; the read itself shows the truth.
    const { report } = await doctor();
    expect(find(report, "graphPermissions")[0]?.status).toBe("ok");
    expect(find(report, "privilegeRead")).toEqual([
      expect.objectContaining({
        status: "fail",
        code: "missing_permission",
        permission: "RoleManagement.Read.Directory",
        detail: expect.stringContaining("missing permission RoleManagement.Read.Directory"),
      }),
    ]);
  });

  it("names User.Read.All when users can't be read, never calling it a privileged account", async () => {
    env.graph.tenant.revokePermission("User.Read.All");
    const { report } = await doctor({ GRAPH_ACCESS_TOKEN: env.graph.issueToken() });
    expect(find(report, "userRead")[0]).toMatchObject({
      status: "fail",
      code: "missing_permission",
      permission: "User.Read.All",
    });
    expect(JSON.stringify(report)).not.toContain("privileged account");
    // The privilege picture needs no user: it is read (and here still readable) whatever became of the user read.
    expect(find(report, "privilegeRead")).toEqual([
      expect.objectContaining({ status: "ok", code: "privilege_read_pim" }),
    ]);
    expect(report.status).toBe("fail");
  });

  it("warns, without failing, when only the opaque token is there to read", async () => {
    const { findings } = await doctor({ GRAPH_ACCESS_TOKEN: "local-dev-token" });
    expect(findings).toEqual(
      expect.arrayContaining([
        "graphToken warn token_unreadable",
        "graphPermissions warn permissions_unknown",
      ]),
    );
  });

  it("fails the token check, and skips the reads, when no token can be had", async () => {
    const { findings } = await doctor({ GRAPH_ACCESS_TOKEN: undefined });
    expect(findings.filter((f) => f.startsWith("graph") || f.includes("Read"))).toEqual([
      "graphToken fail token_failed",
    ]);
  });
});

describe("Easy Auth", () => {
  it("fails when an anonymous request reaches the app's own code, and says how to turn it on", async () => {
    const { report } = await doctor({}, withoutEasyAuth.url);
    expect(find(report, "easyAuth")).toEqual([
      expect.objectContaining({
        status: "fail",
        code: "easy_auth_off",
        fix: expect.stringContaining("AUTH_CLIENT_ID"),
      }),
    ]);
  });

  it.each([
    ["Easy Auth as App Service says it (inside App Service)", easyAuthOn, "ok easy_auth_on"],
    [
      "WEBSITE_AUTH_ENABLED=True alone (App Service's auth settings absent: perhaps set by hand)",
      { WEBSITE_AUTH_ENABLED: "True" },
      "warn easy_auth_unconfirmed",
    ],
    [
      "WEBSITE_AUTH_ENABLED=True while App Service's auth settings say off",
      { ...easyAuthOn, WEBSITE_AUTH_V2_CONFIG_JSON: JSON.stringify({ platform: { enabled: false } }) },
      "fail easy_auth_hand_set",
    ],
    ["neither the setting nor --app-url", {}, "warn easy_auth_unchecked"],
  ])("with %s → %s", async (_, overrides, expected) => {
    const { findings } = await doctor(overrides);
    expect(findings).toContain(`easyAuth ${expected}`);
  });

  it("fails when the app does not answer", async () => {
    const { findings } = await doctor({}, "http://127.0.0.1:9");
    expect(findings).toContain("easyAuth fail app_unreachable");
  });
});

describe("SYNCED_MOBILE=override", () => {
  const override = { SYNCED_MOBILE: "override" };

  it.each([true, false])(
    "warns dirsync_unknown even holding OnPremDirectorySynchronization.Read.All (bypass %s): Graph serves the read to delegated callers only",
    async (bypass) => {
      env.graph.tenant.grantPermission("OnPremDirectorySynchronization.Read.All");
      env.graph.tenant.bypassDirSyncOverridesEnabled = bypass;
      const { report } = await doctor({ ...override, GRAPH_ACCESS_TOKEN: env.graph.issueToken() });
      expect(find(report, "dirSync")).toEqual([
        expect.objectContaining({
          status: "warn",
          code: "dirsync_unknown",
          detail: expect.stringContaining(
            "although the identity holds OnPremDirectorySynchronization.Read.All: its page supports GET /directory/onPremisesSynchronization for delegated access only",
          ),
          fix: expect.stringContaining("as a Global Administrator"),
        }),
      ]);
      expect(report.status).toBe("warn");
    },
  );

  it("warns, not fails, without OnPremDirectorySynchronization.Read.All, and says so", async () => {
    env.graph.stats.reset();
    const { report } = await doctor(override);
    expect(find(report, "dirSync")[0]).toMatchObject({
      status: "warn",
      code: "dirsync_unknown",
      detail: expect.stringContaining("lacks OnPremDirectorySynchronization.Read.All"),
    });
    expect(find(report, "graphPermissions")).toEqual([
      expect.objectContaining({ status: "warn", permission: "OnPremDirectorySynchronization.Read.All" }),
      expect.objectContaining({ status: "ok", permission: "AuditLog.Read.All" }),
    ]);
    expect(report.status).toBe("warn");
    // Known not to be granted: the read isn't even tried.
    expect(env.graph.stats.requests["GET dirSyncSettings"]).toBeUndefined();
  });

  it("warns the same when Graph refuses the read to a token that can't tell", async () => {
    const { report } = await doctor({ ...override, GRAPH_ACCESS_TOKEN: "local-dev-token" });
    expect(find(report, "dirSync")[0]).toMatchObject({ status: "warn", code: "dirsync_unknown" });
  });

  it("flags the contradiction when the mobile goes to methods only", async () => {
    const { findings } = await doctor({ ...override, CONTACT_TARGET: "methods" });
    expect(findings).toContain("settings warn synced_mobile_unused");
  });
});

describe("storage", () => {
  it("fails each storage check when storage does not answer", async () => {
    const { report } = await doctor({
      AzureWebJobsStorage:
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;",
    });
    expect(report.checks.filter((c) => c.code === "storage_unreachable").map((c) => c.check)).toEqual([
      "storageQueue",
      "outcomeTable",
      "budgetTable",
    ]);
  }, 30_000);

  it("fails when storage is not configured at all", async () => {
    const { findings } = await doctor({ AzureWebJobsStorage: undefined });
    expect(findings).toContain("storageQueue fail storage_not_configured");
  });
});

describe("the emulated tenant's GET /directory/onPremisesSynchronization", () => {
  it("refuses an app token with 403, granted or not, as the page's 'Application: Not supported' says", async () => {
    expect((await graphFetch(env.graph, "/directory/onPremisesSynchronization")).status).toBe(403);
    env.graph.tenant.grantPermission("OnPremDirectorySynchronization.Read.All");
    const token = env.graph.issueToken();
    for (const path of [
      "/directory/onPremisesSynchronization",
      "/directory/onPremisesSynchronization/any-id",
    ]) {
      const { status, body } = await graphFetch(env.graph, path, { token });
      expect(status).toBe(403);
      expect(body.error.code).toBe("Authorization_RequestDenied");
    }
  });
});
