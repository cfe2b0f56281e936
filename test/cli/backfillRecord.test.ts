import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import {
  backfillCheckpointPath,
  fingerprintInput,
  writeBackfillCheckpoint,
} from "../../shared/backfill/backfillCheckpoint.js";
import { emptyRunTotals } from "../../shared/backfill/runTotals.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import { anyWriteDeployment, publishDeploymentPolicy } from "../support/deploymentPolicies.js";
import { aSeedUser, aTenant } from "../support/graphEmulatorFixtures.js";
import { runCli, runMain } from "../support/runCli.js";
import { useAzurite } from "../support/sharedAzurite.js";

// Every run leaves a true record: reruns and overwrite runs recorded as attempts, the summary's count true, the
// per-row CSV of a run never silently replaced, and resume keyed on content. The first run goes through the real
// bin in a child process; the others through the same main() in this process (a child costs seconds each).
let azurite: RunningAzurite;
let emulator: GraphEmulator;
let dir: string;
let table: string;
let tables = 0;

beforeAll(async () => {
  [azurite, emulator] = await Promise.all([
    useAzurite(),
    startGraphEmulator({ port: 0, tenant: aTenant(3) }),
  ]);
  dir = await mkdtemp(join(tmpdir(), "sspr-record-"));
  await publishDeploymentPolicy(azurite.connectionString, anyWriteDeployment);
});
afterAll(async () => {
  await Promise.all([emulator?.close(), azurite?.stop()]);
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  emulator.tenant.reset();
  emulator.stats.reset();
  table = `Records${process.pid}x${++tables}`;
});

const env = () => ({
  GRAPH_BASE_URL: emulator.url,
  GRAPH_ACCESS_TOKEN: emulator.token,
  AzureWebJobsStorage: azurite.connectionString,
  OUTCOMES_TABLE: table,
});
const outcomes = () =>
  new TableOutcomeLog(tableClient(loadSettings({ AzureWebJobsStorage: azurite.connectionString }), table));

/** An export with an eventId column, so a row is the same event in every run, whatever its values. */
async function anExport(name: string, rows: Array<[number, string]>): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    [
      "eventId,userPrincipalName,country,mobilePhone",
      ...rows.map(([n, phone]) => `hire-${n},user${n}@contoso.example,US,${phone}`),
    ].join("\n"),
  );
  return path;
}

describe("a backfill's record of each run", () => {
  it("records a failed run and its successful rerun: the rerun decides, the failure stays visible, the counts are true", async () => {
    const input = await anExport("rerun.csv", [
      [1, "+1 4255550101"],
      [4, "+1 4255550104"],
    ]);
    // user4 is not provisioned yet: the first run fails that row.
    const first = await runCli(["backfill", input], env());
    expect(first.code).toBe(1);
    expect(first.stderr).toContain("outcomes recorded: 2\n");
    expect(await outcomes().get("backfill-hire-4")).toMatchObject({ status: "failed" });

    emulator.tenant.addUser(aSeedUser(4));
    const rerun = await runMain(["backfill", input], env());
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain("outcomes recorded: 2\n");
    expect(await outcomes().get("backfill-hire-4")).toMatchObject({ status: "updated" });
    expect((await outcomes().attemptsOf("backfill-hire-4", 10)).map((o) => o.status)).toEqual([
      "updated",
      "failed",
    ]);
    // The helpdesk sees both under the UPN the row named.
    expect(
      (await outcomes().listByUser({ kind: "upn", value: "user4@contoso.example" }, 10)).map((o) => o.status),
    ).toEqual(["updated", "failed"]);
    // A row that succeeded both times has both attempts too: nothing is lost on a rerun.
    expect((await outcomes().attemptsOf("backfill-hire-1", 10)).map((o) => o.status)).toEqual([
      "unchanged",
      "updated",
    ]);
  });

  it("records an overwrite rerun's writes as the event's latest attempt", async () => {
    await runMain(["backfill", await anExport("before.csv", [[1, "+1 4255550101"]])], env());
    const overwrite = await runMain(
      ["backfill", await anExport("after.csv", [[1, "+1 4255550111"]]), "--mode", "overwrite"],
      env(),
    );
    expect(overwrite.code).toBe(0);
    expect(emulator.tenant.find("user1@contoso.example")?.mobilePhone).toBe("+1 4255550111");
    const latest = await outcomes().get("backfill-hire-1");
    expect(latest?.fields).toEqual([
      expect.objectContaining({
        field: "mobilePhone",
        action: "replaced",
        before: "+1 ***101",
        after: "+1 ***111",
      }),
    ]);
    expect((await outcomes().attemptsOf("backfill-hire-1", 10)).map((o) => o.fields[0]?.action)).toEqual([
      "replaced",
      "set",
    ]);
  });

  it("never replaces an earlier run's per-row CSV without --force: exit 2, the file kept", async () => {
    const input = await anExport("report.csv", [[1, "+1 4255550101"]]);
    const report = join(dir, "results.csv");
    await writeFile(report, "the record of yesterday's run\n");
    const refused = await runMain(["backfill", input, "--report", report, "--no-outcomes"], env());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `sspr-prepop backfill: The report ${report} exists: it is the per-row record of an earlier run. Pass --force to replace it`,
    );
    expect(await readFile(report, "utf8")).toBe("the record of yesterday's run\n");
    expect(emulator.stats.requests).toEqual({});

    const forced = await runMain(["backfill", input, "--report", report, "--no-outcomes", "--force"], env());
    expect(forced.code).toBe(0);
    expect((await readFile(report, "utf8")).split("\n")[0]).toMatch(/^line,eventId,user,status/);
  });
});

describe("a run that cannot go on", () => {
  async function recorded(): Promise<number> {
    const rows = tableClient(
      loadSettings({ AzureWebJobsStorage: azurite.connectionString }),
      table,
    ).listEntities();
    let count = 0;
    try {
      for await (const _ of rows) count++;
    } catch {
      // No table: nothing was ever recorded.
    }
    return count;
  }

  it.each([
    // Refused from the first call: nothing is opened, so no report of zero rows and no checkpoint is left.
    {
      what: "refused credentials",
      revoked: undefined,
      extra: { GRAPH_ACCESS_TOKEN: "a-token-graph-refuses" },
      said: "stopped before the first row: Graph refused the app's credentials (401 InvalidAuthenticationToken)",
      report: "none",
    },
    // Refused at the first guard read, after the run has opened its report: the rows before it are kept.
    {
      what: "a missing Graph permission",
      revoked: "RoleManagement.Read.Directory",
      extra: {},
      said: "stopped: Graph refused (403): the app is missing permission RoleManagement.Read.Directory",
      report: "header only, --resume named",
    },
  ] as const)(
    "stops on $what with exit 2 and the fix: no row failed, no outcome recorded",
    async ({ revoked, extra, said, report: left }) => {
      if (revoked) emulator.tenant.revokePermission(revoked);
      const input = await anExport("stopped.csv", [
        [1, "+1 4255550101"],
        [2, "+1 4255550102"],
      ]);
      const report = join(dir, `stopped-${tables}.csv`);
      const run = await runMain(["backfill", input, "--report", report], { ...env(), ...extra });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`sspr-prepop backfill: ${said}`);
      expect(run.stderr).not.toMatch(/transient|run the backfill again/);
      if (left === "none") {
        expect(existsSync(report)).toBe(false);
        expect(existsSync(backfillCheckpointPath(input))).toBe(false);
      } else {
        expect(run.stderr).toContain("once fixed, rerun with --resume");
        expect((await readFile(report, "utf8")).trim().split("\n")).toHaveLength(1);
      }
      expect(await recorded()).toBe(0);
      expect(emulator.stats.writes).toEqual({});
    },
  );
});

describe("resuming on the input's content", () => {
  async function interruptedAfterLine(input: string, line: number) {
    const fingerprint = await fingerprintInput(input);
    await writeBackfillCheckpoint(backfillCheckpointPath(input), {
      version: 2,
      input: { path: fingerprint.path, size: fingerprint.size, sha256: fingerprint.sha256 },
      options: {
        mode: "fillEmpty",
        target: JSON.stringify({ mobilePhone: "profile", officePhone: "profile", alternateEmail: "profile" }),
        syncedMobile: "skip",
      },
      doneThroughLine: line,
      totals: { ...emptyRunTotals(), rows: line - 1, byStatus: { updated: line - 1 } },
      updatedAt: "2026-11-24T10:00:00.000Z",
    });
  }

  it("resumes after a touch of the input, saying where it picks up", async () => {
    const input = await anExport("touched.csv", [
      [1, "+1 4255550101"],
      [2, "+1 4255550102"],
      [3, "+1 4255550103"],
    ]);
    await interruptedAfterLine(input, 3);
    // A touch (a copy, a sync tool) changes the time, not the content.
    await utimes(input, new Date(), new Date(Date.now() + 60_000));
    const run = await runMain(["backfill", input, "--resume", "--no-outcomes"], env());
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `resuming ${input} after line 3: 2 rows were finished by the interrupted run (checkpoint of 2026-11-24T10:00:00.000Z); about 1 rows left`,
    );
    // Only the row after the checkpoint is written.
    expect(emulator.stats.writesFor(aSeedUser(3).id, "mobilePhone")).toBe(1);
    expect(emulator.stats.writesFor(aSeedUser(1).id, "mobilePhone")).toBe(0);
  });

  it("refuses to resume on changed content: exit 2, nothing written", async () => {
    const input = await anExport("changed.csv", [
      [1, "+1 4255550101"],
      [2, "+1 4255550102"],
    ]);
    await interruptedAfterLine(input, 2);
    await writeFile(input, `${await readFile(input, "utf8")}\nhire-3,user3@contoso.example,US,+1 4255550103`);
    const run = await runMain(["backfill", input, "--resume", "--no-outcomes"], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("The input's content changed since the checkpoint was written");
    expect(emulator.stats.requests).toEqual({});
  });
});
