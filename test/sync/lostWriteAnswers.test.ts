import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appServices } from "../../shared/app/appServices.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";
import type { Directory } from "../../shared/directory/directory.js";
import { type OutcomeTableRow, outcomeTableRowOf } from "../../shared/storage/outcomeTableRowOf.js";
import type { FieldAction, FieldOutcome, Outcome } from "../../shared/sync/outcome.js";
import { confirmEarlierWrites, syncContactEvent } from "../../shared/sync/syncContactEvent.js";
import { deliverToQueue } from "../support/deliverToQueue.js";
import { eventFor } from "../support/factories.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The emulator draws once per applied write when timeoutAfterWriteRate > 0: 0 answers 504 (after applying), 1 not.
const draws: number[] = [];
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant(), random: () => draws.shift() ?? 1 },
    env: { GRAPH_RETRY_DELAY_SECONDS: "0" },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.graph.setFaults({ unavailableRate: 0, timeoutAfterWriteRate: 0.5 });
  env.isolate();
  env.graph.stats.reset();
  draws.length = 0;
});

const deliver = (message: Record<string, unknown>, dequeueCount: number) =>
  deliverToQueue(message, { dequeueCount });

const fieldsOf = (outcome: Outcome | undefined) =>
  outcome?.fields.map((f) => `${f.field}/${f.target} ${f.action}`);

describe("a write whose answer is lost (504 after Graph applied it)", () => {
  it("is not resent: the retry re-reads the user, writes nothing, and records the fields as written", async () => {
    const event = eventFor(users.newHire, {
      mobilePhone: "(425) 555-0147",
      alternateEmail: "new.hire@example.com",
    });
    draws.push(0);
    await expect(deliver(event, 1)).rejects.toThrow(/504/);
    const retried = await deliver(event, 2);

    expect(retried?.status).toBe("updated");
    expect(fieldsOf(retried)).toEqual(["mobilePhone/profile set", "alternateEmail/profile set"]);
    expect(retried?.fields[0]?.reason).toContain("confirmed on retry");
    expect(retried?.fields[0]?.after).toBe("+1 ***147");
    expect(env.graph.stats.requests["PATCH user"]).toBe(1);
    expect(env.graph.stats.writesFor(users.newHire.id, "mobilePhone")).toBe(1);
    expect(env.graph.tenant.user(users.newHire.id)?.mobilePhone).toBe("+1 4255550147");
  });

  it("finds a created authentication method by re-reading the methods, never by POSTing it again", async () => {
    env.configure({ CONTACT_TARGET: "methods" });
    const event = eventFor(users.newHire, {
      mobilePhone: "(425) 555-0147",
      alternateEmail: "new.hire@example.com",
    });
    // The phone method is created and answered; the email method is created and its answer lost.
    draws.push(1, 0);
    await expect(deliver(event, 1)).rejects.toThrow(/504/);
    const retried = await deliver(event, 2);

    expect(retried?.status).toBe("updated");
    expect(fieldsOf(retried)).toEqual(["mobilePhone/methods set", "alternateEmail/methods set"]);
    expect(retried?.fields.every((f) => f.reason.includes("confirmed on retry"))).toBe(true);
    expect(env.graph.stats.requests).toMatchObject({ "POST phoneMethods": 1, "POST emailMethods": 1 });
    expect(env.graph.stats.batchItems["GET authMethods"]).toBe(2);
    expect(env.graph.tenant.user(users.newHire.id)?.emailMethod).toBe("new.hire@example.com");
  });

  it("names the writes that may have been applied when it gives up on the last attempt", async () => {
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    draws.push(0);
    await expect(deliver(event, 5)).rejects.toThrow(/504/);
    const outcome = await appServices().outcomes.get(String(event.eventId));
    expect(outcome?.status).toBe("failed");
    expect(outcome?.message).toMatch(/may have been applied.*mobilePhone\/profile/);
  });
});

describe("confirming an earlier attempt's writes", () => {
  const set: FieldOutcome = {
    field: "mobilePhone",
    target: "profile",
    action: "set",
    reason: "was empty",
    after: "+1 ***147",
  };
  it.each([
    ["an unchanged field the earlier attempt set", "set", { ...set, action: "unchanged", reason: "already" }],
    ["a field now planned differently", "skipped", { ...set, action: "skipped", reason: "kept" }],
    ["a value other than the one written", "unchanged", { ...set, action: "unchanged", after: "+1 ***148" }],
  ] satisfies [string, FieldAction, FieldOutcome][])("reports %s as %s", (_, expected, now) => {
    const [field] = confirmEarlierWrites([now], [set]);
    expect(field?.action).toBe(expected);
  });
});

describe("two deliveries of one event", () => {
  it("stops the one whose lease ran out before it writes anything, and puts a copy back on the queue", async () => {
    const syncDeps = appServices();
    const { settings } = syncDeps;
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    const start = Date.parse("2026-11-24T10:00:00Z");
    // While the first delivery reads the user, its lease runs out and a second delivery takes the event.
    const directory: Directory = {
      ...syncDeps.directory,
      findUser: async (ref) => {
        await syncDeps.outcomes.claim(String(event.eventId), 60_000, new Date(start + 120_000));
        return syncDeps.directory.findUser(ref);
      },
      privilegeOf: (id) => syncDeps.directory.privilegeOf(id),
      listAuthMethods: (id) => syncDeps.directory.listAuthMethods(id),
      updateProfile: (id, patch) => syncDeps.directory.updateProfile(id, patch),
      verifiedDomains: () => syncDeps.directory.verifiedDomains(),
    };
    const outcome = await syncContactEvent(
      event,
      { dequeueCount: 1, maxDequeueCount: 5 },
      { ...syncDeps, directory, leaseMs: 60_000, now: () => new Date(start) },
    );

    expect(outcome).toMatchObject({ status: "deferred", message: "another delivery took over this event" });
    expect(env.graph.stats.requests["PATCH user"]).toBeUndefined();
    const queued = await queueClient(settings, settings.ONBOARDING_QUEUE).getProperties();
    expect(queued.approximateMessagesCount).toBe(1);
  });

  it("writes a finished event's index rows with its record, in one transaction, so a redelivery has none to restore", async () => {
    const { outcomes, settings } = appServices();
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    env.graph.setFaults({ timeoutAfterWriteRate: 0 });
    await deliver(event, 1);
    const rows: Array<{ partitionKey: string; row: OutcomeTableRow }> = [];
    for await (const entity of tableClient(settings, settings.OUTCOMES_TABLE).listEntities()) {
      const row = outcomeTableRowOf(entity.partitionKey ?? "", entity.rowKey ?? "");
      if ((row.kind === "event" || row.kind === "index") && row.eventId === event.eventId) {
        rows.push({ partitionKey: entity.partitionKey ?? "", row });
      }
    }
    // The event row and one index row per user key, all in one partition: one entity-group transaction wrote them.
    expect(rows.map((r) => r.row.kind).sort()).toEqual(["event", "index", "index", "index"]);
    expect(new Set(rows.map((r) => r.partitionKey)).size).toBe(1);

    expect((await deliver(event, 2))?.status).toBe("updated");
    const listed = await outcomes.listByUser({ kind: "id", value: users.newHire.id }, 10);
    expect(listed.map((o) => o.eventId)).toEqual([event.eventId]);
  });
});
