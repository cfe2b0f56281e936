import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runBackfillCommand } from "../../cli/backfillCommand.js";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import {
  anyWriteDeployment,
  aPublishedPolicy,
  publishDeploymentPolicy,
} from "../support/deploymentPolicies.js";
import { aSeedUser, aTenant, roomyLimiter } from "../support/graphEmulatorFixtures.js";
import { aFakeCredential, aGraphToken, backfillScopes, testTenant } from "../support/graphTokens.js";
import { runCli, runMain } from "../support/runCli.js";
import { useAzurite } from "../support/sharedAzurite.js";

// The CLI against a tenant it must sign in to. The emulator plays Graph and accepts the token an admin's sign-in
// would carry; a stand-in `az` on PATH plays the Azure CLI (AzureCliCredential runs `az account get-access-token`),
// so the real credential runs and nothing leaves loopback. The first run is the real bin in a child process; the others
// run main() in this process, where the credential runs `az` with this process's environment (stubbed per run).
const admin = "it.admin@contoso.example";
const good = aGraphToken({ scp: backfillScopes, wids: ["Authentication Administrator"], upn: admin });
const withoutRoleReads = aGraphToken({
  scp: backfillScopes.filter((scope) => scope !== "RoleManagement.Read.Directory"),
  wids: ["Authentication Administrator"],
});

let emulator: GraphEmulator;
let azurite: RunningAzurite;
let dir: string;
let input: string;
let azLog: string;

beforeAll(async () => {
  emulator = await startGraphEmulator({ port: 0, tenant: aTenant(3), token: good });
  // The deployed app's storage account, where the CLI finds the app's policy.
  azurite = await useAzurite();
  await publishDeploymentPolicy(azurite.connectionString, anyWriteDeployment);
  dir = await mkdtemp(join(tmpdir(), "sspr-sign-in-"));
  input = join(dir, "export.csv");
  await writeFile(
    input,
    [
      "userPrincipalName,country,mobilePhone",
      ...[1, 2, 3].map((n) => `user${n}@contoso.example,US,+1 425555010${n}`),
    ].join("\n"),
  );
  azLog = join(dir, "az.log");
  // What `az account get-access-token --output json` prints, or what it says when nobody is signed in.
  await writeFile(
    join(dir, "az"),
    `#!/bin/sh
echo "$@" >> "$FAKE_AZ_LOG"
if [ -n "$FAKE_AZ_SIGNED_OUT" ]; then
  echo "ERROR: Please run 'az login' to setup account." >&2
  exit 1
fi
printf '{"accessToken":"%s","expiresOn":"2099-01-01 00:00:00.000000","expires_on":"4070908800","tokenType":"Bearer"}\\n' "$FAKE_AZ_TOKEN"
`,
  );
  await chmod(join(dir, "az"), 0o755);
});

afterAll(async () => {
  await Promise.all([emulator?.close(), azurite?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  emulator.tenant.reset();
  emulator.stats.reset();
  await writeFile(azLog, "");
});

/** The environment of an admin's shell: the stand-in az first on PATH, Graph at the emulator, no static token. */
function shell(extra: Record<string, string> = {}) {
  return {
    PATH: `${dir}${delimiter}${process.env.PATH ?? ""}`,
    GRAPH_BASE_URL: emulator.url,
    AzureWebJobsStorage: azurite.connectionString,
    FAKE_AZ_LOG: azLog,
    FAKE_AZ_TOKEN: good,
    ...extra,
  };
}

/** The CLI in this process, with `env` as its own and as the environment the credential's `az` inherits. */
async function inProcess(args: string[], env: Record<string, string>) {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  try {
    return await runMain(args, env);
  } finally {
    vi.unstubAllEnvs();
  }
}

const graphCalls = () => Object.values(emulator.stats.requests).reduce((sum, n) => sum + n, 0);

describe("signing in from an admin's workstation", () => {
  it("backfills with the admin's az login, in the tenant asked for, after checking the sign-in", async () => {
    const run = await runCli(
      ["backfill", input, "--auth", "cli", "--tenant", testTenant, "--no-outcomes"],
      shell(),
    );
    expect(run.stderr).toContain(`signed in (--auth cli, tenant ${testTenant}); Graph permissions checked`);
    expect(run.code).toBe(0);
    expect(await readFile(azLog, "utf8")).toContain(
      `account get-access-token --output json --resource ${new URL(emulator.url).origin} --tenant ${testTenant}`,
    );
    expect(emulator.stats.writesFor(aSeedUser(1).id, "mobilePhone")).toBe(1);
  });

  it("records the signed-in admin as the outcomes' actor (backfill:<account>), not just 'backfill'", async () => {
    const table = `SignedIn${process.pid}`;
    const run = await runCli(["backfill", input, "--auth", "cli", "--tenant", testTenant], {
      ...shell(),
      OUTCOMES_TABLE: table,
    });
    expect(run.code).toBe(0);
    const log = new TableOutcomeLog(
      tableClient(loadSettings({ AzureWebJobsStorage: azurite.connectionString }), table),
    );
    const recorded = await log.listByUser({ kind: "upn", value: "user1@contoso.example" }, 10);
    expect(recorded.map((outcome) => outcome.actor)).toEqual([`backfill:${admin}`]);
  });

  it("signs in as GRAPH_AUTH and AZURE_TENANT_ID say when no flag does", async () => {
    const run = await inProcess(
      ["report", "--out", join(dir, "r.html"), "--csv", join(dir, "r.csv")],
      shell({ GRAPH_AUTH: "cli", AZURE_TENANT_ID: testTenant }),
    );
    expect(run.code).toBe(0);
    expect(await readFile(azLog, "utf8")).toContain(`--tenant ${testTenant}`);
  });

  it("stops before the first row, exit 2, naming the missing delegated permission and the fix", async () => {
    const run = await inProcess(
      ["backfill", input, "--auth", "cli", "--no-outcomes"],
      shell({ FAKE_AZ_TOKEN: withoutRoleReads }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "sspr-prepop backfill: stopped before the first row: the sign-in (--auth cli) lacks the delegated Microsoft Graph permission RoleManagement.Read.Directory",
    );
    expect(run.stderr).toContain("--auth device-code --client-id");
    expect(run.stdout).toBe("");
    expect(graphCalls()).toBe(0);
  });

  it("stops with exit 2 and says to run az login when the Azure CLI is signed out, never 'transient'", async () => {
    const run = await inProcess(
      ["backfill", input, "--auth", "cli", "--no-outcomes"],
      shell({ FAKE_AZ_SIGNED_OUT: "1" }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "Cannot sign in to Microsoft Graph (--auth cli): no token for Microsoft Graph (CredentialUnavailableError: Please run 'az login'",
    );
    expect(run.stderr).not.toMatch(/transient|run the backfill again/);
    expect(graphCalls()).toBe(0);
  });
});

describe("the up-front check, in-process with a fake credential", () => {
  async function backfill(token: string, args: string[] = []) {
    const credential = aFakeCredential(token);
    const stderr = new PassThrough();
    let text = "";
    stderr.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
    });
    const result = runBackfillCommand(
      [input, "--no-outcomes", ...args],
      { stdin: Readable.from([]), stdout: new PassThrough(), stderr, env: { GRAPH_BASE_URL: emulator.url } },
      {
        limiter: roomyLimiter(),
        signIn: { mode: "device-code", credential, delegated: true },
        deploymentPolicy: await aPublishedPolicy(),
      },
    );
    return { result, credential, stderr: () => text };
  }

  it("refuses a real run to an admin who may only read, before any Graph call", async () => {
    const reader = aGraphToken({
      scp: [
        "User.Read.All",
        "RoleManagement.Read.Directory",
        "GroupMember.Read.All",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
      ],
      wids: ["Global Reader"],
    });
    const { result, credential } = await backfill(reader);
    await expect(result).rejects.toThrow(
      /lacks the delegated Microsoft Graph permission User-Phone\.ReadWrite\.All .* to write mobilePhone and businessPhones; User-Mail\.ReadWrite\.All .*\n? *the signed-in account holds none of the Entra roles that may change other users' profile phones and alternate email: User Administrator/s,
    );
    expect(credential.calls()).toBe(1);
    expect(graphCalls()).toBe(0);
  });
});
