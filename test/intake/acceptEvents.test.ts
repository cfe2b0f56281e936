import { describe, expect, it } from "vitest";
import type { ContactRuleOptions } from "../../shared/contact/contactEvent.js";
import {
  acceptEvents,
  IntakeUnavailableError,
  summarizeAcceptance,
} from "../../shared/intake/acceptEvents.js";
import { intakeEvent, intakeRefused } from "../../shared/intake/intakeRecord.js";
import type { WebhookReceipts } from "../../shared/intake/webhookReceipts.js";
import type { EventQueue } from "../../shared/sync/eventQueue.js";

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

/** Receipts in a Map, with the same two-step semantics as the table. */
class MemoryReceipts implements WebhookReceipts {
  states = new Map<string, "pending" | "enqueued">();
  async claim(eventId: string): Promise<"new" | "duplicate"> {
    if (this.states.get(eventId) === "enqueued") return "duplicate";
    this.states.set(eventId, "pending");
    return "new";
  }
  async markEnqueued(eventId: string): Promise<void> {
    this.states.set(eventId, "enqueued");
  }
}

let sequence = 0;
function anEvent(
  contact: Record<string, unknown> = { mobilePhone: "(425) 555-0147" },
  overrides: Record<string, unknown> = {},
) {
  sequence += 1;
  return {
    eventId: `accept-${sequence}`,
    source: "test",
    occurredAt: "2026-11-24T09:00:00Z",
    user: { employeeId: `E${sequence}` },
    country: "US",
    contact,
    ...overrides,
  };
}

function fakes(concurrency = 1) {
  const queue = new MemoryQueue();
  const receipts = new MemoryReceipts();
  return { queue, receipts, deps: { queue, receipts, rules, concurrency } };
}

describe("taking in a batch of webhook events", () => {
  it("enqueues each valid event once, as accepted (not normalized), and reports it by index", async () => {
    const { queue, deps } = fakes();
    const events = [anEvent(), anEvent({ alternateEmail: "someone@example.com" })];
    const report = await acceptEvents(events.map(intakeEvent), deps);
    expect(report).toEqual({
      accepted: [
        { index: 0, eventId: events[0]?.eventId },
        { index: 1, eventId: events[1]?.eventId },
      ],
      rejected: [],
    });
    expect(queue.sent).toEqual(events);
  });

  it("accepts the good records of a partial batch and reports the bad ones by index with their issues", async () => {
    const { queue, deps } = fakes();
    const good = anEvent();
    const bad = anEvent({ mobilePhone: "n/a" });
    const report = await acceptEvents(
      [intakeEvent(good), intakeEvent(bad), intakeEvent("not an event")],
      deps,
    );
    expect(report.accepted).toEqual([{ index: 0, eventId: good.eventId }]);
    expect(report.rejected).toEqual([
      {
        index: 1,
        eventId: bad.eventId,
        errors: [expect.objectContaining({ field: "contact.mobilePhone", code: "phone_placeholder" })],
      },
      { index: 2, errors: [expect.objectContaining({ code: "event_not_an_object" })] },
    ]);
    expect(queue.sent).toEqual([good]);
  });

  it("reports an adapter's refusal with the event id it gave", async () => {
    const { deps } = fakes();
    const issue = { field: "action", code: "bamboohr_employee_deleted", message: "deleted" };
    const report = await acceptEvents([intakeRefused([issue], "bamboohr-1-t")], deps);
    expect(report.rejected).toEqual([{ index: 0, eventId: "bamboohr-1-t", errors: [issue] }]);
  });

  it("passes the rules' warnings back with the accepted event", async () => {
    const { deps } = fakes();
    const report = await acceptEvents([intakeEvent(anEvent({ officePhone: "425.555.0100 x12" }))], deps);
    expect(report.accepted[0]?.warnings).toEqual([
      expect.objectContaining({ code: "phone_extension_dropped" }),
    ]);
  });

  it("acknowledges a redelivery as a duplicate without enqueueing it again", async () => {
    const { queue, deps } = fakes();
    const event = anEvent();
    await acceptEvents([intakeEvent(event)], deps);
    const again = await acceptEvents([intakeEvent(event)], deps);
    expect(again.accepted).toEqual([{ index: 0, eventId: event.eventId, duplicate: true }]);
    expect(queue.sent).toHaveLength(1);
  });

  it("enqueues an event repeated inside one request once and marks the repeat as a duplicate", async () => {
    const { queue, deps } = fakes();
    const event = anEvent();
    const report = await acceptEvents([intakeEvent(event), intakeEvent({ ...event })], deps);
    expect(report.accepted).toEqual([
      { index: 0, eventId: event.eventId },
      { index: 1, eventId: event.eventId, duplicate: true },
    ]);
    expect(queue.sent).toHaveLength(1);
  });

  it("throws IntakeUnavailableError with the cause when enqueueing fails, and never reports the event accepted", async () => {
    const { queue, deps } = fakes();
    queue.failFrom = 1;
    const error = await acceptEvents([intakeEvent(anEvent())], deps).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(IntakeUnavailableError);
    expect((error as Error).cause).toEqual(new Error("queue unavailable"));
  });

  it("queues on redelivery exactly the events a failed delivery did not", async () => {
    const { queue, receipts, deps } = fakes();
    const events = [anEvent(), anEvent(), anEvent()];
    queue.failFrom = 2;
    await expect(acceptEvents(events.map(intakeEvent), deps)).rejects.toThrow(IntakeUnavailableError);
    expect(queue.sent).toEqual([events[0]]);
    // The failed event's receipt stays pending: its redelivery is new work, not a duplicate.
    expect(receipts.states.get(events[1]?.eventId ?? "")).toBe("pending");

    queue.failFrom = Number.POSITIVE_INFINITY;
    const report = await acceptEvents(events.map(intakeEvent), deps);
    expect(report.accepted.map((record) => record.duplicate ?? false)).toEqual([true, false, false]);
    expect(queue.sent).toEqual(events);
  });

  it("stops after the given number of rejections, leaving later records unqueued and unreported", async () => {
    const { queue, deps } = fakes();
    const records = [anEvent(), anEvent({ mobilePhone: "n/a" }), anEvent()].map(intakeEvent);
    const report = await acceptEvents(records, deps, { stopAfterRejections: 1 });
    expect(report.accepted.map((r) => r.index)).toEqual([0]);
    expect(report.rejected.map((r) => r.index)).toEqual([1]);
    expect(queue.sent).toHaveLength(1);
  });

  it("works through a large batch with several events in flight", async () => {
    const { queue, deps } = fakes(8);
    const events = Array.from({ length: 100 }, () => anEvent());
    const report = await acceptEvents(events.map(intakeEvent), deps);
    expect(report.accepted.map((r) => r.index)).toEqual(events.map((_, index) => index));
    expect(queue.sent).toHaveLength(100);
  });

  it("summarizes a report for the log with ids and codes but no contact value", async () => {
    const { deps } = fakes();
    const report = await acceptEvents(
      [
        intakeEvent(anEvent({ mobilePhone: "(425) 555-0147" })),
        intakeEvent(anEvent({ alternateEmail: "x@contoso.example" })),
      ],
      deps,
    );
    const line = summarizeAcceptance(report);
    expect(line).toMatch(/^1 accepted \(0 duplicate\), 1 rejected: #1 accept-\d+ \w+/);
    expect(line).not.toMatch(/555|contoso/);
  });
});
