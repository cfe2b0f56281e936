import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { loadFunctions } from "../../local/loadFunctions.js";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import { appServices } from "../../shared/app/appServices.js";
import type { DoctorReport } from "../../shared/doctor/doctorReport.js";
import { runMain } from "../support/runCli.js";
import { pipelineTenant } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import { runNode, sharedTranspiledCli } from "../support/transpiledCli.js";

// `sspr-prepop doctor` as an admin runs it against the emulated tenant, Azurite and the local host (with and without
// Easy Auth), its exit code and output checked: a ready deployment and unreadable settings through the real bin in a
// child process, the other findings through the same main() in this process.

let bin: string;
let env: TestEnvironment;
let withEasyAuth: LocalHost;
let withoutEasyAuth: LocalHost;

beforeAll(async () => {
  bin = await sharedTranspiledCli();
  env = await startTestEnvironment({ graph: { tenant: pipelineTenant() }, env: { GRAPH_MAX_RETRIES: "0" } });
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
beforeEach(() => {
  env.graph.tenant.reset();
  env.configure();
});

/** Runs the bin with this process's settings (the test environment's) plus `overrides`. */
function doctor(args: string[], overrides: Record<string, string> = {}) {
  return runNode(bin, ["doctor", ...args], { env: { ...process.env, ...overrides } });
}

/** The same, through main() in this process. */
function doctorInProcess(args: string[], overrides: Record<string, string> = {}) {
  return runMain(["doctor", ...args], { ...process.env, ...overrides });
}

describe("sspr-prepop doctor", () => {
  it("prints every check ok against a ready deployment and exits 0", async () => {
    // Ready: the emulated app holds what the grant scripts grant with CONTACT_TARGET=both, and nothing more (it
    // also holds PrivilegedAssignmentSchedule.Read.AzureADGroup, which doctor would rightly call an over-grant).
    env.graph.tenant.revokePermission("PrivilegedAssignmentSchedule.Read.AzureADGroup");
    const { code, stdout } = await doctor(["--app-url", withEasyAuth.url], {
      CONTACT_TARGET: "both",
      GRAPH_ACCESS_TOKEN: env.graph.issueToken(),
    });
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    // Ten checks ok (the HR endpoints off, unset), plus the opt-in registration report listed as absent.
    expect(lines.filter((line) => line.startsWith("OK "))).toHaveLength(11);
    expect(lines.at(-1)).toBe("doctor: ready (11 ok, 0 warnings, 0 failed)");
  }, 30_000);

  it("exits 1 naming the failing check and the fix when a permission was removed from the app", async () => {
    env.graph.tenant.revokePermission("User-Phone.ReadWrite.All");
    const { code, stdout } = await doctorInProcess(["--app-url", withEasyAuth.url], {
      GRAPH_ACCESS_TOKEN: env.graph.issueToken(),
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^FAIL {2}graphPermissions +missing User-Phone\.ReadWrite\.All.*\(missing_permission\)$/m,
    );
    expect(stdout).toMatch(/^ +fix: grant it to the app's managed identity .*grant-graph-permissions\.sh/m);
    expect(stdout).toContain("doctor: not ready: fix what failed");
  }, 30_000);

  it("exits 1 naming Easy Auth and how to turn it on when it is off", async () => {
    const { code, stdout } = await doctorInProcess(["--app-url", withoutEasyAuth.url]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^FAIL {2}easyAuth +an anonymous request reached the app's own code.*\(easy_auth_off\)$/m,
    );
    expect(stdout).toMatch(/^ +fix: turn on App Service authentication/m);
  }, 30_000);

  it("exits 0 with warnings only, and gives JSON for pipelines", async () => {
    const { code, stdout } = await doctorInProcess(["--json"], { SYNCED_MOBILE: "override" });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.status).toBe("warn");
    expect(report.checks.filter((c) => c.status === "warn").map((c) => c.code)).toEqual(
      expect.arrayContaining(["missing_permission", "dirsync_unknown", "easy_auth_unchecked"]),
    );
  }, 30_000);

  it("exits 2 with the settings finding, still as JSON, when the settings can't be read", async () => {
    const { code, stdout } = await doctor(["--json"], { CONTACT_TARGET: "nowhere" });
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({
      status: "fail",
      checks: [
        {
          check: "settings",
          status: "fail",
          code: "settings_invalid",
          detail: expect.stringContaining("CONTACT_TARGET"),
        },
      ],
    });
  }, 30_000);
});

describe("sspr-prepop doctor with storage settings the SDKs can't read", () => {
  it.each([
    ["AzureWebJobsStorage", "nonsense", "is not a connection string (key=value pairs separated by ;)"],
    [
      "AzureWebJobsStorage",
      "UseDevelopmentStorage=false",
      "sets UseDevelopmentStorage to something other than true",
    ],
    [
      "AzureWebJobsStorage",
      "DefaultEndpointsProtocol=https;AccountName=contoso;EndpointSuffix=core.windows.net",
      "has no AccountKey",
    ],
    ["AzureWebJobsStorage__tableServiceUri", "not a url", "is not an http(s) URL"],
  ])("exits 2 with one plain finding naming %s (%s) and the fix", async (setting, value, problem) => {
    const { code, stdout } = await doctorInProcess([], { [setting]: value });
    expect(code).toBe(2);
    expect(stdout).toContain(`Invalid setting ${setting}: the value ${problem}; set `);
    expect(stdout).toMatch(/^FAIL {2}settings .*\(settings_invalid\)$/m);
    expect(stdout).not.toMatch(/toLowerCase|Invalid URL|TypeError| at /);
    if (value !== "not a url") expect(stdout).not.toContain(value);
  });
});

describe("sspr-prepop doctor usage (in process)", () => {
  async function run(argv: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: string[] = [];
    const err: string[] = [];
    stdout.setEncoding("utf8").on("data", (chunk: string) => out.push(chunk));
    stderr.setEncoding("utf8").on("data", (chunk: string) => err.push(chunk));
    const code = await main(argv, { stdin: Readable.from([""]), stdout, stderr, env: {} });
    return { code, stdout: out.join(""), stderr: err.join("") };
  }

  it.each([
    [["doctor", "--app-url", "ftp://example.com"], "--app-url must be the app's http(s) address"],
    [["doctor", "extra"], "doctor takes no arguments"],
    [["doctor", "--verbose"], "unknown option --verbose. Options: --json, --app-url"],
  ])("exits 2 for %j", async (argv, message) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("documents the checks and the exit codes in --help, and is listed in the main help", async () => {
    const help = await run(["doctor", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      "Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error",
    );
    expect((await run(["--help"])).stdout).toContain("doctor ");
  });
});
