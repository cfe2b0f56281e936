import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BackfillDeps, runBackfillCommand } from "../../cli/backfillCommand.js";
import type { SeedUser } from "../../local/graphEmulator/EmulatedTenant.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { backfillCheckpointPath } from "../../shared/backfill/backfillCheckpoint.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import { anyWriteDeployment, publishDeploymentPolicy } from "../support/deploymentPolicies.js";
import { aSeedUser, roomyLimiter } from "../support/graphEmulatorFixtures.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// 60 users, each there for a reason; rows name them by UPN (and two by employeeId).
const userCount = 60;
const withMobile = new Set([41, 42, 43, 44, 45]); // already have a different mobile: fillEmpty keeps it
const synced = new Set([46, 47, 48]); // synced from AD: AD masters the mobile
const admin = 49; // privileged (an active role): never written, refused between its plan and its writes

function seedUser(n: number): SeedUser {
  return aSeedUser(n, {
    ...(withMobile.has(n) ? { mobilePhone: "+1 2065550199" } : {}),
    ...(synced.has(n) ? { onPremisesSyncEnabled: true } : {}),
    ...(n === admin ? { adminRoles: ["User Administrator"] } : {}),
  });
}

/** Fictional NANP numbers: 555-0100…0199 in a few real area codes. */
function mobileOf(n: number): string {
  const area = [425, 206, 312, 415, 617][n % 5];
  return `(${area}) 555-01${String(n % 100).padStart(2, "0")}`;
}

const emailOf = (n: number) => `personal.${n}@example.org`;

/** The export: one row per user, then a row breaking a rule and a row for a user Entra doesn't have. */
function exportCsv(): string {
  const rows = ["userPrincipalName,employeeId,country,mobilePhone,alternateEmail"];
  for (let n = 1; n <= userCount; n++) {
    const upn = n === 7 || n === 8 ? "" : `user${n}@contoso.example`;
    rows.push(`${upn},${n === 7 || n === 8 ? `T${n}` : ""},US,${mobileOf(n)},${emailOf(n)}`);
  }
  rows.push("user50@contoso.example,,US,12345,not-an-email"); // line 62: rejected
  rows.push("nobody@contoso.example,,US,(425) 555-0100,nobody.home@example.org"); // line 63: no such user
  return `${rows.join("\n")}\n`;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let env: TestEnvironment;
let dir: string;
let input: string;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: { users: Array.from({ length: userCount }, (_, i) => seedUser(i + 1)) } },
  });
  dir = await mkdtemp(join(tmpdir(), "sspr-backfill-"));
  // The deployed app's policy, narrowing nothing: these runs are decided by their own flags.
  await publishDeploymentPolicy(env.azurite.connectionString, anyWriteDeployment);
});

afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  env.graph.tenant.reset();
  env.graph.stats.reset();
  env.isolate();
  input = join(dir, `export-${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(input, exportCsv());
});

async function backfill(args: string[], deps: BackfillDeps = {}): Promise<Run> {
  const stdout = collect();
  const stderr = collect();
  const code = await runBackfillCommand(
    [input, ...args],
    { stdin: Readable.from([]), stdout: stdout.stream, stderr: stderr.stream, env: { ...process.env } },
    { limiter: roomyLimiter(), ...deps },
  );
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  return { stream, text: () => text };
}

type CsvRow = Record<string, string>;

/** Parses the result CSV (quoted cells included) into objects keyed by the header. */
function parseCsv(text: string): CsvRow[] {
  const records: string[][] = [];
  let cell = "";
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      row.push(cell);
      records.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  const [header = [], ...rest] = records;
  return rest.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""])));
}

const rowAt = (rows: CsvRow[], line: number) => rows.find((r) => r.line === String(line));
const statuses = (rows: CsvRow[]) =>
  rows.reduce<Record<string, number>>((acc, r) => {
    acc[r.status ?? ""] = (acc[r.status ?? ""] ?? 0) + 1;
    return acc;
  }, {});
const profileWrites = () => env.graph.stats.batchItems["PATCH user"] ?? 0;
const outcomeLog = () => new TableOutcomeLog(tableClient(env.configure(), process.env.OUTCOMES_TABLE ?? ""));

describe("sspr-prepop backfill", () => {
  it("writes nothing in a dry run, and says what it would do", async () => {
    const run = await backfill(["--dry-run"]);
    const rows = parseCsv(run.stdout);
    expect(rows).toHaveLength(userCount + 2);
    // The privileged user (row 50) is checked before any write would be sent: skipped in a dry run too.
    expect(statuses(rows)).toEqual({ updated: 51, partial: 8, skipped: 1, failed: 1, rejected: 1 });
    expect(rowAt(rows, 50)?.reasons).toContain("privileged_account");
    expect(profileWrites()).toBe(0);
    expect(Object.keys(env.graph.stats.writes)).toHaveLength(0);
    expect(env.graph.tenant.user("user1@contoso.example")?.mobilePhone).toBeNull();
    expect(await outcomeLog().get(rowEventId(rows, 2))).toBeUndefined();
    expect(run.stderr).toContain("DRY RUN, nothing written");
    expect(existsSync(backfillCheckpointPath(input))).toBe(false);
    expect(run.code).toBe(1);
  });

  it("writes each user in $batch requests of 20 and records one outcome per row, as the queue does", async () => {
    // A picture kept a minute, so the count below can't depend on how fast this machine runs the backfill.
    env.configure({ PRIVILEGE_MAX_AGE_SECONDS: "60" });
    const run = await backfill([]);
    const rows = parseCsv(run.stdout);
    const stats = env.graph.stats;
    // 61 rows resolve (60 users + nobody): 4 read batches; the tenant's privilege picture, read once for all the
    // users (and checked again at each write batch within its bound): 2 batches; 59 users need a PATCH (not the
    // admin): 3 write batches. Plus the tenant's verified domains, read once for the run (the rows carry alternate
    // emails).
    expect(stats.requests).toEqual({ "GET domains": 1, "POST $batch": 4 + 2 + 3 });
    expect(stats.batchItems["GET roleAssignments"]).toBe(1);
    expect(stats.batchItems["GET user"]).toBe(59);
    expect(stats.batchItems["GET users"]).toBe(2); // the two rows named by employeeId
    expect(profileWrites()).toBe(59);
    expect(statuses(rows)).toEqual({ updated: 51, partial: 8, skipped: 1, failed: 1, rejected: 1 });
    expect(stats.totalRequests() / userCount).toBeLessThan(0.3); // ≈ 5 requests per 20 users
    // A bulk job nobody waits on: Graph throttles low-priority requests first. Graph evaluates each $batch item on
    // its own, so every item carries the priority in its own headers, not only the envelope.
    expect(Object.keys(stats.priorities)).toEqual(["low"]);
    expect(stats.itemPriorities).toEqual({ low: stats.totalBatchItems() });
    expect(env.graph.tenant.user("user1@contoso.example")).toMatchObject({
      mobilePhone: "+1 2065550101",
      otherMails: ["personal.1@example.org"],
    });
    expect(env.graph.tenant.user("user7@contoso.example")?.mobilePhone).toBe("+1 3125550107");

    expect(rowAt(rows, 2)).toMatchObject({ status: "updated", user: "user1@contoso.example" });
    const outcome = await outcomeLog().get(rowEventId(rows, 2));
    expect(outcome).toMatchObject({
      status: "updated",
      source: "backfill",
      actor: "backfill",
      userPrincipalName: "user1@contoso.example",
      fields: [
        { field: "mobilePhone", target: "profile", action: "set", after: "+1 ***101" },
        { field: "alternateEmail", target: "profile", action: "set", after: "p***@e***.org" },
      ],
    });
    expect(outcome?.dryRun).toBeUndefined();
    // The privileged user: refused before any write, nothing sent for them.
    expect(rowAt(rows, 50)).toMatchObject({ status: "skipped" });
    expect(rowAt(rows, 50)?.reasons).toContain("privileged_account");
    expect(stats.writes[aSeedUser(admin).id]).toBeUndefined();
    expect(await outcomeLog().get(rowEventId(rows, 50))).toMatchObject({
      status: "skipped",
      fields: [
        { field: "mobilePhone", action: "skipped", code: "privileged_account" },
        { field: "alternateEmail", action: "skipped", code: "privileged_account" },
      ],
    });
    expect(run.stderr).toMatch(/outcomes recorded: 62\b/);
    expect(existsSync(backfillCheckpointPath(input))).toBe(false);
    expect(run.code).toBe(1);
  });

  it.each([
    ["fillEmpty", "skipped", "profile:skipped +1 ***199", "mobilePhone:kept_existing", "+1 2065550199"],
    ["overwrite", "updated", "profile:replaced +1 ***199 -> +1 ***141", "", "+1 2065550141"],
  ])(
    "keeps or replaces an existing mobile with --mode %s",
    async (mode, status, mobileCell, reason, stored) => {
      const rows = parseCsv((await backfill(["--mode", mode, "--no-outcomes"])).stdout);
      const row = rowAt(rows, 42);
      expect(row).toMatchObject({
        status: status === "skipped" ? "partial" : status,
        mobilePhone: mobileCell,
      });
      if (reason) expect(row?.reasons).toContain(reason);
      expect(env.graph.tenant.user("user41@contoso.example")?.mobilePhone).toBe(stored);
    },
  );

  it("rejects a row that breaks a rule, and fails one whose user does not exist, with reason codes", async () => {
    const run = await backfill(["--no-outcomes"]);
    const rows = parseCsv(run.stdout);
    expect(rowAt(rows, 62)).toMatchObject({ status: "rejected", user: "user50@contoso.example" });
    expect(rowAt(rows, 62)?.reasons).toMatch(/contact\.mobilePhone:phone_\w+/);
    expect(rowAt(rows, 62)?.reasons).toMatch(/contact\.alternateEmail:email_\w+/);
    expect(rowAt(rows, 63)).toMatchObject({ status: "failed", reasons: "user_not_found" });
    expect(rowAt(rows, 47)).toMatchObject({ status: "partial" });
    expect(rowAt(rows, 47)?.reasons).toContain("mobilePhone:synced_from_ad");
    expect(run.stderr).not.toContain("AzureWebJobsStorage is not set");
  });

  it("writes the per-row CSV to --report, masked, one line per row with the columns documented", async () => {
    const report = join(dir, "result.csv");
    // A report left world-readable by an earlier run or tool is narrowed to the owner when it is replaced.
    await writeFile(report, "old\n", { mode: 0o644 });
    await chmod(report, 0o644);
    const run = await backfill(["--report", report, "--force"]);
    expect((await stat(report)).mode & 0o777).toBe(0o600);
    expect(run.stdout).toBe("");
    const text = await readFile(report, "utf8");
    expect(text.split("\n")[0]).toBe(
      "line,eventId,user,status,mobilePhone,officePhone,alternateEmail,reasons,warnings,detail",
    );
    const rows = parseCsv(text);
    expect(rows.map((r) => Number(r.line))).toEqual(Array.from({ length: userCount + 2 }, (_, i) => i + 2));
    expect(rowAt(rows, 2)).toMatchObject({
      mobilePhone: "profile:set +1 ***101",
      officePhone: "",
      alternateEmail: "profile:set p***@e***.org",
      detail: "updated: mobilePhone/profile set, alternateEmail/profile set",
    });
    expect(rowAt(rows, 2)?.eventId).toMatch(/^backfill-csv-[0-9a-f]{32}$/);
    expectNoPersonalData(text);
  });

  it("never shows an unmasked phone number or address on stdout, stderr, the CSV or the outcomes", async () => {
    const run = await backfill([]);
    expectNoPersonalData(run.stdout);
    expectNoPersonalData(run.stderr);
    const outcomes = await Promise.all(parseCsv(run.stdout).map((r) => outcomeLog().get(r.eventId ?? "")));
    expect(outcomes.every((o) => o !== undefined)).toBe(true);
    expectNoPersonalData(JSON.stringify(outcomes));
  });

  it("resumes an interrupted run without rewriting a finished row", async () => {
    const report = join(dir, "resumed.csv");
    const controller = new AbortController();
    let seen = 0;
    const first = await backfill(["--report", report], {
      signal: controller.signal,
      concurrency: 1,
      onRow: () => {
        if (++seen === 25) controller.abort();
      },
    });
    expect(first.code).toBe(3);
    expect(first.stderr).toContain("rerun with --resume");
    expect((await stat(backfillCheckpointPath(input))).mode & 0o777).toBe(0o600);
    expect((await stat(report)).mode & 0o777).toBe(0o600);
    // Widened in between (a copy tool, a permissive umask elsewhere): appending narrows it again.
    await chmod(report, 0o644);
    const checkpoint = JSON.parse(await readFile(backfillCheckpointPath(input), "utf8"));
    // The batch in flight (rows 21–40) finished before the run stopped.
    expect(checkpoint.doneThroughLine).toBe(41);
    expect(checkpoint.totals.rows).toBe(40);
    expect(profileWrites()).toBe(40);

    const second = await backfill(["--report", report, "--resume"]);
    expect(second.stderr).toContain("resumed: 40 rows were finished by the interrupted run");
    expect((await stat(report)).mode & 0o777).toBe(0o600);
    // Every user written at most once across both runs, and nothing read again for the finished rows.
    for (let n = 1; n <= userCount; n++) {
      expect(env.graph.stats.writesFor(aSeedUser(n).id, "mobilePhone"), `user${n}`).toBeLessThanOrEqual(1);
    }
    expect(profileWrites()).toBe(59);
    expect(env.graph.stats.batchItems["GET user"]).toBe(59);
    const rows = parseCsv(await readFile(report, "utf8"));
    expect(rows.map((r) => Number(r.line))).toEqual(Array.from({ length: userCount + 2 }, (_, i) => i + 2));
    expect(existsSync(backfillCheckpointPath(input))).toBe(false);
    expect(second.code).toBe(1);
  });

  it("writes authentication methods through $batch with --target methods", async () => {
    env.configure({ PRIVILEGE_MAX_AGE_SECONDS: "60" });
    const run = await backfill(["--target", "methods", "--no-outcomes"]);
    const rows = parseCsv(run.stdout);
    expect(rowAt(rows, 2)).toMatchObject({
      status: "updated",
      mobilePhone: "methods:set +1 ***101",
      alternateEmail: "methods:set p***@e***.org",
    });
    const stats = env.graph.stats;
    expect(stats.requests["GET authMethods"] ?? 0).toBe(0);
    // The admin's methods are read to plan (reading is harmless), never written: the privilege check stands
    // between every plan and its writes. One list of every method a user registered, not one per kind.
    expect(stats.batchItems["GET authMethods"]).toBe(userCount);
    expect(stats.batchItems["GET phoneMethods"] ?? 0).toBe(0);
    expect(stats.batchItems["POST phoneMethods"]).toBe(userCount - 1);
    expect(stats.writes[aSeedUser(admin).id]).toBeUndefined();
    expect(rowAt(rows, 50)).toMatchObject({ status: "skipped" });
    expect(stats.writesFor(aSeedUser(1).id, "phoneMethods/mobile")).toBe(1);
    expect(stats.writesFor(aSeedUser(1).id, "emailMethods")).toBe(1);
    // 61 reads, the privilege picture (2 batches, once), 60 method lists (every kind in one), 118 method writes:
    // 20 per $batch; the tenant's domains once; one try at the registration report (403: the emulated app lacks
    // AuditLog.Read.All).
    expect(stats.requests).toEqual({
      "GET domains": 1,
      "POST $batch": 4 + 2 + 3 + 6,
      "GET registrationDetails": 1,
    });
    expect(stats.batchItems["GET roleAssignments"]).toBe(1);
  });

  it("refuses bad usage with a UsageError, which main turns into exit code 2", async () => {
    await expect(backfill(["--mode", "sometimes"])).rejects.toThrow(/--mode must be fillEmpty or overwrite/);
    await expect(backfill(["--resume"])).rejects.toThrow(/Nothing to resume/);
    await expect(backfill(["--resume", "--dry-run"])).rejects.toThrow(/dry run keeps no checkpoint/);
  });
});

function rowEventId(rows: CsvRow[], line: number): string {
  return rowAt(rows, line)?.eventId ?? "";
}

/** No input phone number (any run of 7+ digits) and no alternate email address in full. */
function expectNoPersonalData(text: string): void {
  for (let n = 1; n <= userCount; n++) {
    expect(text).not.toContain(emailOf(n));
    const digits = mobileOf(n).replace(/\D/g, "");
    expect(text).not.toContain(digits);
    expect(text).not.toContain(`555${digits.slice(-4)}`);
  }
  expect(text).not.toContain("nobody.home@");
  expect(text).not.toContain("2065550199");
}
