import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackfillCommand } from "../../cli/backfillCommand.js";
import { anyWriteDeployment, publishDeploymentPolicy } from "../support/deploymentPolicies.js";
import { aSeedUser, roomyLimiter } from "../support/graphEmulatorFixtures.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The event-source guards on the bulk path, tried with a JSONL export an attacker (or a bad join) produced.

const plain = aSeedUser(1);
const other = aSeedUser(2);
const registered = aSeedUser(3, {
  authentication: { phoneMethods: [{ phoneType: "mobile", phoneNumber: "+1 4255550100" }] },
});

let env: TestEnvironment;
let dir: string;

beforeAll(async () => {
  env = await startTestEnvironment({ graph: { tenant: { users: [plain, other, registered] } } });
  await publishDeploymentPolicy(env.azurite.connectionString, anyWriteDeployment);
  dir = await mkdtemp(join(tmpdir(), "sspr-backfill-guards-"));
});
afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

const event = (n: number, user: Record<string, string>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventId: `guard-${n}`,
    source: "hr-export",
    occurredAt: "2026-11-01T09:00:00Z",
    user,
    country: "US",
    contact: { mobilePhone: "(425) 555-0147" },
    ...extra,
  });

async function backfill(lines: string[], args: string[] = []): Promise<Record<string, string>[]> {
  const input = join(dir, `export-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(input, `${lines.join("\n")}\n`);
  const stdout = new PassThrough();
  let text = "";
  stdout.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  await runBackfillCommand(
    [input, "--no-outcomes", ...args],
    { stdin: Readable.from([]), stdout, stderr: new PassThrough(), env: { ...process.env } },
    { limiter: roomyLimiter() },
  );
  const [header = "", ...rows] = text.trim().split("\n");
  const names = header.split(",");
  return rows.map((row) => Object.fromEntries(row.split(",").map((cell, i) => [names[i] ?? i, cell])));
}

const writes = () =>
  Object.entries(env.graph.stats.batchItems)
    .filter(([operation]) => !operation.startsWith("GET"))
    .reduce((sum, [, count]) => sum + count, 0);

describe("sspr-prepop backfill guards", () => {
  it("rejects a row whose UPN and employeeId name two different users, writing nothing", async () => {
    env.graph.tenant.reset();
    env.graph.stats.reset();
    const [row] = await backfill([
      event(1, { userPrincipalName: plain.userPrincipalName, employeeId: "T2" }),
    ]);
    expect(row).toMatchObject({ status: "rejected", reasons: "user.employeeId:identity_mismatch" });
    expect(writes()).toBe(0);
  });

  it("rejects a row dated in the future, writing nothing", async () => {
    env.graph.tenant.reset();
    env.graph.stats.reset();
    const [row] = await backfill([
      event(2, { userPrincipalName: plain.userPrincipalName }, { occurredAt: "2999-01-01T00:00:00Z" }),
    ]);
    expect(row).toMatchObject({ status: "rejected", reasons: "occurredAt:occurred_at_in_future" });
    expect(writes()).toBe(0);
  });

  it("keeps a user's own phone method even with --mode overwrite --target methods", async () => {
    env.graph.tenant.reset();
    env.graph.stats.reset();
    const [row] = await backfill(
      [event(3, { userPrincipalName: registered.userPrincipalName })],
      ["--mode", "overwrite", "--target", "methods"],
    );
    expect(row).toMatchObject({ status: "skipped", reasons: "mobilePhone:user_registered_methods" });
    expect(env.graph.tenant.user(registered.id)?.phoneMethods.mobile).toBe("+1 4255550100");
    expect(writes()).toBe(0);
  });
});
