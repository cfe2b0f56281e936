import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reportCommand } from "../../cli/reportCommand.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { demo, graphFetch, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";

let emulator: GraphEmulator;
let dir: string;

beforeAll(async () => {
  // The demo tenant of `npm start`: the app holds AuditLog.Read.All and Organization.Read.All there.
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), "sspr-report-fallback-"));
});

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  resetEmulator(emulator);
});

/** Runs the report against the emulated tenant; its outputs, exit code and what it said. */
async function report(name: string, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const out = new PassThrough().setEncoding("utf8");
  const err = new PassThrough().setEncoding("utf8");
  out.on("data", (chunk: string) => {
    stdout += chunk;
  });
  err.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const paths = {
    out: join(dir, `${name}.html`),
    csv: join(dir, `${name}.csv`),
    users: join(dir, `${name}-users.csv`),
  };
  const code = await reportCommand(
    ["--out", paths.out, "--csv", paths.csv, "--users", paths.users, "--country", "US"],
    {
      stdin: Readable.from([]),
      stdout: out,
      stderr: err,
      env: {
        GRAPH_BASE_URL: emulator.url,
        GRAPH_ACCESS_TOKEN: emulator.token,
        GRAPH_RETRY_DELAY_SECONDS: "0",
        ORGANIZATION_DOMAINS: "contoso.example",
        PROTECTED_GROUP_IDS: "3876bc5a-40b4-4d23-bd51-120c5746ec76",
        ...env,
      },
    },
    { now: () => new Date("2026-11-25T08:00:00Z") },
  );
  const html = await readFile(paths.out, "utf8");
  const csv = await readFile(paths.csv, "utf8");
  const users = await readFile(paths.users, "utf8");
  const count = (key: string) => {
    const row = csv.split("\n").find((line) => line.startsWith(`${key},`));
    return row === undefined ? undefined : Number(row.split(",")[3]);
  };
  /** A user's bucket and reason (or basis), from the per-user CSV. */
  const verdictOf = (id: string) => {
    const cells = (users.split("\n").find((line) => line.startsWith(`${id},`)) ?? "").split(",");
    return `${cells[5]}${cells[6] ? ` ${cells[6]}` : ""}`;
  };
  return { code, stdout, stderr, html, csv, count, verdictOf };
}

describe("the report against npm start's demo tenant", () => {
  it("shows every bucket, each reason the demo users stand for, and the tenant's name", async () => {
    const run = await report("demo");
    expect(run.code).toBe(0);
    expect(run.html).toContain("SSPR readiness: <span data-tenant>Contoso (demo)</span>");
    expect(run.verdictOf(demo.kwame)).toBe("canResetNow tenant");
    expect(run.verdictOf(demo.mei)).toBe("afterPrepopulation");
    expect(run.verdictOf(demo.oliver)).toBe("afterPrepopulation");
    expect(run.verdictOf(demo.lars)).toBe("cannot privileged");
    expect(run.verdictOf(demo.noor)).toBe("cannot privileged");
    expect(run.verdictOf(demo.zoe)).toBe("cannot privileged");
    expect(run.verdictOf("9b2e4d71-0c6f-4a38-b1d5-7e3a9f2c6d14")).toBe("cannot sspr_not_enabled");
    expect(run.verdictOf("c47d1e8a-2b5f-4e96-8a03-5d9c7b1f2e68")).toBe("cannot synced_in_ad");
    expect(run.verdictOf("3f0c6a52-8d1e-4b7a-9c35-2e6f1d4a8b90")).toBe("cannot invalid_data");
    expect(run.verdictOf("e8a35c19-6f4b-4d27-9e81-0b2d6c5a7f43")).toBe("cannot account_disabled");
    expect(run.verdictOf("5a91f3c8-4e27-4b6d-a0f2-8c1e7d3b9a56")).toBe("cannot guest");
    // Rafael (PIM-eligible member of Emergency Global Admins) and Hana (its owner) are among the 6 while the
    // privilege check reads only each user's own roles and memberships, not the tenant-wide PIM for Groups picture.
    expect({
      canResetNow: run.count("bucket,all,canResetNow"),
      afterPrepopulation: run.count("bucket,all,afterPrepopulation"),
      cannot: run.count("bucket,all,cannot"),
    }).toEqual({ canResetNow: 4, afterPrepopulation: 10, cannot: 9 });
    // Dana's and Priya's profiles hold usable values, but the tenant's report counts registered methods only
    // (its page's isSsprRegistered), so the tenant does not say they can reset: Dana is a Global Administrator
    // (isAdmin), Priya's mobile would be filled.
    expect(run.verdictOf(demo.dana)).toBe("cannot privileged");
    expect(run.verdictOf(demo.priya)).toBe("afterPrepopulation");
    expect(run.count("ruleCode,invalid_data,phone_too_short")).toBe(1);
    expect(run.csv).toContain("run,,source,,,registrationReport");
  });
});

describe("when the registration report can't be read, the report says so and falls back to the profile", () => {
  it.each([
    [
      "the identity lacks AuditLog.Read.All",
      () => emulator.tenant.revokePermission("AuditLog.Read.All"),
      "registration_report_permission_missing",
      /lacks AuditLog\.Read\.All \(Graph: 403 Authentication_MSGraphPermissionMissing\)/,
    ],
    [
      "the tenant has no Entra ID P1/P2 licence",
      () => {
        emulator.tenant.premiumLicense = false;
      },
      "registration_report_not_licensed",
      /no Microsoft Entra ID P1 or P2 licence \(Graph: 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant\)/,
    ],
  ])("%s: exit 0, a warning on stderr, in the CSV and on the page", async (_, take, code, message) => {
    take();
    const run = await report(code);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain("profile-only view");
    expect(run.csv).toContain("run,,source,,,profileOnly");
    expect(run.csv).toMatch(new RegExp(`^note,,${code},,,`, "m"));
    expect(run.html).toContain(`data-note="${code}"`);
    expect(run.html).toContain("Profile-only view: the tenant&#39;s own SSPR verdicts could not be read");
    expect(run.html).toContain('data-source="profileOnly"');
    expect(run.stdout).toContain("profile data only");
    // The first thing to do is to make the tenant's verdicts readable.
    expect(run.csv).toMatch(/^next,1,read_registration_report,/m);
    // Profile-only: a usable mobile or alternate email on the profile is what "can reset" means.
    expect(run.verdictOf(demo.dana)).toBe("canResetNow profile");
    expect(run.verdictOf(demo.priya)).toBe("canResetNow profile");
    // Kwame registered methods of his own, which the profile-only view can't see: it says what would fill.
    expect(run.verdictOf(demo.kwame)).toBe("afterPrepopulation");
    // What the tenant alone knew (SSPR not enabled for Omar) is unknown now; the directory still knows the rest.
    expect(run.verdictOf("9b2e4d71-0c6f-4a38-b1d5-7e3a9f2c6d14")).toBe("afterPrepopulation");
    expect(run.verdictOf("e8a35c19-6f4b-4d27-9e81-0b2d6c5a7f43")).toBe("cannot account_disabled");
    expect(run.verdictOf(demo.lars)).toBe("cannot privileged");
    expect(run.count("basis,canResetNow,tenant")).toBe(0);
  });

  it("keeps the report when the tenant's name can't be read, and says why", async () => {
    emulator.tenant.revokePermission("Organization.Read.All");
    const run = await report("no-name");
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/the tenant's name could not be read: .*Organization\.Read\.All/);
    expect(run.html).toContain("<span data-tenant>Tenant name not read</span>");
    expect(run.csv).toContain("run,,tenant,,,\n");
    expect(run.csv).toContain("run,,source,,,registrationReport");
  });

  it("never counts a user as fillable when the privilege check can't answer: privilege_unknown, fail closed", async () => {
    emulator.tenant.revokePermission("RoleManagement.Read.Directory");
    const run = await report("no-roles");
    expect(run.code).toBe(0);
    expect(run.count("bucket,all,afterPrepopulation")).toBe(0);
    // The ten users the feed would fill and Noor (PIM-eligible): no answer without the role reads. Zoe's protected
    // group is read all the same, and that answer is conclusive.
    expect(run.count("reason,cannot,privilege_unknown")).toBe(11);
    expect(run.verdictOf(demo.zoe)).toBe("cannot privileged");
    expect(run.stderr).toMatch(/privileged-account check could not answer .*RoleManagement\.Read\.Directory/);
    expect(run.csv).toMatch(/^next,1,grant_privilege_reads,11,/m);
  });
});

describe("when Graph refuses $top on the registration report", () => {
  it("reads it again once without $top, keeps the tenant's verdicts, and says so in the notes", async () => {
    emulator.tenant.registrationReportTakesTop = false;
    const run = await report("no-top");
    expect(run.code).toBe(0);
    expect(run.csv).toContain("run,,source,,,registrationReport");
    expect(run.csv).toMatch(/^note,,registration_report_query_fallback,,,/m);
    expect(run.html).toContain('data-note="registration_report_query_fallback"');
    expect(run.stderr).toMatch(
      /Graph refused the query option \$top on the registration report \(400 BadRequest\)/,
    );
    expect(run.verdictOf(demo.kwame)).toBe("canResetNow tenant");
  });
});

describe("the emulated tenant's registration report", () => {
  it("answers Graph's 403 texts: a missing permission and a missing licence", async () => {
    emulator.tenant.revokePermission("AuditLog.Read.All");
    const denied = await graphFetch(emulator, "/reports/authenticationMethods/userRegistrationDetails");
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({
      code: "Authentication_MSGraphPermissionMissing",
      message: "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
    });
    emulator.tenant.grantPermission("AuditLog.Read.All");
    emulator.tenant.premiumLicense = false;
    const unlicensed = await graphFetch(emulator, "/reports/authenticationMethods/userRegistrationDetails");
    expect(unlicensed.status).toBe(403);
    expect(unlicensed.body.error.code).toBe("Authentication_RequestFromNonPremiumTenantOrB2CTenant");
  });

  it("lets a test set a user's SSPR verdicts, and leaves disabled users out", async () => {
    emulator.tenant.setSspr(demo.mei, { enabled: true, registered: true, capable: true });
    const res = await graphFetch(emulator, "/reports/authenticationMethods/userRegistrationDetails");
    const byId = new Map(res.body.value.map((d: { id: string }) => [d.id, d]));
    expect(byId.get(demo.mei)).toMatchObject({
      isSsprEnabled: true,
      isSsprRegistered: true,
      isSsprCapable: true,
    });
    expect(byId.get("9b2e4d71-0c6f-4a38-b1d5-7e3a9f2c6d14")).toMatchObject({
      isSsprEnabled: false,
      isSsprCapable: false,
    });
    expect(byId.get("5a91f3c8-4e27-4b6d-a0f2-8c1e7d3b9a56")).toMatchObject({ userType: "guest" });
    expect(byId.has("e8a35c19-6f4b-4d27-9e81-0b2d6c5a7f43")).toBe(false);
  });
});
