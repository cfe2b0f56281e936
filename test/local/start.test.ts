import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runMain } from "../support/runCli.js";

const run = promisify(execFile);

describe("npm start", () => {
  it("processes the sample new hires on embedded emulators and prints each outcome", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0" };
    delete env.AzureWebJobsStorage;
    delete env.GRAPH_BASE_URL;
    delete env.GRAPH_ACCESS_TOKEN;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "local/start.ts", "--once"], {
      env,
      timeout: 60_000,
    });
    const statusOf = (eventId: string) => new RegExp(`^${eventId}\\s+\\S+\\s+(\\w+)`, "m").exec(stdout)?.[1];
    expect(
      Object.fromEntries(
        ["0001", "0002", "0003", "0005", "0006", "0007", "0008", "0010"].map((n) => [
          n,
          statusOf(`hire-2026-11-24-${n}`),
        ]),
      ),
    ).toEqual({
      "0001": "updated",
      "0002": "updated",
      "0003": "skipped",
      "0005": "deferred",
      "0006": "rejected",
      "0007": "rejected",
      // dana is an administrator whose account is years old: an HR event never reaches her (not_a_new_hire).
      "0008": "skipped",
      // noor is a new hire and PIM-eligible Helpdesk Administrator: privileged_account.
      "0010": "skipped",
    });
    // The Global Administrator's account is years old: HR events never reach her. The PIM-eligible Helpdesk
    // Administrator is a new hire, and still never written.
    expect(stdout).toMatch(/^hire-2026-11-24-0008 .*alternateEmail\/profile skipped \(not_a_new_hire\)/m);
    expect(stdout).toMatch(/^hire-2026-11-24-0010 .*mobilePhone\/profile skipped \(privileged_account\)/m);
    // Personal data appears masked only.
    expect(stdout).not.toMatch(/4255550147|mei\.chen@example\.org/);
    expect(stdout).toContain("+1 ***147");
    // The run's counters, as Application Insights would receive them: statuses and codes, never a user.
    const metrics = stdout.slice(stdout.indexOf("metrics of this run"));
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=updated code=none +2$/m);
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=skipped code=not_a_new_hire +3$/m);
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=skipped code=privileged_account +1$/m);
    expect(metrics).toMatch(/^ {2}sspr\.outcomes +status=rejected code=email_placeholder +1$/m);
    expect(metrics).toMatch(/^ {2}sspr\.write_budget\.tokens +2$/m);
    expect(metrics).not.toMatch(/@|\*\*\*|contoso/);
  }, 90_000);
});

describe("npm start stopped with Ctrl-C while serving", () => {
  it("prints the run's counters, then stops everything and exits 130", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0" };
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
    expect(await exited).toBe(130);
    const afterStop = stdout.slice(stdout.indexOf("stopping…"));
    expect(afterStop).toContain("metrics of this run (in memory; in Azure they go to Application Insights");
    expect(afterStop).toMatch(/^ {2}sspr\.outcomes +status=updated code=none +2$/m);
    expect(afterStop).toMatch(/^ {2}sspr\.write_budget\.wait +\d+ waits, \d+ ms in all$/m);
  }, 90_000);
});

describe("npm start, then sspr-prepop backfill in a second shell", () => {
  it("prints every export the second shell needs, and the backfill there applies the policy npm start published", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0" };
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
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0" };
    delete env.AzureWebJobsStorage;
    delete env.GRAPH_BASE_URL;
    delete env.GRAPH_ACCESS_TOKEN;
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], { env });
    let stdout = "";
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
    expect(run.output()).toContain("stopping…");
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
