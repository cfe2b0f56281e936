import { mkdirSync } from "node:fs";
import { inject } from "vitest";
import { type RunningAzurite, startAzurite } from "../../local/startAzurite.js";

/** What test/support/globalSetup.ts hands every test file: the run's Azurite and its storage accounts. */
export interface SharedAzurite {
  /** The connection string of Azurite's default account (devstoreaccount1); its endpoints give the ports. */
  connectionString: string;
  pid: number;
  /** Account names Azurite serves, one per test file (or per test environment) that asks. */
  accounts: string[];
  /** A directory where an account is claimed by creating a sub-directory of its name (mkdir is atomic). */
  claims: string;
}

// Azurite's well-known development key (not a secret), for every account: Azurite checks the shared-key
// signature against the account's key, so the SDK signs exactly as it does against devstoreaccount1.
const developmentKey =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * The accounts the shared Azurite serves: far more than there are test files that use storage (a file that
 * finds none left starts its own Azurite, as before). Names follow Azure's rule: 3–24 lowercase letters and digits.
 */
export function sharedAzuriteAccounts(count = 400): { name: string; key: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `sspr${String(i + 1).padStart(4, "0")}`,
    key: developmentKey,
  }));
}

/**
 * Storage for one test file (or one test environment): a storage account of its own on the run's Azurite, so
 * nothing another file writes (queues, outcome tables, webhook receipts, the write budget) is visible to it.
 * `stop()` gives nothing back: the account stays claimed until the run ends, so no later file reuses it.
 * Outside a run with the global setup, or when every account is taken, it starts a private Azurite instead.
 */
export async function useAzurite(): Promise<RunningAzurite> {
  const shared = sharedAzurite();
  const account = shared ? claimAccount(shared) : undefined;
  if (!shared || !account) return startAzurite();
  return {
    pid: shared.pid,
    connectionString: connectionStringFor(shared.connectionString, account),
    stop: async () => undefined,
  };
}

function sharedAzurite(): SharedAzurite | undefined {
  try {
    return inject("sharedAzurite");
  } catch {
    // Not inside a vitest worker with the global setup (a script importing the fixtures): no shared Azurite.
    return undefined;
  }
}

function claimAccount(shared: SharedAzurite): string | undefined {
  mkdirSync(shared.claims, { recursive: true });
  for (const name of shared.accounts) {
    try {
      mkdirSync(`${shared.claims}/${name}`);
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return undefined;
}

/** devstoreaccount1's connection string with its account name (and the account in each endpoint's path) swapped. */
function connectionStringFor(connectionString: string, account: string): string {
  return connectionString
    .replace(/AccountName=[^;]+/, `AccountName=${account}`)
    .replace(/(Endpoint=http:\/\/[^/;]+\/)[^;]+/g, `$1${account}`);
}
