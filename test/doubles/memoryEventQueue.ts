import type { EventQueue } from "../../shared/sync/eventQueue.js";

/** A Storage queue message may stay invisible at most 7 days. */
const maxDelaySeconds = 7 * 24 * 3600;

/** One message as the double keeps it: a JSON copy of what was sent, and when it becomes visible. */
export interface SentMessage {
  body: unknown;
  /** The delay as asked for (0 when none). */
  delaySeconds: number;
  sentAt: Date;
  visibleAt: Date;
}

/**
 * An in-memory EventQueue that behaves as StorageEventQueue does (see test/contracts/eventQueueContract.ts):
 * the message is sent as JSON, so the queue holds a copy and never the caller's object, and a delay keeps it
 * invisible for that many whole seconds (rounded up, as StorageEventQueue does), at most 7 days.
 */
export class MemoryEventQueue implements EventQueue {
  readonly #sent: SentMessage[] = [];

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async send(message: unknown, options: { delaySeconds?: number } = {}): Promise<void> {
    const text = JSON.stringify(message) as string | undefined;
    if (text === undefined) throw new TypeError("the message has no JSON form");
    const delaySeconds = options.delaySeconds ? options.delaySeconds : 0;
    const wholeSeconds = Math.ceil(delaySeconds);
    if (wholeSeconds < 0 || wholeSeconds > maxDelaySeconds) {
      // The Storage queue answers 400 OutOfRangeInput.
      throw new RangeError(`delaySeconds must be from 0 to ${maxDelaySeconds}, not ${delaySeconds}`);
    }
    const sentAt = this.clock();
    const visibleAt = new Date(sentAt.getTime() + wholeSeconds * 1000);
    this.#sent.push({ body: JSON.parse(text), delaySeconds, sentAt, visibleAt });
  }

  /** Every message sent so far, in order, each a fresh copy. */
  get messages(): SentMessage[] {
    return this.#sent.map((message) => ({
      ...message,
      body: structuredClone(message.body),
      sentAt: new Date(message.sentAt),
      visibleAt: new Date(message.visibleAt),
    }));
  }

  /** The bodies of the messages a reader would see at `now` (default: the queue's clock), in order sent. */
  visible(now: Date = this.clock()): unknown[] {
    return this.messages.filter((message) => message.visibleAt <= now).map((message) => message.body);
  }
}
