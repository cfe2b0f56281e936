import { describe, expect, it } from "vitest";
import type { ContactRuleOptions } from "../../shared/contact/contactEvent.js";
import {
  acceptEvents,
  IntakeUnavailableError,
  summarizeAcceptance,
} from "../../shared/intake/acceptEvents.js";
import { intakeEvent, intakeRefused } from "../../shared/intake/intakeRecord.js";
import type { WebhookReceipts } from "../../shared/intake/webhookReceipts.js";
import { scopedEventId, type WebhookSender } from "../../shared/intake/webhookSender.js";
import { verifiedActorOf } from "../../shared/sync/actorStamp.js";
import { appKeysFrom } from "../../shared/sync/appKeys.js";
import type { EventQueue } from "../../shared/sync/eventQueue.js";
import { anEvent } from "../support/factories.js";

const rules: ContactRuleOptions = { phoneValidation: "valid", organizationDomains: ["contoso.example"] };

/** A queue that keeps what it is sent, and can be told to fail from the n-th message on. */
class MemoryQueue implements EventQueue {
  sent: Record<string, unknown>[] = [];
  failFrom = Number.POSITIVE_INFINITY;
  async send(message: unknown): Promise<void> {
    if (this.sent.length + 1 >= this.failFrom) throw new Error("queue unavailable");
    this.sent.push(message as Record<string, unknown>);
  }
}

/** Receipts in a Map keyed by sender and event id, with the same two-step semantics as the table. */
class MemoryReceipts implements WebhookReceipts {
  states = new Map<string, "pending" | "enqueued">();
  async claim(scope: string, eventId: string): Promise<"new" | "duplicate"> {
    if (this.states.get(`${scope} ${eventId}`) === "enqueued") return "duplicate";
    this.states.set(`${scope} ${eventId}`, "pending");
    return "new";
  }
  async markEnqueued(scope: string, eventId: string): Promise<void> {
    this.states.set(`${scope} ${eventId}`, "enqueued");
  }
}

/** The verified sender of the requests in these tests, and another one. */
const sender: WebhookSender = { endpoint: "hr/events", keyId: "0a1b2c3d" };
const otherSender: WebhookSender = { endpoint: "hr/events", keyId: "9f8e7d6c" };
const asSender = { sender };
const actor = "webhook:hr/events#0a1b2c3d";
/** The id an event of `sender` is queued and reported under. */
const scoped = (eventId: string | undefined) => `hr-events.0a1b2c3d.${eventId}`;
/** The event as the intake queues it for `sender`. */
const queuedAs = (event: { eventId: string }) => ({ ...event, eventId: scoped(event.eventId), actor });

function fakes(concurrency = 1) {
  const queue = new MemoryQueue();
  const receipts = new MemoryReceipts();
  return { queue, receipts, deps: { queue, receipts, rules, concurrency } };
}

describe("taking in a batch of webhook events", () => {
  it("enqueues each valid event once, as accepted (not normalized), and reports it by index", async () => {
    const { queue, deps } = fakes();
    const events = [anEvent(), anEvent({ contact: { alternateEmail: "someone@example.com" } })];
    const report = await acceptEvents(events.map(intakeEvent), deps, asSender);
    expect(report).toEqual({
      accepted: [
        { index: 0, eventId: scoped(events[0]?.eventId) },
        { index: 1, eventId: scoped(events[1]?.eventId) },
      ],
      rejected: [],
    });
    expect(queue.sent).toEqual(events.map(queuedAs));
  });

  it("accepts the good records of a partial batch and reports the bad ones by index with their issues", async () => {
    const { queue, deps } = fakes();
    const good = anEvent();
    const bad = anEvent({ contact: { mobilePhone: "n/a" } });
    const report = await acceptEvents(
      [intakeEvent(good), intakeEvent(bad), intakeEvent("not an event")],
      deps,
      asSender,
    );
    expect(report.accepted).toEqual([{ index: 0, eventId: scoped(good.eventId) }]);
    expect(report.rejected).toEqual([
      {
        index: 1,
        eventId: scoped(bad.eventId),
        errors: [expect.objectContaining({ field: "contact.mobilePhone", code: "phone_placeholder" })],
      },
      { index: 2, errors: [expect.objectContaining({ code: "event_not_an_object" })] },
    ]);
    expect(queue.sent).toEqual([queuedAs(good)]);
  });

  it("reports an adapter's refusal with the event id it gave, in the sender's namespace", async () => {
    const { deps } = fakes();
    const issue = { field: "action", code: "bamboohr_employee_deleted", message: "deleted" };
    const report = await acceptEvents([intakeRefused([issue], "bamboohr-1-t")], deps, {
      sender: { endpoint: "hr/bamboohr" },
    });
    expect(report.rejected).toEqual([{ index: 0, eventId: "bamboohr-1-t", errors: [issue] }]);
  });

  it("passes the rules' warnings back with the accepted event", async () => {
    const { deps } = fakes();
    const report = await acceptEvents(
      [intakeEvent(anEvent({ contact: { officePhone: "425.555.0100 x12" } }))],
      deps,
      asSender,
    );
    expect(report.accepted[0]?.warnings).toEqual([
      expect.objectContaining({ code: "phone_extension_dropped" }),
    ]);
  });

  it("acknowledges a redelivery as a duplicate without enqueueing it again", async () => {
    const { queue, deps } = fakes();
    const event = anEvent();
    await acceptEvents([intakeEvent(event)], deps, asSender);
    const again = await acceptEvents([intakeEvent(event)], deps, asSender);
    expect(again.accepted).toEqual([{ index: 0, eventId: scoped(event.eventId), duplicate: true }]);
    expect(queue.sent).toHaveLength(1);
  });

  it("enqueues an event repeated inside one request once and marks the repeat as a duplicate", async () => {
    const { queue, deps } = fakes();
    const event = anEvent();
    const report = await acceptEvents([intakeEvent(event), intakeEvent({ ...event })], deps, asSender);
    expect(report.accepted).toEqual([
      { index: 0, eventId: scoped(event.eventId) },
      { index: 1, eventId: scoped(event.eventId), duplicate: true },
    ]);
    expect(queue.sent).toHaveLength(1);
  });

  it("throws IntakeUnavailableError with the cause when enqueueing fails, and never reports the event accepted", async () => {
    const { queue, deps } = fakes();
    queue.failFrom = 1;
    const error = await acceptEvents([intakeEvent(anEvent())], deps, asSender).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(IntakeUnavailableError);
    expect((error as Error).cause).toEqual(new Error("queue unavailable"));
  });

  it("queues on redelivery exactly the events a failed delivery did not", async () => {
    const { queue, receipts, deps } = fakes();
    const events = [anEvent(), anEvent(), anEvent()];
    queue.failFrom = 2;
    await expect(acceptEvents(events.map(intakeEvent), deps, asSender)).rejects.toThrow(
      IntakeUnavailableError,
    );
    expect(queue.sent).toEqual([queuedAs(events[0] as { eventId: string })]);
    // The failed event's receipt stays pending: its redelivery is new work, not a duplicate.
    expect(receipts.states.get(`${actor} ${scoped(events[1]?.eventId)}`)).toBe("pending");

    queue.failFrom = Number.POSITIVE_INFINITY;
    const report = await acceptEvents(events.map(intakeEvent), deps, asSender);
    expect(report.accepted.map((record) => record.duplicate ?? false)).toEqual([true, false, false]);
    expect(queue.sent).toEqual(events.map(queuedAs));
  });

  it("stops after the given number of rejections, leaving later records unqueued and unreported", async () => {
    const { queue, deps } = fakes();
    const records = [anEvent(), anEvent({ contact: { mobilePhone: "n/a" } }), anEvent()].map(intakeEvent);
    const report = await acceptEvents(records, deps, { sender, stopAfterRejections: 1 });
    expect(report.accepted.map((r) => r.index)).toEqual([0]);
    expect(report.rejected.map((r) => r.index)).toEqual([1]);
    expect(queue.sent).toHaveLength(1);
  });

  it("works through a large batch with several events in flight", async () => {
    const { queue, deps } = fakes(8);
    const events = Array.from({ length: 100 }, () => anEvent());
    const report = await acceptEvents(events.map(intakeEvent), deps, asSender);
    expect(report.accepted.map((r) => r.index)).toEqual(events.map((_, index) => index));
    expect(queue.sent).toHaveLength(100);
  });

  it("summarizes a report for the log with ids and codes but no contact value", async () => {
    const { deps } = fakes();
    const report = await acceptEvents(
      [
        intakeEvent(anEvent({ contact: { mobilePhone: "(425) 555-0147" } })),
        intakeEvent(anEvent({ contact: { alternateEmail: "x@contoso.example" } })),
      ],
      deps,
      asSender,
    );
    const line = summarizeAcceptance(report);
    expect(line).toMatch(/^1 accepted \(0 duplicate\), 1 rejected: #1 hr-events\.0a1b2c3d\.test-[\w-]+ \w+/);
    expect(line).not.toMatch(/555|contoso/);
  });
});

describe("the verified sender, not the body, names an event", () => {
  it("stamps the verified sender as the actor, overwriting an actor the body claims", async () => {
    const { queue, deps } = fakes();
    const event = { ...anEvent(), source: "helpdesk-admin", actor: "webhook:hr/scim" };
    await acceptEvents([intakeEvent(event)], deps, asSender);
    expect(queue.sent[0]).toMatchObject({ source: "helpdesk-admin", actor });
  });

  it("signs the actor it stamps with the app's key, so the queue believes the stamp on this event only", async () => {
    const { queue, deps } = fakes();
    const keys = appKeysFrom("test-app-signing-key-not-a-secret-0147");
    await acceptEvents([intakeEvent(anEvent())], { ...deps, actorStampKey: keys.actorStamp }, asSender);
    const [queued] = queue.sent;
    expect(queued?.actorStamp).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifiedActorOf(queued, keys.actorStamp)).toEqual({ actor });
    expect(verifiedActorOf({ ...queued, source: "other" }, keys.actorStamp).actor).toBe("queue");
  });

  it("drops a stamp the body brings and signs the event itself (or, without a key, not at all)", async () => {
    const forged = "q3Zx1Xl0wX2dQm0aQy3M8l1b0fQvOeRz9H4kG2sJx0E";
    const { queue, deps } = fakes();
    const keys = appKeysFrom("test-app-signing-key-not-a-secret-0147");
    const body = { ...anEvent(), actor: "webhook:hr/scim", actorStamp: forged };
    await acceptEvents([intakeEvent(body)], { ...deps, actorStampKey: keys.actorStamp }, asSender);
    await acceptEvents([intakeEvent({ ...body, eventId: "unsigned" })], deps, asSender);
    const [signedOne, unsigned] = queue.sent;
    expect(signedOne?.actorStamp).not.toBe(forged);
    expect(verifiedActorOf(signedOne, keys.actorStamp)).toEqual({ actor });
    expect(unsigned).not.toHaveProperty("actorStamp");
  });

  it("does not let one sender make another sender's event a duplicate by sending its id first", async () => {
    const { queue, deps } = fakes();
    const victim = anEvent();
    // The attacker holds another valid key and sends the victim's event id first, with its own values.
    await acceptEvents([intakeEvent({ ...victim, contact: { mobilePhone: "(425) 555-0199" } })], deps, {
      sender: otherSender,
    });
    const report = await acceptEvents([intakeEvent(victim)], deps, asSender);
    expect(report.accepted).toEqual([{ index: 0, eventId: scoped(victim.eventId) }]);
    expect(queue.sent.map((message) => message.eventId)).toEqual([
      `hr-events.9f8e7d6c.${victim.eventId}`,
      scoped(victim.eventId),
    ]);
  });

  it.each([
    ["a BambooHR id", "bamboohr-17-2026-11-24T09:00:00Z"],
    ["a SCIM id", "scim-ext-1-0123456789abcdef"],
    ["a helpdesk fix id", "http-0123456789abcdef0123456789abcdef01234567"],
    ["another key's id", "hr-events.9f8e7d6c.hr-1"],
  ])("keeps an hr/events body that names %s inside its own namespace", async (_case, eventId) => {
    const { queue, deps } = fakes();
    await acceptEvents([intakeEvent(anEvent({ eventId }))], deps, asSender);
    expect(queue.sent[0]?.eventId).toBe(scoped(eventId));
  });

  it("hashes an id that would be too long once scoped, in the same namespace and the same way every time", () => {
    const long = "x".repeat(128);
    const id = scopedEventId(sender, long);
    expect(id).toMatch(/^hr-events\.0a1b2c3d\.sha256-[0-9a-f]{32}$/);
    expect(scopedEventId(sender, long)).toBe(id);
  });
});
