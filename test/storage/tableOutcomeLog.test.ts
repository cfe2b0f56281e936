import type { PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import type { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { outcomeTableRowOf } from "../../shared/storage/outcomeTableRowOf.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { useAzurite } from "../support/sharedAzurite.js";

// What the contract cannot see: how many requests each use costs, transactions at their limits, and the rows
// retention finds that the current layout never leaves (the first layout's, orphans). Fictional data only.

let azurite: RunningAzurite;
let tables = 0;
let table: TableClient;
let log: TableOutcomeLog;
let requests: string[];

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

beforeEach(async () => {
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  table = tableClient(settings, `OutcomeLayout${process.pid}x${++tables}`);
  requests = [];
  table.pipeline.addPolicy({
    name: "recordRequests",
    sendRequest: (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
      requests.push(
        `${request.method} ${new URL(request.url).pathname.endsWith("$batch") ? "$batch" : "entity"}`,
      );
      return next(request);
    },
  });
  log = new TableOutcomeLog(table);
  // The table exists before counting starts.
  await log.get("warm-up");
  requests = [];
});

let sequence = 0;
const userN = (n: number) => ({
  userId: `0000eeee-0000-4000-8000-${String(n).padStart(12, "0")}`,
  userPrincipalName: `person${n}@example.com`,
  employeeId: `E-${n}`,
});

function anOutcome(overrides: Partial<Outcome> = {}): Outcome {
  return {
    eventId: `layout-${process.pid}-${++sequence}`,
    status: "updated",
    source: "backfill",
    occurredAt: "2026-11-24T09:00:00.000Z",
    ...userN(1),
    fields: [
      { field: "mobilePhone", target: "profile", action: "set", reason: "was empty", after: "+1 425***0147" },
    ],
    errors: [],
    warnings: [],
    message: "updated: mobilePhone/profile set",
    attempts: 1,
    firstSeenAt: "2026-11-24T09:00:01.000Z",
    updatedAt: "2026-11-24T09:00:02.000Z",
    requestIds: [],
    actor: "backfill",
    ...overrides,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rowsOfTable() {
  const rows: Array<{ partitionKey: string; rowKey: string }> = [];
  for await (const row of table.listEntities())
    rows.push({ partitionKey: row.partitionKey ?? "", rowKey: row.rowKey ?? "" });
  return rows;
}

describe("TableOutcomeLog's cost in requests", () => {
  it("records an outcome without a lease in one transaction: its event row, an index row per user key and its attempt row", async () => {
    const outcome = anOutcome();
    await log.record(outcome);
    expect(requests).toEqual(["POST $batch"]);
    const rows = (await rowsOfTable()).map((row) => outcomeTableRowOf(row.partitionKey, row.rowKey));
    expect(rows).toHaveLength(5);
    expect(rows).toContainEqual({ kind: "event", eventId: outcome.eventId });
    expect(rows).toContainEqual({ kind: "attempt", eventId: outcome.eventId });
    expect(rows).toContainEqual({ kind: "index", eventId: outcome.eventId, user: "upn:person1@example.com" });
  });

  it("costs the queue path a read and a create to claim, and a read and one transaction to record", async () => {
    const outcome = anOutcome();
    const claim = await log.claim(outcome.eventId, 60_000, new Date());
    expect(requests).toEqual(["GET entity", "POST entity"]);
    requests = [];
    if (claim.state !== "claimed") throw new Error("not claimed");
    await log.record(outcome, claim.token);
    expect(requests).toEqual(["GET entity", "POST $batch"]);
  });

  it("records 250 outcomes of 250 users in a few transactions of at most 14 outcomes each", async () => {
    const outcomes = Array.from({ length: 250 }, (_, n) => anOutcome(userN(n)));
    expect((await log.recordMany(outcomes)).every((failure) => failure === undefined)).toBe(true);
    // 8 buckets, about 31 outcomes each: 3 transactions per bucket.
    expect(requests.every((request) => request === "POST $batch")).toBe(true);
    expect(requests.length).toBeLessThanOrEqual(8 * 3);
    for (const n of [0, 124, 249]) {
      const outcome = outcomes[n] as Outcome;
      expect(await log.get(outcome.eventId)).toEqual(outcome);
      expect(await log.listByUser({ kind: "employeeId", value: `E-${n}` }, 5)).toEqual([outcome]);
    }
  });

  it("records a rerun of 250 outcomes in as many transactions as the first run, reading nothing", async () => {
    const outcomes = Array.from({ length: 250 }, (_, n) => anOutcome(userN(n)));
    await log.recordMany(outcomes);
    const firstRun = requests.length;
    requests = [];
    const rerun = outcomes.map((outcome) => ({
      ...outcome,
      status: "unchanged" as const,
      firstSeenAt: "2026-11-25T09:00:00.000Z",
      updatedAt: "2026-11-25T09:00:00.000Z",
    }));
    expect((await log.recordMany(rerun)).every((failure) => failure === undefined)).toBe(true);
    expect(requests.every((request) => request === "POST $batch")).toBe(true);
    expect(requests.length).toBe(firstRun);
    const outcome = outcomes[7] as Outcome;
    expect(await log.get(outcome.eventId)).toEqual(rerun[7]);
    expect(await log.attemptsOf(outcome.eventId, 10)).toEqual([rerun[7], outcome]);
  });

  it("fails only the outcome the service refuses: its transaction is retried one outcome at a time", async () => {
    const outcomes = Array.from({ length: 20 }, (_, n) => anOutcome(userN(n)));
    // Over Table storage's 32K characters per string property: refused with 400, failing its whole transaction.
    const tooBig = anOutcome({ message: "x".repeat(40_000) });
    const results = await log.recordMany([...outcomes, tooBig]);
    expect(results.slice(0, 20)).toEqual(outcomes.map(() => undefined));
    expect(results[20]).toMatchObject({ statusCode: 400 });
    for (const outcome of outcomes) expect(await log.get(outcome.eventId)).toEqual(outcome);
    expect(await log.get(tooBig.eventId)).toBeUndefined();
  });

  it("lists a user's outcomes with one range query per bucket, newest first across buckets", async () => {
    const outcomes = Array.from({ length: 30 }, (_, n) =>
      anOutcome({ firstSeenAt: new Date(Date.parse("2026-11-01T00:00:00Z") + n * 60_000).toISOString() }),
    );
    await log.recordMany(outcomes);
    requests = [];
    const listed = await log.listByUser({ kind: "id", value: userN(1).userId }, 25);
    expect(listed).toEqual([...outcomes].reverse().slice(0, 25));
    expect(requests).toEqual(Array.from({ length: 8 }, () => "GET entity"));
  });
});

describe("TableOutcomeLog retention", () => {
  it("deletes the first layout's rows older than the cutoff, counting its events, and keeps users' last-applied times", async () => {
    const outcome = anOutcome();
    const json = JSON.stringify(outcome);
    const key = (value: string) => Buffer.from(value, "utf8").toString("base64url");
    // What the first layout wrote for one event: its own partition, and one partition per user key.
    await table.createEntity({
      partitionKey: `e_${key(outcome.eventId)}`,
      rowKey: "outcome",
      status: "updated",
      leaseUntil: 0,
      outcome: json,
    });
    await table.createEntity({
      partitionKey: `e_${key("layout-in-progress")}`,
      rowKey: "outcome",
      status: "processing",
      leaseUntil: 0,
    });
    for (const user of [
      "id:0000eeee-0000-4000-8000-000000000001",
      "upn:person1@example.com",
      "employeeId:e-1",
    ]) {
      await table.createEntity({
        partitionKey: `u_${key(user)}`,
        rowKey: `0000_${key(outcome.eventId)}`,
        status: "deferred",
        outcome: json,
      });
    }
    await log.markApplied(userN(1).userId, "2026-11-24T09:00:00.000Z");
    await sleep(50);

    expect(await log.deleteOlderThan(new Date(Date.now() + 1))).toBe(2);
    expect((await rowsOfTable()).map((row) => outcomeTableRowOf(row.partitionKey, row.rowKey))).toEqual([
      { kind: "state" },
    ]);
    expect(await log.lastAppliedAt(userN(1).userId)).toBe("2026-11-24T09:00:00.000Z");
  });

  it("deletes index rows whose event row is gone (nothing lists them under the user any more)", async () => {
    const outcome = anOutcome();
    await log.record(outcome);
    const eventRow = (await rowsOfTable()).find(
      (row) => outcomeTableRowOf(row.partitionKey, row.rowKey).kind === "event",
    );
    if (!eventRow) throw new Error("no event row");
    await table.deleteEntity(eventRow.partitionKey, eventRow.rowKey);
    await sleep(50);

    expect(await log.deleteOlderThan(new Date(Date.now() + 1))).toBe(0);
    expect(await rowsOfTable()).toEqual([]);
    expect(await log.listByUser({ kind: "upn", value: "person1@example.com" }, 10)).toEqual([]);
  });

  it("keeps the index rows of an event whose newer record still lists them", async () => {
    const outcome = anOutcome({ status: "deferred" });
    await log.record(outcome);
    await sleep(50);
    const cutoff = new Date();
    // A later claim touches the event row only: its index rows are older than the cutoff, and still its own.
    await log.claim(outcome.eventId, 60_000, new Date());
    expect(await log.deleteOlderThan(cutoff)).toBe(0);
    expect(await log.listByUser({ kind: "upn", value: "person1@example.com" }, 10)).toEqual([outcome]);
  });

  it("deletes more old events than one transaction holds", async () => {
    await log.recordMany(Array.from({ length: 150 }, (_, n) => anOutcome(userN(n))));
    await sleep(50);
    expect(await log.deleteOlderThan(new Date(Date.now() + 1))).toBe(150);
    expect(await rowsOfTable()).toEqual([]);
  });
});
