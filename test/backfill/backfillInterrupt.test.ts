import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { backfillCheckpointPath } from "../../shared/backfill/backfillCheckpoint.js";
import { publishDeploymentPolicy } from "../support/deploymentPolicies.js";
import { aSeedUser, aTenant } from "../support/graphEmulatorFixtures.js";
import { useAzurite } from "../support/sharedAzurite.js";
import { sharedTranspiledCli } from "../support/transpiledCli.js";

// The real bin in a child process (transpiled as `npm run build` does, once per test run), stopped with a real SIGINT,
// as an admin's Ctrl-C would.
const repo = fileURLToPath(new URL("../..", import.meta.url));
const userCount = 2000;

let emulator: GraphEmulator;
let azurite: RunningAzurite;
let dir: string;
let input: string;

beforeAll(async () => {
  // 100 ms per request: slow enough that Ctrl-C lands mid-run, with 2,000 users still only a few seconds.
  emulator = await startGraphEmulator({ port: 0, tenant: aTenant(userCount), latencyMs: 100 });
  // Storage only for the deployed app's policy (the runs record no outcomes): a real run refuses without it.
  azurite = await useAzurite();
  await publishDeploymentPolicy(azurite.connectionString);
  dir = await mkdtemp(join(tmpdir(), "sspr-backfill-sigint-"));
  input = join(dir, "export.csv");
  const rows = ["userPrincipalName,country,mobilePhone"];
  for (let n = 1; n <= userCount; n++) rows.push(`user${n}@contoso.example,US,+1 4255550${100 + (n % 100)}`);
  await writeFile(input, `${rows.join("\n")}\n`);
});

afterAll(async () => {
  await Promise.all([emulator?.close(), azurite?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

async function runBin(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void) {
  const bin = await sharedTranspiledCli();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GRAPH_BASE_URL: emulator.url,
    GRAPH_ACCESS_TOKEN: emulator.token,
    AzureWebJobsStorage: azurite.connectionString,
  };
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repo,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
    onStart?.(child);
  });
}

/**
 * Mobile-phone PATCHes the tenant applied. Batch items are counted per attempt, and the privilege reads' resource
 * units can get a burst of items answered 429 and resent, so attempts may exceed applied writes.
 */
const appliedWrites = () =>
  Object.values(emulator.stats.writes).reduce((n, byProperty) => n + (byProperty.mobilePhone ?? 0), 0);

describe("Ctrl-C during sspr-prepop backfill", () => {
  it("finishes the batches in flight, saves the checkpoint, exits 3; --resume does the rest once", async () => {
    const report = join(dir, "result.csv");
    const checkpoint = backfillCheckpointPath(input);
    const first = await runBin(["backfill", input, "--report", report, "--no-outcomes"], (child) => {
      // The first checkpoint (after 1,000 rows or 2 s, whichever comes first) says the run is under way:
      // interrupt it then.
      const poll = setInterval(() => {
        if (existsSync(checkpoint)) {
          clearInterval(poll);
          child.kill("SIGINT");
        }
      }, 20);
      child.on("close", () => clearInterval(poll));
    });
    // Answered at once, with what is left to do, then said again when saved.
    // The estimate reads "1m17s" past a minute: with storage configured (for the app's policy) the write budget
    // is leased from the account's shared bucket, slower to hand out on a loaded machine.
    expect(first.stderr).toMatch(
      /interrupted: finishing [\d,]+ in-flight rows \(about (?:\d+m)?\d+s\), then saving the checkpoint/,
    );
    expect(first.stderr).toMatch(/interrupted: saved; every row through line \d+ is finished/);
    expect(first.code).toBe(3);
    const saved = JSON.parse(await readFile(checkpoint, "utf8"));
    expect(saved.totals.rows).toBeGreaterThan(0);
    expect(saved.totals.rows).toBeLessThan(userCount);
    // Every row the checkpoint calls done is in the report, and nothing beyond it.
    const reported = (await readFile(report, "utf8")).trim().split("\n").slice(1);
    expect(reported).toHaveLength(saved.totals.rows);
    expect(reported.at(-1)?.startsWith(`${saved.doneThroughLine},`)).toBe(true);
    // Writes still waiting for budget at the stop were not sent: their rows, and every row after the first of them,
    // are left for --resume. Rows after it whose writes had gone out (write turns don't follow input order exactly)
    // are read again by the resumed run and found already right: written once all the same.
    const writtenBefore = appliedWrites();
    expect(writtenBefore).toBeGreaterThanOrEqual(saved.totals.rows);
    expect(writtenBefore).toBeLessThan(userCount);

    const second = await runBin(["backfill", input, "--report", report, "--no-outcomes", "--resume"]);
    expect(second.stderr).toContain(
      `resuming ${input} after line ${saved.doneThroughLine.toLocaleString("en-US")}: ${saved.totals.rows.toLocaleString("en-US")} rows were finished by the interrupted run`,
    );
    expect(second.code).toBe(0);
    expect(appliedWrites()).toBe(userCount);
    for (let n = 1; n <= userCount; n += 97) expect(emulator.stats.writesFor(aSeedUser(n).id)).toBe(1);
    expect((await readFile(report, "utf8")).trim().split("\n")).toHaveLength(userCount + 1);
    expect(existsSync(checkpoint)).toBe(false);
  }, 30_000);
});
