import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { deploymentPolicyKeys, deploymentPolicyTable } from "../../shared/storage/tableDeploymentPolicy.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import { publishDeploymentPolicy } from "../support/deploymentPolicies.js";
import { runMain } from "../support/runCli.js";
import { useAzurite } from "../support/sharedAzurite.js";
import { pipelineTenant, protectedGroupId, users } from "../support/tenantSeeds.js";

// The attack of the issue "the CLI is never less protective than the app": an admin's workstation shell that
// lacks PROTECTED_GROUP_IDS (or carries wider settings than the deployed app) runs a backfill. The deployed app
// published its policy to its storage account; the real CLI main() reads it and runs with the stricter of both,
// and without it writes nothing. Each storage state is its own account on the run's Azurite.
let emulator: GraphEmulator;
/** The deployed app's account: it published PROTECTED_GROUP_IDS and CONTACT_MODE fillEmpty. */
let deployed: RunningAzurite;
/** An account no app ever started against. */
let empty: RunningAzurite;
/** An account whose policy row is corrupt, and one whose row an older app wrote. */
let corrupt: RunningAzurite;
let older: RunningAzurite;
let dir: string;
let input: string;
let tables = 0;
let table: string;

const deployedApp = { PROTECTED_GROUP_IDS: protectedGroupId, CONTACT_MODE: "fillEmpty" };

beforeAll(async () => {
  [emulator, deployed, empty, corrupt, older] = await Promise.all([
    startGraphEmulator({ port: 0, tenant: pipelineTenant() }),
    useAzurite(),
    useAzurite(),
    useAzurite(),
    useAzurite(),
  ]);
  await publishDeploymentPolicy(deployed.connectionString, deployedApp);
  await plant(corrupt, { schema: 1, publishedAt: "2026-11-24T09:00:00Z", protectedGroupIds: "not-a-guid" });
  await plant(older, { publishedAt: "2026-11-24T09:00:00Z", protectedGroupIds: protectedGroupId });
  dir = await mkdtemp(join(tmpdir(), "sspr-policy-"));
  input = join(dir, "export.csv");
  // Fictional numbers (NANP 555-01xx); reformat.me already has a different mobile.
  await writeFile(
    input,
    [
      "eventId,userPrincipalName,country,mobilePhone",
      `hire-1,${users.newHire.userPrincipalName},US,(425) 555-0161`,
      `tier0-1,${users.protectedMember.userPrincipalName},US,(425) 555-0166`,
      `reformat-1,${users.reformat.userPrincipalName},US,(425) 555-0162`,
    ].join("\n"),
  );
});
afterAll(async () => {
  await Promise.all([emulator?.close(), deployed?.stop(), empty?.stop(), corrupt?.stop(), older?.stop()]);
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  emulator.tenant.reset();
  emulator.stats.reset();
  table = `PolicyOutcomes${process.pid}x${++tables}`;
});

async function plant(account: RunningAzurite, row: Record<string, unknown>): Promise<void> {
  const client = tableClient(
    loadSettings({ AzureWebJobsStorage: account.connectionString }),
    deploymentPolicyTable,
  );
  await client.createTable();
  await client.upsertEntity({ ...deploymentPolicyKeys, ...row }, "Replace");
}

/** An admin's workstation shell: Graph at the emulated tenant, no PROTECTED_GROUP_IDS, storage as given. */
const workstation = (storage: RunningAzurite | undefined, extra: Record<string, string> = {}) => ({
  GRAPH_BASE_URL: emulator.url,
  GRAPH_ACCESS_TOKEN: emulator.token,
  OUTCOMES_TABLE: table,
  ...(storage ? { AzureWebJobsStorage: storage.connectionString } : {}),
  ...extra,
});

const writtenUsers = () => Object.keys(emulator.stats.writes);
const lineOf = (csv: string, eventId: string) =>
  csv.split("\n").find((line) => line.includes(`,backfill-${eventId},`));

describe("a backfill from a workstation shell without PROTECTED_GROUP_IDS", () => {
  it("never writes a member of a group the deployed app protects: skipped, privileged_account", async () => {
    const run = await runMain(["backfill", input], workstation(deployed));
    expect(run.code).toBe(1);
    expect(lineOf(run.stdout, "tier0-1")).toMatch(/,skipped,.*mobilePhone:privileged_account/);
    expect(lineOf(run.stdout, "hire-1")).toContain(",updated,");
    expect(writtenUsers()).toEqual([users.newHire.id]);
    expect(emulator.stats.writes[users.protectedMember.id]).toBeUndefined();
    const outcome = await new TableOutcomeLog(
      tableClient(loadSettings({ AzureWebJobsStorage: deployed.connectionString }), table),
    ).get("backfill-tier0-1");
    expect(outcome).toMatchObject({ status: "skipped" });
    expect(outcome?.fields.every((field) => field.code === "privileged_account")).toBe(true);
  });

  it("says in one line which policy it applied, when the app published it, and what it narrowed", async () => {
    const run = await runMain(["backfill", input, "--dry-run"], workstation(deployed));
    const lines = run.stderr.split("\n").filter((line) => line.includes("policy:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^sspr-prepop backfill: policy: the stricter of the deployed app's \(published \d{4}-\d\d-\d\dT[\d:.]+Z\) and this shell's: PROTECTED_GROUP_IDS 1 group, CONTACT_TARGET profile, CONTACT_MODE fillEmpty, SYNCED_MOBILE skip; narrowed by the deployment: PROTECTED_GROUP_IDS \+1 group$/,
    );
  });
});

describe("a backfill that cannot know the deployed app's policy", () => {
  it.each([
    ["no storage configured", () => undefined, "storage_not_configured", "set AzureWebJobsStorage"],
    ["no policy row", () => empty, "policy_not_published", "start the function app once"],
    ["a corrupt row", () => corrupt, "policy_unreadable", "restart the function app"],
    ["a row of an older schema", () => older, "policy_schema_older", "update the function app"],
  ])("refuses to write with %s: exit 2, the problem and the fix named", async (_, storage, code, fix) => {
    const run = await runMain(["backfill", input], workstation(storage()));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "sspr-prepop backfill: refusing to write: the deployment's protection policy is unknown",
    );
    expect(run.stderr).toContain(`(${code}:`);
    expect(run.stderr).toContain(`Fix: ${fix}`);
    expect(run.stdout).toBe("");
    expect(writtenUsers()).toEqual([]);
    expect(Object.values(emulator.stats.requests).reduce((sum, n) => sum + n, 0)).toBe(0);
  });

  it("lets a dry run go on with this shell's settings and a warning saying they may be wider", async () => {
    const run = await runMain(["backfill", input, "--dry-run"], workstation(empty));
    expect(run.stderr).toContain(
      "sspr-prepop backfill: warning: the deployment's protection policy is unknown (policy_not_published:",
    );
    expect(run.stderr).toContain("which may be wider than the deployed app's");
    expect(run.stderr).toContain("DRY RUN, nothing written");
    expect(writtenUsers()).toEqual([]);
  });

  it("lets the report go on with this shell's settings and a warning", async () => {
    const run = await runMain(
      ["report", "--out", join(dir, "r.html"), "--csv", join(dir, "r.csv")],
      workstation(undefined),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "sspr-prepop report: warning: the deployment's protection policy is unknown (storage_not_configured:",
    );
  });
});

describe("a workstation shell with wider settings than the deployed app", () => {
  it("runs with the deployment's narrower CONTACT_MODE: an existing mobile is kept, and the line says so", async () => {
    const run = await runMain(["backfill", input], workstation(deployed, { CONTACT_MODE: "overwrite" }));
    expect(run.stderr).toContain(
      "narrowed by the deployment: PROTECTED_GROUP_IDS +1 group, CONTACT_MODE overwrite→fillEmpty",
    );
    expect(emulator.stats.writes[users.reformat.id]).toBeUndefined();
    expect(emulator.tenant.user(users.reformat.id)?.mobilePhone).toBe("(425) 555-0147");
  });

  it("refuses --mode overwrite the deployed app does not allow, rather than quietly filling only", async () => {
    const run = await runMain(["backfill", input, "--mode", "overwrite"], workstation(deployed));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "sspr-prepop backfill: --mode overwrite is wider than the deployed app allows (CONTACT_MODE fillEmpty)",
    );
    expect(writtenUsers()).toEqual([]);
  });

  it("refuses a CONTACT_TARGET that shares no target with the deployed app's for a field", async () => {
    const run = await runMain(
      ["backfill", input, "--dry-run"],
      workstation(deployed, { CONTACT_TARGET: "methods" }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mobilePhone: here methods, deployed profile");
  });

  it("shows the report the deployed app's protected group: its member counts as privileged", async () => {
    const run = await runMain(
      [
        "report",
        "--users",
        join(dir, "users.csv"),
        "--out",
        join(dir, "p.html"),
        "--csv",
        join(dir, "p.csv"),
      ],
      workstation(deployed),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("sspr-prepop report: policy: the stricter of the deployed app's");
    const perUser = await readFile(join(dir, "users.csv"), "utf8");
    expect(perUser.split("\n").find((line) => line.includes("tier0.member"))).toMatch(/privileged/i);
  });
});
