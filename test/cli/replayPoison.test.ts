import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { runCli, runMain } from "../support/runCli.js";
import { useAzurite } from "../support/sharedAzurite.js";

// After a fix, an admin puts the poison queue's messages back, against Azurite: the dry run through the real bin in
// a child process, the other runs through the same main() in this process.
let azurite: RunningAzurite;
let queueName: string;
let runs = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());
beforeEach(() => {
  queueName = `onboarding${process.pid}x${++runs}`;
});

const settings = () => loadSettings({ AzureWebJobsStorage: azurite.connectionString });
const env = () => ({
  AzureWebJobsStorage: azurite.connectionString,
  ONBOARDING_QUEUE: queueName,
  OUTCOMES_TABLE: `${queueName}Outcomes`,
});
const outcomes = () => new TableOutcomeLog(tableClient(settings(), `${queueName}Outcomes`));

/** The record an event's last attempt leaves when it gives up. */
function gaveUp(eventId: string, status: Outcome["status"] = "failed"): Outcome {
  return {
    eventId,
    status,
    source: "hr-events",
    userPrincipalName: "avery.lee@contoso.example",
    fields: [],
    errors: [],
    warnings: [],
    message: status === "failed" ? "gave up after 5 attempts: Graph is unavailable" : status,
    attempts: 5,
    firstSeenAt: "2026-11-24T09:00:00.000Z",
    updatedAt: "2026-11-24T09:30:00.000Z",
    requestIds: [],
    actor: "webhook:hr/events#k1",
  };
}

/** What the host leaves on the poison queue: the messages as the app sent them (base64 JSON). */
async function poisoned(eventIds: string[]): Promise<string[]> {
  const poison = queueClient(settings(), `${queueName}-poison`);
  await poison.createIfNotExists();
  const texts = eventIds.map((eventId) =>
    Buffer.from(JSON.stringify({ eventId, contact: { mobilePhone: "+1 4255550147" } })).toString("base64"),
  );
  for (const text of texts) await poison.sendMessage(text);
  return texts;
}

async function textsOn(name: string): Promise<string[]> {
  const queue = queueClient(settings(), name);
  if (!(await queue.exists())) return [];
  const peeked = await queue.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => m.messageText).sort();
}

describe("sspr-prepop replay-poison", () => {
  it("lists the poisoned events in a dry run and moves nothing", async () => {
    const texts = await poisoned(["ev-1", "ev-2", "ev-3"]);
    const run = await runCli(["replay-poison", "--dry-run"], env());
    expect(run.code).toBe(0);
    expect(
      run.stdout
        .trim()
        .split("\n")
        .map((line) => line.split("  ")[1]),
    ).toEqual(["event ev-1", "event ev-2", "event ev-3"]);
    expect(run.stderr).toContain(`DRY RUN, nothing moved: 3 message(s) on ${queueName}-poison`);
    // Never the body: it holds contact data.
    expect(run.stdout + run.stderr).not.toContain("4255550147");
    expect(await textsOn(`${queueName}-poison`)).toEqual([...texts].sort());
    expect(await textsOn(queueName)).toEqual([]);
  });

  it("puts every message back on the main queue unchanged and empties the poison queue", async () => {
    const texts = await poisoned(["ev-1", "ev-2", "ev-3"]);
    const run = await runMain(["replay-poison"], env());
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`3 message(s) moved from ${queueName}-poison to ${queueName}`);
    expect(await textsOn(queueName)).toEqual([...texts].sort());
    expect(await textsOn(`${queueName}-poison`)).toEqual([]);
  });

  it("reopens an event whose last attempt gave up, so its message is processed again; leaves a finished one alone", async () => {
    await outcomes().record(gaveUp("ev-1"));
    await outcomes().record(gaveUp("ev-2", "updated"));
    await poisoned(["ev-1", "ev-2"]);

    const dry = await runMain(["replay-poison", "--dry-run"], env());
    expect(dry.stdout).toContain("event ev-1");
    expect(dry.stdout).toContain("(its last attempt gave up: would be reopened and processed again)");
    expect(dry.stdout).toContain("(already updated: a duplicate, nothing is written)");
    expect(await outcomes().get("ev-1")).toMatchObject({ status: "failed" });

    const run = await runMain(["replay-poison"], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("(its last attempt gave up: reopened, processed again)");
    expect(await outcomes().get("ev-1")).toMatchObject({ status: "deferred", actor: "replay-poison" });
    expect((await outcomes().attemptsOf("ev-1", 10)).map((o) => o.status)).toEqual(["deferred", "failed"]);
    expect(await outcomes().get("ev-2")).toMatchObject({ status: "updated" });
  });

  it("moves at most --max messages", async () => {
    await poisoned(["ev-1", "ev-2", "ev-3"]);
    const run = await runMain(["replay-poison", "--max", "2"], env());
    expect(run.code).toBe(0);
    expect(await textsOn(queueName)).toHaveLength(2);
    expect(await textsOn(`${queueName}-poison`)).toHaveLength(1);
  });

  it("says there is nothing to replay when no message was poisoned", async () => {
    const run = await runMain(["replay-poison"], env());
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("0 message(s) moved");
  });

  it.each([
    [
      "a bad --max",
      ["replay-poison", "--max", "none"],
      {},
      '--max must be a whole number of 1 or more, not "none"',
    ],
    [
      "no storage",
      ["replay-poison"],
      { AzureWebJobsStorage: "" },
      "Storage is not configured: set AzureWebJobsStorage",
    ],
  ])("exits 2 with one clear line for %s", async (_, args, extra, message) => {
    const run = await runMain(args, { ...env(), ...extra });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
