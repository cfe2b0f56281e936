import { beforeEach, describe, expect, it } from "vitest";
import type { EventQueue } from "../../shared/sync/eventQueue.js";

/** A queue under test, with the two things a reader of it can observe. */
export interface QueueUnderTest {
  queue: EventQueue;
  /** The messages a reader would see now, decoded, without taking them off the queue. */
  readBack(): Promise<unknown[]>;
  /** Lets `seconds` pass for the queue (real time for a Storage queue, the clock for the double). */
  elapse(seconds: number): Promise<void>;
}

const event = {
  eventId: "contract-queue-1",
  source: "contract-test",
  occurredAt: "2026-11-24T09:00:00.000Z",
  user: { userPrincipalName: "avery.lee@example.com", employeeId: "E-0147" },
  country: "US",
  contact: { mobilePhone: "+1 4255550147", alternateEmail: "avery.personal@example.com", officePhone: null },
};

const sevenDays = 7 * 24 * 3600;

/** Sorted by their JSON text: a Storage queue does not promise the order it hands messages back in. */
const inAnyOrder = (messages: unknown[]) =>
  [...messages].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * What every EventQueue does (see shared/sync/eventQueue.ts), run against the Storage queue and the in-memory
 * double alike. `makeQueue` gives an empty queue for each test.
 */
export function eventQueueContract(
  name: string,
  makeQueue: () => Promise<QueueUnderTest> | QueueUnderTest,
): void {
  describe(`${name} as an EventQueue`, () => {
    let subject: QueueUnderTest;
    beforeEach(async () => {
      subject = await makeQueue();
    });

    it("is empty before anything is sent", async () => {
      expect(await subject.readBack()).toEqual([]);
    });

    it("hands back what was sent, equal to it", async () => {
      await subject.queue.send(event);
      expect(await subject.readBack()).toEqual([event]);
    });

    it.each([
      { kind: "a string", message: "definitely not json" },
      { kind: "a number", message: 42 },
      { kind: "null", message: null },
      { kind: "an array", message: [event, { eventId: "contract-queue-2" }] },
      { kind: "text outside ASCII", message: { name: "Zoë Ødegård 日本", note: "emoji 📞" } },
    ])("hands back $kind unchanged", async ({ message }) => {
      await subject.queue.send(message);
      expect(await subject.readBack()).toEqual([message]);
    });

    it("sends the message's JSON form: dates become text and undefined properties are left out", async () => {
      await subject.queue.send({
        ...event,
        receivedAt: new Date("2026-11-24T09:00:05.000Z"),
        note: undefined,
      });
      const [read] = await subject.readBack();
      expect(read).toEqual({ ...event, receivedAt: "2026-11-24T09:00:05.000Z" });
      expect(Object.keys(read as object)).not.toContain("note");
    });

    it("holds a copy: changing the message after sending does not change what was sent", async () => {
      const message = structuredClone(event);
      await subject.queue.send(message);
      message.contact.mobilePhone = "+1 4255550148";
      expect(await subject.readBack()).toEqual([event]);
    });

    it("keeps every message sent, duplicates included", async () => {
      const second = { ...event, eventId: "contract-queue-2" };
      await subject.queue.send(event);
      await subject.queue.send(second);
      await subject.queue.send(event);
      expect(inAnyOrder(await subject.readBack())).toEqual(inAnyOrder([event, second, event]));
    });

    it.each([
      { delay: "no options", options: undefined },
      { delay: "no delay", options: {} },
      { delay: "a delay of 0", options: { delaySeconds: 0 } },
      { delay: "a delay that is not a number", options: { delaySeconds: Number.NaN } },
    ])("makes a message with $delay visible at once", async ({ options }) => {
      await subject.queue.send(event, options);
      expect(await subject.readBack()).toEqual([event]);
    });

    it.each([1, 0.2, 60, 6 * 3600, sevenDays])(
      "keeps a message sent with a delay of %s s invisible",
      async (delaySeconds) => {
        await subject.queue.send(event, { delaySeconds });
        const visibleNow = { ...event, eventId: "contract-queue-visible" };
        await subject.queue.send(visibleNow);
        expect(await subject.readBack()).toEqual([visibleNow]);
      },
    );

    it("shows a delayed message once its delay, rounded up to whole seconds, has passed", async () => {
      await subject.queue.send(event, { delaySeconds: 0.2 });
      expect(await subject.readBack()).toEqual([]);
      await subject.elapse(0.4);
      expect(await subject.readBack()).toEqual([]);
      await subject.elapse(1.1);
      expect(await subject.readBack()).toEqual([event]);
    });

    it.each([
      { delay: "negative", delaySeconds: -5 },
      { delay: "longer than 7 days", delaySeconds: sevenDays + 1 },
    ])("refuses a delay that is $delay and sends nothing", async ({ delaySeconds }) => {
      await expect(subject.queue.send(event, { delaySeconds })).rejects.toThrow();
      expect(await subject.readBack()).toEqual([]);
    });

    it.each([
      { kind: "undefined", message: undefined },
      { kind: "a function", message: () => "not data" },
    ])("refuses a message with no JSON form ($kind) and sends nothing", async ({ message }) => {
      await expect(subject.queue.send(message)).rejects.toThrow();
      expect(await subject.readBack()).toEqual([]);
    });
  });
}
