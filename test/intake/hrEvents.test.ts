import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hrEvents } from "../../functions/hrEvents.js";
import { onboardingQueue } from "../../functions/onboardingQueue.js";
import { loadFunctions } from "../../local/loadFunctions.js";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import { appServices } from "../../shared/app/appServices.js";
import { tryStandardWebhookKeys, webhookKeyId } from "../../shared/intake/standardWebhook.js";
import { anEvent } from "../support/factories.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import {
  aContext,
  aPost,
  aWebhookId,
  bodyOf,
  standardWebhookHeaders,
  takeQueued,
  testSecrets,
  webhookEnv,
} from "../support/webhookRequests.js";

/** The key id of a test secret, as the endpoint names the sender. */
function keyIdOf(secret: string): string {
  const [key] = tryStandardWebhookKeys([secret]) ?? [];
  if (!key) throw new Error("not a whsec_ secret");
  return webhookKeyId(key);
}
const standardKeyId = keyIdOf(testSecrets.standard);
const actor = `webhook:hr/events#${standardKeyId}`;
/** The id an event of the standard test sender is queued, reported and recorded under. */
const scoped = (eventId: unknown) => `hr-events.${standardKeyId}.${String(eventId)}`;
/** An event as the endpoint queues it for the standard test sender. */
const queuedAs = (event: Record<string, unknown>) => ({
  ...event,
  eventId: scoped(event.eventId),
  actor,
  actorStamp: expect.any(String),
});

const sample = readFileSync(new URL("../../samples/hr-events.json", import.meta.url));
const sampleEvents = JSON.parse(sample.toString("utf8")) as Record<string, unknown>[];

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({ env: webhookEnv, graph: { tenant: pipelineTenant() } });
});
afterAll(async () => env?.close());
beforeEach(async () => {
  env.configure();
  await takeQueued();
});

/** Posts `body` to hr/events, signed unless headers say otherwise. */
async function post(
  body: string | Buffer,
  headers: Record<string, string> = standardWebhookHeaders(body),
  logs: string[] = [],
) {
  return hrEvents(aPost("hr/events", body, headers), aContext(logs));
}

describe("POST /api/hr/events", () => {
  it("queues the sample batch, naming the event without an id after the webhook-id and its index", async () => {
    const id = aWebhookId();
    const response = await post(sample, standardWebhookHeaders(sample, { id }));
    expect(response.status).toBe(202);
    expect(bodyOf(response)).toEqual({
      accepted: [
        { index: 0, eventId: scoped("hr-2026-11-24-0001") },
        {
          index: 1,
          eventId: scoped("hr-2026-11-24-0002"),
          warnings: [expect.objectContaining({ code: "phone_extension_dropped" })],
        },
        { index: 2, eventId: scoped(`${id}-2`) },
      ],
      rejected: [],
    });
    // A Storage queue promises no order (Azurite's answer may interleave messages sent at once): compare by id.
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a.eventId).localeCompare(String(b.eventId));
    expect((await takeQueued()).sort(byId)).toEqual(
      [
        queuedAs(sampleEvents[0] ?? {}),
        queuedAs(sampleEvents[1] ?? {}),
        queuedAs({ ...sampleEvents[2], eventId: `${id}-2` }),
      ].sort(byId),
    );
  });

  it("uses the webhook-id itself as the id of a single event without one", async () => {
    const { eventId: _omitted, ...event } = anEvent();
    const body = JSON.stringify(event);
    const id = aWebhookId();
    const response = await post(body, standardWebhookHeaders(body, { id }));
    expect(bodyOf(response)).toEqual({ accepted: [{ index: 0, eventId: scoped(id) }], rejected: [] });
    expect(await takeQueued()).toEqual([queuedAs({ ...event, eventId: id })]);
  });

  it("accepts the good events of a partial batch and reports the bad ones by index", async () => {
    const events = [anEvent(), anEvent({ contact: { mobilePhone: "n/a" } }), anEvent({ user: {} })];
    const response = await post(JSON.stringify(events));
    expect(response.status).toBe(202);
    expect(bodyOf(response)).toEqual({
      accepted: [{ index: 0, eventId: scoped(events[0]?.eventId) }],
      rejected: [
        {
          index: 1,
          eventId: scoped(events[1]?.eventId),
          errors: [expect.objectContaining({ code: "phone_placeholder" })],
        },
        {
          index: 2,
          eventId: scoped(events[2]?.eventId),
          errors: [expect.objectContaining({ code: "user_missing_identifier" })],
        },
      ],
    });
    expect(await takeQueued()).toEqual([queuedAs(events[0] ?? {})]);
  });

  it("acknowledges a redelivery as duplicate and queues nothing twice", async () => {
    const body = JSON.stringify([anEvent(), anEvent()]);
    const headers = standardWebhookHeaders(body);
    await post(body, headers);
    expect(await takeQueued()).toHaveLength(2);
    const again = await post(body, headers);
    expect(again.status).toBe(202);
    expect(bodyOf(again)).toMatchObject({ accepted: [{ duplicate: true }, { duplicate: true }] });
    expect(await takeQueued()).toEqual([]);
  });

  it("accepts a delivery signed with either secret while they rotate", async () => {
    env.configure({ HR_WEBHOOK_SECRETS: `${testSecrets.standard},${testSecrets.rotated}` });
    for (const secret of [testSecrets.standard, testSecrets.rotated]) {
      const body = JSON.stringify(anEvent());
      expect((await post(body, standardWebhookHeaders(body, { secret }))).status).toBe(202);
    }
    expect(await takeQueued()).toHaveLength(2);
  });

  it.each([
    [
      "a tampered body",
      (body: string) => ({ body: body.replace("0147", "0148"), headers: standardWebhookHeaders(body) }),
    ],
    [
      "another secret",
      (body: string) => ({ body, headers: standardWebhookHeaders(body, { secret: testSecrets.rotated }) }),
    ],
    [
      "a stale timestamp",
      (body: string) => ({
        body,
        headers: standardWebhookHeaders(body, { timestamp: new Date(Date.now() - 6 * 60_000) }),
      }),
    ],
    [
      "a future timestamp",
      (body: string) => ({
        body,
        headers: standardWebhookHeaders(body, { timestamp: new Date(Date.now() + 6 * 60_000) }),
      }),
    ],
    ["no signature headers", (body: string) => ({ body, headers: {} })],
  ])("answers 401 without detail and queues nothing for %s", async (_case, make) => {
    const { body, headers } = make(JSON.stringify(anEvent()));
    const logs: string[] = [];
    const response = await post(body, headers, logs);
    expect(response.status).toBe(401);
    expect(bodyOf(response)).toEqual({ error: { code: "unauthorized", message: "Unauthorized." } });
    expect(logs.join("\n")).toMatch(
      /refused \((invalid_signature|timestamp_too_old|timestamp_too_new|missing_headers)\)/,
    );
    expect(await takeQueued()).toEqual([]);
  });

  it.each([
    [
      "415 for a body that is not JSON",
      415,
      () => aPost("hr/events", "a=1", { "content-type": "application/x-www-form-urlencoded" }),
    ],
    [
      "413 for a body over 1 MB",
      413,
      () => {
        const body = JSON.stringify([anEvent({ source: "x".repeat(1024 * 1024) })]);
        return aPost("hr/events", body, standardWebhookHeaders(body));
      },
    ],
    ["400 for signed malformed JSON", 400, () => aPost("hr/events", "[{", standardWebhookHeaders("[{"))],
    [
      "400 for a signed body that is neither an event nor an array",
      400,
      () => aPost("hr/events", "42", standardWebhookHeaders("42")),
    ],
    [
      "413 for more than 500 events",
      413,
      () => {
        const body = JSON.stringify(Array.from({ length: 501 }, () => anEvent()));
        return aPost("hr/events", body, standardWebhookHeaders(body));
      },
    ],
  ])("answers %s and queues nothing", async (_case, status, request) => {
    const response = await hrEvents(request(), aContext());
    expect(response.status).toBe(status);
    expect(await takeQueued()).toEqual([]);
  });

  it.each([
    ["missing", undefined],
    ["not in whsec_ format", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
  ])(
    "answers 503 endpoint_not_configured when HR_WEBHOOK_SECRETS is %s, signed or not",
    async (_case, value) => {
      env.configure({ HR_WEBHOOK_SECRETS: value });
      const body = JSON.stringify(anEvent());
      const response = await post(body, standardWebhookHeaders(body));
      expect(response.status).toBe(503);
      expect(bodyOf(response)).toMatchObject({ error: { code: "endpoint_not_configured" } });
      expect(await takeQueued()).toEqual([]);
    },
  );

  it("answers 503 with Retry-After when the queue fails, and queues the event on redelivery", async () => {
    const body = JSON.stringify(anEvent());
    const headers = standardWebhookHeaders(body);
    const send = vi.spyOn(appServices().queue, "send").mockRejectedValueOnce(new Error("queue down"));
    const logs: string[] = [];
    const failed = await post(body, headers, logs);
    expect(failed.status).toBe(503);
    expect(failed.headers).toMatchObject({ "Retry-After": expect.any(String) });
    expect(logs.join("\n")).toMatch(/IntakeUnavailableError.*<- Error: queue down/);
    send.mockRestore();

    const redelivered = await post(body, headers);
    expect(redelivered.status).toBe(202);
    expect(bodyOf(redelivered)).toMatchObject({ accepted: [{ index: 0 }] });
    expect(bodyOf(redelivered)).not.toMatchObject({ accepted: [{ duplicate: true }] });
    expect(await takeQueued()).toHaveLength(1);
  });

  it("records a body that claims to be the helpdesk admin with the verified webhook sender as actor", async () => {
    const event = anEvent({
      source: "helpdesk-admin",
      actor: "helpdesk@contoso.example",
      user: { userPrincipalName: users.newHire.userPrincipalName },
    });
    const body = JSON.stringify(event);
    expect((await post(body)).status).toBe(202);
    const [queued] = await takeQueued();
    expect(queued).toMatchObject({ actor });
    await onboardingQueue(queued, aContext());
    const outcome = await appServices().outcomes.get(scoped(event.eventId));
    expect(outcome).toMatchObject({ status: "updated", source: "helpdesk-admin", actor });
  });

  it("keeps two senders' events apart: one key cannot make another key's event a duplicate", async () => {
    env.configure({ HR_WEBHOOK_SECRETS: `${testSecrets.standard},${testSecrets.rotated}` });
    const victim = anEvent();
    const attack = JSON.stringify({ ...victim, contact: { mobilePhone: "(425) 555-0199" } });
    const first = await post(attack, standardWebhookHeaders(attack, { secret: testSecrets.rotated }));
    const rotatedKeyId = keyIdOf(testSecrets.rotated);
    expect(bodyOf(first)).toEqual({
      accepted: [{ index: 0, eventId: `hr-events.${rotatedKeyId}.${String(victim.eventId)}` }],
      rejected: [],
    });

    const genuine = JSON.stringify(victim);
    const second = await post(genuine, standardWebhookHeaders(genuine));
    expect(bodyOf(second)).toEqual({
      accepted: [{ index: 0, eventId: scoped(victim.eventId) }],
      rejected: [],
    });
    expect((await takeQueued()).map((message) => [message.eventId, message.actor])).toEqual([
      [`hr-events.${rotatedKeyId}.${String(victim.eventId)}`, `webhook:hr/events#${rotatedKeyId}`],
      [scoped(victim.eventId), actor],
    ]);
  });

  it.each([
    ["a BambooHR event", "bamboohr-17-2026-11-24T09:00:00Z"],
    ["a SCIM event", "scim-ext-1-0123456789abcdef"],
    ["a helpdesk fix", "http-0123456789abcdef0123456789abcdef01234567"],
  ])("cannot take the event id of %s", async (_case, eventId) => {
    const body = JSON.stringify(anEvent({ eventId }));
    expect(bodyOf(await post(body))).toEqual({
      accepted: [{ index: 0, eventId: scoped(eventId) }],
      rejected: [],
    });
  });

  it("refuses an object id that is not a GUID, so it can never become a Graph path segment", async () => {
    const body = JSON.stringify(anEvent({ user: { id: ".." } }));
    expect(bodyOf(await post(body))).toMatchObject({
      accepted: [],
      rejected: [{ errors: [expect.objectContaining({ field: "user.id", code: "user_id_not_guid" })] }],
    });
    expect(await takeQueued()).toEqual([]);
  });

  it("logs ids and counts but no phone number or email", async () => {
    const logs: string[] = [];
    const body = JSON.stringify([
      anEvent({ contact: { mobilePhone: "(425) 555-0147", alternateEmail: "avery.l@example.com" } }),
    ]);
    await post(body, standardWebhookHeaders(body), logs);
    expect(logs.join("\n")).toMatch(/1 accepted/);
    expect(logs.join("\n")).not.toMatch(/555-0147|4255550147|@example/);
  });
});

describe("hr/events through the local host", () => {
  let host: LocalHost;

  beforeAll(async () => {
    env.configure();
    await takeQueued();
    host = await startLocalHost({
      registrations: await loadFunctions(),
      settings: appServices().settings,
      port: 0,
      maxPollingIntervalMs: 200,
      log: () => {},
    });
  });
  afterAll(async () => host?.close());

  it("takes a signed request over HTTP, and the queue function writes the contact to Entra ID", async () => {
    const event = anEvent({
      user: { userPrincipalName: users.newHire.userPrincipalName },
      contact: { mobilePhone: "(425) 555-0147", alternateEmail: "new.hire@example.com" },
    });
    const body = JSON.stringify(event);
    const response = await fetch(`${host.url}/api/hr/events`, {
      method: "POST",
      headers: { "content-type": "application/json", ...standardWebhookHeaders(body) },
      body,
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      accepted: [{ index: 0, eventId: scoped(event.eventId) }],
      rejected: [],
    });

    host.poke();
    const outcome = await vi.waitFor(
      async () => {
        const found = await appServices().outcomes.get(scoped(event.eventId));
        if (!found) throw new Error("not processed yet");
        return found;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(outcome).toMatchObject({
      status: "updated",
      userId: users.newHire.id,
      source: event.source,
      actor,
    });
    expect(env.graph.tenant.user(users.newHire.id)).toMatchObject({
      mobilePhone: "+1 4255550147",
      otherMails: ["new.hire@example.com"],
    });
  });

  it("answers 401 over HTTP for an unsigned request", async () => {
    const response = await fetch(`${host.url}/api/hr/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(anEvent()),
    });
    expect(response.status).toBe(401);
  });
});
