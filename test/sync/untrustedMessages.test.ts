import { createHash } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { onboardingQueue } from "../../functions/onboardingQueue.js";
import { appServices } from "../../shared/app/appServices.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { eventFor } from "../support/factories.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({ graph: { tenant: pipelineTenant() } });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.isolate();
  env.graph.stats.reset();
});

/** Delivers a message to the real queue handler, first attempt; resolves once it returned (never throws here). */
async function deliver(message: unknown): Promise<void> {
  await onboardingQueue(
    message,
    new InvocationContext({ functionName: "onboardingQueue", logHandler: () => {} }),
  );
}

const outcomeOf = (eventId: unknown) => appServices().outcomes.get(String(eventId));
/** `[[[…]]]` nested `depth` deep, as text and as JSON.parse hands it over (it parses any depth). */
const nestedText = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const nested = (depth: number): unknown => JSON.parse(nestedText(depth));
/** The id a message without a usable eventId is recorded under: a hash of its JSON text. */
const contentId = (text: string) => `invalid-${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;

describe("who an outcome says did it", () => {
  it("records a message put on the queue directly as actor queue, whatever its source claims", async () => {
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" }, { source: "helpdesk-admin" });
    await deliver(event);
    expect(await outcomeOf(event.eventId)).toMatchObject({
      status: "updated",
      source: "helpdesk-admin",
      actor: "queue",
    });
  });

  it("records the webhook sender the intake stamped on the message", async () => {
    const event = eventFor(
      users.newHire,
      { mobilePhone: "(425) 555-0147" },
      { source: "helpdesk-admin", actor: "webhook:hr/events#0a1b2c3d" },
    );
    await deliver(event);
    expect(await outcomeOf(event.eventId)).toMatchObject({ actor: "webhook:hr/events#0a1b2c3d" });
  });

  it.each([["helpdesk@contoso.example"], ["http"], ["webhook:hr/events#0a1b2c3d; admin"]])(
    "rejects a message that names %s as its own actor, writing nothing",
    async (actor) => {
      const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" }, { actor });
      await deliver(event);
      const outcome = await outcomeOf(event.eventId);
      expect(outcome).toMatchObject({ status: "rejected", actor: "queue" });
      expect(outcome?.errors).toEqual([
        expect.objectContaining({ field: "actor", code: "actor_not_settable" }),
      ]);
      expect(env.graph.stats.totalRequests()).toBe(0);
    },
  );
});

describe("messages nested too deep", () => {
  it("rejects a message nested 100 000 deep with event_too_deep and records the outcome, instead of poisoning", async () => {
    const event = eventFor(users.newHire, { mobilePhone: nested(100_000) });
    await expect(deliver(event)).resolves.toBeUndefined();
    const outcome = await outcomeOf(event.eventId);
    expect(outcome).toMatchObject({ status: "rejected", actor: "queue" });
    expect(outcome?.errors).toEqual([expect.objectContaining({ field: "event", code: "event_too_deep" })]);
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  it("records a deep message without a usable eventId under the id its content gives, the same every time", async () => {
    const message = { source: "x", contact: nested(100_000) };
    await deliver(message);
    await deliver(message);
    const outcome = await outcomeOf(contentId(`{"source":"x","contact":${nestedText(100_000)}}`));
    expect(outcome).toMatchObject({
      status: "rejected",
      errors: [expect.objectContaining({ code: "event_too_deep" })],
    });
  });

  it("rejects a queue message that is itself an array nested 100 000 deep, with a record", async () => {
    await expect(deliver(nested(100_000))).resolves.toBeUndefined();
    expect(await outcomeOf(contentId(nestedText(100_000)))).toMatchObject({
      status: "rejected",
      errors: [expect.objectContaining({ code: "event_too_deep" })],
    });
  });
});

describe("user object ids", () => {
  it.each([
    [".."],
    ["../me"],
    ["6f1c2a40-0000-4000-8000-00000000000"],
    ["6f1c2a40-0000-4000-8000-000000000001/x"],
  ])("rejects user.id %j with user_id_not_guid before any Graph request", async (id) => {
    const event = eventFor({ id }, { mobilePhone: "(425) 555-0147" });
    await deliver(event);
    const outcome: Outcome | undefined = await outcomeOf(event.eventId);
    expect(outcome?.status).toBe("rejected");
    expect(outcome?.errors).toContainEqual(
      expect.objectContaining({ field: "user.id", code: "user_id_not_guid", hint: expect.any(String) }),
    );
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  it("still finds a user by object id", async () => {
    const event = eventFor({ id: users.newHire.id }, { mobilePhone: "(425) 555-0147" });
    await deliver(event);
    expect(await outcomeOf(event.eventId)).toMatchObject({ status: "updated", userId: users.newHire.id });
  });
});
