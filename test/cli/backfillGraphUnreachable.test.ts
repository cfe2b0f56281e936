import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { anyWriteDeployment, publishDeploymentPolicy } from "../support/deploymentPolicies.js";
import { runMain } from "../support/runCli.js";
import { useAzurite } from "../support/sharedAzurite.js";

let azurite: RunningAzurite;
let dir: string;
let input: string;
let closedPort: number;

beforeAll(async () => {
  azurite = await useAzurite();
  await publishDeploymentPolicy(azurite.connectionString, anyWriteDeployment);
  dir = await mkdtemp(join(tmpdir(), "sspr-unreachable-"));
  input = join(dir, "export.csv");
  await writeFile(input, "userPrincipalName,country,mobilePhone\nuser1@contoso.example,US,+1 4255550101\n");
  // A loopback port nobody listens on: bound, read, closed.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a backfill whose Graph does not answer", () => {
  it.each([
    ["a real run", []],
    ["a dry run", ["--dry-run"]],
  ])(
    "%s stops before the first row, exit 2, one line naming the fix, and leaves no file behind",
    async (_, extra) => {
      const report = join(dir, "result.csv");
      const run = await runMain(["backfill", input, "--report", report, ...extra], {
        GRAPH_BASE_URL: `http://127.0.0.1:${closedPort}/v1.0`,
        GRAPH_ACCESS_TOKEN: "a-static-token-for-a-graph-that-is-not-there",
        GRAPH_RETRY_DELAY_SECONDS: "0",
        AzureWebJobsStorage: azurite.connectionString,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        "sspr-prepop backfill: stopped before the first row: Graph is unavailable or did not answer in time; nothing was written or recorded. Check GRAPH_BASE_URL",
      );
      expect(run.stderr).not.toMatch(/\n\s+at |unexpected error|run the backfill again/);
      expect(run.stdout).toBe("");
      // No report of zero rows and no checkpoint: the next plain run starts clean.
      expect((await readdir(dir)).sort()).toEqual(["export.csv"]);
    },
  );
});
