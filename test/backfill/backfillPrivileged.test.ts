import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { loadSettings } from "../../shared/app/config.js";
import { contactRuleOptionsFrom, policyFrom } from "../../shared/app/ruleOptions.js";
import { type BackfillRow, runBackfill } from "../../shared/backfill/backfill.js";
import type { SourceRecord } from "../../shared/contact/validateStream.js";
import { eventFor } from "../support/factories.js";
import { directoryFor, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";
import { pipelineTenant, protectedGroupId, users } from "../support/tenantSeeds.js";

// A backfill row for an admin carries the same attack as a queue event; the bulk check refuses it the same way.

let emulator: GraphEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ tenant: pipelineTenant() });
});
beforeEach(() => resetEmulator(emulator));
afterAll(async () => emulator?.close());

const settings = loadSettings({ DEFAULT_COUNTRY: "US", CONTACT_TARGET: "both", CONTACT_MODE: "overwrite" });
const attacker = { mobilePhone: "(425) 555-0166", alternateEmail: "attacker@example.net" };
const named = [users.newHire, users.admin, users.eligibleAdmin, users.groupAdmin, users.protectedMember];

async function* records(): AsyncGenerator<SourceRecord> {
  let line = 2;
  for (const user of named) {
    yield { line: line++, input: eventFor({ userPrincipalName: user.userPrincipalName }, attacker) };
  }
}

async function backfill(dryRun = false): Promise<BackfillRow[]> {
  const rows: BackfillRow[] = [];
  await runBackfill({
    records: records(),
    rules: contactRuleOptionsFrom(settings),
    policy: policyFrom(settings),
    directory: directoryFor(emulator, { protectedGroupIds: [protectedGroupId] }),
    sourceName: "privileged.csv",
    dryRun,
    onRow: (row) => {
      rows.push(row);
    },
  });
  return rows;
}

const rowFor = (rows: BackfillRow[], user: { userPrincipalName: string }) =>
  rows.find((row) => row.outcome.userPrincipalName === user.userPrincipalName);
/** Writes the tenant was asked for: `$batch` items other than GETs. */
const writeItems = () => Object.keys(emulator.stats.batchItems).filter((key) => !key.startsWith("GET"));

describe("backfill rows naming privileged accounts", () => {
  it.each([
    ["the active Global Administrator", users.admin],
    ["the PIM-eligible Helpdesk Administrator", users.eligibleAdmin],
    ["the holder of a role through a role-assignable group", users.groupAdmin],
    ["the member of a protected group", users.protectedMember],
  ])("skips %s with privileged_account, writing nothing for them", async (_, user) => {
    const before = emulator.tenant.user(user.id);
    const rows = await backfill();
    const row = rowFor(rows, user);
    expect(row?.outcome.status).toBe("skipped");
    expect(new Set(row?.reasons)).toEqual(
      new Set(["mobilePhone:privileged_account", "alternateEmail:privileged_account"]),
    );
    expect(row?.writes).toBe(0);
    expect(row?.outcome.fields.every((f) => f.code === "privileged_account")).toBe(true);
    expect(emulator.tenant.user(user.id)).toEqual(before);
    expect(emulator.stats.writes[user.id]).toBeUndefined();
    // Only the ordinary user was written.
    expect(Object.keys(emulator.stats.writes)).toEqual([users.newHire.id]);
  });

  it("says so in a dry run too", async () => {
    const rows = await backfill(true);
    expect(rows.map((row) => row.outcome.status)).toEqual([
      "updated",
      "skipped",
      "skipped",
      "skipped",
      "skipped",
    ]);
    expect(writeItems()).toEqual([]);
  });

  it("stops the run, writing nothing, when it cannot check privileges (missing RoleManagement.Read.Directory)", async () => {
    emulator.tenant.revokePermission("RoleManagement.Read.Directory");
    // Every row would fail the same way: the run stops (the CLI exits 2 naming the permission), no row is failed.
    await expect(backfill()).rejects.toMatchObject({
      kind: "missingPermission",
      permission: "RoleManagement.Read.Directory",
    });
    expect(writeItems()).toEqual([]);
    expect(emulator.stats.writes).toEqual({});
  });

  it("fails the rows whose check keeps answering 5xx, writing nothing for them", async () => {
    emulator.tenant.failRoute("GET roleEligibilityScheduleInstances", 503, 0);
    const rows = await backfill();
    expect(rowFor(rows, users.newHire)).toMatchObject({
      outcome: { status: "failed" },
      reasons: ["privilege_check_failed"],
    });
    expect(rowFor(rows, users.newHire)?.outcome.message).toContain("run the backfill again for this row");
    expect(writeItems()).toEqual([]);
  });
});
