import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startAzurite } from "../../local/startAzurite.js";
import { type SharedAzurite, sharedAzuriteAccounts } from "./sharedAzurite.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's one Azurite: each test file claims its own storage account on it (test/support/sharedAzurite.ts). */
    sharedAzurite: SharedAzurite;
    /** A directory that lives as long as the run, for what test files build once and share (the transpiled CLI). */
    runDir: string;
  }
}

/**
 * Runs once per `vitest run`, in the main process, before any test file. Starting Azurite costs ~1 s of CPU and
 * ~2 s of wall time; once per run instead of once per file. Isolation stays per file: Azurite keeps each storage
 * account apart (its own queues and tables), and every file takes an account no other file of the run has, so
 * even the fixed-name tables (WebhookReceipts, GraphWriteBudget) are the file's own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runDir = await mkdtemp(join(tmpdir(), "sspr-test-run-"));
  const accounts = sharedAzuriteAccounts();
  const azurite = await startAzurite({
    // Azurite serves exactly the accounts this variable names (format `name:key;name:key`).
    env: { AZURITE_ACCOUNTS: accounts.map(({ name, key }) => `${name}:${key}`).join(";") },
  });
  project.provide("sharedAzurite", {
    connectionString: azurite.connectionString,
    pid: azurite.pid,
    accounts: accounts.map(({ name }) => name),
    claims: join(runDir, "azurite-accounts"),
  });
  project.provide("runDir", runDir);
  return async () => {
    await azurite.stop();
    await rm(runDir, { recursive: true, force: true });
  };
}
