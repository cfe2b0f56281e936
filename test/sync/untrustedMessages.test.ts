import { createHash } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { onboardingQueue } from "../../functions/onboardingQueue.js";
import { appServices } from "../../shared/app/appServices.js";
import { acceptEvents } from "../../shared/intake/acceptEvents.js";
import { intakeEvent } from "../../shared/intake/intakeRecord.js";
import { actorStampOf } from "../../shared/sync/actorStamp.js";
import { appKeysFrom } from "../../shared/sync/appKeys.js";
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

type Queued = Record<string, unknown>;
/** What the real intake queues for `event` from the hr/events sender `0a1b2c3d`, with the app's keys. */
async function throughTheIntake(event: Queued): Promise<Queued> {
  const sent: Queued[] = [];
  const queue = { send: async (message: unknown) => void sent.push(message as Queued) };
  const receipts = { claim: async () => "new" as const, markEnqueued: async () => {} };
  const { rules, keys } = appServices();
  await acceptEvents(
    [intakeEvent(event)],
    { queue, receipts, rules, actorStampKey: keys?.actorStamp },
    {
      sender: { endpoint: "hr/events", keyId: "0a1b2c3d" },
    },
  );
  const [queued] = sent;
  if (!queued) throw new Error("the intake queued nothing");
  return queued;
}
/** The stamp a holder of `secret` would write on `message`. */
const stampWith = (secret: string, message: Queued) =>
  actorStampOf(appKeysFrom(secret).actorStamp, String(message.actor), message);
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

  // The attack: anyone who may put messages on the queue (Queue Data Contributor) writes one that claims a webhook
  // sender. Before, the record believed it.
  it("records a hand-made message that claims a webhook sender as actor queue, with a warning saying so", async () => {
    const event = eventFor(
      users.newHire,
      { mobilePhone: "(425) 555-0147" },
      { actor: "webhook:hr/events#0a1b2c3d" },
    );
    await deliver(event);
    const outcome = await outcomeOf(event.eventId);
    expect(outcome).toMatchObject({ status: "updated", actor: "queue" });
    expect(outcome?.warnings).toContainEqual(
      expect.objectContaining({ field: "actor", code: "actor_unverified" }),
    );
  });

  it("records the webhook sender the intake stamped and signed on the message", async () => {
    const queued = await throughTheIntake(eventFor(users.newHire, { mobilePhone: "(425) 555-0147" }));
    expect(queued.actorStamp).toEqual(expect.any(String));
    await deliver(queued);
    const outcome = await outcomeOf(queued.eventId);
    expect(outcome).toMatchObject({ status: "updated", actor: "webhook:hr/events#0a1b2c3d" });
    expect(outcome?.warnings.map((warning) => warning.code)).not.toContain("actor_unverified");
  });

  it.each([
    ["onto another phone number", (m: Queued) => ({ ...m, contact: { mobilePhone: "(425) 555-0199" } })],
    [
      "onto another user",
      (m: Queued) => ({ ...m, user: { userPrincipalName: users.reformat.userPrincipalName } }),
    ],
    ["onto another event id", (m: Queued) => ({ ...m, eventId: `${String(m.eventId)}-copy` })],
    ["to another sender", (m: Queued) => ({ ...m, actor: "webhook:hr/scim" })],
    [
      "signed with another key",
      (m: Queued) => ({ ...m, actorStamp: stampWith("another key, 32 characters or longer", m) }),
    ],
  ])("does not believe a real stamp moved %s", async (_name, tamper) => {
    const queued: Queued = tamper(
      await throughTheIntake(eventFor(users.newHire, { mobilePhone: "(425) 555-0147" })),
    );
    await deliver(queued);
    const outcome = await outcomeOf(queued.eventId);
    expect(outcome?.actor).toBe("queue");
    expect(outcome?.warnings).toContainEqual(expect.objectContaining({ code: "actor_unverified" }));
  });

  it("believes no stamp when the app has no APP_SIGNING_KEY: the event is recorded as queue", async () => {
    const queued = await throughTheIntake(eventFor(users.newHire, { mobilePhone: "(425) 555-0147" }));
    env.configure({ APP_SIGNING_KEY: undefined });
    await deliver(queued);
    expect(await outcomeOf(queued.eventId)).toMatchObject({ actor: "queue" });
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
