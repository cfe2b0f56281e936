import type { HttpResponseInit } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hrBambooHr } from "../../functions/hrBambooHr.js";
import { hrEvents } from "../../functions/hrEvents.js";
import { hrScim } from "../../functions/hrScim.js";
import {
  type AppServices,
  appServices,
  buildServices,
  useAppServices,
} from "../../shared/app/appServices.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";
import { type LimiterTime, WindowLimiter } from "../../shared/http/windowLimiter.js";
import { scimSchemas } from "../../shared/intake/fromScim.js";
import { TableCounterStore } from "../../shared/storage/tableCounterStore.js";
import type { CounterStore } from "../../shared/sync/counterStore.js";
import { MemoryCounterStore } from "../doubles/memoryCounterStore.js";
import { anEvent } from "../support/factories.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import {
  aContext,
  aPost,
  bambooHrHeaders,
  bodyOf,
  standardWebhookHeaders,
  takeQueued,
  testSecrets,
  webhookEnv,
} from "../support/webhookRequests.js";

// The attack (review finding): two signed requests of 500 unknown users put 1,000 events on the queue, each read
// again about 21 times while its user is not found. A sender now queues at most HR_EVENTS_PER_SENDER_PER_HOUR
// events per clock hour, counted in Azurite's table as in Azure. The limiter's clock stands still at 10:20:00 UTC
// unless a test moves it, so the hour never turns mid-test (Retry-After: 40 minutes, 2,400 s).
let env: TestEnvironment;
let tables = 0;
let time: LimiterTime & { move(ms: number): void };

beforeAll(async () => {
  env = await startTestEnvironment({
    env: {
      ...webhookEnv,
      // Two hr/events senders: each key that verifies a signature is a sender of its own.
      HR_WEBHOOK_SECRETS: `${testSecrets.standard},${testSecrets.rotated}`,
      HR_EVENTS_PER_SENDER_PER_HOUR: "10",
    },
  });
});
afterAll(async () => {
  useAppServices(undefined);
  await env?.close();
});
beforeEach(async () => {
  env.configure();
  let now = Date.parse("2026-11-24T10:20:00.000Z");
  time = {
    now: () => now,
    sleep: async () => undefined,
    move: (ms) => {
      now += ms;
    },
  };
  useAppServices(instanceCounting(freshCounters()));
  await takeQueued();
});

function freshCounters(): CounterStore {
  return new TableCounterStore(tableClient(appServices().settings, `EventCounts${process.pid}x${++tables}`));
}

/** One app instance: its own services and limiter object, counting into `counters` on the still clock. */
function instanceCounting(counters: CounterStore): AppServices {
  const { settings } = appServices();
  const limit = { name: "events", perWindow: settings.HR_EVENTS_PER_SENDER_PER_HOUR, windowSeconds: 3600 };
  return buildServices(settings, { counters, eventLimiter: new WindowLimiter(limit, counters, time) });
}

let sequence = 0;
/** An id no earlier test used (receipts outlive a test), short enough for an employee number (16). */
const unique = () => `${Date.now().toString(36)}${++sequence}`;

/** Posts `count` fresh events (for users no tenant has) to hr/events, signed with `secret`. */
function postEvents(count: number, secret = testSecrets.standard, extra: unknown[] = []) {
  const events = Array.from({ length: count }, () => anEvent());
  const body = JSON.stringify([...events, ...extra]);
  return hrEvents(aPost("hr/events", body, standardWebhookHeaders(body, { secret })), aContext());
}

function postBambooHr(count: number) {
  const employees = Array.from({ length: count }, () => {
    const id = unique();
    return {
      id,
      action: "Created",
      timestamp: "2026-11-24T10:00:00+00:00",
      changedFields: ["Mobile Phone"],
      fields: { "Employee #": `E${id}`, "Mobile Phone": "(425) 555-0147", Country: "United States" },
    };
  });
  const body = JSON.stringify({ employees });
  return hrBambooHr(aPost("hr/bamboohr", body, bambooHrHeaders(body)), aContext());
}

function postScim(count: number) {
  const Operations = Array.from({ length: count }, () => {
    const id = unique();
    return {
      method: "POST",
      bulkId: id,
      path: "/Users",
      data: {
        schemas: [scimSchemas.user, scimSchemas.enterpriseUser],
        externalId: id,
        userName: `hire-${id}@contoso.example`,
        phoneNumbers: [{ value: "+1 425-555-0123", type: "mobile" }],
        [scimSchemas.enterpriseUser]: { employeeNumber: id },
      },
    };
  });
  const body = JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations });
  return hrScim(
    aPost("hr/scim", body, {
      "content-type": "application/scim+json",
      authorization: `Bearer ${testSecrets.scim}`,
    }),
    aContext(),
  );
}

const retryAfterOf = (response: HttpResponseInit) =>
  (response.headers as Record<string, string> | undefined)?.["Retry-After"];
const errorOf = (response: HttpResponseInit) =>
  (bodyOf(response) as { error: { code: string; message: string; details: { hint: string }[] } }).error;

describe("webhook events are limited per sender per hour (HR_EVENTS_PER_SENDER_PER_HOUR)", () => {
  it("refuses a delivery that would go past the limit whole, with 429 and when to come back, queueing none of it", async () => {
    expect((await postEvents(6)).status).toBe(202);
    expect(await takeQueued()).toHaveLength(6);
    const refused = await postEvents(6);
    expect([refused.status, errorOf(refused).code, retryAfterOf(refused)]).toEqual([
      429,
      "event_limit_reached",
      "2400",
    ]);
    expect(errorOf(refused).message).toContain("HR_EVENTS_PER_SENDER_PER_HOUR");
    expect(errorOf(refused).message).toContain("2026-11-24T11:00:00.000Z");
    expect(await takeQueued()).toEqual([]);
  });

  it("loses nothing it refused: the same delivery is taken in whole after the hour turns", async () => {
    await postEvents(6);
    const events = Array.from({ length: 6 }, () => anEvent());
    const body = JSON.stringify(events);
    const deliver = () => hrEvents(aPost("hr/events", body, standardWebhookHeaders(body)), aContext());
    expect((await deliver()).status).toBe(429);
    time.move(40 * 60_000);
    const later = await deliver();
    expect(later.status).toBe(202);
    // No receipt was written for the refused delivery: nothing is mistaken for a duplicate and dropped.
    expect(
      (bodyOf(later) as { accepted: { duplicate?: true }[] }).accepted.filter((a) => a.duplicate),
    ).toEqual([]);
    expect(await takeQueued()).toHaveLength(12);
  });

  it("takes nothing from the allowance for a refused delivery", async () => {
    await postEvents(6);
    expect((await postEvents(6)).status).toBe(429);
    expect((await postEvents(4)).status).toBe(202);
    expect((await postEvents(1)).status).toBe(429);
  });

  it("counts only the events it would queue, not the records it rejects", async () => {
    const rejected = Array.from({ length: 8 }, () => ({ ...anEvent(), contact: { mobilePhone: "n/a" } }));
    const response = await postEvents(2, testSecrets.standard, rejected);
    expect(response.status).toBe(202);
    expect((await postEvents(8)).status).toBe(202);
  });

  it("leaves another sender's allowance alone (a second hr/events key, BambooHR, SCIM)", async () => {
    await postEvents(10);
    expect((await postEvents(1)).status).toBe(429);
    expect((await postEvents(6, testSecrets.rotated)).status).toBe(202);
    expect((await postBambooHr(6)).status).toBe(202);
    expect((await postScim(6)).status).toBe(202);
  });

  it.each([
    // BambooHR never retries a 4xx and retries a 5xx for 155 minutes (documentation.bamboohr.com, webhook
    // responses): its refusal is a 503, so the delivery comes back in a later hour instead of being lost.
    ["hr/bamboohr", 503, postBambooHr],
    ["hr/scim", 429, postScim],
  ])("limits %s as a sender of its own (answered %i)", async (_, status, post) => {
    expect((await post(10)).status).toBe(202);
    expect(await takeQueued()).toHaveLength(10);
    const refused = await post(1);
    expect([refused.status, retryAfterOf(refused)]).toEqual([status, "2400"]);
    expect(await takeQueued()).toEqual([]);
  });

  it("tells BambooHR why in the same words as everyone else, though the status is 503", async () => {
    await postBambooHr(10);
    const refused = await postBambooHr(1);
    expect(errorOf(refused).code).toBe("event_limit_reached");
    expect(errorOf(refused).message).toMatch(/10 .*this hour/);
  });

  it("answers a SCIM client in SCIM's error shape, with Retry-After", async () => {
    await postScim(10);
    const refused = await postScim(1);
    expect(refused.headers).toMatchObject({ "Content-Type": "application/scim+json", "Retry-After": "2400" });
    expect(bodyOf(refused)).toMatchObject({
      schemas: [scimSchemas.error],
      status: "429",
      detail: expect.stringContaining("[event_limit_reached]"),
    });
  });

  it("refuses (413) a delivery larger than a whole hour allows, since waiting would never let it in", async () => {
    const refused = await postEvents(11);
    expect([refused.status, errorOf(refused).code, retryAfterOf(refused)]).toEqual([
      413,
      "delivery_over_event_limit",
      undefined,
    ]);
    expect(await takeQueued()).toEqual([]);
  });

  it("holds the limit across two app instances counting into the same table", async () => {
    const counters = freshCounters();
    const [first, second] = [instanceCounting(counters), instanceCounting(counters)];
    useAppServices(first);
    expect((await postEvents(6)).status).toBe(202);
    useAppServices(second);
    expect((await postEvents(6)).status).toBe(429);
    expect((await postEvents(4)).status).toBe(202);
    useAppServices(first);
    expect((await postEvents(1)).status).toBe(429);
    expect(await takeQueued()).toHaveLength(10);
  });

  it("refuses every delivery (503, retry) while the counters cannot be reached, queueing none of it", async () => {
    const unreachable = new MemoryCounterStore();
    unreachable.failing = new Error("connect ECONNREFUSED 127.0.0.1:10002");
    useAppServices(instanceCounting(unreachable));
    const refused = await postEvents(1);
    expect([refused.status, errorOf(refused).code, retryAfterOf(refused)]).toEqual([
      503,
      "dependency_unavailable",
      "5",
    ]);
    expect((await postScim(1)).status).toBe(503);
    expect(await takeQueued()).toEqual([]);
  });
});

describe("the default limit against the reported attack", () => {
  it("takes one full delivery of 500 unknown users in an hour and refuses the second whole", async () => {
    env.configure({ HR_EVENTS_PER_SENDER_PER_HOUR: "" });
    expect(appServices().settings.HR_EVENTS_PER_SENDER_PER_HOUR).toBe(500);
    useAppServices(instanceCounting(freshCounters()));
    expect((await postEvents(500)).status).toBe(202);
    const second = await postEvents(500);
    expect([second.status, errorOf(second).code]).toEqual([429, "event_limit_reached"]);
    const { settings } = appServices();
    const queue = queueClient(settings, settings.ONBOARDING_QUEUE);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(500);
  }, 60_000);
});
