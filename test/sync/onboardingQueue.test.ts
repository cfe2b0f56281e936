import { createHash } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { onboardingQueue } from "../../functions/onboardingQueue.js";
import { appServices } from "../../shared/app/appServices.js";
import { queueClient } from "../../shared/app/storageClients.js";
import { syncContactEvent } from "../../shared/sync/syncContactEvent.js";
import { deliverToQueue } from "../support/deliverToQueue.js";
import { eventFor } from "../support/factories.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

let env: TestEnvironment;
const logs: string[] = [];

beforeAll(async () => {
  env = await startTestEnvironment({ graph: { tenant: pipelineTenant() } });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.graph.setFaults({ unavailableRate: 0, timeoutAfterWriteRate: 0 });
  env.isolate();
  env.graph.stats.reset();
  logs.length = 0;
});

/** Delivers a message to the real queue handler, as the host would on attempt `dequeueCount`. */
const deliver = (message: Record<string, unknown>, dequeueCount = 1) =>
  deliverToQueue(message, { dequeueCount, logs });

const graphRequests = () => env.graph.stats.totalRequests();
// Writes are the non-GET requests; the privilege picture's reads travel as two `POST $batch` rounds of GETs.
const graphWrites = () =>
  Object.keys(env.graph.stats.requests)
    .filter((k) => !k.startsWith("GET") && k !== "POST $batch")
    .reduce((n, k) => n + env.graph.stats.requestCount(k), 0);

describe("the onboarding queue function", () => {
  it("writes a new hire's contact data with the user's read, the privilege picture (two $batch rounds) and one write, after the tenant's domains", async () => {
    const outcome = await deliver(
      eventFor(users.newHire, {
        mobilePhone: "(425) 555-0147",
        officePhone: "425.555.0100 x12",
        alternateEmail: "new.hire@example.com",
      }),
    );
    expect(outcome).toMatchObject({
      status: "updated",
      userId: users.newHire.id,
      userPrincipalName: users.newHire.userPrincipalName,
    });
    expect(outcome?.fields.map((f) => `${f.field}:${f.action}`)).toEqual([
      "mobilePhone:set",
      "officePhone:set",
      "alternateEmail:set",
    ]);
    expect(env.graph.tenant.user(users.newHire.id)).toMatchObject({
      mobilePhone: "+1 4255550147",
      businessPhones: ["+1 4255550100"],
      otherMails: ["new.hire@example.com"],
    });
    // Plus GET /domains for the alternate email: read once per process, not per event. The write is checked again
    // when it goes out, against the same picture (still within PRIVILEGE_MAX_AGE_SECONDS): no third round.
    expect({ requests: graphRequests(), writes: graphWrites() }).toEqual({ requests: 5, writes: 1 });
    expect(env.graph.stats.requestCount("GET domains")).toBe(1);
    expect(env.graph.stats.requestCount("POST $batch")).toBe(2);
    expect(env.graph.stats.batchItems["GET roleAssignments"]).toBe(1);
  });

  it("records masked values only", async () => {
    const outcome = await deliver(
      eventFor(users.newHire, { mobilePhone: "(425) 555-0147", alternateEmail: "new.hire@example.com" }),
    );
    const text = JSON.stringify(outcome) + logs.join("\n");
    expect(text).not.toMatch(/4255550147|new\.hire@example\.com/);
    expect(outcome?.fields[0]).toMatchObject({ after: "+1 ***147" });
  });

  it("makes no write when nothing changes", async () => {
    // A picture kept a minute, so the second event surely finds the first one's still fresh.
    env.configure({ PRIVILEGE_MAX_AGE_SECONDS: "60" });
    await deliver(eventFor(users.newHire, { mobilePhone: "(425) 555-0147" }));
    env.graph.stats.reset();
    const outcome = await deliver(eventFor(users.newHire, { mobilePhone: "+1 425 555 0147" }));
    expect(outcome?.status).toBe("unchanged");
    // The user's read only: the tenant's privilege picture is shared by the events within its bound.
    expect({ requests: graphRequests(), writes: graphWrites() }).toEqual({ requests: 1, writes: 0 });
    expect(env.graph.stats.requestCount("GET user")).toBe(1);
  });

  it("rewrites the same number stored in another format", async () => {
    const outcome = await deliver(eventFor(users.reformat, { mobilePhone: "425-555-0147" }));
    expect(outcome?.fields[0]).toMatchObject({ action: "reformatted" });
    expect(env.graph.tenant.user(users.reformat.id)?.mobilePhone).toBe("+1 4255550147");
  });

  it("ignores a duplicate delivery of a processed event: no Graph call, no second record", async () => {
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    const first = await deliver(event);
    env.graph.stats.reset();
    const second = await deliver(event, 2);
    expect(graphRequests()).toBe(0);
    expect(second).toEqual(first);
    const listed = await appServices().outcomes.listByUser({ kind: "id", value: users.newHire.id }, 10);
    expect(listed.filter((o) => o.eventId === event.eventId)).toHaveLength(1);
  });

  it("rejects an invalid event without retrying and without calling Graph", async () => {
    const outcome = await deliver(
      eventFor(users.newHire, { mobilePhone: "+1 4251234567X12345", pager: "1" }),
    );
    expect(outcome?.status).toBe("rejected");
    expect(outcome?.errors.map((e) => e.code)).toEqual(expect.arrayContaining(["phone_invalid_for_region"]));
    expect(graphRequests()).toBe(0);
  });

  it("rejects a message that is not even JSON, once, under an id derived from its content", async () => {
    const context = () => new InvocationContext({ triggerMetadata: { dequeueCount: 1 } });
    await onboardingQueue("definitely not json", context());
    await onboardingQueue("definitely not json", context());
    const eventId = `invalid-${createHash("sha256").update("definitely not json").digest("hex").slice(0, 32)}`;
    const outcome = await appServices().outcomes.get(eventId);
    expect(outcome).toMatchObject({ status: "rejected", attempts: 1 });
    expect(graphRequests()).toBe(0);
  });

  it("defers an event whose user is not provisioned yet and puts it back on the queue", async () => {
    const outcome = await deliver(
      eventFor({ userPrincipalName: "not.yet@contoso.example" }, { mobilePhone: "(425) 555-0147" }),
    );
    expect(outcome?.status).toBe("deferred");
    const delay = Date.parse(outcome?.nextAttemptAt ?? "") - Date.parse(outcome?.updatedAt ?? "");
    expect(delay).toBe(60_000);
    const { settings } = appServices();
    const properties = await queueClient(settings, settings.ONBOARDING_QUEUE).getProperties();
    expect(properties.approximateMessagesCount).toBe(1);
  });

  it("backs off deferrals and fails the event once USER_WAIT_HOURS have passed", async () => {
    const message = eventFor({ employeeId: "E-NOT-YET" }, { mobilePhone: "(425) 555-0147" });
    const start = Date.parse("2026-11-24T10:00:00Z");
    const at = (hours: number) => ({
      ...appServices(),
      now: () => new Date(start + hours * 3_600_000),
    });
    const delivery = { dequeueCount: 1, maxDequeueCount: 5 };
    const first = await syncContactEvent(message, delivery, at(0));
    const second = await syncContactEvent(message, delivery, at(0.1));
    expect([first.status, second.status]).toEqual(["deferred", "deferred"]);
    expect(Date.parse(second.nextAttemptAt ?? "") - (start + 0.1 * 3_600_000)).toBe(120_000);
    const last = await syncContactEvent(message, delivery, at(73));
    expect(last).toMatchObject({ status: "failed", attempts: 3 });
    expect(last.message).toContain("72 h");
  });

  it("marks an event older than the last one applied to the user as stale", async () => {
    await deliver(
      eventFor(users.newHire, { mobilePhone: "(425) 555-0147" }, { occurredAt: "2026-11-24T12:00:00Z" }),
    );
    env.graph.stats.reset();
    const outcome = await deliver(
      eventFor(users.newHire, { mobilePhone: "(425) 555-0148" }, { occurredAt: "2026-11-24T11:00:00Z" }),
    );
    expect(outcome?.status).toBe("stale");
    expect(graphWrites()).toBe(0);
    expect(env.graph.tenant.user(users.newHire.id)?.mobilePhone).toBe("+1 4255550147");
  });

  it("never writes a privileged target: skipped with code privileged_account, and no write sent", async () => {
    const outcome = await deliver(eventFor(users.admin, { alternateEmail: "admin.personal@example.net" }));
    expect(outcome?.status).toBe("skipped");
    expect(outcome?.fields[0]).toMatchObject({ action: "skipped", code: "privileged_account" });
    expect(outcome?.fields[0]?.reason).toContain("Global Administrator, active");
    expect(graphWrites()).toBe(0);
  });
});

describe("users synchronized from on-premises AD", () => {
  it("skips office and mobile by default, with AD guidance, and writes nothing", async () => {
    const outcome = await deliver(
      eventFor(users.synced, { mobilePhone: "(425) 555-0147", officePhone: "(425) 555-0100" }),
    );
    expect(outcome?.status).toBe("skipped");
    expect(outcome?.fields.map((f) => f.reason).join(" ")).toMatch(
      /`mobile` in AD DS.*`telephoneNumber` in AD DS/,
    );
    expect(graphWrites()).toBe(0);
  });

  it("overrides the mobile when SYNCED_MOBILE=override and the tenant allows it", async () => {
    env.configure({ SYNCED_MOBILE: "override" });
    const outcome = await deliver(
      eventFor(users.synced, { mobilePhone: "(425) 555-0147", officePhone: "(425) 555-0100" }),
    );
    expect(outcome?.status).toBe("partial");
    expect(env.graph.tenant.user(users.synced.id)?.mobilePhone).toBe("+1 4255550147");
  });

  it("turns Graph's on-premises-mastered 400 into a skip, never a retry", async () => {
    env.configure({ SYNCED_MOBILE: "override" });
    env.graph.tenant.bypassDirSyncOverridesEnabled = true;
    const outcome = await deliver(eventFor(users.synced, { mobilePhone: "(425) 555-0147" }));
    expect(outcome?.status).toBe("skipped");
    expect(outcome?.fields[0]?.reason).toContain("on-premises AD");
    env.graph.tenant.bypassDirSyncOverridesEnabled = false;
  });

  it.each(["onPremises", "externalService"] as const)(
    "still writes the alternate email when Graph refuses a synced user's mobile phone (%s text)",
    async (masteredMessage) => {
      env.configure({ SYNCED_MOBILE: "override" });
      env.graph.tenant.bypassDirSyncOverridesEnabled = true;
      env.graph.tenant.masteredMessage = masteredMessage;
      const outcome = await deliver(
        eventFor(users.synced, {
          mobilePhone: "(425) 555-0147",
          alternateEmail: "synced.person@example.com",
        }),
      );
      expect(outcome?.status).toBe("partial");
      expect(outcome?.fields.map((f) => `${f.field}:${f.action}:${f.code}`)).toEqual([
        "mobilePhone:skipped:on_premises_mastered",
        "alternateEmail:set:was_empty",
      ]);
      expect(env.graph.tenant.user(users.synced.id)?.otherMails).toEqual(["synced.person@example.com"]);
      expect(env.graph.tenant.user(users.synced.id)?.mobilePhone).not.toBe("+1 4255550147");
    },
  );

  it("writes authentication methods for a synced user when the target is methods", async () => {
    env.configure({ CONTACT_TARGET: "methods" });
    const outcome = await deliver(
      eventFor(users.synced, { mobilePhone: "(425) 555-0147", officePhone: "(425) 555-0100" }),
    );
    expect(outcome?.status).toBe("updated");
    expect(env.graph.tenant.user(users.synced.id)?.phoneMethods).toEqual({
      mobile: "+1 4255550147",
      office: "+1 4255550100",
    });
  });
});

describe("the methods target", () => {
  it("adds methods with one read of the user, the privilege picture (two $batch rounds) and one $batch of their methods", async () => {
    env.configure({ CONTACT_TARGET: "methods" });
    const outcome = await deliver(
      eventFor(users.newHire, { mobilePhone: "(425) 555-0147", alternateEmail: "new.hire@example.com" }),
    );
    expect(outcome?.fields.map((f) => `${f.field}/${f.target}:${f.action}`)).toEqual([
      "mobilePhone/methods:set",
      "alternateEmail/methods:set",
    ]);
    expect(env.graph.tenant.user(users.newHire.id)).toMatchObject({
      emailMethod: "new.hire@example.com",
      mobilePhone: null,
    });
    // Plus GET /domains for the alternate email, once per process.
    expect({ requests: graphRequests(), writes: graphWrites() }).toEqual({ requests: 7, writes: 2 });
    expect(env.graph.stats.requestCount("POST $batch")).toBe(3);
  });

  it.each(["fillEmpty", "overwrite"])(
    "never replaces a method the user registered, even in mode %s (an HR event is not the user)",
    async (mode) => {
      env.configure({ CONTACT_TARGET: "methods", CONTACT_MODE: mode });
      const before = env.graph.tenant.user(users.registered.id)?.phoneMethods;
      const kept = await deliver(eventFor(users.registered, { mobilePhone: "(425) 555-0147" }));
      expect(kept?.status).toBe("skipped");
      expect(kept?.fields[0]).toMatchObject({ action: "skipped", code: "user_registered_methods" });
      expect(env.graph.tenant.user(users.registered.id)?.phoneMethods).toEqual(before);
      expect(graphWrites()).toBe(0);
    },
  );
});

describe("transient failures", () => {
  it("throws so the host retries, and records failed on the last attempt", async () => {
    env.configure({ GRAPH_MAX_RETRIES: "0" });
    env.graph.setFaults({ unavailableRate: 1 });
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    await expect(deliver(event, 1)).rejects.toThrow(/503|unavailable/i);
    expect((await appServices().outcomes.get(String(event.eventId)))?.status).toBeUndefined();
    await expect(deliver(event, 5)).rejects.toThrow();
    const outcome = await appServices().outcomes.get(String(event.eventId));
    expect(outcome).toMatchObject({ status: "failed" });
    expect(outcome?.message).toContain("gave up after 5 attempts");
  });
});
