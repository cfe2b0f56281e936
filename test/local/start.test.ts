import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runMain } from "../support/runCli.js";

const run = promisify(execFile);
// Free ports everywhere: a developer's own npm start (on the stable defaults) may be running beside the tests.
/** Free ports, and the second shell's exports written to a temporary file, not the developer's own. */
const freePorts = {
  PORT: "0",
  LOCAL_STORAGE_PORT: "0",
  GRAPH_EMULATOR_PORT: "0",
  LOCAL_ENV_FILE: join(tmpdir(), `sspr-local-${process.pid}.env`),
};

describe("npm start", () => {
  it("processes the sample new hires on embedded emulators and prints each outcome", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...freePorts };
    delete env.AzureWebJobsStorage;
    delete env.GRAPH_BASE_URL;
    delete env.GRAPH_ACCESS_TOKEN;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "local/start.ts", "--once"], {
      env,
      timeout: 60_000,
    });
    // The README's Quick start shows this very table: a fresh run must print it line for line (times aside).
    expect(outcomeTableOf(stdout)).toEqual(readmeQuickStartTable());
    // dana is an administrator whose account is years old: an HR event never reaches her (not_a_new_hire);
    // noor is a new hire and PIM-eligible Helpdesk Administrator: privileged_account; oliver is a new hire synced
    // from AD, whose phones only AD may change: synced_from_ad.
    expect(stdout).toMatch(/^hire-2026-11-24-0003 .*mobilePhone\/profile skipped \(synced_from_ad\)/m);
    expect(stdout).toMatch(/^hire-2026-11-24-0008 .*alternateEmail\/profile skipped \(not_a_new_hire\)/m);
    expect(stdout).toMatch(/^hire-2026-11-24-0010 .*mobilePhone\/profile skipped \(privileged_account\)/m);
    // Personal data appears masked only.
    expect(stdout).not.toMatch(/4255550147|mei\.chen@example\.org/);
    expect(stdout).toContain("+1 ***147");
    // The run's counters, as Application Insights would receive them: statuses and codes, never a user.
    const metrics = stdout.slice(stdout.indexOf("metrics of this run"));
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=updated code=none +3$/m);
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=skipped code=not_a_new_hire +1$/m);
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=skipped code=privileged_account +1$/m);
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=rejected code=email_placeholder +1$/m);
    expect(metrics).toMatch(/^ {2}sspr\.write_budget\.tokens +3$/m);
    expect(metrics).not.toMatch(/@|\*\*\*|contoso/);
  }, 90_000);
});

/** The outcome table `npm start` prints (header, rule, one row per event), each time stamp as `…`. */
function outcomeTableOf(stdout: string): string[] {
  const lines = stdout.split("\n");
  const first = lines.findIndex((line) => line.startsWith("event "));
  const rows = lines.slice(first).filter((line, i) => i < 2 || line.startsWith("hire-"));
  return rows.slice(0, 12).map((line) => line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "…").trimEnd());
}

/** The first code block after the README's "prints each outcome" sentence: the Quick start's outcome table. */
function readmeQuickStartTable(): string[] {
  const readme = readFileSync("README.md", "utf8");
  const after = readme.slice(readme.indexOf("prints each outcome, values masked:"));
  const block = /```\n([\s\S]*?)\n```/.exec(after)?.[1] ?? "";
  return block.split("\n").map((line) => line.trimEnd());
}

describe("npm start stopped with Ctrl-C while serving", () => {
  it("prints the run's counters, then stops everything and exits 0 (a stop asked for is no failure)", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...freePorts };
    delete env.AzureWebJobsStorage;
    delete env.GRAPH_BASE_URL;
    delete env.GRAPH_ACCESS_TOKEN;
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], { env });
    let stdout = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        if (stdout.includes("Press Ctrl-C to stop")) resolve();
      });
      child.on("exit", () => reject(new Error(`npm start ended before serving:\n${stdout}`)));
    });
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const afterStop = stdout.slice(stdout.indexOf("stopping (Ctrl-C again to quit now)…"));
    expect(afterStop).toContain("metrics of this run (in memory; in Azure they go to Application Insights");
    expect(afterStop).toMatch(/^ {2}sspr\.outcomes +status=updated code=none +3$/m);
    expect(afterStop).toMatch(/^ {2}sspr\.write_budget\.wait +\d+ waits, \d+ ms in all$/m);
  }, 90_000);
});

describe("npm start, then sspr-prepop backfill in a second shell", () => {
  it("prints every export the second shell needs, and the backfill there applies the policy npm start published", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...freePorts };
    delete env.AzureWebJobsStorage;
    delete env.GRAPH_BASE_URL;
    delete env.GRAPH_ACCESS_TOKEN;
    delete env.PROTECTED_GROUP_IDS;
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], { env });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const dir = await mkdtemp(join(tmpdir(), "sspr-second-shell-"));
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        let text = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
          if (text.includes("then check it: sspr-prepop doctor")) resolve(text);
        });
        child.on("exit", () => reject(new Error(`npm start ended before serving:\n${text}`)));
      });
      expect(stdout).toMatch(/^policy {4}published the deployment policy for the CLI at /m);
      // The second shell: exactly the bash exports npm start printed, nothing of this process's environment.
      const exports = Object.fromEntries(
        [...stdout.matchAll(/^ {2}export (\w+)='([^']*)'$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]),
      );
      expect(Object.keys(exports).sort()).toEqual([
        "AzureWebJobsStorage",
        "GRAPH_ACCESS_TOKEN",
        "GRAPH_BASE_URL",
        "ORGANIZATION_DOMAINS",
      ]);
      expect(exports).not.toHaveProperty("PROTECTED_GROUP_IDS");
      const input = join(dir, "export.csv");
      // Zoe is a member of the demo tenant's Tier 0 Accounts group, which only npm start's settings protect.
      await writeFile(
        input,
        "eventId,userPrincipalName,country,mobilePhone\nshell-1,zoe.martin@contoso.example,US,(425) 555-0163\n",
      );
      const run = await runMain(["backfill", input, "--no-outcomes"], exports);
      expect(run.stderr).toMatch(
        /^sspr-prepop backfill: policy: the stricter of the deployed app's \(published /m,
      );
      expect(run.stdout).toMatch(/,zoe\.martin@contoso\.example,skipped,.*mobilePhone:privileged_account/);
    } finally {
      child.kill("SIGINT");
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("npm start stopped during the sample phase", () => {
  /** Starts `npm start` and resolves once it is enqueuing the samples, with its and Azurite's pids. */
  function startUntilSamples() {
    const env: NodeJS.ProcessEnv = { ...process.env, ...freePorts };
    delete env.AzureWebJobsStorage;
    delete env.GRAPH_BASE_URL;
    delete env.GRAPH_ACCESS_TOKEN;
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], { env });
    let stdout = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    const sampling = new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        const azurite = /Azurite \(in memory, loopback, pid (\d+)\)/.exec(stdout);
        if (azurite && stdout.includes("enqueued")) resolve(Number(azurite[1]));
      });
      child.on("exit", () => reject(new Error(`npm start ended before the samples:\n${stdout}`)));
    });
    return { child, sampling, exited, output: () => stdout };
  }

  it("stops Azurite and exits 143 on SIGTERM", async () => {
    const run = startUntilSamples();
    const azuritePid = await run.sampling;
    expect(isRunning(azuritePid)).toBe(true);
    run.child.kill("SIGTERM");
    expect(await run.exited).toEqual({ code: 143, signal: null });
    expect(run.output()).toContain("stopping (Ctrl-C again to quit now)…");
    await expectGone(azuritePid);
  }, 90_000);

  it("on Ctrl-C drains or abandons the work in hand within seconds, quietly, stops Azurite and exits 0", async () => {
    const run = startUntilSamples();
    const azuritePid = await run.sampling;
    const asked = Date.now();
    run.child.kill("SIGINT");
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - asked).toBeLessThan(8_000);
    expect(run.output()).toContain("stopping (Ctrl-C again to quit now)…");
    expect(run.output()).not.toMatch(/ECONNREFUSED|failed|WARNING/);
    await expectGone(azuritePid);
  }, 90_000);

  it("leaves no Azurite behind even when killed with SIGKILL, which it cannot handle", async () => {
    const run = startUntilSamples();
    const azuritePid = await run.sampling;
    run.child.kill("SIGKILL");
    await run.exited;
    await expectGone(azuritePid);
  }, 90_000);
});

describe("npm start refused before anything starts", () => {
  it.each([
    [
      "the host's port in use",
      { PORT: "<taken>" },
      /^npm start: port \d+ \(the local Functions host\) is in use \(another npm start\?\): stop it, or set PORT to another port/m,
    ],
    [
      "Azurite's port in use",
      { LOCAL_STORAGE_PORT: "<taken>" },
      /^npm start: port \d+ \(Azurite\) is in use \(another npm start\?\): stop it, or set LOCAL_STORAGE_PORT to another port/m,
    ],
    [
      "the emulated tenant's port in use",
      { GRAPH_EMULATOR_PORT: "<taken>" },
      /^npm start: port \d+ \(the emulated tenant\) is in use \(another npm start\?\): stop it, or set GRAPH_EMULATOR_PORT to another port/m,
    ],
    [
      "an unknown LOCAL_CALLER_ROLES",
      { LOCAL_CALLER_ROLES: "owner" },
      /^npm start: LOCAL_CALLER_ROLES must be reader, admin, reader,admin or none, not owner$/m,
    ],
    ["a bad setting", { CONTACT_MODE: "sometimes" }, /^npm start: settings: .*CONTACT_MODE/m],
    [
      "a stale export",
      { AzureWebJobsStorage: "<dead>" },
      /^npm start: AzureWebJobsStorage points at 127\.0\.0\.1:\d+, where nothing listens \(a stale export/m,
    ],
  ])(
    "%s: one line naming the fix, exit code 2, no stack",
    async (_case, set, line) => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      const port = (taken.address() as AddressInfo).port;
      const env: NodeJS.ProcessEnv = { ...process.env, ...freePorts };
      delete env.AzureWebJobsStorage;
      delete env.GRAPH_BASE_URL;
      delete env.GRAPH_ACCESS_TOKEN;
      for (const [name, value] of Object.entries(set))
        env[name] = value === "<taken>" ? String(port) : value === "<dead>" ? deadStorage : value;
      const done = await run(process.execPath, ["--import", "tsx", "local/start.ts", "--once"], {
        env,
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stdout: "", stderr: "" }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      taken.close();
      expect(done.code).toBe(2);
      expect(done.stderr).toMatch(line);
      expect(done.stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
      // Every port and setting is checked first: each refusal comes before Azurite starts.
      expect(done.stdout).not.toContain("Azurite");
    },
    90_000,
  );
});

// The connection string of a stopped npm start: Azurite's key, a loopback port nothing listens on.
const deadStorage =
  "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;";

/** Whether a process runs (a zombie no parent has reaped yet counts as gone). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return process.platform !== "linux";
  }
}

async function expectGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(pid)) process.kill(pid, "SIGKILL");
  expect(isRunning(pid)).toBe(false);
}
